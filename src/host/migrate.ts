/**
 * `host migrate` (issue 16): the LinOTP 2 files around the database → a LinOTP 3.4 tree.
 *
 * Plan (pure: reads only) then apply. Every file goes through src/files/linotp-file.ts (atomic,
 * LinOTP 3.4's owner/group/mode or --owner). A different existing file is a conflict: the plan
 * lists every conflict and apply refuses before writing anything, unless --force, which keeps the
 * old file as NAME.<date>. Files this run created are removed again when a later write fails. A
 * second run finds every file unchanged and writes nothing.
 *
 * - linotp.ini → conf.d cfg files by the `config convert` code path (src/config/plan.ts), with
 *   `%(here)s` = /etc/linotp2 and the paths rebased, so SECRET_FILE/AUDIT_*_KEY_FILE name what is
 *   written here (in its final place).
 * - encKey; private.pem/public.pem → audit-private.pem/audit-public.pem after the pair check (a
 *   mismatch is reported and the pair is not written; a missing public.pem is derived, as 3.4's
 *   preinst does).
 * - custom-templates/, custom-style/, apache-site-includes/ copied (needs attention).
 * - sites-available/linotp2.conf → sites-available/linotp.conf built from 3.4's example
 *   (src/host/apache.ts), enabled when the old one was.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, symlinkSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import { planConvert } from '../config/plan.js';
import { loadEncKey } from '../crypto/enckey.js';
import { InputError, UsageError } from '../errors.js';
import { planLinotpFile, writeLinotpFile, type LinotpFileKind, type LinotpFileResult } from '../files/linotp-file.js';
import { parseOwnerSpec, type FileOwner } from '../files/ownership.js';
import { buildLinotp34Site, rebaseText } from './apache.js';
import { checkAuditPair, type AuditPairCheck } from './audit-keys.js';
import { inFrom, readSite, requireLinotp2Dir, LINOTP2_DIR } from './inventory.js';
import { applyRewrites, planProviderFiles, type PlannedRewrite } from './provider-files.js';
import { readProviders } from './providers.js';
import type { ConfigRow } from '../crypto/chunks.js';
import type { EncKey } from '../crypto/enckey.js';
import type { Db } from '../db/types.js';
import { LINOTP2_SITE, LINOTP3_NAMES, LINOTP3_SITE } from './layout.js';

export interface HostMigrateOptions {
  from: string;
  to: string;
  /** Apache configuration of the old server (default /etc/apache2; skipped when absent). */
  apache?: string;
  /** Where the LinOTP 3.4 site goes (default: `apache2` next to --to, i.e. /etc/apache2 for /etc/linotp). */
  apacheTo?: string;
  /** `OLD=NEW` (default /etc/linotp2=<to>). */
  rewritePaths?: string[];
  owner?: string;
  force?: boolean;
  env?: NodeJS.ProcessEnv;
  now?: Date;
  /** The (restored) database's Config, read by the caller: provider files are copied or written and the definitions rewritten. */
  database?: { rows: ConfigRow[]; key?: EncKey };
  /**
   * The encKey at --to is a different key that encrypts nothing in the database (checked by the
   * caller with checkExistingKey, issue 21 item 3 — Debian's postinst makes one on every new
   * server): replaced without --force, kept as encKey.<date>.
   */
  replaceUnusedKey?: boolean;
}

export interface PlannedWrite {
  path: string;
  /** What it is and where it comes from. */
  what: string;
  source: string;
  kind: LinotpFileKind;
  /** created | replaced | unchanged | conflict (exists with other content, no --force). */
  action: LinotpFileResult['action'] | 'conflict';
  backup?: string;
  user?: string;
  group?: string;
  mode?: string;
  attention: boolean;
  content: Buffer;
}

export interface PlannedLink {
  path: string;
  target: string;
  action: 'created' | 'unchanged' | 'conflict';
}

export interface HostMigratePlan {
  from: string;
  to: string;
  apacheTo?: string;
  rebase: [string, string][];
  writes: PlannedWrite[];
  links: PlannedLink[];
  auditPair?: AuditPairCheck & { privateFile: string; publicFile: string };
  /** Notes for the administrator (dropped digest blocks, not carried directives …). */
  notes: string[];
  warnings: string[];
  /** Problems that stop apply (pair mismatch: the keys are not written, the rest is). */
  problems: string[];
  /** Provider definitions rewritten in the database after the files are written (with --database-uri). */
  providerRewrites: PlannedRewrite[];
}

function parseRewrite(specs: string[] | undefined, to: string): [string, string][] {
  if (!specs?.length) return [[LINOTP2_DIR, to]];
  return specs.map((s) => {
    const i = s.indexOf('=');
    const a = s.slice(0, i).replace(/\/+$/, '');
    const b = s.slice(i + 1).replace(/\/+$/, '');
    if (i <= 0 || !a.startsWith('/') || !b.startsWith('/')) throw new UsageError(`--rewrite-paths ${s}: expected OLD=NEW with absolute paths`, 'e.g. --rewrite-paths /etc/linotp2=/etc/linotp');
    return [a, b] as [string, string];
  });
}

function read(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (e) {
    throw new InputError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? e}`, 'run as root or as its owner; nothing was written', e);
  }
}

function walk(dir: string, rel = ''): string[] {
  const out: string[] = [];
  for (const e of readdirSync(path.join(dir, rel), { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const r = path.join(rel, e.name);
    if (e.isDirectory()) out.push(...walk(dir, r));
    else if (e.isFile()) out.push(r);
  }
  return out;
}

/** --force, or an unused fresh encKey: replace and keep the old file as NAME.<date>; else refuse. */
function policy(w: { kind: LinotpFileKind }, o: HostMigrateOptions): 'keep-backup' | 'refuse' {
  return o.force || (w.kind === 'enc-key' && o.replaceUnusedKey) ? 'keep-backup' : 'refuse';
}

export function planHostMigrate(o: HostMigrateOptions, cwd = process.cwd()): HostMigratePlan {
  const from = path.resolve(cwd, o.from);
  const to = path.resolve(cwd, o.to);
  requireLinotp2Dir(from);
  if (to === from) throw new UsageError('--to is the same directory as --from', 'write the LinOTP 3 tree elsewhere (e.g. /etc/linotp); the LinOTP 2 directory stays as it was');
  const rebase = parseRewrite(o.rewritePaths, to);
  const linotpDir = rebase.find(([a]) => a === LINOTP2_DIR)?.[1] ?? to;
  const owner: FileOwner | undefined = o.owner === undefined ? undefined : parseOwnerSpec(o.owner);
  const plan: HostMigratePlan = { from, to, rebase, writes: [], links: [], notes: [], warnings: [], problems: [], providerRewrites: [] };
  const wanted: Omit<PlannedWrite, 'action'>[] = [];
  const want = (rel: string, content: Buffer | string, kind: LinotpFileKind, what: string, source: string, attention = false, base = to) =>
    wanted.push({ path: path.join(base, rel), content: Buffer.isBuffer(content) ? content : Buffer.from(content, 'utf8'), kind, what, source, attention });

  // Settings: the config convert code path.
  const ini = path.join(from, 'linotp.ini');
  if (existsSync(ini)) {
    const conv = planConvert({ ini, outDir: to, rebase: rebase.map(([a, b]) => `${a}=${b}`), here: LINOTP2_DIR, split: true, owner: o.owner }, cwd, o.env ?? process.env);
    plan.warnings.push(...conv.conversion.warnings);
    for (const f of conv.files) want(f.name, f.text, 'cfg', 'LinOTP 3 settings (config convert)', ini);
  }
  const encKey = path.join(from, 'encKey');
  if (existsSync(encKey)) {
    loadEncKey(encKey); // a malformed key is an error before anything is written
    want(LINOTP3_NAMES.encKey, read(encKey), 'enc-key', 'encKey', encKey);
  }
  const priv = path.join(from, 'private.pem');
  const pub = path.join(from, 'public.pem');
  if (existsSync(priv)) {
    const privPem = read(priv).toString('utf8');
    const pubPem = existsSync(pub) ? read(pub).toString('utf8') : undefined;
    const check = checkAuditPair(privPem, priv, pubPem, pub);
    plan.auditPair = { ...check, privateFile: priv, publicFile: pub };
    if (pubPem !== undefined && !check.matches) {
      plan.problems.push(`${pub} does not belong to ${priv} (the public key derived from the private one differs): the audit key pair is not written; decide which file is right`);
    } else {
      want(LINOTP3_NAMES.auditPrivate, privPem, 'audit-private-key', 'audit private key', priv);
      want(LINOTP3_NAMES.auditPublic, pubPem ?? check.derivedPublicPem, 'audit-public-key', 'audit public key', pubPem ? pub : `derived from ${priv}`);
    }
  }
  for (const dir of ['custom-templates', 'custom-style', 'apache-site-includes']) {
    const src = path.join(from, dir);
    if (!existsSync(src)) continue;
    for (const rel of walk(src)) {
      const data = read(path.join(src, rel));
      const text = dir === 'apache-site-includes' && rel.endsWith('.conf') ? Buffer.from(rebaseText(data.toString('utf8'), rebase), 'utf8') : data;
      want(path.join(dir, rel), text, 'site-file', dir === 'custom-templates' ? 'custom template (review: LinOTP 3 templates differ)' : dir === 'custom-style' ? 'custom style (review)' : 'Apache site include (review)', path.join(src, rel), rel !== 'README.txt');
    }
  }
  if (o.database) {
    // Inline PEMs → <linotp dir>/providers/…, files under /etc/linotp2 → copied and rebased; final paths in Config.
    const staging = (p: string) => (p.startsWith(linotpDir + '/') ? p.slice(linotpDir.length + 1) : undefined);
    const pf = planProviderFiles(readProviders(o.database.rows, o.database.key), o.database.key, `${linotpDir}/providers`, undefined, o.database.rows, rebase);
    for (const f of pf.files) {
      const rel = staging(f.path);
      if (rel) want(rel, f.content, 'provider-file', `provider certificate (${f.source}, inline in its definition)`, 'the database');
    }
    for (const c of pf.copies) {
      const rel = staging(c.path);
      const src = inFrom(from, c.from);
      if (rel && existsSync(src)) want(rel, read(src), 'provider-file', `file named by ${c.source}`, src);
      else plan.notes.push(`${c.source} names ${c.from}, which is not in ${from}: copy it to ${c.path} yourself`);
    }
    plan.providerRewrites = pf.rewrites;
  }
  const apache = o.apache ?? '/etc/apache2';
  if (existsSync(apache)) {
    const s = readSite(from, apache);
    if (s) {
      const apacheTo = path.resolve(cwd, o.apacheTo ?? path.join(path.dirname(to), 'apache2'));
      plan.apacheTo = apacheTo;
      const site = buildLinotp34Site(s.analysis, { linotpDir, rebase, source: s.site.path });
      want(path.join('sites-available', LINOTP3_SITE), site, 'site-file', 'LinOTP 3.4 Apache site', s.site.path, s.site.differsFromExample, apacheTo);
      if (s.site.enabled) plan.links.push({ path: path.join(apacheTo, 'sites-enabled', LINOTP3_SITE), target: `../sites-available/${LINOTP3_SITE}`, action: 'created' });
      for (const b of s.analysis.digestBlocks) plan.notes.push(`dropped digest auth on <${b.section} ${b.path}> (line ${b.line}, users in ${b.userFile}): LinOTP 3.2+ authenticates admins itself — \`local-admins import --htdigest\``);
      for (const d of s.analysis.notCarried) plan.notes.push(`${s.site.path} line ${d.line}: not carried: ${d.text}`);
      for (const b of s.analysis.customBlocks) plan.notes.push(`carried <${b.name} ${b.args.join(' ')}> (line ${b.line}): review it`);
      if (s.site.enabled && path.resolve(apacheTo) === path.resolve(apache)) plan.notes.push(`the LinOTP 2 site is still enabled (sites-enabled/${LINOTP2_SITE}): disable it with \`a2dissite linotp2\` when LinOTP 3 takes over`);
    }
  }
  // Each write: what it will do; conflicts collected, never thrown one by one.
  for (const w of wanted) {
    try {
      const r = planLinotpFile(w.path, w.content, { kind: w.kind, owner: w.kind === 'site-file' ? undefined : owner, existing: policy(w, o), env: o.env, now: o.now });
      plan.warnings.push(...r.warnings);
      plan.writes.push({ ...w, action: r.action, backup: r.backup, user: r.user, group: r.group, mode: r.mode });
    } catch (e) {
      if (!(e instanceof InputError) || !/already exists/.test(e.message)) throw e;
      plan.writes.push({ ...w, action: 'conflict' });
    }
  }
  for (const l of plan.links) {
    let current: string | undefined;
    try {
      if (lstatSync(l.path)) current = lstatSync(l.path).isSymbolicLink() ? readlinkSync(l.path) : '(a file)';
    } catch {
      current = undefined;
    }
    if (current !== undefined) l.action = current === l.target ? 'unchanged' : 'conflict';
  }
  // config convert checks the files the cfg names; the ones written here will exist.
  const finalPaths = new Set(plan.writes.filter((w) => w.path.startsWith(to + path.sep)).map((w) => linotpDir + w.path.slice(to.length)));
  plan.warnings = [...new Set(plan.warnings)].filter((w) => {
    const m = /: (\/\S+) does not exist or is not readable here$/.exec(w);
    return !(m && finalPaths.has(m[1]));
  });
  return plan;
}

export interface HostMigrateResult {
  written: { path: string; action: string; backup?: string; user: string; group: string; mode: string }[];
  links: PlannedLink[];
  apacheCheck: { ran: boolean; ok?: boolean; output?: string; reason?: string };
  providersRewritten: string[];
}

export function conflicts(plan: HostMigratePlan): string[] {
  return [...plan.writes.filter((w) => w.action === 'conflict').map((w) => w.path), ...plan.links.filter((l) => l.action === 'conflict').map((l) => l.path)];
}

/** `apache2ctl -t` on the real Apache configuration, when the site was written there and apache2ctl exists. */
function apacheCheck(apacheTo: string | undefined): HostMigrateResult['apacheCheck'] {
  if (!apacheTo) return { ran: false, reason: 'no Apache site' };
  if (path.resolve(apacheTo) !== '/etc/apache2') return { ran: false, reason: `the site was written to ${apacheTo}, not /etc/apache2: run apache2ctl -t after installing it` };
  try {
    execFileSync('apache2ctl', ['-v'], { stdio: 'ignore' });
  } catch {
    return { ran: false, reason: 'apache2ctl not found' };
  }
  try {
    const out = execFileSync('apache2ctl', ['-t'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return { ran: true, ok: true, output: out.trim() };
  } catch (e) {
    const err = e as { stderr?: string; stdout?: string };
    return { ran: true, ok: false, output: `${err.stdout ?? ''}${err.stderr ?? ''}`.trim() };
  }
}

export async function applyHostMigrate(plan: HostMigratePlan, o: HostMigrateOptions, db?: Db): Promise<HostMigrateResult> {
  const c = conflicts(plan);
  if (c.length) throw new UsageError(`${c.length} file(s) exist with other content: ${c.slice(0, 3).join(', ')}${c.length > 3 ? ', …' : ''}`, 'nothing was written; compare them, then add --force to replace them (the old ones are kept as NAME.<date>)');
  const owner = o.owner === undefined ? undefined : parseOwnerSpec(o.owner);
  const created: string[] = [];
  if (plan.providerRewrites.length && !db) throw new UsageError('the plan rewrites provider definitions but no database is open', 'give --database-uri');
  const result: HostMigrateResult = { written: [], links: [], apacheCheck: { ran: false }, providersRewritten: [] };
  try {
    for (const w of plan.writes) {
      if (w.action === 'unchanged') continue;
      const r = writeLinotpFile(w.path, w.content, { kind: w.kind, owner: w.kind === 'site-file' ? undefined : owner, existing: policy(w, o), env: o.env, now: o.now });
      if (r.action === 'created') created.push(r.path);
      result.written.push({ path: r.path, action: r.action, ...(r.backup ? { backup: r.backup } : {}), user: r.user, group: r.group, mode: r.mode });
    }
    for (const l of plan.links) {
      if (l.action === 'unchanged') continue;
      mkdirSync(path.dirname(l.path), { recursive: true, mode: 0o755 });
      symlinkSync(l.target, l.path);
      created.push(l.path);
      result.links.push(l);
    }
    // Last: the files the definitions will name exist now.
    if (db) await applyRewrites(db, plan.providerRewrites);
    result.providersRewritten = plan.providerRewrites.map((r) => `${r.type}:${r.provider} (${r.keys.join(', ')})`);
  } catch (e) {
    for (const p of created.reverse()) {
      try {
        unlinkSync(p);
      } catch {
        /* already gone */
      }
    }
    throw e;
  }
  result.apacheCheck = apacheCheck(plan.apacheTo);
  return result;
}
