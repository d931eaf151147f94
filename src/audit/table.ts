/**
 * Finding the audit table. LinOTP 2 names it `<linotpAudit.sql.table_prefix>audit` (prefix default
 * empty) and may keep it in its own database (`linotpAudit.sql.url`); LinOTP 3 always calls it `audit`.
 */
import { InputError } from '../errors.js';
import type { Db, SqlValue } from '../db/types.js';
import { describeDbUrl } from '../db/index.js';

export const DEFAULT_AUDIT_TABLE = 'audit';

/** The audit table's name as stored (MySQL on case-insensitive file systems may report another case). */
export async function findAuditTable(db: Db, table = DEFAULT_AUDIT_TABLE): Promise<string | undefined> {
  const tables = await db.listTables();
  return tables.find((t) => t === table) ?? tables.find((t) => t.toLowerCase() === table.toLowerCase());
}

export async function requireAuditTable(db: Db, table = DEFAULT_AUDIT_TABLE): Promise<string> {
  const found = await findAuditTable(db, table);
  if (!found) {
    throw new InputError(
      `no audit table "${table}" in ${describeDbUrl(db.url)}`,
      'LinOTP 2 may keep the audit trail in another database (linotpAudit.sql.url) or under a prefix (linotpAudit.sql.table_prefix): point --database-uri at it or name it with --audit-table',
    );
  }
  return found;
}

/** `SELECT COUNT(*)` result as a number whatever the driver returns (PG: string, SQLite: bigint). */
export function toCount(v: SqlValue | undefined): number {
  if (v === null || v === undefined) return 0;
  return Number(v);
}

/** Ids as JSON-friendly values: numbers when exact, else the decimal string. */
export function idValue(v: SqlValue): number | string {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  const n = Number(v);
  return typeof v === 'string' && Number.isSafeInteger(n) ? n : String(v);
}

/** Minimal progress sink (src/cli/output.ts Progress fits it). */
export interface ProgressSink {
  tick(n?: number): void;
  setTotal?(total: number): void;
  finish?(): void;
}

/** Gives the progress bar its total (one COUNT(*)); skipped when nobody listens. */
export async function announceTotal(db: Db, table: string, progress?: ProgressSink): Promise<void> {
  if (!progress?.setTotal) return;
  const [c] = await db.query(`SELECT COUNT(*) AS n FROM ${db.dialect.quoteIdent(table)}`);
  progress.setTotal(toCount(c?.n));
}
