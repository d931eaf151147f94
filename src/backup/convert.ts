/**
 * Cross-engine restores: which LinOTP table definition a dump table maps to, and how a value as one
 * engine's dump carries it becomes the value the target column takes (booleans t/f/0/1, PostgreSQL
 * `\x…` bytea text, numbers as text). Text is never re-encoded: double-encoded LinOTP 2 text stays
 * exactly as it is, for fix-db-encoding.
 */
import type { SqlValue } from '../db/types.js';
import { findTable, LINOTP_2_12, LINOTP_3_4, type LogicalType, type SchemaModel, type TableDef } from '../schema/tables.js';

/** LinOTP 2.x and 3.0 dumps have the 2.12 table shapes; 3.1+ the 3.4 ones. */
export function modelFor(version: string | null): SchemaModel {
  if (version === null || version === '') return LINOTP_2_12;
  const major = Number(version.split('.')[0]);
  return major >= 3 ? LINOTP_3_4 : LINOTP_2_12;
}

export function tableDefFor(model: SchemaModel, name: string): TableDef | undefined {
  return findTable(model, name) ?? findTable(model === LINOTP_2_12 ? LINOTP_3_4 : LINOTP_2_12, name);
}

const TRUE = new Set(['1', 't', 'true', 'y', 'yes', 'on']);
const FALSE = new Set(['0', 'f', 'false', 'n', 'no', 'off']);

export class ConversionError extends Error {}

export function convertValue(v: SqlValue, type: LogicalType): SqlValue {
  if (v === null || v === undefined) return null;
  switch (type.kind) {
    case 'boolean': {
      if (typeof v === 'boolean') return v;
      const s = String(v).toLowerCase();
      if (TRUE.has(s)) return true;
      if (FALSE.has(s)) return false;
      throw new ConversionError(`${JSON.stringify(String(v).slice(0, 20))} is not a boolean`);
    }
    case 'int': {
      if (typeof v === 'number' || typeof v === 'bigint') return v;
      if (typeof v === 'boolean') return v ? 1 : 0;
      const s = String(v).trim();
      if (!/^[-+]?\d+$/.test(s)) throw new ConversionError(`${JSON.stringify(s.slice(0, 20))} is not an integer`);
      const n = Number(s);
      return Number.isSafeInteger(n) ? n : s;
    }
    case 'binary': {
      if (Buffer.isBuffer(v)) return v;
      const s = String(v);
      if (/^\\x[0-9a-fA-F]*$/.test(s)) return Buffer.from(s.slice(2), 'hex');
      return Buffer.from(s, 'utf8');
    }
    case 'datetime': {
      // A short fraction (PostgreSQL writes `.5`) padded to microseconds: the same instant, and the
      // only form SQLAlchemy reads right on SQLite (it takes the digits as microseconds: `.5` = 5 µs).
      const t = typeof v === 'string' ? v : String(v);
      const m = /^(\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d)\.(\d{1,5})$/.exec(t);
      return m ? `${m[1]}.${m[2].padEnd(6, '0')}` : t;
    }
    case 'string':
    case 'text':
      if (Buffer.isBuffer(v)) return v.toString('utf8');
      if (typeof v === 'boolean') return v ? '1' : '0';
      return typeof v === 'string' ? v : String(v);
  }
}
