/**
 * The LinOTP parts of a FreeRADIUS configuration directory (FreeRADIUS 2: `modules/`, FreeRADIUS 3:
 * `mods-enabled/`; both: `radiusd.conf`, `sites-enabled/`, `clients.conf`, the users file): LinOTP's
 * perl module instances, rlm_linotp2 instances, the Auth-Types that call them, the rules that set
 * those Auth-Types, the listen sections and the clients. Every file read must parse.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { InputError } from '../errors.js';
import { findSections, pairOf, parseConf, referencedNames, type ConfFile, type ConfItem, type ConfSection } from './conf.js';
import { authTypeLogic } from './unlang.js';

export interface PerlModule {
  instance: string;
  file: string;
  line: number;
  /** The script (FreeRADIUS 2 `module =`, 3 `filename =`), `${…}` resolved with radiusd.conf's variables. */
  script?: string;
  linotp: boolean;
}

/** rlm_linotp2's options (module_config of rlm_linotp2.c) with the module's defaults applied. */
export interface Linotp2Settings {
  validateurl?: string;
  realm?: string;
  resConf?: string;
  sslhostnameverify: boolean;
  sslcertverify: boolean;
  restrictusername: boolean;
  allowemptypassword: boolean;
  prefer_nas_identifier: boolean;
  loguser: boolean;
  logpassword: boolean;
}
export const LINOTP2_KEYS = ['validateurl', 'realm', 'resConf', 'sslhostnameverify', 'sslcertverify', 'restrictusername', 'allowemptypassword', 'prefer_nas_identifier', 'loguser', 'logpassword'];

export interface Linotp2Module {
  instance: string;
  file: string;
  line: number;
  settings: Linotp2Settings;
  /** Keys rlm_linotp2 does not know (FreeRADIUS 2 ignores them silently). */
  unknown: string[];
}

export interface AuthTypeUse {
  server: string;
  /** The Auth-Type value (`Auth-Type scope1 {` → scope1; a bare `perl` in authenticate → perl). */
  name: string;
  module: 'perl' | 'linotp2';
  /** The module instance called. */
  instance: string;
  file: string;
  line: number;
}

export interface AuthTypeRule {
  file: string;
  line: number;
  authType: string;
  /** The users-file entry (first line and its indented reply lines), or the unlang line. */
  text: string;
  kind: 'users' | 'unlang';
}

/** The Auth-Type choice of an old authorize section, as FreeRADIUS 3 unlang lines (see authTypeLogic). */
export interface AuthTypeLogic {
  server: string;
  file: string;
  line: number;
  items: ConfItem[];
}

export interface ListenSection {
  server: string;
  file: string;
  line: number;
  type?: string;
  ipaddr?: string;
  port?: string;
}

export interface RadiusClient {
  name: string;
  file: string;
  line: number;
  /** Every pair of the client section, as written (the secret included: it is carried over, never shown). */
  pairs: { key: string; value: string; quote: string }[];
}

export interface RadiusTree {
  dir: string;
  layout: 'freeradius2' | 'freeradius3';
  files: string[];
  perl: PerlModule[];
  linotp2: Linotp2Module[];
  authTypes: AuthTypeUse[];
  rules: AuthTypeRule[];
  /** Per old authorize section, the unlang choosing a LinOTP Auth-Type (carried into the new server). */
  logic: AuthTypeLogic[];
  listens: ListenSection[];
  clients: RadiusClient[];
}

/** FreeRADIUS skips these names when it includes a directory (editor backups, package leftovers). */
const skipped = (name: string) => name.startsWith('.') || name.endsWith('~') || /\.(dpkg|rpm|ucf)-?\w*$/.test(name) || name.endsWith('.bak') || name.endsWith('.orig');

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputError(`cannot read ${file}: ${code ?? String(e)}`, code === 'EACCES' ? 'run as root (FreeRADIUS files are mode 0640, group freerad), or copy the directory somewhere readable' : 'check the --freeradius directory');
  }
}

function dirFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (e) {
    throw new InputError(`cannot read ${dir}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, 'run as root, or copy the directory somewhere readable');
  }
  return names
    .filter((n) => !skipped(n))
    .sort()
    .map((n) => path.join(dir, n))
    .filter((f) => {
      try {
        return statSync(f).isFile(); // follows the sites-enabled → sites-available links
      } catch {
        return false; // a dangling link is not included by FreeRADIUS either
      }
    });
}

/** `${name}` references resolved with the top-level variables of radiusd.conf (as written: paths of the old host). */
function resolver(main: ConfFile | undefined): (v: string) => string {
  const vars = new Map<string, string>();
  for (const it of main?.items ?? []) if (it.kind === 'pair') vars.set(it.key, it.value);
  const resolve = (v: string, depth = 0): string => (depth > 10 ? v : v.replace(/\$\{([\w.-]+)\}/g, (m, n: string) => (vars.has(n) ? resolve(vars.get(n) as string, depth + 1) : m)));
  return (v) => resolve(v);
}

const bool = (v: string | undefined, dflt: boolean) => (v === undefined ? dflt : /^(yes|true|on|1)$/i.test(v.trim()));

export function readRadiusTree(dir: string): RadiusTree {
  let st;
  try {
    st = statSync(dir);
  } catch (e) {
    throw new InputError(`cannot read the FreeRADIUS directory ${dir}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, 'give the configuration directory with --freeradius (Debian: /etc/freeradius or /etc/freeradius/3.0, RHEL: /etc/raddb)');
  }
  if (!st.isDirectory()) throw new InputError(`--freeradius ${dir} is not a directory`, 'give the FreeRADIUS configuration directory (the one holding radiusd.conf)');
  const mainFile = path.join(dir, 'radiusd.conf');
  if (!existsSync(mainFile)) throw new InputError(`${dir} holds no radiusd.conf, so it is not a FreeRADIUS configuration directory`, 'give the directory holding radiusd.conf (Debian FreeRADIUS 3: /etc/freeradius/3.0)');
  const layout = existsSync(path.join(dir, 'mods-enabled')) || existsSync(path.join(dir, 'mods-available')) ? 'freeradius3' : 'freeradius2';
  const moduleFiles = layout === 'freeradius3' ? dirFiles(path.join(dir, 'mods-enabled')) : dirFiles(path.join(dir, 'modules'));
  const siteFiles = dirFiles(path.join(dir, 'sites-enabled'));
  const clientsFile = path.join(dir, 'clients.conf');
  const parsed = new Map<string, ConfFile>();
  for (const f of [mainFile, ...moduleFiles, ...siteFiles, ...(existsSync(clientsFile) ? [clientsFile] : [])]) parsed.set(f, parseConf(readText(f), f));
  const resolve = resolver(parsed.get(mainFile));

  const perl: PerlModule[] = [];
  const linotp2: Linotp2Module[] = [];
  const clients: RadiusClient[] = [];
  const listens: ListenSection[] = [];
  const authTypes: AuthTypeUse[] = [];
  const rules: AuthTypeRule[] = [];
  const processing = new Set(['authorize', 'authenticate', 'post-auth', 'preacct', 'accounting', 'session', 'pre-proxy', 'post-proxy', 'instantiate']);
  const inProcessing = (parents: ConfSection[]) => parents.some((p) => processing.has(p.name));

  for (const [file, conf] of parsed) {
    for (const { section } of findSections(conf.items, (s, parents) => s.name === 'perl' && !inProcessing(parents) && s.children.some((c) => c.kind === 'pair'))) {
      const p = pairOf(section, 'filename') ?? pairOf(section, 'module');
      const script = p ? resolve(p.value) : undefined;
      perl.push({ instance: section.name2 ?? 'perl', file, line: section.line, script, linotp: Boolean(script && /linotp/i.test(path.basename(script))) });
    }
    for (const { section } of findSections(conf.items, (s, parents) => s.name === 'linotp2' && !inProcessing(parents))) {
      const get = (k: string) => pairOf(section, k)?.value;
      const unknown = section.children.filter((c) => c.kind === 'pair' && !LINOTP2_KEYS.includes(c.key)).map((c) => (c.kind === 'pair' ? c.key : ''));
      linotp2.push({
        instance: section.name2 ?? 'linotp2',
        file,
        line: section.line,
        unknown,
        settings: {
          validateurl: get('validateurl'),
          realm: get('realm'),
          resConf: get('resConf'),
          sslhostnameverify: bool(get('sslhostnameverify'), true),
          sslcertverify: bool(get('sslcertverify'), true),
          restrictusername: bool(get('restrictusername'), true),
          allowemptypassword: bool(get('allowemptypassword'), false),
          prefer_nas_identifier: bool(get('prefer_nas_identifier'), false),
          loguser: bool(get('loguser'), true),
          logpassword: bool(get('logpassword'), false),
        },
      });
    }
    for (const { section } of findSections(conf.items, (s, parents) => s.name === 'client' && !inProcessing(parents))) {
      clients.push({
        name: section.name2 ?? '',
        file,
        line: section.line,
        pairs: section.children.flatMap((c) => (c.kind === 'pair' ? [{ key: c.key, value: c.value, quote: c.quote }] : [])),
      });
    }
    for (const { section, parents } of findSections(conf.items, (s) => s.name === 'listen')) {
      const server = parents.find((p) => p.name === 'server')?.name2 ?? 'default';
      listens.push({ server, file, line: section.line, type: pairOf(section, 'type')?.value, ipaddr: (pairOf(section, 'ipaddr') ?? pairOf(section, 'ipv4addr') ?? pairOf(section, 'ipv6addr'))?.value, port: pairOf(section, 'port')?.value });
    }
    for (const { section } of findSections(conf.items, (s) => s.name === 'authorize')) {
      for (const { section: upd } of findSections(section.children, (s) => s.name === 'update')) {
        for (const c of upd.children) {
          if (c.kind === 'pair' && /^&?(control:)?Auth-Type$/i.test(c.key)) rules.push({ file, line: c.line, authType: c.value, text: `${c.key} ${c.op} ${c.value}`, kind: 'unlang' });
        }
      }
    }
  }

  const perlNames = new Set(perl.filter((p) => p.linotp).map((p) => p.instance));
  const linotpNames = new Set(linotp2.map((m) => m.instance));
  for (const [file, conf] of parsed) {
    for (const { section, parents } of findSections(conf.items, (s) => s.name === 'authenticate')) {
      const server = parents.find((p) => p.name === 'server')?.name2 ?? 'default';
      const record = (name: string, refs: string[], line: number) => {
        for (const r of refs) {
          const inst = r.replace(/\.(authenticate|authorize)$/, '');
          if (perlNames.has(inst)) authTypes.push({ server, name, module: 'perl', instance: inst, file, line });
          else if (linotpNames.has(inst)) authTypes.push({ server, name, module: 'linotp2', instance: inst, file, line });
        }
      };
      for (const c of section.children) {
        if (c.kind === 'word') record(c.name, [c.name], c.line);
        else if (c.kind === 'section' && /^Auth-Type$/i.test(c.name) && c.name2) record(c.name2, referencedNames(c.children), c.line);
        else if (c.kind === 'section' && !c.name2) record(c.name, [c.name], c.line);
      }
    }
  }

  // The users file: FreeRADIUS 2 `users`, FreeRADIUS 3 mods-config/files/authorize (Debian links users to it).
  const usersFiles = [path.join(dir, 'users'), path.join(dir, 'mods-config', 'files', 'authorize')].filter((f) => existsSync(f));
  const seen = new Set<string>();
  for (const f of usersFiles) {
    const { ino, dev } = statSync(f);
    if (seen.has(`${dev}:${ino}`)) continue; // the same file through Debian's link
    seen.add(`${dev}:${ino}`);
    rules.push(...usersFileRules(readText(f), f));
  }
  const logic: AuthTypeLogic[] = [];
  const linotpAuthTypes = new Set(authTypes.map((a) => a.name));
  for (const [file, conf] of parsed) {
    for (const { section, parents } of findSections(conf.items, (s, ps) => s.name === 'authorize' && !ps.some((p) => p.name === 'authorize'))) {
      const items = authTypeLogic(section.children, linotpAuthTypes);
      if (items) logic.push({ server: parents.find((p) => p.name === 'server')?.name2 ?? 'default', file, line: section.line, items });
    }
  }
  const files = [...parsed.keys(), ...usersFiles];
  return { dir, layout, files, perl, linotp2, authTypes, rules, logic, listens, clients };
}

/** Entries of a users file that set Auth-Type: the first line and its indented reply lines, as written. */
export function usersFileRules(text: string, file: string): AuthTypeRule[] {
  const out: AuthTypeRule[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i];
    if (/^\s*(#|$)/.test(l) || /^\s/.test(l)) continue;
    const m = /\bAuth-Type\s*:?=\s*"?([\w.-]+)"?/i.exec(l.replace(/#.*$/, ''));
    if (!m) continue;
    const entry = [l];
    for (let j = i + 1; j < lines.length && /^\s+\S/.test(lines[j]) && !/^\s*#/.test(lines[j]); j++) entry.push(lines[j]);
    out.push({ file, line: i + 1, authType: m[1], text: entry.join('\n'), kind: 'users' });
  }
  return out;
}
