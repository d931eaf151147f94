/**
 * Pieces the three adapters share: placeholder scanning, insert chunking, error wording.
 * No driver is imported here.
 */
import { hostname } from 'node:os';
import { DatabaseError, redactSecrets } from '../errors.js';
import type { DbUrl, Engine, SqlValue } from './types.js';
import { describeDbUrl } from './url.js';

export interface OpenOptions {
  /** SQLite: create the file when it does not exist (default false: a missing file is an error). */
  create?: boolean;
  /** Connection timeout in milliseconds (default 10000). */
  connectTimeoutMs?: number;
  /** MySQL/PostgreSQL pool size (default 8). */
  poolSize?: number;
}

/**
 * Finds the `?` placeholders that are outside string literals, quoted identifiers and comments.
 * `backslashEscapes`: MySQL strings (and PostgreSQL E'' strings) treat `\` as an escape.
 */
export function placeholderPositions(sql: string, engine: Engine): number[] {
  const out: number[] = [];
  const n = sql.length;
  let i = 0;
  while (i < n) {
    const c = sql[i];
    if (c === '?') {
      out.push(i);
      i++;
    } else if (c === "'" || c === '"' || (c === '`' && engine === 'mysql')) {
      const escapes = engine === 'mysql' || (c === "'" && i > 0 && /[eE]/.test(sql[i - 1]) && !/\w/.test(sql[i - 2] ?? ''));
      i++;
      while (i < n) {
        if (escapes && sql[i] === '\\' && c !== '`') {
          i += 2;
        } else if (sql[i] === c) {
          if (sql[i + 1] === c) i += 2;
          else {
            i++;
            break;
          }
        } else i++;
      }
    } else if (c === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i);
      i = end < 0 ? n : end + 1;
    } else if (c === '#' && engine === 'mysql') {
      const end = sql.indexOf('\n', i);
      i = end < 0 ? n : end + 1;
    } else if (c === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      i = end < 0 ? n : end + 2;
    } else if (c === '$' && engine === 'postgres') {
      const m = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(i, i + 64));
      if (m && !/[\w$]/.test(sql[i - 1] ?? '')) {
        const end = sql.indexOf(m[0], i + m[0].length);
        i = end < 0 ? n : end + m[0].length;
      } else i++;
    } else i++;
  }
  return out;
}

/** Replaces each placeholder with `replace(index)` (0-based). Throws when the count does not match. */
export function substitutePlaceholders(sql: string, engine: Engine, count: number, replace: (index: number) => string): string {
  const pos = placeholderPositions(sql, engine);
  if (pos.length !== count) {
    throw new DatabaseError(`statement has ${pos.length} placeholder(s) but ${count} parameter(s) were given`);
  }
  if (count === 0) return sql;
  let out = '';
  let last = 0;
  pos.forEach((p, k) => {
    out += sql.slice(last, p) + replace(k);
    last = p + 1;
  });
  return out + sql.slice(last);
}

/** Rough size of a value in SQL text, for packet-size chunking. */
/** A literal for Dialect.endsWith: refused when it would need quoting or be a LIKE pattern. */
export function plainSuffix(suffix: string): string {
  if (/['\\%_]/.test(suffix)) throw new Error(`internal: endsWith suffix ${JSON.stringify(suffix)} needs escaping`);
  return suffix;
}

export function approxSqlSize(v: SqlValue): number {
  if (v === null || v === undefined) return 4;
  if (typeof v === 'string') return v.length * 2 + 2; // escapes may double a few characters
  if (Buffer.isBuffer(v)) return v.length * 2 + 3;
  return 24;
}

/**
 * Splits rows into chunks so that one multi-row INSERT stays under `maxParams` bound values and
 * about `maxBytes` of data, and at most `maxRows` rows.
 */
export function* chunkRows(rows: SqlValue[][], columns: number, limits: { maxParams?: number; maxBytes: number; maxRows: number }): Generator<SqlValue[][]> {
  const byParams = limits.maxParams ? Math.max(1, Math.floor(limits.maxParams / Math.max(1, columns))) : Infinity;
  const maxRows = Math.min(limits.maxRows, byParams);
  let chunk: SqlValue[][] = [];
  let bytes = 0;
  for (const row of rows) {
    if (row.length !== columns) {
      throw new DatabaseError(`insertMany: a row has ${row.length} values for ${columns} columns`);
    }
    let size = 4;
    for (const v of row) size += approxSqlSize(v) + 1;
    if (chunk.length > 0 && (chunk.length >= maxRows || bytes + size > limits.maxBytes)) {
      yield chunk;
      chunk = [];
      bytes = 0;
    }
    chunk.push(row);
    bytes += size;
  }
  if (chunk.length > 0) yield chunk;
}

interface DriverErrorLike {
  code?: string;
  errno?: number;
  message?: string;
}

/** The fix to suggest for a connection failure, by driver error code. */
function connectHint(url: DbUrl, err: DriverErrorLike): string {
  const where = url.params.unix_socket ?? `${url.host ?? 'localhost'}${url.port ? ':' + url.port : ''}`;
  switch (err.code) {
    case 'ER_ACCESS_DENIED_ERROR':
    case 'ER_ACCESS_DENIED_NO_PASSWORD_ERROR': // MariaDB's answer to a wrong password (1698), also for a database the user may not use
    case 'ER_DBACCESS_DENIED_ERROR':
    case '28P01':
    case '28000':
      return 'check the user name and password in the database URL (special characters must be percent-encoded, e.g. @ as %40)';
    case 'ER_BAD_DB_ERROR':
    case '3D000':
      return 'check the database name, or create the database first';
    case 'ECONNREFUSED':
    case 'ENOENT':
      return `is the database server running and listening on ${where}?`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `the host name ${url.host ?? ''} cannot be resolved; check it`;
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `no answer from ${where}; check the host, port and firewall`;
    default:
      return 'check the database URL and that the server is reachable';
  }
}

/** Makes the one-line connection error (`cannot connect to mysql://linotp:***@db/LinOTP2: …`). */
export function connectError(url: DbUrl, err: unknown): DatabaseError {
  const e = (err ?? {}) as DriverErrorLike;
  let detail = e.message || e.code || String(err);
  if (!e.message && e.code === 'ETIMEDOUT') detail = 'connection timed out';
  // Some drivers aggregate (AggregateError with empty message): use the first inner error.
  const inner = (err as { errors?: DriverErrorLike[] })?.errors?.[0];
  if (!detail && inner) detail = inner.message ?? inner.code ?? '';
  let code = e.code ?? inner?.code;
  if (!code && /timeout|timed out|terminated unexpectedly/i.test(detail)) code = 'ETIMEDOUT';
  return new DatabaseError(`cannot connect to ${describeDbUrl(url)}: ${cleanDriverMessage(detail, url)}`, connectHint(url, { ...e, code }), err);
}

/** One line, no secrets: driver messages sometimes span lines or quote the URL. */
export function cleanDriverMessage(message: string, url?: DbUrl): string {
  let text = redactSecrets(String(message).split('\n')[0].trim());
  // Drivers do not quote passwords, but be sure; very short ones would mangle ordinary words.
  if (url?.password && url.password.length >= 4) text = text.split(url.password).join('***');
  return text;
}

/** Wraps a failed statement in a DatabaseError naming the statement's start. */
export function statementError(err: unknown, sql: string, url: DbUrl): DatabaseError {
  if (err instanceof DatabaseError) return err;
  const e = err as DriverErrorLike;
  // Safety nets for commands that reach a replica without taking a lock first (withLock refuses it before any work).
  if (e?.code === '25006') {
    return new DatabaseError(`${describeDbUrl(url)} is read-only (a PostgreSQL standby, or default_transaction_read_only): the statement was refused (in: ${sql.replace(/\s+/g, ' ').trim().slice(0, 40)} …)`, 'point the database URI at the primary', err);
  }
  if (e?.errno === 1047 && /WSREP/i.test(e?.message ?? '')) {
    return new DatabaseError(`the Galera node ${describeDbUrl(url)} is not ready (not Synced or without quorum): the statement was refused`, 'connect to a Synced node of the primary component', err);
  }
  const head = sql.replace(/\s+/g, ' ').trim().slice(0, 80);
  return new DatabaseError(`${cleanDriverMessage(e?.message ?? String(err), url)} (in: ${head}${sql.length > 80 ? ' …' : ''})`, undefined, err);
}

/**
 * The one lock of a target database: every mutating command (backup restore, init database, admin
 * fix-db-encoding, audit to-utc, backup catch-up, local-admins changes) takes this same lock, so
 * two of them never interleave on one database (an `init database` during a restore would upgrade
 * the tables the restore's swap then throws away). Each adapter maps it onto its engine's mechanism
 * (Db.withLock); the purpose only names the command in messages.
 */
export const DATABASE_LOCK = 'linotp-migrate';

/** The error for the database lock another run holds. `purpose` names the command that was refused. */
export function lockHeldError(purpose: string, url: DbUrl, holder: string): DatabaseError {
  return new DatabaseError(
    `${purpose} refused: another linotp-migrate run holds the lock of ${describeDbUrl(url)} (${holder}); nothing was changed`,
    'wait for the other linotp-migrate run to finish, then try again',
  );
}

export const thisHost = hostname();

/** A Date as a naive `YYYY-MM-DD HH:MM:SS.ffffff` in local time (how SQLAlchemy writes naive datetimes). */
export function naiveDateString(d: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds() * 1000, 6)}`;
}

/** Integers beyond 2^53 come back as strings so no digit is lost; safe ones as numbers. */
export function normalizeBigInt(v: bigint): number | string {
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
}

/**
 * Re-entrancy of the database lock on one handle: a command holding it may call another library
 * function that takes it, so `withLock` runs `fn` at once when this handle already holds it.
 */
export class LockDepth {
  private depth = 0;

  get held(): boolean {
    return this.depth > 0;
  }

  async inside<T>(fn: () => Promise<T>): Promise<T> {
    this.depth++;
    try {
      return await fn();
    } finally {
      this.depth--;
    }
  }
}
