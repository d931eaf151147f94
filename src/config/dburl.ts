/**
 * LinOTP 2 `sqlalchemy.url` / `linotpAudit.sql.url` → the URL form LinOTP 3 uses.
 * LinOTP 3.x pins SQLAlchemy < 1.4 and depends only on mysqlclient (MySQLdb) and psycopg2:
 * mysql/mariadb/pymysql → `mysql+mysqldb` (what Debian's dbconfig writes), postgres → `postgresql`.
 * User and password are re-encoded by formatDbUrl, so `%`, `@`, `#`, `;`, `/`, `:` survive.
 */
import { formatDbUrl, parseDbUrl } from '../db/url.js';
import type { DbUrl } from '../db/types.js';
import { MigrateError, redactSecrets } from '../errors.js';
import { rebasePath } from './types.js';

export interface ConvertedUrl {
  value: string;
  display: string;
  url: DbUrl;
  notes: string[];
  /** A relative SQLite path: LinOTP 3 would resolve it against its working directory. */
  relativeSqlite: boolean;
}

export function convertDbUrl(raw: string, rebase: [string, string][]): ConvertedUrl {
  const url = parseDbUrl(raw);
  const notes: string[] = [];
  const scheme = url.scheme.toLowerCase();
  let out = scheme;
  if (url.engine === 'mysql') {
    out = 'mysql+mysqldb';
    if (scheme !== 'mysql' && scheme !== 'mysql+mysqldb') notes.push(`driver ${url.scheme} → mysql+mysqldb (the MySQL driver LinOTP 3 ships with)`);
  } else if (url.engine === 'postgres') {
    out = scheme.startsWith('postgresql') ? scheme : 'postgresql' + scheme.slice('postgres'.length);
    if (out !== scheme) notes.push('postgres:// → postgresql://');
  }
  let relativeSqlite = false;
  if (url.engine === 'sqlite' && url.database !== ':memory:') {
    if (url.database.startsWith('/')) {
      const r = rebasePath(url.database, rebase);
      if (r.rebased) notes.push(`SQLite file moved by --rebase to ${r.path}`);
      url.database = r.path;
    } else relativeSqlite = true;
  }
  const value = formatDbUrl(url, { scheme: out });
  return { value, display: formatDbUrl(url, { scheme: out, maskPassword: true }), url, notes, relativeSqlite };
}

/** The URL for reports: password masked, also when it cannot be parsed. */
export function maskUrl(raw: string): string {
  try {
    return formatDbUrl(parseDbUrl(raw), { maskPassword: true });
  } catch (err) {
    if (err instanceof MigrateError) return redactSecrets(raw);
    throw err;
  }
}

/** Same database? (compares the parsed URLs, ignoring the driver and parameter order) */
export function sameDatabase(a: DbUrl, b: DbUrl): boolean {
  return a.engine === b.engine && a.host === b.host && (a.port ?? 0) === (b.port ?? 0) && a.database === b.database && a.user === b.user;
}
