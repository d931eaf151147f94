/**
 * `radius convert` as plan + apply. The plan reads the old configuration (as `radius inventory`),
 * decides every value, renders every file and checks it; apply writes the files atomically
 * (config/write.ts), all or none: an existing file with other content is only replaced with --force,
 * an identical one is left alone.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { InputError, UsageError } from '../errors.js';
import { findGroup, invokingOwner } from '../files/ownership.js';
import { writeLinotpFile } from '../files/linotp-file.js';
import { collectInventory, type Finding, type Inventory, type InventoryRequest } from './inventory.js';
import { rewritePamLine } from './pam.js';
import { renderItems } from './unlang.js';
import { readPerlIni, RLM_PERL_INI_PATH } from './perl-ini.js';
import { renderClients } from './render.js';
import { renderRestModules, renderSite, restAuthTypes, restInstanceNames, type RestTarget } from './render-rest.js';
import { DEBIAN_MODULE_PATH, perlAuthTypes, renderPerlIni, renderPerlModule } from './render-perl.js';
import type { LinotpTarget } from './targets.js';

export const MODULES = ['rest', 'perl'] as const;
export type ConvertModule = (typeof MODULES)[number];
export const TLS_CHOICES = ['auto', 'on', 'off'] as const;

export interface ConvertRequest extends InventoryRequest {
  out: string;
  url: string;
  module?: string;
  /** `ADDR:PORT` for the virtual server's auth listen sections. */
  listen?: string[];
  /** `AUTHTYPE=URL` for scopes posting elsewhere. */
  scopeUrl?: string[];
  /** auto: verify unless the old config turned it off. */
  tlsVerify?: string;
  caFile?: string;
  /** --module perl: where radius_linotp.pm is on the new host. */
  perlModule?: string;
}

export interface PlannedFile {
  /** Path relative to --out. */
  name: string;
  path: string;
  /** Where the file belongs on the new host. */
  installAs: string;
  text: string;
  mode: number;
  /** unchanged: an identical file is there; replace: a different one (needs --force). */
  state: 'new' | 'unchanged' | 'replace';
  /** Holds secrets (RADIUS client secrets): its text is not shown. */
  secret: boolean;
}

export interface ConvertPlan {
  module: ConvertModule;
  url: string;
  out: string;
  inventory: Inventory;
  targets: (LinotpTarget & { newUrl: string })[];
  files: PlannedFile[];
  warnings: string[];
  findings: Finding[];
  steps: string[];
}

const RADDB = '/etc/freeradius/3.0';

function parseListen(spec: string): { ipaddr: string; port: string } {
  const m = /^(\*|\[[0-9a-fA-F:.]+\]|[0-9.]+|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(spec);
  if (!m || Number(m[2]) > 65535) throw new UsageError(`--listen ${spec}: expected ADDRESS:PORT`, 'e.g. --listen *:1812 or --listen [::]:1812 or --listen 10.0.0.5:1812');
  return { ipaddr: m[1].replace(/^\[|\]$/g, ''), port: m[2] };
}

function parseUrl(v: string, opt: string): string {
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw new UsageError(`${opt} ${v} is not a URL`, 'e.g. --url https://linotp3.example.com/validate/simplecheck');
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new UsageError(`${opt} ${v}: only https (or http) URLs are possible`, 'e.g. --url https://linotp3.example.com/validate/simplecheck');
  if (u.username || u.password) throw new UsageError(`${opt}: the URL must not hold credentials`, 'simplecheck needs none; remove user:password@');
  if (/\s/.test(v)) throw new UsageError(`${opt} ${v} contains blanks`, 'percent-encode them');
  return v;
}

export function planRadiusConvert(req: ConvertRequest, cwd: string): ConvertPlan {
  if (!req.out) throw new UsageError('--out is required', 'give the directory to write the FreeRADIUS 3 files into, e.g. --out ./radius3');
  if (!req.url) throw new UsageError('--url is required', 'give the LinOTP 3 validate URL, e.g. --url https://linotp3.example.com/validate/simplecheck');
  const module = (req.module ?? 'rest') as ConvertModule;
  if (!MODULES.includes(module)) throw new UsageError(`--module ${req.module}: unknown`, 'use rest (FreeRADIUS rlm_rest, the default) or perl (LinOTP\'s radius_linotp.pm)');
  const tls = req.tlsVerify ?? 'auto';
  if (!(TLS_CHOICES as readonly string[]).includes(tls)) throw new UsageError(`--tls-verify ${tls}: unknown`, 'use auto (verify unless the old config did not), on or off');
  const url = parseUrl(req.url, '--url');
  const scopeUrls = new Map<string, string>();
  for (const s of req.scopeUrl ?? []) {
    const i = s.indexOf('=');
    if (i <= 0) throw new UsageError(`--scope-url ${s}: expected AUTHTYPE=URL`, 'e.g. --scope-url vpn=https://linotp3.example.com/validate/simplecheck');
    scopeUrls.set(s.slice(0, i), parseUrl(s.slice(i + 1), `--scope-url ${s.slice(0, i)}=`));
  }
  const listens = (req.listen?.length ? req.listen : []).map(parseListen);
  const out = path.resolve(cwd, req.out);
  const inv = collectInventory(req, cwd);
  const warnings: string[] = [];
  if (!/^https:/i.test(url)) warnings.push(`${url} is not https: PIN+OTP travel in clear between FreeRADIUS and LinOTP`);
  if (!/\/validate\/simplecheck\/?$/.test(new URL(url).pathname)) warnings.push(`${url} does not end in /validate/simplecheck; the converted configuration reads simplecheck's :-) / :-( answers`);
  for (const name of scopeUrls.keys()) if (!inv.targets.some((t) => t.authType === name)) throw new UsageError(`--scope-url ${name}=…: no Auth-Type ${name} in the old configuration`, `known: ${inv.targets.map((t) => t.authType).join(', ') || 'none'}`);
  if (!inv.targets.length && !inv.pam?.lines.length) {
    throw new InputError('nothing to convert: no LinOTP module (radius_linotp.pm, rlm_linotp2) and no pam_linotp line was found', 'give the old configuration with --freeradius DIR, --rlm-perl-ini FILE and/or --pam DIR');
  }
  if (module === 'perl' && inv.targets.some((t) => t.source === 'rlm_linotp2')) {
    throw new UsageError('--module perl keeps LinOTP\'s perl module, but this configuration uses rlm_linotp2, which has no FreeRADIUS 3 version', 'use --module rest');
  }

  const defaultTarget = inv.targets.find((t) => !t.scope) ?? inv.targets[0];
  const targets = inv.targets.map((t) => {
    const verify = tls === 'on' ? true : tls === 'off' ? false : undefined;
    const newUrl = scopeUrls.get(t.authType) ?? url;
    return {
      ...t,
      newUrl,
      tlsVerifyPeer: verify ?? t.tlsVerifyPeer,
      tlsVerifyHost: verify ?? t.tlsVerifyHost,
      caFile: req.caFile ? path.resolve(cwd, req.caFile) : t.caFile,
    };
  });
  for (const t of targets) {
    // With auto, the inventory's finding about the old setting says the same.
    if (tls === 'off') warnings.push(`Auth-Type ${t.authType}: TLS verification is off (--tls-verify off): anyone between FreeRADIUS and LinOTP can read PIN+OTP`);
  }
  const header = [`Written by linotp-migrate radius convert (--module ${module}) for LinOTP 3 at ${url}.`, 'FreeRADIUS 3.2; check with: freeradius -XC'];
  const files: Omit<PlannedFile, 'path' | 'state'>[] = [];
  const rules = inv.tree?.rules.filter((r) => r.kind === 'users' && targets.some((t) => t.authType === r.authType)) ?? [];
  const rulesModule = rules.length ? 'linotp_authtypes' : undefined;
  if (rulesModule) {
    files.push({ name: 'mods-config/files/linotp-authtypes', installAs: `${RADDB}/mods-config/files/linotp-authtypes`, mode: 0o640, secret: false, text: [...header.map((h) => `# ${h}`), ...rules.flatMap((r) => ['', `# from ${r.file}:${r.line}`, r.text])].join('\n') + '\n' });
    files.push({
      name: `mods-available/${rulesModule}`,
      installAs: `${RADDB}/mods-available/${rulesModule}`,
      mode: 0o640,
      secret: false,
      text: [...header.map((h) => `# ${h}`), `files ${rulesModule} {`, '\tfilename = ${modconfdir}/files/linotp-authtypes', '}'].join('\n') + '\n',
    });
  }
  const siteListens = listens.length ? listens : defaultListens(inv);
  const logicParts = inv.tree?.logic ?? [];
  if (logicParts.length > 1) warnings.push(`Auth-Types were chosen in ${logicParts.length} old authorize sections (${logicParts.map((l) => `server ${l.server}`).join(', ')}); sites-available/linotp runs them in this order: check that this is what you want`);
  const logic = logicParts.flatMap((l) => [`\t\t# how ${l.file}:${l.line} (server ${l.server}) chose the Auth-Type (other statements left out)`, ...renderItems(l.items, 2)]);
  if (targets.length) {
    let authTypes: string[][];
    if (module === 'rest') {
      const restTargets: RestTarget[] = restInstanceNames(targets, defaultTarget.authType);
      files.push({ name: 'mods-available/linotp', installAs: `${RADDB}/mods-available/linotp`, mode: 0o640, secret: false, text: renderRestModules(restTargets, header) });
      authTypes = restAuthTypes(restTargets);
    } else {
      const script = req.perlModule ?? inv.tree?.perl.find((p) => p.linotp)?.script ?? DEBIAN_MODULE_PATH;
      files.push({ name: 'mods-available/perl', installAs: `${RADDB}/mods-available/perl`, mode: 0o640, secret: false, text: renderPerlModule(script, header) });
      authTypes = perlAuthTypes(targets.map((t) => t.authType));
      const base = targets.find((t) => !t.scope) ?? targets[0];
      const iniLines = inv.rlmPerlIni ? readIniLines(inv.rlmPerlIni.file) : new Map<string, string>();
      files.push({
        name: 'linotp2/rlm_perl.ini',
        installAs: RLM_PERL_INI_PATH,
        mode: 0o640,
        secret: false,
        text: renderPerlIni(
          {
            defaults: { URL: base.newUrl, REALM: base.realm, RESCONF: base.resConf, SSL_CHECK: base.tlsVerifyPeer && base.tlsVerifyHost, HTTPS_CA_FILE: base.caFile, HTTPS_CA_DIR: base.caDir, PREFER_NAS_IDENTIFIER: base.preferNasAddress },
            scopes: targets.filter((t) => t.scope).map((t) => ({ authType: t.authType, URL: t.newUrl !== base.newUrl || inv.perl?.scopes.find((s) => s.authType === t.authType)?.url !== undefined ? t.newUrl : undefined, REALM: t.realm !== base.realm ? t.realm : scopeKey(inv, t.authType, 'realm'), RESCONF: t.resConf !== base.resConf ? t.resConf : scopeKey(inv, t.authType, 'resConf') })),
            unknown: (inv.perl?.unknown ?? []).map((u) => ({ key: u.key, value: iniLines.get(u.key) ?? '' })),
          },
          [...header, `radius_linotp.pm reads this file only at ${RLM_PERL_INI_PATH}: install it there AFTER the LinOTP 3 package (its preinst moves /etc/linotp2 to /etc/linotp).`],
        ),
      });
    }
    files.push({
      name: 'sites-available/linotp',
      installAs: `${RADDB}/sites-available/linotp`,
      mode: 0o640,
      secret: false,
      text: renderSite({ name: 'linotp', listens: siteListens, defaultAuthType: defaultTarget.authType, rulesModule, logic, authTypes }, header),
    });
  }
  if (targets.length && inv.tree?.clients.length) {
    files.push({ name: 'clients.conf', installAs: `${RADDB}/clients.conf`, mode: 0o640, secret: true, text: renderClients(inv.tree.clients, [...header, 'The clients of the old server, secrets included: keep this file mode 0640, group freerad.']) });
  }
  const pamFiles = new Map<string, string[]>();
  for (const l of inv.pam?.lines ?? []) {
    if (!pamFiles.has(l.file)) pamFiles.set(l.file, readFileSync(l.file, 'utf8').split('\n'));
    const text = pamFiles.get(l.file) as string[];
    let line = rewritePamLine(l, url);
    if (l.kind === 'pam_py_linotp') line = pyToC(l, url);
    text[l.line - 1] = line;
  }
  for (const [file, text] of pamFiles) files.push({ name: `pam.d/${path.basename(file)}`, installAs: `/etc/pam.d/${path.basename(file)}`, mode: 0o644, secret: false, text: text.join('\n') });

  const planned: PlannedFile[] = files.map((f) => {
    const p = path.join(out, f.name);
    let state: PlannedFile['state'] = 'new';
    try {
      state = readFileSync(p, 'utf8') === f.text ? 'unchanged' : 'replace';
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new InputError(`cannot read ${p}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, 'choose another --out directory');
    }
    return { ...f, path: p, state };
  });
  const steps = installSteps(module, planned);
  return { module, url, out, inventory: inv, targets, files: planned, warnings, findings: inv.findings, steps };
}

function scopeKey(inv: Inventory, authType: string, k: 'realm' | 'resConf'): string | undefined {
  return inv.perl?.scopes.find((s) => s.authType === authType)?.[k];
}

/** Values as Config::File read them, by key as written (the last one wins). */
function readIniLines(file: string): Map<string, string> {
  return new Map(readPerlIni(file).lines.map((l) => [l.key, l.value]));
}

/** pam_py_linotp's line as a pam_linotp.so line: same type and control, the options pam_linotp knows. */
function pyToC(l: { type: string; control: string; args: { text: string }[] }, url: string): string {
  const keep = l.args.map((a) => a.text).filter((a) => /^(realm|resConf|prompt|debug|use_first_pass|nosslhostnameverify|nosslcertverify|CA_file|CA_path)(=|$)/i.test(a));
  return [l.type, l.control, 'pam_linotp.so', `url=${url}`, ...keep].join(' ');
}

function defaultListens(inv: Inventory): { ipaddr: string; port: string }[] {
  const old = inv.tree?.listens.filter((l) => (l.type ?? 'auth') === 'auth' && l.ipaddr) ?? [];
  if (old.length) return old.map((l) => ({ ipaddr: l.ipaddr as string, port: !l.port || l.port === '0' ? '1812' : l.port }));
  return [{ ipaddr: '*', port: '1812' }];
}

function installSteps(module: ConvertModule, files: PlannedFile[]): string[] {
  const raddb = files.filter((f) => f.installAs.startsWith(RADDB));
  const steps = [
    module === 'rest' ? 'apt-get install freeradius freeradius-rest' : 'apt-get install freeradius libwww-perl libconfig-file-perl libtry-tiny-perl liblwp-protocol-https-perl (and LinOTP\'s radius_linotp.pm)',
    ...raddb.map((f) => `install -m 0640 -g freerad ${f.path} ${f.installAs}`),
    ...raddb.filter((f) => f.name.startsWith('mods-available/')).map((f) => `ln -s ../mods-available/${path.basename(f.name)} ${RADDB}/mods-enabled/`),
    ...(raddb.some((f) => f.name === 'sites-available/linotp') ? [`ln -s ../sites-available/linotp ${RADDB}/sites-enabled/ (and remove sites-enabled/default if it listens on the same port)`] : []),
    ...files.filter((f) => f.installAs === RLM_PERL_INI_PATH).map((f) => `after the LinOTP 3 package is installed: install -D -m 0640 -g freerad ${f.path} ${RLM_PERL_INI_PATH}`),
    ...files.filter((f) => f.name.startsWith('pam.d/')).map((f) => `install -m 0644 ${f.path} ${f.installAs}`),
    'freeradius -XC   (must end with "Configuration appears to be OK")',
    'set the LinOTP 3 settings listed below; switch the RADIUS clients (or the service address) to the new server after `backup catch-up`',
  ];
  return steps;
}

/** Writes the planned files (all or none; --force replaces different ones). */
export function applyRadiusConvert(plan: ConvertPlan, force: boolean): void {
  const replaced = plan.files.filter((f) => f.state === 'replace');
  if (replaced.length && !force) {
    throw new UsageError(`${replaced.map((f) => f.path).join(', ')} already exist${replaced.length === 1 ? 's' : ''} with other content`, 'nothing was written; add --force to replace, or choose another --out directory');
  }
  // FreeRADIUS (user freerad) reads its files and rlm_perl.ini; PAM files stay root's, world-readable.
  // chown to a group one is not in needs root; otherwise the install step sets the group.
  const me = invokingOwner();
  const freerad = process.getuid?.() === 0 ? findGroup('freerad') : undefined;
  for (const f of plan.files.filter((x) => x.state !== 'unchanged')) {
    const pam = f.name.startsWith('pam.d/');
    const owner = pam || !freerad ? me : { ...me, gid: freerad.gid, group: freerad.name };
    writeLinotpFile(f.path, f.text, { kind: pam ? 'pam' : 'freeradius', owner, existing: force ? 'overwrite' : 'refuse', refuse: (abs) => new UsageError(`${abs} already exists`, 'add --force to replace it') });
  }
}

/** The text of a planned file as shown (client secrets masked). */
export function shownText(f: PlannedFile): string {
  return f.secret ? f.text.replace(/^(\s*secret\s*=\s*).*$/gm, '$1***') : f.text;
}
