/**
 * SQL text for dumps: literals per dialect, PostgreSQL COPY fields, and the engine-independent
 * row checksum used in manifests (computed over values exactly as the dump reader returns them,
 * so `verify` can recheck an archive without a database).
 */
import { createHash, type Hash } from 'node:crypto';
import type { SqlValue } from '../db/types.js';

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

/** PostgreSQL's text form of a value (what COPY carries before escaping). */
export function pgText(v: SqlValue): string | null {
  if (v === null || v === undefined) return null;
  if (Buffer.isBuffer(v)) return '\\x' + v.toString('hex');
  if (typeof v === 'boolean') return v ? 't' : 'f';
  if (v instanceof Date) throw new Error('dates must arrive as strings');
  return String(v);
}

const COPY_ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

export function copyField(v: SqlValue): string {
  const t = pgText(v);
  if (t === null) return '\\N';
  return t.replace(/[\\\t\n\r]/g, (c) => COPY_ESCAPES[c]);
}

/** Undoes COPY text escaping (`\N` is handled by the caller). */
export function unescapeCopy(field: string): string {
  if (!field.includes('\\')) return field;
  return field.replace(/\\(?:([0-7]{1,3})|x([0-9a-fA-F]{1,2})|(.))/gs, (_, oct, hex, ch) => {
    if (oct) return String.fromCharCode(parseInt(oct, 8));
    if (hex) return String.fromCharCode(parseInt(hex, 16));
    switch (ch) {
      case 'b': return '\b';
      case 'f': return '\f';
      case 'n': return '\n';
      case 'r': return '\r';
      case 't': return '\t';
      case 'v': return '\v';
      default: return ch;
    }
  });
}

const NL = Buffer.from('\n');

/**
 * SHA-256 over a table's rows as the dump carries them, each followed by `\n`: PostgreSQL COPY
 * lines, MySQL/SQLite VALUES tuples `(…)`. `backup create` hashes the text it writes and the
 * reader hashes the text it reads, so an archive is rechecked without parsing a value, and two
 * backups of the same rows (rows in primary-key order, formatted by the same server) are equal.
 */
export class RowTextHasher {
  private readonly h: Hash = createHash('sha256');
  rows = 0;
  /** Rows whose text already ends in `\n` each (COPY lines, or tuples joined by the reader). */
  addLines(text: Buffer, rows: number): void {
    this.h.update(text);
    this.rows += rows;
  }
  addTuples(tuples: Buffer[]): void {
    const parts: Buffer[] = [];
    for (const t of tuples) parts.push(t, NL);
    this.h.update(Buffer.concat(parts));
    this.rows += tuples.length;
  }
  digest(): string {
    return this.h.digest('hex');
  }
}
