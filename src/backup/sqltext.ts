/**
 * SQL text of dumps: undoing PostgreSQL COPY escapes, and the engine-independent row checksum used in
 * manifests. Dumps are written by the servers themselves (Db.dumpRows: SQLite quote(), PostgreSQL COPY TO)
 * or exactly as they would (MySQL QUOTE()/HEX(), src/db/mysql-dump.ts); the other JS writer the code uses is
 * src/db/postgres.ts copyField (cross-engine loads).
 */
import { createHash, type Hash } from 'node:crypto';
import type { SqlValue } from '../db/types.js';

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
