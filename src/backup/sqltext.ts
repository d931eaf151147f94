/**
 * SQL text for dumps: literals per dialect, PostgreSQL COPY fields, and the engine-independent
 * row checksum used in manifests (computed over values exactly as the dump reader returns them,
 * so `verify` can recheck an archive without a database).
 */
import { createHash, type Hash } from 'node:crypto';
import type { Engine, SqlValue } from '../db/types.js';

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

/**
 * The value as the dump of `engine` carries it, for checksums: PostgreSQL dumps carry text,
 * MySQL/SQLite dumps carry numbers, strings and bytes.
 */
export function canonical(v: SqlValue, engine: Engine): string {
  if (engine === 'postgres') {
    const t = pgText(v);
    return t === null ? 'N' : 'S' + t;
  }
  if (v === null || v === undefined) return 'N';
  if (Buffer.isBuffer(v)) return 'X' + v.toString('hex');
  if (typeof v === 'boolean') return v ? 'S1' : 'S0';
  return 'S' + String(v);
}

/** Order-sensitive SHA-256 over the rows of one table. */
export class RowHasher {
  private readonly h: Hash = createHash('sha256');
  private pending: string[] = [];
  private size = 0;
  rows = 0;
  constructor(private readonly engine: Engine) {}
  add(row: SqlValue[]): void {
    // Same byte stream as hashing `${len}:${value}` per value and '\n' per row, in fewer update() calls.
    let line = '';
    for (const v of row) {
      const c = canonical(v, this.engine);
      line += `${c.length}:${c}`;
    }
    this.pending.push(line, '\n');
    this.size += line.length + 1;
    this.rows++;
    if (this.size > 1 << 16) this.flush();
  }
  private flush(): void {
    if (this.pending.length) this.h.update(this.pending.join(''));
    this.pending = [];
    this.size = 0;
  }
  digest(): string {
    this.flush();
    return this.h.digest('hex');
  }
}
