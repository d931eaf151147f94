/**
 * The LinOTP encKey (`SECRET_FILE`): 96 raw bytes = three AES-256 keys. Slot 0 encrypts token
 * seeds and PINs, slot 1 Config secrets, slot 2 signs challenges (linotp-cli.md §4.1).
 *
 * The key bytes live in a private field and every printing path (toString, toJSON, util.inspect)
 * shows only where the key came from, so a key can never end up in a log or a JSON document.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { inspect } from 'node:util';
import { readFileSync, statSync } from 'node:fs';
import { writeLinotpFile, type LinotpFileResult } from '../files/linotp-file.js';
import type { FileOwner } from '../files/ownership.js';
import { KeyError } from '../errors.js';
import { parseDumpForm, looksLikeDump, formatDump } from './paper.js';
import { ValueCipher } from './aes.js';

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
  /** One ValueCipher per slot, made on first use: a cipher per value was most of the cost of a token pass (src/crypto/aes.ts). */
  readonly #ciphers: (ValueCipher | undefined)[] = [];

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

  /**
   * The AES-256 cipher of one slot, kept for the life of this key (like the bytes themselves), so
   * thousands of values do not each set up their own OpenSSL context and key schedule.
   */
  cipher(n: KeySlot): ValueCipher {
    let c = this.#ciphers[n];
    if (!c) {
      const k = this.slot(n);
      c = new ValueCipher(k);
      k.fill(0);
      this.#ciphers[n] = c;
    }
    return c;
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
    return new KeyError(`encKey file ${path} is not readable (permission denied)`, 'run as root or as the user LinOTP runs as (Debian: linotp; the file is linotp:linotp 0440)');
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

export type WriteEncKeyResult = LinotpFileResult;

/**
 * Writes the key file through the one writer for LinOTP's files (src/files/linotp-file.ts):
 * atomically, with LinOTP 3's owner, group and mode (encKey: `linotp:linotp` 0440, or those of
 * the key it replaces). A different existing key is never replaced silently: without `force`
 * this is a KeyError; with it the old file is kept as `<path>.<YYYY-MM-DD>` (then LinOTP's
 * `_HH-MM` and numbered names; LinOTP itself overwrites an earlier backup from the same minute),
 * hard-linked before the rename so the key path is never missing.
 */
export function writeEncKeyFile(path: string, key: EncKey, opts: { force?: boolean; now?: Date; owner?: FileOwner; env?: NodeJS.ProcessEnv } = {}): WriteEncKeyResult {
  return writeLinotpFile(path, key.exportBytes(), {
    kind: 'enc-key',
    owner: opts.owner,
    existing: opts.force ? 'keep-backup' : 'refuse',
    refuse: (abs) => {
      const what = describeKeyFile(abs);
      return new KeyError(`${abs} already holds ${what}; not overwriting it`, 'pass --force to replace it; the old file is then kept as <file>.<date>');
    },
    now: opts.now,
    env: opts.env,
  });
}

/** "a different encKey (sha256 …)" or "a file that is not a valid encKey (…)", for refusals. */
export function describeKeyFile(abs: string): string {
  try {
    return `a different encKey (sha256 ${loadEncKey(abs).fingerprint().slice(0, 16)}…)`;
  } catch (e) {
    return `a file that is not a valid encKey (${e instanceof Error ? e.message : String(e)})`;
  }
}
