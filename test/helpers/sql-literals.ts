// Literal writers in the forms mariadb-dump and sqlite3's .dump write, for tests that generate dumps.
// The tool itself never writes these: the servers format the dumps it creates (Db.dumpRows).
import type { SqlValue } from '../../src/db/types.js';

const MYSQL_ESCAPES: Record<string, string> = { '\0': '\\0', '\n': '\\n', '\r': '\\r', '\\': '\\\\', "'": "\\'", '"': '\\"', '\x1a': '\\Z' };

export function mysqlLiteral(v: SqlValue): string {
  if (v === null || v === undefined) return 'NULL';
  if (Buffer.isBuffer(v)) return v.length ? '0x' + v.toString('hex').toUpperCase() : "X''";
  if (typeof v === 'boolean') return v ? '1' : '0';
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  if (v instanceof Date) throw new Error('dates must arrive as strings');
  return "'" + v.replace(/[\0\n\r\\'"\x1a]/g, (c) => MYSQL_ESCAPES[c]) + "'";
}

export function sqliteLiteral(v: SqlValue): string {
  if (v === null || v === undefined) return 'NULL';
  if (Buffer.isBuffer(v)) return "X'" + v.toString('hex').toUpperCase() + "'";
  if (typeof v === 'boolean') return v ? '1' : '0';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : 'NULL';
  if (typeof v === 'bigint') return String(v);
  if (v instanceof Date) throw new Error('dates must arrive as strings');
  return "'" + v.replace(/'/g, "''") + "'";
}

/** PostgreSQL's text form of a value (what COPY carries before escaping): the expected side of COPY round trips. */
export function pgText(v: SqlValue): string | null {
  if (v === null || v === undefined) return null;
  if (Buffer.isBuffer(v)) return '\\x' + v.toString('hex');
  if (typeof v === 'boolean') return v ? 't' : 'f';
  if (v instanceof Date) throw new Error('dates must arrive as strings');
  return String(v);
}
