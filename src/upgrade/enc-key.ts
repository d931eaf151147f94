/**
 * `init enc-key` core (LinOTP 3 `linotp init enc-key`, linotp-cli.md §2.3): write 96 random bytes
 * — or the key given with `--keys` — atomically with LinOTP 3's owner and mode (src/files/linotp-file.ts); an existing different key is kept
 * as `<file>.<date>`. Unlike LinOTP, `--keys` is validated (192 hex digits or the `--dump` paper
 * form with its checksums), so a typo cannot produce a short or garbled key.
 */
import { formatEncKeyDump, generateEncKey, parseEncKey, writeEncKeyFile, type EncKey, type WriteEncKeyResult } from '../crypto/enckey.js';
import { formatDump } from '../crypto/paper.js';
import type { FileOwner } from '../files/ownership.js';

export interface InitEncKeyOptions {
  path: string;
  /** Replace a different existing key (it is kept as a dated backup). */
  force?: boolean;
  /** The key to restore: 192 hex digits (whitespace allowed) or the `--dump` paper form. */
  keys?: string;
  /** `--owner`; default: see src/files/linotp-file.ts. */
  owner?: FileOwner;
  env?: NodeJS.ProcessEnv;
  now?: Date;
}

export interface InitEncKeyResult extends WriteEncKeyResult {
  /** sha256 of the key (first 16 hex digits): identifies it without revealing it. */
  fingerprint: string;
  restored: boolean;
}

export function initEncKey(opts: InitEncKeyOptions): { result: InitEncKeyResult; key: EncKey } {
  const key = opts.keys !== undefined ? parseEncKey(Buffer.from(opts.keys, 'utf8'), '--keys') : generateEncKey();
  const written = writeEncKeyFile(opts.path, key, { force: opts.force, now: opts.now, owner: opts.owner, env: opts.env });
  return { result: { ...written, fingerprint: key.fingerprint().slice(0, 16), restored: opts.keys !== undefined }, key };
}

/** The paper form: with instructions after writing (`--dump`), only the chunk table for `--keys`. */
export function paperForm(key: EncKey, path: string, instructions: boolean, now?: Date): string {
  if (instructions) return formatEncKeyDump(key, { filename: path, now, instructions: true });
  return formatDump(key.exportBytes().toString('hex'), { filename: path, now, instructions: false });
}
