/**
 * Opens a database by URL. Adapters (and with them the drivers) are imported lazily so that
 * commands which never touch a database — and `--help` — do not load mysql2, pg or better-sqlite3.
 */
import type { OpenOptions } from './common.js';
import type { Db, DbUrl } from './types.js';
import { parseDbUrl } from './url.js';

export type { OpenOptions } from './common.js';
export { describeDbUrl, formatDbUrl, parseDbUrl } from './url.js';

export async function openDatabase(url: string | DbUrl, opts: OpenOptions = {}): Promise<Db> {
  const parsed = typeof url === 'string' ? parseDbUrl(url) : url;
  switch (parsed.engine) {
    case 'mysql':
      return (await import('./mysql.js')).open(parsed, opts);
    case 'postgres':
      return (await import('./postgres.js')).open(parsed, opts);
    case 'sqlite':
      return (await import('./sqlite.js')).open(parsed, opts);
  }
}
