/**
 * `init enc-key` core (LinOTP 3 `linotp init enc-key`, linotp-cli.md §2.3): write 96 random bytes
 * — or the key given with `--keys` — atomically with LinOTP 3's owner and mode (src/files/linotp-file.ts); an existing different key is kept
 * as `<file>.<date>`. Unlike LinOTP, `--keys` is validated (192 hex digits or the `--dump` paper
 * form with its checksums), so a typo cannot produce a short or garbled key.
 */
import { existsSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import { formatEncKeyDump, generateEncKey, loadEncKey, parseEncKey, writeEncKeyFile, type EncKey, type WriteEncKeyResult } from '../crypto/enckey.js';
import type { Db } from '../db/types.js';
import { UsageError } from '../errors.js';
import { countEncryptedValues, type EncryptedCounts } from '../verify/secrets.js';
import { formatDump } from '../crypto/paper.js';
import { planLinotpFile, type LinotpFileResult } from '../files/linotp-file.js';
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
  /** The replaced key encrypted nothing in the target database (so no --force was needed). */
  replacedUnusedKey?: { fingerprint: string; encryptedInTarget: number };
}

/** The key `init enc-key` writes: `--keys`, validated, or 96 random bytes. */
export function keyToWrite(keys: string | undefined): EncKey {
  return keys !== undefined ? parseEncKey(Buffer.from(keys, 'utf8'), '--keys') : generateEncKey();
}

/**
 * Writes `key`; with `existing` (from checkExistingKey) an unused different key is replaced
 * without `force`.
 */
export function initEncKey(opts: InitEncKeyOptions & { key?: EncKey; existing?: ExistingKeyCheck }): { result: InitEncKeyResult; key: EncKey } {
  const key = opts.key ?? keyToWrite(opts.keys);
  const unused = opts.existing?.unused === true;
  const written = writeEncKeyFile(opts.path, key, { force: opts.force || unused, now: opts.now, owner: opts.owner, env: opts.env });
  const replacedUnusedKey = unused && written.action === 'replaced' ? { fingerprint: opts.existing!.fingerprint!, encryptedInTarget: 0 } : undefined;
  return { result: { ...written, fingerprint: key.fingerprint().slice(0, 16), restored: opts.keys !== undefined, ...(replacedUnusedKey ? { replacedUnusedKey } : {}) }, key };
}

/** The paper form: with instructions after writing (`--dump`), only the chunk table for `--keys`. */
export function paperForm(key: EncKey, path: string, instructions: boolean, now?: Date): string {
  if (instructions) return formatEncKeyDump(key, { filename: path, now, instructions: true });
  return formatDump(key.exportBytes().toString('hex'), { filename: path, now, instructions: false });
}

/** What is at the key path, and whether it may be replaced without --force. */
export interface ExistingKeyCheck {
  path: string;
  existing: 'none' | 'same' | 'different' | 'not-a-key';
  /** sha256 (16 hex digits) of the existing key. */
  fingerprint?: string;
  /** Encrypted values in the target database (token seeds, PINs, ocra secrets, Config secrets); absent when no database was checked. */
  target?: EncryptedCounts;
  /**
   * A different key that encrypts nothing in the target database (checked there, not assumed:
   * Debian's postinst creates a fresh key on every new server). Replaced without --force, kept as
   * `<file>.<date>`.
   */
  unused: boolean;
}

/** Looks at the key path and, for a different key, counts what the target database holds encrypted. */
export async function checkExistingKey(path: string, newKey: EncKey, db: Db | undefined): Promise<ExistingKeyCheck> {
  const abs = resolvePath(path);
  if (!existsSync(abs)) return { path: abs, existing: 'none', unused: false };
  let current: EncKey;
  try {
    current = loadEncKey(abs);
  } catch {
    return { path: abs, existing: 'not-a-key', unused: false };
  }
  const fingerprint = current.fingerprint().slice(0, 16);
  if (current.equals(newKey)) return { path: abs, existing: 'same', fingerprint, unused: false };
  if (!db) return { path: abs, existing: 'different', fingerprint, unused: false };
  const target = await countEncryptedValues(db, current);
  return { path: abs, existing: 'different', fingerprint, target, unused: target.total === 0 };
}

/** The refusal for a different key that may be in use (exit 2, nothing changed). */
export function keyInUseError(c: ExistingKeyCheck, database: string | undefined): UsageError {
  const what = c.existing === 'not-a-key' ? 'a file that is not a valid encKey' : `a different encKey (sha256 ${c.fingerprint}…)`;
  const uses = c.target
    ? `, and ${database ?? 'the target database'} holds ${c.target.total} encrypted value(s) (${c.target.seeds} token seeds, ${c.target.pins} PINs, ${c.target.ocra} ocra secrets, ${c.target.config} Config secrets) that may need it`
    : database === undefined ? ' (no database was named to check whether it is in use)' : '';
  return new UsageError(`${c.path} holds ${what}${uses}; nothing was changed`, 'add --force to replace it (the old key is kept as encKey.<date>), or name another --enc-key path');
}

/** `backup restore --install-enc-key`'s key step, planned against the target before anything changes. */
export interface KeyInstallPlan extends LinotpFileResult {
  /** Set when a different key that encrypts nothing in the target is replaced without --force. */
  replacesUnusedKey?: ExistingKeyCheck;
}

/**
 * Decides whether `key` may be written to `path` (issue 21 items 1, 3): a different key (or a file
 * that is not a key) is refused with `keyInUseError` unless `force`, or unless it encrypts nothing
 * in `db`. Returns the owner, group, mode and backup name the write will use.
 */
export async function planKeyInstall(path: string, key: EncKey, db: Db, opts: { force?: boolean; owner?: FileOwner; env?: NodeJS.ProcessEnv; database?: string; now?: Date }): Promise<KeyInstallPlan> {
  const existing = await checkExistingKey(path, key, db);
  if ((existing.existing === 'different' || existing.existing === 'not-a-key') && !existing.unused && !opts.force) throw keyInUseError(existing, opts.database);
  const planned = planLinotpFile(path, key.exportBytes(), { kind: 'enc-key', owner: opts.owner, existing: 'keep-backup', env: opts.env, now: opts.now });
  return { ...planned, ...(existing.unused ? { replacesUnusedKey: existing } : {}) };
}

/** Writes the planned key (the decision of `planKeyInstall` stands; the write re-checks the content). */
export function installKey(plan: KeyInstallPlan, key: EncKey, opts: { force?: boolean; owner?: FileOwner; env?: NodeJS.ProcessEnv; now?: Date }): WriteEncKeyResult & { replacedUnusedKey?: true } {
  const written = writeEncKeyFile(plan.path, key, { force: Boolean(opts.force) || Boolean(plan.replacesUnusedKey), owner: opts.owner, env: opts.env, now: opts.now });
  return plan.replacesUnusedKey && written.action === 'replaced' ? { ...written, replacedUnusedKey: true } : written;
}
