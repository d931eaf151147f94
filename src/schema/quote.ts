/**
 * Identifier quoting as SQLAlchemy does it in DDL: only when needed. A name is quoted when it is a
 * reserved word of the dialect, contains upper-case letters (so it keeps its case on PostgreSQL),
 * or has characters outside [a-z0-9_$] / starts with a digit or `$`.
 *
 * This is for DDL fidelity. Data statements may quote everything via `db.dialect.quoteIdent`.
 */
import type { Engine } from '../db/types.js';
import { MYSQL_RESERVED, POSTGRES_RESERVED, SQLITE_RESERVED } from './reserved.js';

const RESERVED: Record<Engine, Set<string>> = {
  mysql: MYSQL_RESERVED,
  postgres: POSTGRES_RESERVED,
  sqlite: SQLITE_RESERVED,
};

export function requiresQuotes(name: string, engine: Engine): boolean {
  const lc = name.toLowerCase();
  return RESERVED[engine].has(lc) || lc !== name || !/^[a-z_][a-z0-9_$]*$/.test(name);
}

export function quoteIdent(name: string, engine: Engine): string {
  if (!requiresQuotes(name, engine)) return name;
  if (engine === 'mysql') return '`' + name.replace(/`/g, '``') + '`';
  return '"' + name.replace(/"/g, '""') + '"';
}

/** Always quotes (for data statements built outside a Db, e.g. in SQL files). */
export function quoteAlways(name: string, engine: Engine): string {
  if (engine === 'mysql') return '`' + name.replace(/`/g, '``') + '`';
  return '"' + name.replace(/"/g, '""') + '"';
}
