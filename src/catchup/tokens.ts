/**
 * The token state `backup catch-up` compares: one row per serial number, read from the old
 * (LinOTP 2) and the new (LinOTP 3) database. Column names are the same in both models; columns
 * an older LinOTP 2 lacks (the last-authentication times came with 2.12) are simply absent.
 */
import type { Db, Row, SqlValue } from '../db/types.js';
import { InputError } from '../errors.js';

/** What moves on a running server, and is carried over. */
export const STATE_COLUMNS = ['LinOtpCount', 'LinOtpFailCount', 'LinOtpIsactive', 'LinOtpLastAuthSuccess', 'LinOtpLastAuthMatch'] as const;
export type StateColumn = (typeof STATE_COLUMNS)[number];

export interface TokenState {
  id: number;
  serial: string;
  type: string;
  count: number;
  failCount: number;
  active: boolean;
  /** Normalised `YYYY-MM-DD HH:MM:SS[.ffffff]` (naive UTC, as LinOTP stores them), null when unset or absent. */
  lastAuthSuccess: string | null;
  lastAuthMatch: string | null;
  keyEnc: string | null;
  keyIv: string | null;
  /** Realm names the token belongs to (lower case, as LinOTP stores them). */
  realms: string[];
}

export interface TokenTables {
  token: string;
  tokenRealm?: string;
  realm?: string;
  /** Columns of the Token table (to copy new tokens, and to know what an old model lacks). */
  columns: string[];
}

export async function findTokenTables(db: Db, where: string): Promise<TokenTables> {
  const tables = await db.listTables();
  const find = (n: string) => tables.find((t) => t === n) ?? tables.find((t) => t.toLowerCase() === n.toLowerCase());
  const token = find('Token');
  if (!token) throw new InputError(`${where} has no LinOTP Token table`, 'is this the LinOTP database? check the URI or --ini');
  const columns = (await db.listColumns(token)).map((c) => c.name);
  for (const c of ['LinOtpTokenSerialnumber', 'LinOtpCount', 'LinOtpFailCount', 'LinOtpIsactive']) {
    if (!columns.includes(c)) throw new InputError(`${where}: the Token table has no ${c} column`, 'this is not a LinOTP 2 or 3 Token table');
  }
  return { token, tokenRealm: find('TokenRealm'), realm: find('Realm'), columns };
}

/**
 * `2024-05-01T10:00:00Z`, `2024-05-01 10:00:00.000000`, PostgreSQL's `… 10:00:00.5`, a Date … →
 * `2024-05-01 10:00:00` or, with a fraction, always six digits (`… 10:00:00.500000`): strings in
 * this form order like the times, and it is what SQLAlchemy writes and reads on SQLite (which would
 * read a short `.5` as 5 microseconds).
 */
export function normalizeTimestamp(v: SqlValue | undefined): string | null {
  if (v === null || v === undefined || v === '') return null;
  const s = v instanceof Date ? v.toISOString() : String(v);
  const m = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(?:\.(\d{1,6}))?/.exec(s);
  if (!m) return s;
  const frac = (m[3] ?? '').padEnd(6, '0');
  return `${m[1]} ${m[2]}${/^0*$/.test(frac) ? '' : '.' + frac}`;
}

const bool = (v: SqlValue | undefined): boolean => v === true || v === 1 || v === '1' || v === 't' || v === 'true' || (typeof v === 'bigint' && v === 1n);
const num = (v: SqlValue | undefined): number => (v === null || v === undefined ? 0 : Number(v));
const str = (v: SqlValue | undefined): string | null => (v === null || v === undefined ? null : Buffer.isBuffer(v) ? v.toString('utf8') : String(v));

/** Reads every token's state (use inside a snapshot transaction for a consistent picture). */
export async function readTokenStates(db: Db, t: TokenTables): Promise<Map<string, TokenState>> {
  const q = (n: string) => db.dialect.quoteIdent(n);
  const want = ['LinOtpTokenId', 'LinOtpTokenSerialnumber', 'LinOtpTokenType', 'LinOtpKeyEnc', 'LinOtpKeyIV', ...STATE_COLUMNS].filter((c) => t.columns.includes(c));
  const realmsOf = new Map<number, string[]>();
  if (t.tokenRealm && t.realm) {
    const rows = await db.query(`SELECT tr.${q('token_id')} AS tid, r.${q('name')} AS name FROM ${q(t.tokenRealm)} tr JOIN ${q(t.realm)} r ON r.${q('id')} = tr.${q('realm_id')}`);
    for (const r of rows) {
      const id = Number(r.tid);
      const list = realmsOf.get(id) ?? [];
      list.push(String(r.name));
      realmsOf.set(id, list);
    }
  }
  const out = new Map<string, TokenState>();
  for await (const batch of db.stream(`SELECT ${want.map(q).join(', ')} FROM ${q(t.token)}`, [], { batchSize: 2000 })) {
    for (const r of batch) out.set(String(r.LinOtpTokenSerialnumber), toState(r, realmsOf));
  }
  return out;
}

function toState(r: Row, realmsOf: Map<number, string[]>): TokenState {
  const id = Number(r.LinOtpTokenId);
  return {
    id,
    serial: String(r.LinOtpTokenSerialnumber),
    type: String(r.LinOtpTokenType ?? ''),
    count: num(r.LinOtpCount),
    failCount: num(r.LinOtpFailCount),
    active: bool(r.LinOtpIsactive),
    lastAuthSuccess: normalizeTimestamp(r.LinOtpLastAuthSuccess),
    lastAuthMatch: normalizeTimestamp(r.LinOtpLastAuthMatch),
    keyEnc: str(r.LinOtpKeyEnc),
    keyIv: str(r.LinOtpKeyIV),
    realms: (realmsOf.get(id) ?? []).sort(),
  };
}
