/**
 * Step 3.1.0.0: move every encKey-encrypted value from the LinOTP 2 padding (`01 02 00*`) to PKCS#7,
 * in the exact form LinOTP 3.4 reads (src/crypto/values.ts explains each form):
 *  - token seeds (same IV), encrypted Config values (new random IV, Type → encrypted_data) — what
 *    LinOTP's own step does;
 *  - and what LinOTP misses (linotp-schema.md §3.3): `@@` OTP PINs (IV = LinOtpSeed, or 3.4 never
 *    accepts the PIN again), user and SO PINs (same IV), the ocra/ocra2 `sharedSecret` inside
 *    TokenInfo (same IV), and chunked encrypted Config values (reassembled, re-encrypted, re-chunked).
 *
 * Rule per value: legacy padding → re-encrypt; PKCS#7 → leave alone. That makes the step idempotent
 * and resumable, and also repairs databases LinOTP 3.1+ already migrated with its gaps.
 * A value the key does not decrypt is a failure; the caller refuses to change anything then.
 */
import { groupConfigRows, type ChunkProblem, type ConfigRow } from '../crypto/chunks.js';
import type { EncKey } from '../crypto/enckey.js';
import type { Decrypted } from '../crypto/values.js';
import { TOKEN_SECRET_COLUMNS, TOKEN_SECRETS, type TokenSecretKind } from '../crypto/token-secrets.js';
import { isEncryptedConfigType, reencryptConfigValue } from '../crypto/values.js';
import type { Db, Row, SqlValue } from '../db/types.js';
import { readConfigRows, type Tables } from './sql.js';
import { quiet } from './promises.js';

export type ValueKind = TokenSecretKind | 'config' | 'chunkedConfig';
export const VALUE_KINDS: ValueKind[] = ['seed', 'otpPin', 'userPin', 'soPin', 'ocraSecret', 'config', 'chunkedConfig'];
export type Counts = Record<ValueKind, number>;
export const zeroCounts = (): Counts => ({ seed: 0, otpPin: 0, userPin: 0, soPin: 0, ocraSecret: 0, config: 0, chunkedConfig: 0 });

export interface ValueFailure {
  /** `token <serial>` or `config <key>` — never the value. */
  where: string;
  kind: ValueKind;
  reason: string;
}

export interface TokenRowResult {
  /** Column → new value; empty when nothing changes. */
  update: Record<string, string>;
  legacy: Partial<Counts>;
  pkcs7: Partial<Counts>;
  failures: ValueFailure[];
}

/** The Token columns step 3.1.0.0 reads (src/crypto/token-secrets.ts). */
export const TOKEN_CRYPTO_COLUMNS = TOKEN_SECRET_COLUMNS;

const s = (v: unknown): string => (v === null || v === undefined ? '' : String(v));

/**
 * Pure: what re-encryption changes in one Token row. `checkOnly` (the plan): the same counts and
 * failures, but nothing is encrypted and `update` stays empty.
 */
export function processTokenRow(key: EncKey, row: Row, opts: { checkOnly?: boolean } = {}): TokenRowResult {
  const out: TokenRowResult = { update: {}, legacy: {}, pkcs7: {}, failures: [] };
  const where = `token ${s(row.LinOtpTokenSerialnumber) || `#${s(row.LinOtpTokenId)}`}`;
  for (const secret of TOKEN_SECRETS) {
    if (!secret.present(row)) continue;
    // Without its IV such a value cannot be re-encrypted in place: left as it is (verify reports it).
    if (secret.rewriteNeedsIv && !s(row[secret.ivColumn!])) continue;
    let r: Decrypted<string> | undefined;
    try {
      r = secret.reencrypt(key, row, opts.checkOnly ? 'check' : 'pkcs7');
    } catch (e) {
      out.failures.push({ where, kind: secret.kind, reason: `malformed: ${(e as Error).message}` });
      continue;
    }
    if (!r) continue;
    if (!r.ok) {
      out.failures.push({ where, kind: secret.kind, reason: r.reason });
    } else if (r.padding === 'legacy') {
      if (!opts.checkOnly) out.update[secret.column] = r.value;
      out.legacy[secret.kind] = (out.legacy[secret.kind] ?? 0) + 1;
    } else {
      out.pkcs7[secret.kind] = (out.pkcs7[secret.kind] ?? 0) + 1;
    }
  }
  return out;
}

/** LinOTP's chunk size for ASCII values (`MAX_VALUE_LEN = 2000 - 6`). */
export const CONFIG_CHUNK_LEN = 1994;

export interface ConfigChange {
  key: string;
  kind: 'config' | 'chunkedConfig';
  /** Physical rows to delete (old chunks) before inserting `rows`; for plain rows just the key. */
  deleteKeys: string[];
  rows: ConfigRow[];
}

export interface ConfigResult {
  changes: ConfigChange[];
  legacy: Partial<Counts>;
  pkcs7: Partial<Counts>;
  failures: ValueFailure[];
  chunkProblems: ChunkProblem[];
}

/** Rows LinOTP 3.4 writes for a (possibly long) value (`_store_continous_entry_db`). */
export function chunkConfigValue(key: string, value: string, type: string | null, description: string | null): ConfigRow[] {
  if (value.length <= CONFIG_CHUNK_LEN) return [{ key, value, type, description }];
  const parts: string[] = [];
  for (let i = 0; i < value.length; i += CONFIG_CHUNK_LEN) parts.push(value.slice(i, i + CONFIG_CHUNK_LEN));
  const n = parts.length - 1;
  return parts.map((v, i) => ({
    key: i === 0 ? key : `${key}__[${i}:${n}]`,
    value: v,
    type: i === n ? type : 'C',
    description: i === n ? description : `${i}:${n}`,
  }));
}

/** Pure: what re-encryption changes in the Config table. */
export function processConfigRows(key: EncKey, rows: ConfigRow[]): ConfigResult {
  const out: ConfigResult = { changes: [], legacy: {}, pkcs7: {}, failures: [], chunkProblems: [] };
  const { entries, problems } = groupConfigRows(rows);
  out.chunkProblems = problems.filter((p) => p.rowKeys.some((k) => isEncryptedConfigType(rows.find((r) => r.key === k)?.type)));
  for (const e of entries) {
    if (!isEncryptedConfigType(e.type) || !e.value) continue;
    const kind: ValueKind = e.rowKeys.length > 1 ? 'chunkedConfig' : 'config';
    let r: Decrypted<string>;
    try {
      r = reencryptConfigValue(key, e.value);
    } catch (err) {
      out.failures.push({ where: `config ${e.key}`, kind, reason: `malformed: ${(err as Error).message}` });
      continue;
    }
    if (!r.ok) {
      out.failures.push({ where: `config ${e.key}`, kind, reason: r.reason });
      continue;
    }
    if (r.padding === 'pkcs7') {
      out.pkcs7[kind] = (out.pkcs7[kind] ?? 0) + 1;
      continue;
    }
    out.legacy[kind] = (out.legacy[kind] ?? 0) + 1;
    // 'password' is the legacy spelling; LinOTP's 3.1.0.0 unifies it to encrypted_data.
    out.changes.push({ key: e.key, kind, deleteKeys: e.rowKeys, rows: chunkConfigValue(e.key, r.value, 'encrypted_data', e.description) });
  }
  return out;
}

export interface ReencryptSummary {
  /** Values in the LinOTP 2 padding (re-encrypted by apply). */
  legacy: Counts;
  /** Values already in PKCS#7 (left alone). */
  pkcs7: Counts;
  failures: ValueFailure[];
  chunkProblems: ChunkProblem[];
  tokens: number;
}

const add = (into: Counts, from: Partial<Counts>) => {
  // Only the kinds present (a token has one or two): this runs twice per token per pass.
  for (const k in from) into[k as ValueKind] += from[k as ValueKind] ?? 0;
};

const PAGE = 1000;

/**
 * Walks the tokens in id order (keyset pages, bounded memory) and the Config table; with `write`
 * it applies the changes through `db` (pass the step's transaction handle).
 */
export async function runReencryption(
  db: Db,
  t: Tables,
  key: EncKey,
  opts: { write: boolean; skipFailures?: boolean; onTokens?: (n: number) => void },
): Promise<ReencryptSummary> {
  const sum: ReencryptSummary = { legacy: zeroCounts(), pkcs7: zeroCounts(), failures: [], chunkProblems: [], tokens: 0 };
  const cfg = processConfigRows(key, await readConfigRows(db, t));
  add(sum.legacy, cfg.legacy);
  add(sum.pkcs7, cfg.pkcs7);
  sum.failures.push(...cfg.failures);
  sum.chunkProblems = cfg.chunkProblems;
  if (opts.write) {
    for (const ch of cfg.changes) {
      for (const k of ch.deleteKeys) await db.execute(`DELETE FROM ${t.t('Config')} WHERE ${t.c('Key')} = ?`, [k]);
      for (const r of ch.rows) {
        await db.execute(
          `INSERT INTO ${t.t('Config')} (${t.c('Key')}, ${t.c('Value')}, ${t.c('Type')}, ${t.c('Description')}) VALUES (?, ?, ?, ?)`,
          [r.key, r.value, r.type, r.description],
        );
      }
    }
  }

  if (!t.has('Token')) return sum;
  const cols = TOKEN_CRYPTO_COLUMNS.map((c) => t.c(c)).join(', ');
  const idCol = t.c('LinOtpTokenId');
  const fetchAfter = (last: SqlValue) => quiet(db.query(`SELECT ${cols} FROM ${t.t('Token')} WHERE ${idCol} > ? ORDER BY ${idCol} LIMIT ${PAGE}`, [last]));
  // A pipeline of three stages, so that the database and we work at the same time (one core each):
  // the next page is asked for before this one is decrypted, and this page's UPDATE runs while the
  // next page is decrypted. On one connection the statements still run in the order sent; the
  // pages are disjoint id ranges. Every UPDATE is awaited before returning, so an error still
  // reaches the caller (and its transaction) before anything commits.
  let next = fetchAfter(-1);
  let writing: Promise<void> = Promise.resolve();
  for (;;) {
    const page = await next;
    if (page.length === 0) break;
    next = fetchAfter(Number(page[page.length - 1].LinOtpTokenId));
    const updates: { id: SqlValue; cols: Record<string, string> }[] = [];
    for (const row of page) {
      const r = processTokenRow(key, row, { checkOnly: !opts.write });
      add(sum.legacy, r.legacy);
      add(sum.pkcs7, r.pkcs7);
      if (r.failures.length) sum.failures.push(...r.failures);
      if (hasKeys(r.update) && (r.failures.length === 0 || opts.skipFailures)) updates.push({ id: row.LinOtpTokenId, cols: r.update });
    }
    await writing;
    if (opts.write && updates.length) writing = quiet(updateTokens(db, t, updates));
    sum.tokens += page.length;
    opts.onTokens?.(page.length);
  }
  await writing;
  return sum;
}

function hasKeys(o: object): boolean {
  for (const _ in o) return true;
  return false;
}

/**
 * One UPDATE per page instead of one per token (round trips dominate on MySQL/PostgreSQL):
 * `SET col = CASE id WHEN ? THEN ? … ELSE col END … WHERE id IN (…)`, per column touched.
 */
async function updateTokens(db: Db, t: Tables, updates: { id: SqlValue; cols: Record<string, string> }[]): Promise<void> {
  const idCol = t.c('LinOtpTokenId');
  for (let i = 0; i < updates.length; i += 500) {
    const batch = updates.slice(i, i + 500);
    const columns = [...new Set(batch.flatMap((u) => Object.keys(u.cols)))];
    const params: SqlValue[] = [];
    const sets = columns.map((c) => {
      const rows = batch.filter((u) => c in u.cols);
      for (const u of rows) params.push(u.id, u.cols[c]);
      return `${t.c(c)} = CASE ${idCol} ${rows.map(() => 'WHEN ? THEN ?').join(' ')} ELSE ${t.c(c)} END`;
    });
    params.push(...batch.map((u) => u.id));
    await db.execute(`UPDATE ${t.t('Token')} SET ${sets.join(', ')} WHERE ${idCol} IN (${batch.map(() => '?').join(', ')})`, params);
  }
}

export function totalCount(c: Counts): number {
  return VALUE_KINDS.reduce((n, k) => n + c[k], 0);
}
