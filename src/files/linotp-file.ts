/**
 * The one writer for files LinOTP 3 reads: encKey, audit keys, cfg files (and any other key or
 * settings file a command writes). Each write is atomic — temporary file in the same directory with
 * its final owner and mode, fsync, then rename (or link, when an existing file must not be
 * replaced), fsync of the directory — so the path always holds either the old or the new complete
 * file, with the right permissions from the first moment.
 *
 * Owner, group and mode (docs/files.md):
 *  - `owner` given (`--owner USER[:GROUP]`): that.
 *  - a file is replaced: its owner, group and mode (world bits removed; owner read kept).
 *  - otherwise per kind, as LinOTP 3.4's Debian package leaves them (branch-v3.4 debian/postinst
 *    `set_file_permissions`): keys `linotp:linotp` (written by `runuser --user linotp -- linotp
 *    init …`), cfg files `<invoking user>:linotp`; modes encKey 0440 (LinOTP's 0400 plus the
 *    postinst's `g+r`), audit-private.pem and cfg 0640, audit-public.pem 0644.
 *  - no `linotp` user (or group) here: the invoking user (or its group), with a warning.
 */
import * as fs from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { InputError, type MigrateError } from '../errors.js';
import { defaultServiceUser, findGroup, formatMode, invokingOwner, ownerOfIds, serviceOwner, type AccountFiles, type FileOwner } from './ownership.js';

export type LinotpFileKind = 'enc-key' | 'audit-private-key' | 'audit-public-key' | 'cfg' | 'provider-file' | 'ca-certificate' | 'site-file' | 'freeradius' | 'pam';

interface KindRule {
  what: string;
  mode: number;
  /** `service`: owner and group of the service user; `config`: invoking user, service group. */
  owner: 'service' | 'config';
}

export const FILE_KINDS: Record<LinotpFileKind, KindRule> = {
  'enc-key': { what: 'encKey', mode: 0o440, owner: 'service' },
  'audit-private-key': { what: 'audit private key', mode: 0o640, owner: 'service' },
  'audit-public-key': { what: 'audit public key', mode: 0o644, owner: 'service' },
  cfg: { what: 'LinOTP settings file', mode: 0o640, owner: 'config' },
  // The RADIUS side (radius convert): written with an explicit owner (group freerad; PAM files root's).
  freeradius: { what: 'FreeRADIUS configuration file', mode: 0o640, owner: 'config' },
  pam: { what: 'PAM configuration file', mode: 0o644, owner: 'config' },
  /** A certificate or key a provider definition names (issue 16): LinOTP reads it, nobody else needs to. */
  'provider-file': { what: 'provider certificate file', mode: 0o640, owner: 'service' },
  /** A CA certificate exported for the system trust store (update-ca-certificates reads it as root). */
  'ca-certificate': { what: 'CA certificate', mode: 0o644, owner: 'config' },
  /** Apache site, templates, styles: readable by Apache and LinOTP, written by the administrator. */
  'site-file': { what: 'file', mode: 0o644, owner: 'config' },
};

/** What to do when the path already holds different content. */
export type ExistingPolicy =
  /** Throw `refuse(path)` (default: an InputError); nothing is written. */
  | 'refuse'
  /** Keep the old file as `<path>.<YYYY-MM-DD>` (same inode: owner and mode stay), then replace. */
  | 'keep-backup'
  /** Replace it. */
  | 'overwrite';

export interface LinotpFileOptions {
  kind: LinotpFileKind;
  /** From `--owner`; beats every default. */
  owner?: FileOwner;
  existing?: ExistingPolicy;
  /** The error for `existing: 'refuse'`. */
  refuse?: (path: string) => MigrateError;
  now?: Date;
  env?: NodeJS.ProcessEnv;
  accounts?: AccountFiles;
}

export type OwnerSource = 'option' | 'replaced file' | 'service user' | 'invoking user';

/** What will be (plan) or was (write) done; safe to print and to put in --json. */
export interface LinotpFileResult {
  path: string;
  /** `unchanged`: the same content was already there (owner and mode are left, unless `owner` was given). */
  action: 'created' | 'replaced' | 'unchanged';
  /** Where the replaced file was kept. */
  backup?: string;
  user: string;
  group: string;
  mode: string;
  ownerFrom: OwnerSource;
  warnings: string[];
}

interface Resolved {
  abs: string;
  current?: { content: Buffer; st: fs.Stats };
  owner: FileOwner;
  mode: number;
  ownerFrom: OwnerSource;
  warnings: string[];
}

function resolve(file: string, content: Buffer, opts: LinotpFileOptions): Resolved {
  const abs = path.resolve(file);
  const rule = FILE_KINDS[opts.kind];
  const accounts = opts.accounts ?? {};
  let current: Resolved['current'];
  let st: fs.Stats | undefined;
  try {
    st = fs.statSync(abs);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTDIR') throw new InputError(`cannot look at ${abs}: ${(e as NodeJS.ErrnoException).code ?? e}`, undefined, e);
  }
  if (st && !st.isFile()) throw new InputError(`${abs} is ${st.isDirectory() ? 'a directory' : 'not a regular file'}; the ${rule.what} path must name a file`, 'give the file\'s path');
  if (st) {
    try {
      current = { content: fs.readFileSync(abs), st };
    } catch (e) {
      throw new InputError(`cannot read the existing ${abs}: ${(e as NodeJS.ErrnoException).code ?? e}`, 'run as root or as its owner; nothing was changed', e);
    }
  }
  const warnings: string[] = [];
  if (opts.owner) return { abs, current, owner: opts.owner, mode: current ? keptMode(current.st.mode) : rule.mode, ownerFrom: 'option', warnings };
  if (current) return { abs, current, owner: ownerOfIds(current.st.uid, current.st.gid, accounts), mode: keptMode(current.st.mode), ownerFrom: 'replaced file', warnings };
  const service = serviceOwner(opts.env ?? process.env, accounts);
  const me = invokingOwner(accounts);
  const name = defaultServiceUser(opts.env ?? process.env);
  if (rule.owner === 'service') {
    if (service) return { abs, owner: service, mode: rule.mode, ownerFrom: 'service user', warnings };
    warnings.push(`there is no user ${name} here: ${abs} is owned by ${me.user}:${me.group}; give --owner USER[:GROUP] if LinOTP 3 runs as another user`);
    return { abs, owner: me, mode: rule.mode, ownerFrom: 'invoking user', warnings };
  }
  const group = findGroup(name, accounts);
  if (group) return { abs, owner: { ...me, gid: group.gid, group: group.name }, mode: rule.mode, ownerFrom: 'service user', warnings };
  warnings.push(`there is no group ${name} here: ${abs} gets group ${me.group}; give --owner USER[:GROUP] so that LinOTP 3 can read it`);
  return { abs, owner: me, mode: rule.mode, ownerFrom: 'invoking user', warnings };
}

/** An admin's mode is kept, but never world access, and the owner can always read. */
const keptMode = (mode: number) => ((mode & 0o770) | 0o400) & 0o7770;

function result(r: Resolved, action: LinotpFileResult['action'], backup?: string): LinotpFileResult {
  return { path: r.abs, action, ...(backup ? { backup } : {}), user: r.owner.user, group: r.owner.group, mode: formatMode(r.mode), ownerFrom: r.ownerFrom, warnings: r.warnings };
}

function refusal(r: Resolved, opts: LinotpFileOptions): MigrateError {
  return opts.refuse?.(r.abs) ?? new InputError(`${r.abs} already exists with other content; nothing was written`, 'add --force to replace it');
}

/** What `writeLinotpFile` would do, without touching anything (for --plan). Throws what it would throw. */
export function planLinotpFile(file: string, content: Buffer | string, opts: LinotpFileOptions): LinotpFileResult {
  const buf = Buffer.isBuffer(content) ? content : Buffer.from(content, 'utf8');
  const r = resolve(file, buf, opts);
  if (!r.current) return result(r, 'created');
  if (r.current.content.equals(buf)) return result(r, 'unchanged');
  if ((opts.existing ?? 'refuse') === 'refuse') throw refusal(r, opts);
  return result(r, 'replaced', opts.existing === 'keep-backup' ? backupNames(r.abs, opts.now ?? new Date()).find((n) => !fs.existsSync(n)) : undefined);
}

/**
 * Writes `content` to `file` atomically with the resolved owner and mode (see the module comment).
 * Missing directories are created (see makeDirs). On any failure the
 * path is left as it was and the temporary file is removed.
 */
export function writeLinotpFile(file: string, content: Buffer | string, opts: LinotpFileOptions): LinotpFileResult {
  const buf = Buffer.isBuffer(content) ? content : Buffer.from(content, 'utf8');
  const r = resolve(file, buf, opts);
  const policy = opts.existing ?? 'refuse';
  if (r.current?.content.equals(buf)) {
    if (opts.owner && (r.current.st.uid !== r.owner.uid || r.current.st.gid !== r.owner.gid)) fs.chownSync(r.abs, r.owner.uid, r.owner.gid);
    return result({ ...r, mode: r.current.st.mode & 0o7777 }, 'unchanged');
  }
  if (r.current && policy === 'refuse') throw refusal(r, opts);
  const dir = path.dirname(r.abs);
  const tmp = path.join(dir, `.${path.basename(r.abs)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  let backup: string | undefined;
  try {
    makeDirs(dir, r.owner);
    const fd = fs.openSync(tmp, 'wx', 0o600);
    try {
      try {
        fs.fchownSync(fd, r.owner.uid, r.owner.gid);
      } catch (e) {
        // Not root: a default owner cannot be given away. An explicit --owner must be honoured or fail.
        if ((e as NodeJS.ErrnoException).code !== 'EPERM' || r.ownerFrom === 'option') throw e;
        r.warnings.push(`cannot give ${r.abs} to ${r.owner.user}:${r.owner.group} without root: it is yours; run as root, or chown ${r.owner.user}:${r.owner.group} ${r.abs}`);
        r.owner = invokingOwner(opts.accounts ?? {});
        r.ownerFrom = 'invoking user';
      }
      fs.fchmodSync(fd, r.mode); // after chown (which clears set-id bits); the umask does not apply to fchmod
      fs.writeSync(fd, buf);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    if (r.current && policy === 'keep-backup') backup = keepBackup(r.abs, FILE_KINDS[opts.kind].what, opts.now ?? new Date());
    if (r.current) fs.renameSync(tmp, r.abs);
    else {
      fs.linkSync(tmp, r.abs); // EEXIST if the file appeared meanwhile: never replace what we have not read
      fs.unlinkSync(tmp);
    }
  } catch (e) {
    try {
      fs.unlinkSync(tmp);
    } catch {
      /* renamed, or never created */
    }
    if (e instanceof InputError) throw e;
    const code = (e as NodeJS.ErrnoException).code ?? String(e);
    if (code === 'EEXIST') throw refusal(r, opts);
    throw new InputError(
      `cannot write ${FILE_KINDS[opts.kind].what} ${r.abs}: ${code}; nothing was changed`,
      code === 'EACCES' || code === 'EPERM' ? 'run as root (setting the owner of LinOTP\'s files needs it)' : code === 'ENOENT' ? `create the directory ${dir} first` : undefined,
      e,
    );
  }
  fsyncDir(dir);
  return result(r, backup || r.current ? 'replaced' : 'created', backup);
}

/**
 * Missing directories are created 0750 with the file's owner and group: a root-only directory
 * would hide the file from LinOTP even with the right mode on the file itself.
 */
function makeDirs(dir: string, owner: FileOwner): void {
  if (fs.existsSync(dir)) return;
  makeDirs(path.dirname(dir), owner);
  fs.mkdirSync(dir, { mode: 0o750 });
  fs.chownSync(dir, owner.uid, owner.gid);
  fs.chmodSync(dir, 0o750);
}

/** LinOTP's BACKUP_FILE_TIME_FORMAT `%Y-%m-%d_%H-%M`, local time. */
export function backupSuffix(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}_${p(d.getHours())}-${p(d.getMinutes())}`;
}

/** `<file>.<YYYY-MM-DD>`, then with LinOTP's time suffix `_HH-MM`, then numbered: never an existing name. */
function backupNames(abs: string, now: Date): string[] {
  const timed = `${abs}.${backupSuffix(now)}`;
  const names = [`${abs}.${backupSuffix(now).slice(0, 10)}`, timed];
  for (let i = 1; i < 100; i++) names.push(`${timed}.${i}`);
  return names;
}

/**
 * Keeps the old file under its backup name before the rename, so the path is never missing: a
 * hard link (same inode, so owner, group and mode stay), or an exclusive copy with the same owner
 * and mode on file systems without links.
 */
function keepBackup(abs: string, what: string, now: Date): string {
  return keepCopy(abs, what, backupNames(abs, now));
}

/**
 * Keeps `abs` under the first of `names` that is free: a hard link (same inode, so owner and mode
 * stay), or a copy with the same owner and mode where links are not possible. Never replaces a file.
 */
export function keepCopy(abs: string, what: string, names: string[]): string {
  for (const name of names) {
    try {
      fs.linkSync(abs, name);
      return name;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') continue;
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EXDEV') throw new InputError(`cannot keep the old ${what} as ${name}: ${code ?? e}; nothing was changed`, undefined, e);
      try {
        const st = fs.statSync(abs);
        fs.copyFileSync(abs, name, fs.constants.COPYFILE_EXCL);
        fs.chownSync(name, st.uid, st.gid);
        fs.chmodSync(name, st.mode & 0o7777);
        return name;
      } catch (e2) {
        if ((e2 as NodeJS.ErrnoException).code === 'EEXIST') continue;
        throw new InputError(`cannot keep the old ${what} as ${name}: ${(e2 as NodeJS.ErrnoException).code ?? e2}; nothing was changed`, undefined, e2);
      }
    }
  }
  throw new InputError(`cannot keep the old ${what} ${abs}: ${abs}.<date> and 99 numbered variants exist`, 'clean up the old copies');
}

function fsyncDir(dir: string): void {
  try {
    const fd = fs.openSync(dir, 'r');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    // Some platforms cannot fsync a directory; the rename itself is still atomic.
  }
}
