/**
 * `host inventory` (issue 16): read-only. Lists every file of the old server's `/etc/linotp2`
 * (or a copy), what it is, what LinOTP 3.4 does with it and what `host migrate` will do; the Apache
 * site (differs from the 2.12 example? enabled? what it carries); PAM lines using LinOTP; and, with
 * a database, the database-side findings. Unknown files are listed, never guessed.
 */
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { InputError } from '../errors.js';
import { analyzeSite, parseApache, type SiteAnalysis } from './apache.js';
import { checkAuditPair, type AuditPairCheck } from './audit-keys.js';
import type { DatabaseFindings } from './findings.js';
import { DIGEST_FILES, readHtdigest } from './htdigest.js';
import { LAYOUT, LINOTP_2_12_SITE_SHA256, LINOTP2_SITE, type EntryKind } from './layout.js';

export const LINOTP2_DIR = '/etc/linotp2';

export interface InventoryItem {
  path: string;
  kind: EntryKind | 'unknown';
  what: string;
  linotp3: string;
  migrate: string;
  attention: boolean;
  details?: string[];
}

export interface SiteInventory {
  path: string;
  enabled: boolean;
  /** Compared with the example next to the ini (as 3.4's preinst does), else with 2.12's shipped file. */
  differsFromExample: boolean;
  comparedWith: string;
  serverNames: string[];
  ssl: string[];
  customBlocks: string[];
  digestProtected: { path: string; userFile: string }[];
  includes: string[];
  notCarried: string[];
}

export interface Inventory {
  from: string;
  apache?: string;
  pam?: string;
  items: InventoryItem[];
  auditPair?: AuditPairCheck & { privateFile: string; publicFile: string };
  site?: SiteInventory;
  pamLines: { file: string; line: number; text: string }[];
  database?: DatabaseFindings;
  /** Things that need an administrator's decision (exit 3 from host inventory). */
  decisions: string[];
}

export interface InventoryOptions {
  from: string;
  /** Apache configuration root (default /etc/apache2; skipped when absent unless given). */
  apache?: string;
  apacheGiven?: boolean;
  pam?: string;
  pamGiven?: boolean;
  database?: DatabaseFindings;
}

/** A path as the old server names it (`/etc/linotp2/x`) → where it is in `from`. */
export function inFrom(from: string, p: string): string {
  return p === LINOTP2_DIR || p.startsWith(LINOTP2_DIR + '/') ? path.join(from, p.slice(LINOTP2_DIR.length)) : p;
}

function countFiles(dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) n += e.isDirectory() ? countFiles(path.join(dir, e.name)) : 1;
  return n;
}

export function requireLinotp2Dir(from: string): void {
  let st;
  try {
    st = statSync(from);
  } catch (e) {
    throw new InputError(`--from ${from}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such directory' : `cannot read it (${(e as NodeJS.ErrnoException).code})`}`, "give the old server's /etc/linotp2 (or a copy of it)");
  }
  if (!st.isDirectory()) throw new InputError(`--from ${from}: not a directory`, "give the old server's /etc/linotp2 (or a copy of it)");
  if (!existsSync(path.join(from, 'linotp.ini')) && !existsSync(path.join(from, 'encKey'))) {
    throw new InputError(`--from ${from}: not a LinOTP 2 configuration directory (no linotp.ini, no encKey)`, "give the old server's /etc/linotp2 (or a copy of it)");
  }
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new InputError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? e}`, 'run as root or as its owner; nothing was written', e);
  }
}

export function readSite(from: string, apache: string): { site: SiteInventory; analysis: SiteAnalysis } | undefined {
  const file = path.join(apache, 'sites-available', LINOTP2_SITE);
  if (!existsSync(file)) return undefined;
  const text = readText(file);
  const analysis = analyzeSite(parseApache(text, file), file, (p) => {
    const f = inFrom(from, p);
    return existsSync(f) ? readText(f) : undefined;
  });
  const example = path.join(from, 'apache2.4-example', LINOTP2_SITE);
  const differs = existsSync(example) ? readText(example) !== text : createHash('sha256').update(text).digest('hex') !== LINOTP_2_12_SITE_SHA256;
  let enabled = false;
  try {
    enabled = lstatSync(path.join(apache, 'sites-enabled', LINOTP2_SITE)) !== undefined;
  } catch {
    enabled = false;
  }
  return {
    analysis,
    site: {
      path: file,
      enabled,
      differsFromExample: differs,
      comparedWith: existsSync(example) ? example : 'LinOTP 2.12 apache2.4-example/linotp2.conf (sha256)',
      serverNames: analysis.serverNames.map((d) => d.text),
      ssl: analysis.ssl.map((d) => d.text),
      customBlocks: analysis.customBlocks.map((b) => `<${b.name} ${b.args.join(' ')}> (line ${b.line})`),
      digestProtected: analysis.digestBlocks.map((b) => ({ path: b.path, userFile: b.userFile })),
      includes: analysis.includes.map((d) => d.text),
      notCarried: analysis.notCarried.map((d) => `${d.text} (line ${d.line})`),
    },
  };
}

function pamLines(dir: string): Inventory['pamLines'] {
  const out: Inventory['pamLines'] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (!e.isFile()) continue;
    const file = path.join(dir, e.name);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    text.split('\n').forEach((l, i) => {
      if (/pam_linotp\.so|pam_py_linotp/.test(l) && !l.trimStart().startsWith('#')) out.push({ file, line: i + 1, text: l.trim() });
    });
  }
  return out;
}

export function buildInventory(o: InventoryOptions): Inventory {
  const from = path.resolve(o.from);
  requireLinotp2Dir(from);
  const inv: Inventory = { from, items: [], pamLines: [], decisions: [], ...(o.database ? { database: o.database } : {}) };
  const providerFiles = new Map((o.database?.providerPaths ?? []).map((p) => [inFrom(from, p.path), p]));
  const names = readdirSync(from, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name));
  for (const e of names) {
    const p = path.join(from, e.name);
    const known = LAYOUT[e.name];
    const item: InventoryItem = known ? { path: p, ...known } : { path: p, kind: 'unknown', what: e.isDirectory() ? 'unknown directory' : 'unknown file', linotp3: 'unknown', migrate: 'not copied; decide yourself', attention: true };
    if (!known && e.name === 'token.db') Object.assign(item, { kind: 'database', what: 'SQLite database (LinOTP 2 default)', linotp3: 'DATABASE_URI', migrate: 'not copied: use `backup create` / `backup restore`', attention: false });
    const pf = providerFiles.get(p);
    if (!known && pf) Object.assign(item, { kind: 'provider-file', what: `file named by ${pf.type} provider ${pf.provider} (${pf.key})`, linotp3: 'read by the provider from the path in its definition', migrate: 'copied by `host migrate --database-uri`, which points the definition at the copy', attention: false });
    if (e.isDirectory()) item.details = [`${countFiles(p)} file(s)`];
    if (item.kind === 'htdigest') {
      const users = readHtdigest(p);
      const realm = DIGEST_FILES[e.name]?.realm;
      item.details = users.map((u) => `${u.user} (realm ${u.realm}${realm && u.realm !== realm ? `, not the usual ${realm}` : ''})`);
      if (users.length) inv.decisions.push(`${p}: ${users.length} digest user(s) — ${e.name === 'admins' ? 'import them: `local-admins import --htdigest ' + p + '`' : 'LinOTP 3 has no place for them'}`);
    } else if (item.attention && item.kind !== 'unknown') inv.decisions.push(`${p}: ${item.migrate}`);
    else if (item.kind === 'unknown') inv.decisions.push(`${p}: unknown to LinOTP; not migrated`);
    inv.items.push(item);
  }
  const priv = path.join(from, 'private.pem');
  const pub = path.join(from, 'public.pem');
  if (existsSync(priv)) {
    const check = checkAuditPair(readText(priv), priv, existsSync(pub) ? readText(pub) : undefined, pub);
    inv.auditPair = { ...check, privateFile: priv, publicFile: pub };
    if (!check.matches) inv.decisions.push(existsSync(pub) ? `${pub} does not belong to ${priv}: audit signatures made with this key do not verify with that public key; decide which is right` : `${pub} is missing: host migrate derives audit-public.pem from ${priv}`);
  }
  const apache = o.apache ?? '/etc/apache2';
  if (existsSync(apache)) {
    inv.apache = apache;
    const s = readSite(from, apache);
    if (s) {
      inv.site = s.site;
      if (s.site.differsFromExample) inv.decisions.push(`${s.site.path} differs from LinOTP 2.12's example: check the carried settings in the LinOTP 3.4 site host migrate writes`);
      for (const d of s.site.notCarried) inv.decisions.push(`${s.site.path}: not carried: ${d}`);
    }
  } else if (o.apacheGiven) throw new InputError(`--apache ${apache}: no such directory`, 'give the Apache configuration directory (/etc/apache2)');
  const pam = o.pam ?? '/etc/pam.d';
  if (existsSync(pam)) {
    inv.pam = pam;
    inv.pamLines = pamLines(pam);
    if (inv.pamLines.length) inv.decisions.push(`${inv.pamLines.length} PAM line(s) use LinOTP: see \`linotp-migrate radius inventory\``);
  } else if (o.pamGiven) throw new InputError(`--pam ${pam}: no such directory`, 'give the PAM configuration directory (/etc/pam.d)');
  if (o.database) {
    const f = o.database;
    for (const p of f.providerProblems) inv.decisions.push(`${p.type} provider ${p.provider}${p.key ? ` ${p.key}` : ''}: ${p.detail}`);
    for (const c of f.ldapCaCertificates) inv.decisions.push(`LDAP resolver ${c.resolver}: CA certificate in Config, ignored by LinOTP 3 (init database --ca-out)`);
    for (const r of f.removedTokenTypes) inv.decisions.push(`${r.serials.length} ${r.type} token(s): type removed in LinOTP 3`);
    if (f.emptyKeyTokens.length) inv.decisions.push(`${f.emptyKeyTokens.length} token(s) with an empty key (LinOTP issue #205)`);
  }
  return inv;
}
