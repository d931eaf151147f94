/**
 * The encKey checks: every encrypted value of the database must decrypt (linotp-schema.md §6):
 * token seeds (not pw tokens, whose columns hold an unencrypted crypt hash, nor qr/push, which
 * have none), `@@` OTP PINs, user and SO PINs, ocra/ocra2 sharedSecrets in TokenInfo, and every
 * Config value of Type encrypted_data/password — chunked ones reassembled first.
 * Tokens are streamed in batches, so memory does not grow with the token count.
 */
import { groupConfigRows, type ConfigRow } from '../crypto/chunks.js';
import type { EncKey } from '../crypto/enckey.js';
import { MalformedValueError, type Padding } from '../crypto/aes.js';
import { text, TOKEN_SECRET_COLUMNS, TOKEN_SECRETS, type TokenSecretKind } from '../crypto/token-secrets.js';
import { impliesWrongKey, decryptConfigValue, isEncryptedConfigType, type Decrypted } from '../crypto/values.js';
import type { Db, Row } from '../db/types.js';
import { Tally } from './failures.js';

export interface SecretTallies {
  seeds: Tally;
  pins: Tally;
  ocra: Tally;
  config: Tally;
  chunks: Tally;
  paddings: { legacy: number; pkcs7: number };
  byType: Record<string, number>;
  total: number;
}

export function newTallies(): SecretTallies {
  return { seeds: new Tally(), pins: new Tally(), ocra: new Tally(), config: new Tally(), chunks: new Tally(), paddings: { legacy: 0, pkcs7: 0 }, byType: {}, total: 0 };
}

const str = text;

/** Runs one decryption; malformed input counts as a failure with the reason in the item name. */
function tryDecrypt(t: SecretTallies, tally: Tally, item: string, fn: () => Decrypted<unknown> | undefined): void {
  let r: Decrypted<unknown> | undefined;
  try {
    r = fn();
  } catch (e) {
    if (e instanceof MalformedValueError) {
      tally.fail(`${item} (malformed: ${e.message})`);
      return;
    }
    throw e;
  }
  if (r === undefined) return;
  if (r.ok) {
    tally.ok();
    t.paddings[r.padding as Padding]++;
  } else if (!impliesWrongKey(r.reason)) {
    // The padding fits, so this is the right key: the value itself is damaged.
    tally.fail(`${item} (opens with this key, but the content is damaged: ${r.reason === 'seed-not-hex' ? 'the seed is not hex' : 'the text is not UTF-8'})`);
  } else tally.fail(item);
}

/** Streams the Token table; `key` undefined only counts token types. */
export async function checkTokens(db: Db, tokenTable: string, key: EncKey | undefined, t: SecretTallies, progress?: { tick(n?: number): void; finish?(): void }): Promise<void> {
  const q = (n: string) => db.dialect.quoteIdent(n);
  const present = new Set((await db.listColumns(tokenTable)).map((c) => c.name));
  const wanted = TOKEN_SECRET_COLUMNS.filter((c) => present.has(c));
  const sql = `SELECT ${wanted.map(q).join(', ')} FROM ${q(tokenTable)}`;
  for await (const batch of db.stream(sql, [], { batchSize: 1000 })) {
    for (const row of batch) checkTokenRow(row, key, t);
    progress?.tick(batch.length);
  }
  progress?.finish?.();
}

const TALLY: Record<TokenSecretKind, (t: SecretTallies) => Tally> = {
  seed: (t) => t.seeds,
  otpPin: (t) => t.pins,
  userPin: (t) => t.pins,
  soPin: (t) => t.pins,
  ocraSecret: (t) => t.ocra,
};

function checkTokenRow(row: Row, key: EncKey | undefined, t: SecretTallies): void {
  const serial = str(row.LinOtpTokenSerialnumber);
  const type = str(row.LinOtpTokenType) || '(none)';
  t.total++;
  t.byType[type] = (t.byType[type] ?? 0) + 1;
  if (!key) return;
  for (const secret of TOKEN_SECRETS) {
    if (!secret.present(row)) continue;
    const item = secret.label ? `${serial} (${secret.label})` : serial;
    tryDecrypt(t, TALLY[secret.kind](t), item, () => secret.decrypt(key, row));
  }
}

/** Config secrets (chunked ones reassembled) and the integrity of chunk chains. */
export async function checkConfig(db: Db, configTable: string, key: EncKey | undefined, t: SecretTallies): Promise<void> {
  const q = (n: string) => db.dialect.quoteIdent(n);
  const rows: ConfigRow[] = [];
  // Config is small (hundreds to a few thousand rows); chunk reassembly needs all of it.
  for await (const batch of db.stream(`SELECT ${q('Key')} AS k, ${q('Value')} AS v, ${q('Type')} AS t, ${q('Description')} AS d FROM ${q(configTable)}`)) {
    for (const r of batch) rows.push({ key: str(r.k), value: r.v === null ? null : str(r.v), type: r.t === null ? null : str(r.t), description: r.d === null ? null : str(r.d) });
  }
  const { entries, problems } = groupConfigRows(rows);
  for (const entry of entries) {
    if (entry.rowKeys.length > 1) t.chunks.ok();
    if (!key || !isEncryptedConfigType(entry.type) || !entry.value) continue;
    const value = entry.value;
    const label = entry.rowKeys.length > 1 ? `${entry.key} (${entry.rowKeys.length} chunks)` : entry.key;
    tryDecrypt(t, t.config, label, () => decryptConfigValue(key, value));
  }
  for (const p of problems) t.chunks.fail(`${p.key}: ${p.detail}`);
}

/** Encrypted values in a database, by kind (what an encKey would be needed for). */
export interface EncryptedCounts {
  seeds: number;
  pins: number;
  ocra: number;
  config: number;
  total: number;
}

/**
 * Counts the encrypted values of a LinOTP 2 or 3 database with the same column list as the key
 * checks above (`Token` and `Config`, any case; a database without them holds none). Every
 * encrypted value is tried whatever the key, so any key gives the same counts.
 */
export async function countEncryptedValues(db: Db, anyKey: EncKey): Promise<EncryptedCounts> {
  const tables = await db.listTables();
  const find = (n: string) => tables.find((x) => x.toLowerCase() === n);
  const t = newTallies();
  const token = find('token');
  const config = find('config');
  if (token) await checkTokens(db, token, anyKey, t);
  if (config) await checkConfig(db, config, anyKey, t);
  const counts = { seeds: t.seeds.checked, pins: t.pins.checked, ocra: t.ocra.checked, config: t.config.checked };
  return { ...counts, total: counts.seeds + counts.pins + counts.ocra + counts.config };
}
