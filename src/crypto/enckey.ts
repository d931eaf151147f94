/**
 * The LinOTP encKey (`SECRET_FILE`): 96 raw bytes = three AES-256 keys. Slot 0 encrypts token
 * seeds and PINs, slot 1 Config secrets, slot 2 signs challenges (linotp-cli.md §4.1).
 *
 * The key bytes live in a private field and every printing path (toString, toJSON, util.inspect)
 * shows only where the key came from, so a key can never end up in a log or a JSON document.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { inspect } from 'node:util';
import * as fs from 'node:fs';
import { readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve as resolvePath } from 'node:path';
import { KeyError } from '../errors.js';
import { parseDumpForm, looksLikeDump, formatDump } from './paper.js';

export const ENC_KEY_BYTES = 96;
export const SLOT_BYTES = 32;
export type KeySlot = 0 | 1 | 2;
/** Slot numbers as LinOTP's DefaultSecurityModule names them. */
export const TOKEN_SLOT: KeySlot = 0;
export const CONFIG_SLOT: KeySlot = 1;
export const VALUE_SLOT: KeySlot = 2;

/** How the key was written where it was read from. */
export type EncKeyForm = 'raw' | 'hex' | 'dump' | 'generated';

const FORMS_HINT =
  'give the 96-byte encKey file of the LinOTP installation (e.g. /etc/linotp2/encKey or /etc/linotp/encKey), ' +
  'its 192-hex-digit text form, or a `linotp init enc-key --dump` printout';

export class EncKey {
  readonly #bytes: Buffer;
  /** Where the key came from (a path or a description), for messages. */
  readonly source: string;
  readonly form: EncKeyForm;

  constructor(bytes: Buffer, source: string, form: EncKeyForm = 'raw') {
    if (bytes.length !== ENC_KEY_BYTES) {
      throw new KeyError(`encKey ${source} is ${bytes.length} bytes; LinOTP keys are 96 bytes (three AES-256 keys)`, FORMS_HINT);
    }
    this.#bytes = Buffer.from(bytes);
    this.source = source;
    this.form = form;
  }

  /** The 32-byte AES-256 key of one slot (a copy; callers may zero it). */
  slot(n: KeySlot): Buffer {
    if (n !== 0 && n !== 1 && n !== 2) throw new RangeError(`encKey slot must be 0, 1 or 2, not ${String(n)}`);
    return Buffer.from(this.#bytes.subarray(n * SLOT_BYTES, (n + 1) * SLOT_BYTES));
  }

  /** Hex SHA-256 of the 96 bytes: safe to print, identifies the key. */
  fingerprint(): string {
    return createHash('sha256').update(this.#bytes).digest('hex');
  }

  equals(other: EncKey): boolean {
    return timingSafeEqual(this.#bytes, other.#bytes);
  }

  /** The raw 96 bytes (a copy), for writing the key file or a backup archive. Never log the result. */
  exportBytes(): Buffer {
    return Buffer.from(this.#bytes);
  }

  toString(): string {
    return `EncKey(${this.source})`;
  }

  toJSON(): string {
    return this.toString();
  }

  [inspect.custom](): string {
    return this.toString();
  }
}

/** Text check without decoding: printable ASCII plus whitespace. */
function isAsciiText(bytes: Buffer): boolean {
  for (const b of bytes) {
    if (b === 0x09 || b === 0x0a || b === 0x0d || (b >= 0x20 && b < 0x7f)) continue;
    return false;
  }
  return true;
}

/**
 * Reads a key in any of the three forms LinOTP operators have at hand: the raw 96-byte file, the
 * 192-hex-digit text (what `--keys` takes; whitespace allowed) or the `--dump` paper form with its
 * per-line CRC32 and SHA-1 checksum line (both verified). Anything else is a KeyError that names
 * what was found.
 */
export function parseEncKey(bytes: Buffer, source: string): EncKey {
  if (bytes.length === 0) {
    throw new KeyError(`encKey ${source} is empty`, FORMS_HINT);
  }
  let text = bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? bytes.subarray(3) : bytes;
  const ascii = isAsciiText(text);
  if (bytes.length === ENC_KEY_BYTES && !(ascii && /^[0-9a-fA-F\s]+$/.test(text.toString('latin1')))) {
    return new EncKey(bytes, source, 'raw');
  }
  if (!ascii) {
    // LinOTP's getSecret() reads 32-byte slots from the start and ignores anything after byte 96,
    // so a longer file may "work" there. We don't guess; we say how to cut it.
    const hint = bytes.length > ENC_KEY_BYTES
      ? `LinOTP reads only the first 96 bytes; if the installation works with this file, use them: head -c 96 ${source} > encKey.96 (then check it with linotp-migrate verify)`
      : FORMS_HINT;
    throw new KeyError(`encKey ${source} is ${bytes.length} bytes; LinOTP keys are 96 bytes (three AES-256 keys)`, hint);
  }
  const str = text.toString('latin1');
  if (looksLikeDump(str)) {
    return new EncKey(parseDumpForm(str, source), source, 'dump');
  }
  const compact = str.replace(/\s+/g, '');
  if (/^[0-9a-fA-F]+$/.test(compact)) {
    if (compact.length !== ENC_KEY_BYTES * 2) {
      const bytesNote = compact.length % 2 === 0 ? ` (${compact.length / 2} bytes)` : '';
      throw new KeyError(
        `encKey ${source} holds ${compact.length} hex digits${bytesNote}; LinOTP keys are 192 hex digits (96 bytes, three AES-256 keys)`,
        FORMS_HINT,
      );
    }
    return new EncKey(Buffer.from(compact, 'hex'), source, 'hex');
  }
  throw new KeyError(
    `encKey ${source} is ${bytes.length} bytes of text that is neither 192 hex digits nor a \`linotp init enc-key --dump\` printout`,
    FORMS_HINT,
  );
}

/** Larger files are certainly not keys; don't read a wrong path (a DB dump, say) into memory. */
const MAX_KEY_FILE_BYTES = 64 * 1024;

export function loadEncKey(path: string): EncKey {
  let size: number;
  try {
    const st = statSync(path);
    if (st.isDirectory()) throw new KeyError(`encKey ${path} is a directory`, 'give the path of the encKey file itself');
    size = st.size;
  } catch (e) {
    if (e instanceof KeyError) throw e;
    throw fileError(path, e);
  }
  if (size > MAX_KEY_FILE_BYTES) {
    throw new KeyError(`encKey ${path} is ${size} bytes; LinOTP keys are 96 bytes (three AES-256 keys)`, FORMS_HINT);
  }
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw fileError(path, e);
  }
  return parseEncKey(bytes, path);
}

function fileError(path: string, e: unknown): KeyError {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return new KeyError(`encKey file ${path} does not exist`, 'check the path (--enc-key, LINOTP_SECRET_FILE, SECRET_FILE or linotpSecretFile in linotp.ini)');
  if (code === 'EACCES' || code === 'EPERM') {
    return new KeyError(`encKey file ${path} is not readable (permission denied)`, 'run as root or as the user LinOTP runs as (the file is mode 0400)');
  }
  return new KeyError(`cannot read encKey file ${path}: ${code ?? String(e)}`, undefined, e);
}

export function generateEncKey(source = 'a newly generated key'): EncKey {
  return new EncKey(randomBytes(ENC_KEY_BYTES), source, 'generated');
}

/** The paper backup, same layout as `linotp init enc-key --dump` (LinOTP's `--keys` accepts its first column). */
export function formatEncKeyDump(key: EncKey, opts: { filename?: string; now?: Date; instructions?: boolean } = {}): string {
  return formatDump(key.exportBytes().toString('hex'), { filename: opts.filename ?? key.source, now: opts.now, instructions: opts.instructions ?? true });
}

export interface WriteEncKeyResult {
  /** `unchanged`: the same key was already there; `created`: no file before; `replaced`: an older key was moved to `backup`. */
  action: 'created' | 'unchanged' | 'replaced';
  path: string;
  backup?: string;
}

/** LinOTP's BACKUP_FILE_TIME_FORMAT default `%Y-%m-%d_%H-%M`, local time. */
export function backupSuffix(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}_${p(d.getHours())}-${p(d.getMinutes())}`;
}

/**
 * Writes the key file atomically (temp file in the same directory, fsync, rename, fsync of the
 * directory) with mode 0400, as `linotp init enc-key` does. A different existing key is never
 * replaced silently: without `force` this is a KeyError; with it the old file is kept as
 * `<path>.<YYYY-mm-dd_HH-MM>` (LinOTP's name). Unlike LinOTP, which overwrites an earlier backup
 * from the same minute, an existing backup name gets a `.1`, `.2` … suffix, and the old key is
 * hard-linked to its backup name before the rename so the key path is never missing.
 */
export function writeEncKeyFile(path: string, key: EncKey, opts: { force?: boolean; now?: Date } = {}): WriteEncKeyResult {
  const abs = resolvePath(path);
  let existing: EncKey | undefined;
  let existingProblem: string | undefined;
  const exists = fs.existsSync(abs);
  if (exists && !fs.statSync(abs).isFile()) {
    // Not even --force replaces a directory (or a device) with a key file.
    throw new KeyError(`${abs} is ${fs.statSync(abs).isDirectory() ? 'a directory' : 'not a regular file'}; the encKey path must name a file`, 'give the key file\'s path, e.g. --enc-key /etc/linotp/encKey');
  }
  if (exists) {
    try {
      existing = loadEncKey(abs);
    } catch (e) {
      existingProblem = e instanceof Error ? e.message : String(e);
    }
    if (existing?.equals(key)) return { action: 'unchanged', path: abs };
    if (!opts.force) {
      const what = existing ? `a different encKey (sha256 ${existing.fingerprint().slice(0, 16)}…)` : `a file that is not a valid encKey (${existingProblem})`;
      throw new KeyError(`${abs} already holds ${what}; not overwriting it`, 'pass --force to replace it; the old file is then kept as <file>.<date>');
    }
  }
  const dir = dirname(abs);
  const tmp = join(dir, `.${basename(abs)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  let backup: string | undefined;
  try {
    const fd = fs.openSync(tmp, 'wx', 0o400);
    try {
      fs.fchmodSync(fd, 0o400);
      fs.writeSync(fd, key.exportBytes());
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    if (exists) backup = keepBackup(abs, opts.now ?? new Date());
    fs.renameSync(tmp, abs);
  } catch (e) {
    try {
      fs.unlinkSync(tmp);
    } catch {
      /* already renamed or never created */
    }
    if (e instanceof KeyError) throw e;
    const code = (e as NodeJS.ErrnoException).code ?? String(e);
    throw new KeyError(`cannot write encKey ${abs}: ${code}`, code === 'EACCES' ? 'run as root or as the owner of the directory' : code === 'ENOENT' ? `create the directory ${dir} first` : undefined, e);
  }
  fsyncDir(dir);
  return { action: backup ? 'replaced' : 'created', path: abs, ...(backup ? { backup } : {}) };
}

function keepBackup(abs: string, now: Date): string {
  const base = `${abs}.${backupSuffix(now)}`;
  for (let i = 0; i < 100; i++) {
    const name = i === 0 ? base : `${base}.${i}`;
    try {
      fs.linkSync(abs, name);
      return name;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') continue;
      if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EXDEV') {
        // File systems without hard links: an exclusive copy keeps the same never-overwrite rule.
        try {
          fs.copyFileSync(abs, name, fs.constants.COPYFILE_EXCL);
          fs.chmodSync(name, 0o400);
          return name;
        } catch (e2) {
          if ((e2 as NodeJS.ErrnoException).code === 'EEXIST') continue;
          throw new KeyError(`cannot keep the old encKey as ${name}: ${(e2 as NodeJS.ErrnoException).code ?? e2}`, 'nothing was changed', e2);
        }
      }
      throw new KeyError(`cannot keep the old encKey as ${name}: ${code ?? e}`, 'nothing was changed', e);
    }
  }
  throw new KeyError(`cannot keep the old encKey: ${base} and 99 numbered variants exist`, 'clean up old encKey backups');
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
