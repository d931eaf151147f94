/**
 * `radius inventory`: what the old host's RADIUS (and PAM) path to LinOTP 2 is, what each piece
 * becomes on LinOTP 3, and what breaks there. Read-only. Findings of level `decision` need the
 * administrator (the command exits 3); `warning`s are handled by `radius convert` but worth knowing.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from '../errors.js';
import { moduleSettings, readPerlIni, RLM_PERL_INI_PATH, MISSING_FILE_FALLBACK, type PerlIni, type PerlModuleSettings } from './perl-ini.js';
import { scanPam, type PamScan } from './pam.js';
import { readRadiusTree, type RadiusTree } from './tree.js';
import { linotp2Targets, perlTargets, type LinotpTarget } from './targets.js';
import { linotp3Settings, type Linotp3Setting } from './linotp3-settings.js';

export interface InventoryRequest {
  freeradius?: string;
  rlmPerlIni?: string;
  pam?: string;
}

export type FindingLevel = 'info' | 'warning' | 'decision';
export interface Finding {
  level: FindingLevel;
  where: string;
  message: string;
}

export interface Inventory {
  freeradius?: { dir: string; layout: RadiusTree['layout']; files: number };
  rlmPerlIni?: { file: string; keys: number; unknown: PerlModuleSettings['unknown']; problems: PerlIni['problems']; debug: boolean };
  pam?: { dir: string; lines: PamScan['lines']; unreadable: PamScan['unreadable'] };
  tree?: RadiusTree;
  perl?: PerlModuleSettings;
  targets: LinotpTarget[];
  findings: Finding[];
  linotp3: Linotp3Setting[];
  /** Where each old piece goes on the new host. */
  becomes: { what: string; where: string; becomes: string }[];
}

const DEFAULT_TREES = ['/etc/freeradius/3.0', '/etc/freeradius', '/etc/raddb'];
const DEFAULT_INIS = [RLM_PERL_INI_PATH, '/etc/linotp/rlm_perl.ini'];

const resolveIn = (cwd: string, p: string | undefined) => (p === undefined ? undefined : path.resolve(cwd, p));

export function collectInventory(req: InventoryRequest, cwd: string): Inventory {
  const findings: Finding[] = [];
  const becomes: Inventory['becomes'] = [];
  const add = (level: FindingLevel, where: string, message: string) => findings.push({ level, where, message });
  for (const [opt, v] of [['--freeradius', req.freeradius], ['--rlm-perl-ini', req.rlmPerlIni], ['--pam', req.pam]] as const) {
    if (v !== undefined && !v.trim()) throw new UsageError(`${opt} needs a path`, `e.g. ${opt} ${opt === '--pam' ? '/etc/pam.d' : opt === '--freeradius' ? '/etc/freeradius' : RLM_PERL_INI_PATH}`);
  }

  const treeDir = resolveIn(cwd, req.freeradius) ?? DEFAULT_TREES.find((d) => existsSync(path.join(d, 'radiusd.conf')));
  const tree = treeDir ? readRadiusTree(treeDir) : undefined;
  const iniFile = resolveIn(cwd, req.rlmPerlIni) ?? DEFAULT_INIS.find((f) => existsSync(f));
  const ini = iniFile ? readPerlIni(iniFile) : undefined;
  const pamDir = resolveIn(cwd, req.pam) ?? (existsSync('/etc/pam.d') ? '/etc/pam.d' : undefined);
  const pam = pamDir ? scanPam(pamDir) : undefined;

  const perl = ini ? moduleSettings(ini) : undefined;
  const targets: LinotpTarget[] = [];
  const perlUsed = Boolean(tree?.authTypes.some((a) => a.module === 'perl')) || (!tree && Boolean(ini));
  if (perl && ini) targets.push(...perlTargets(perl, ini.file, tree));
  else if (perlUsed && tree) {
    add('decision', RLM_PERL_INI_PATH, `the tree calls LinOTP's perl module, but no rlm_perl.ini was found; without it radius_linotp.pm uses ${MISSING_FILE_FALLBACK.url}, no realm and no certificate check`);
    targets.push(...perlTargets({ ...MISSING_FILE_FALLBACK, caFile: '', caDir: '', preferNasAddress: true, scopes: [], unknown: [] }, `${RLM_PERL_INI_PATH} (missing: the module's built-in fallback)`, tree));
  }
  if (tree) targets.push(...linotp2Targets(tree, tree.linotp2));

  if (tree) {
    for (const p of tree.perl) {
      if (!p.linotp) add('info', `${p.file}:${p.line}`, `perl module instance "${p.instance}" runs ${p.script ?? '(no script)'}, not LinOTP's module; left alone`);
      else {
        becomes.push({ what: `perl instance "${p.instance}" (${p.script})`, where: `${p.file}:${p.line}`, becomes: 'rest: rlm_rest instance "linotp" + unlang (no perl); perl: mods-available/perl with filename = and perl_flags = "-T"' });
        if (!tree.authTypes.some((a) => a.instance === p.instance && a.module === 'perl')) add('warning', `${p.file}:${p.line}`, `perl instance "${p.instance}" runs LinOTP's module but no authenticate section calls it`);
      }
    }
    for (const m of tree.linotp2) {
      becomes.push({ what: `rlm_linotp2 instance "${m.instance}"`, where: `${m.file}:${m.line}`, becomes: 'rlm_rest instance + unlang: rlm_linotp2 was never ported to FreeRADIUS 3 (use --module rest)' });
      if (m.unknown.length) add('warning', `${m.file}:${m.line}`, `rlm_linotp2 does not know ${m.unknown.join(', ')}; FreeRADIUS 2 ignored ${m.unknown.length === 1 ? 'it' : 'them'}`);
      if (!m.settings.validateurl) add('decision', `${m.file}:${m.line}`, 'rlm_linotp2 has no validateurl, so the module never loaded');
      if (m.settings.logpassword && m.settings.loguser) add('warning', `${m.file}:${m.line}`, 'loguser and logpassword are on: the old server logged every PIN+OTP; nothing of this is carried');
      for (const [k, v] of [['realm', m.settings.realm], ['resConf', m.settings.resConf]] as const) {
        if (v && !/^[A-Za-z0-9_-]*$/.test(v)) add('decision', `${m.file}:${m.line}`, `${k} "${v}" has characters rlm_linotp2 refuses (it rejected every request); fix the value before converting`);
      }
      if (m.settings.allowemptypassword) add('warning', `${m.file}:${m.line}`, 'allowemptypassword = yes: rlm_rest refuses requests without User-Password, so those are rejected after the conversion');
    }
    for (const a of tree.authTypes) becomes.push({ what: `Auth-Type ${a.name} (server ${a.server})`, where: `${a.file}:${a.line}`, becomes: `Auth-Type ${a.name} in sites-available/linotp` });
    for (const r of tree.rules) becomes.push({ what: `rule setting Auth-Type ${r.authType}`, where: `${r.file}:${r.line}`, becomes: r.kind === 'users' ? 'mods-config/files/linotp-authtypes (files instance linotp_authtypes, called in authorize)' : 'the same unlang (with its if/elsif/else) in the authorize section of sites-available/linotp' });
    for (const c of tree.clients) becomes.push({ what: `client ${c.name}`, where: `${c.file}:${c.line}`, becomes: 'clients.conf (same secret)' });
    if (!tree.perl.some((p) => p.linotp) && !tree.linotp2.length) add('info', tree.dir, 'no LinOTP module (radius_linotp.pm or rlm_linotp2) is configured in this tree');
  }

  if (ini && perl) {
    const inHome = path.resolve(ini.file) === RLM_PERL_INI_PATH;
    add('warning', ini.file, `radius_linotp.pm reads only the hard-coded ${RLM_PERL_INI_PATH}; LinOTP 3's package moves /etc/linotp2 to /etc/linotp when installed on this host, after which the module silently uses ${MISSING_FILE_FALLBACK.url}, no realm and no certificate check${inHome ? '' : ` (this file is not at that path, so the module on this host does not read it)`}`);
    if (perl.debug) add('warning', ini.file, 'Debug = TRUE: radius_linotp.pm logs every request attribute, PIN+OTP included, in clear; the converted file has Debug = FALSE');
    for (const u of perl.unknown) add('warning', `${ini.file}:${u.line}`, `${u.key} is not read by radius_linotp.pm${u.hint ? ` (${u.hint})` : ''}; kept in a rewritten rlm_perl.ini, ignored by --module rest`);
    for (const p of ini.problems) add('warning', `${ini.file}:${p.line}`, p.message);
    if (!perl.url) add('decision', ini.file, 'no URL: radius_linotp.pm posted to an empty URL and failed every request');
  }
  for (const t of targets) {
    const where = t.origin[0];
    if (t.url && !/^https:\/\//i.test(t.url)) add('warning', where, `Auth-Type ${t.authType}: ${t.url} is not https: PIN+OTP travel in clear; give an https --url`);
    if (!t.tlsVerifyPeer || !t.tlsVerifyHost) add('decision', where, `Auth-Type ${t.authType}: the old config turned TLS verification off (${t.source === 'rlm_perl' ? 'SSL_CHECK = FALSE' : [!t.tlsVerifyPeer && 'sslcertverify = no', !t.tlsVerifyHost && 'sslhostnameverify = no'].filter(Boolean).join(', ')}); convert keeps that unless --tls-verify on`);
    const base = targets.find((b) => !b.scope && b.source === t.source);
    if (t.scope && base && t.url !== base.url) add('decision', where, `Auth-Type ${t.authType} posts to its own URL ${t.url}; convert uses --url for it unless --scope-url ${t.authType}=URL`);
    if (t.source === 'rlm_perl' && t.scope && tree && !tree.authTypes.some((a) => a.name === t.authType)) add('warning', where, `scope ${t.authType}[…]: no Auth-Type ${t.authType} calls the perl module in ${tree.dir}; the scope is carried but nothing selects it`);
    becomes.push({ what: `LinOTP settings for Auth-Type ${t.authType}`, where, becomes: `rest: the POST data of Auth-Type ${t.authType}; perl: rlm_perl.ini ${t.scope ? `${t.authType}[…]` : 'defaults'}` });
  }
  if (pam) {
    for (const l of pam.lines) {
      const where = `${l.file}:${l.line}`;
      if (l.kind === 'pam_py_linotp') add('decision', where, 'pam_py_linotp runs on pam_python with Python 2 only, which current systems no longer have: replace it with pam_linotp.so (radius convert --pam writes that line)');
      if (l.noCertVerify || l.noHostnameVerify) add('warning', where, `TLS verification is off (${[l.noCertVerify && 'nosslcertverify', l.noHostnameVerify && 'nosslhostnameverify'].filter(Boolean).join(', ')}); the rewritten line keeps it`);
      if (l.url && !/^https:\/\//i.test(l.url)) add('warning', where, `${l.url} is not https`);
      if (l.debug) add('warning', where, 'debug is on: pam_linotp logs the request in detail');
      if (l.unknown.length) add('warning', where, `${l.kind} ignores ${l.unknown.join(' ')}`);
      becomes.push({ what: `${l.kind} line (${l.type} ${l.control})`, where, becomes: `the same line with url=<--url>${l.kind === 'pam_py_linotp' ? ', as pam_linotp.so' : ''}` });
    }
    for (const u of pam.unreadable) add('warning', u.file, `not readable (${u.reason}); it may hold LinOTP lines`);
  }
  const linotp3 = linotp3Settings(targets.length > 0, targets);
  return {
    freeradius: tree ? { dir: tree.dir, layout: tree.layout, files: tree.files.length } : undefined,
    rlmPerlIni: ini && perl ? { file: ini.file, keys: ini.lines.length, unknown: perl.unknown, problems: ini.problems, debug: perl.debug } : undefined,
    pam: pam ? { dir: pam.dir, lines: pam.lines, unreadable: pam.unreadable } : undefined,
    tree,
    perl,
    targets,
    findings,
    linotp3,
    becomes,
  };
}
