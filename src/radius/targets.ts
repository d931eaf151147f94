/**
 * One model for "an Auth-Type that asks LinOTP", whichever LinOTP 2 module served it: radius_linotp.pm
 * (rlm_perl.ini defaults, overridden per Auth-Type by `<Auth-Type>[URL|REALM|RESCONF]`) or rlm_linotp2
 * (one module instance's settings). Both converters and the inventory work on this list.
 */
import type { PerlModuleSettings } from './perl-ini.js';
import type { Linotp2Module, RadiusTree } from './tree.js';

export interface LinotpTarget {
  /** The Auth-Type value the target serves. */
  authType: string;
  source: 'rlm_perl' | 'rlm_linotp2';
  /** Module instance that served it (perl / linotp2 instance name). */
  instance: string;
  /** The old URL (undefined: the module had none). */
  url?: string;
  realm: string;
  resConf: string;
  /** Certificate chain verified (perl: SSL_CHECK; linotp2: sslcertverify). */
  tlsVerifyPeer: boolean;
  /** Host name verified (perl: SSL_CHECK; linotp2: sslhostnameverify). */
  tlsVerifyHost: boolean;
  caFile: string;
  caDir: string;
  /** client= from NAS-IP-Address before the packet's source address. */
  preferNasAddress: boolean;
  /** rlm_linotp2 restrictusername: only [A-Za-z0-9_+.@-], at most 256 characters. */
  restrictUsername: boolean;
  /** A per-Auth-Type scope of rlm_perl.ini. */
  scope: boolean;
  /** Where the settings come from (file:line or key names). */
  origin: string[];
}

/** Default Auth-Type names when no FreeRADIUS tree says which Auth-Types call the module. */
export const DEFAULT_AUTH_TYPE = { rlm_perl: 'perl', rlm_linotp2: 'linotp2' } as const;

export function perlTargets(settings: PerlModuleSettings, iniFile: string, tree?: RadiusTree): LinotpTarget[] {
  const base = (authType: string, origin: string[]): LinotpTarget => ({
    authType,
    source: 'rlm_perl',
    instance: 'perl',
    url: settings.url,
    realm: settings.realm,
    resConf: settings.resConf,
    tlsVerifyPeer: settings.tlsVerify,
    tlsVerifyHost: settings.tlsVerify,
    caFile: settings.caFile,
    caDir: settings.caDir,
    preferNasAddress: settings.preferNasAddress,
    restrictUsername: false,
    scope: false,
    origin,
  });
  const uses = tree?.authTypes.filter((a) => a.module === 'perl') ?? [];
  const names = [...new Set(uses.map((u) => u.name))];
  const scopeNames = settings.scopes.map((s) => s.authType);
  const out: LinotpTarget[] = [];
  for (const name of names.length ? names : [DEFAULT_AUTH_TYPE.rlm_perl]) {
    if (scopeNames.includes(name)) continue;
    const u = uses.find((x) => x.name === name);
    out.push({ ...base(name, [iniFile, ...(u ? [`${u.file}:${u.line}`] : [])]), instance: u?.instance ?? 'perl' });
  }
  for (const s of settings.scopes) {
    const u = uses.find((x) => x.name === s.authType);
    const t = base(s.authType, [`${iniFile} ${s.authType}[…]`, ...(u ? [`${u.file}:${u.line}`] : [])]);
    out.push({ ...t, instance: u?.instance ?? 'perl', url: s.url ?? t.url, realm: s.realm ?? t.realm, resConf: s.resConf ?? t.resConf, scope: true });
  }
  return out;
}

export function linotp2Targets(tree: RadiusTree | undefined, modules: Linotp2Module[]): LinotpTarget[] {
  const out: LinotpTarget[] = [];
  for (const m of modules) {
    const uses = tree?.authTypes.filter((a) => a.module === 'linotp2' && a.instance === m.instance) ?? [];
    const names = [...new Set(uses.map((u) => u.name))];
    for (const name of names.length ? names : [m.instance]) {
      const s = m.settings;
      out.push({
        authType: name,
        source: 'rlm_linotp2',
        instance: m.instance,
        url: s.validateurl,
        realm: s.realm ?? '',
        resConf: s.resConf ?? '',
        tlsVerifyPeer: s.sslcertverify,
        tlsVerifyHost: s.sslhostnameverify,
        caFile: '',
        caDir: '',
        preferNasAddress: s.prefer_nas_identifier,
        restrictUsername: s.restrictusername,
        scope: false,
        origin: [`${m.file}:${m.line}`, ...uses.map((u) => `${u.file}:${u.line}`)],
      });
    }
  }
  return out;
}
