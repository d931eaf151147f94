/**
 * The old server's side of `backup catch-up`: its database (a URI, or the linotp.ini that names it),
 * or a newer backup of it, restored into a scratch SQLite file first (the backup is read exactly as
 * `backup restore` reads it, and the old server is never written to).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { openDatabase } from '../db/index.js';
import type { Db, DbUrl } from '../db/types.js';
import { describeDbUrl, parseDbUrl } from '../db/url.js';
import { InputError } from '../errors.js';

export interface OldServer {
  db: Db;
  /** For reports: the database (password hidden) or the backup file. */
  describe: string;
  close(): Promise<void>;
}

export function looksLikeUri(s: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(s);
}

/** Two URLs naming the same database (user and password aside). */
export function sameDatabase(a: DbUrl, b: DbUrl, cwd: string): boolean {
  if (a.engine !== b.engine) return false;
  if (a.engine === 'sqlite') return resolve(cwd, a.database) === resolve(cwd, b.database);
  const host = (u: DbUrl) => (!u.host || u.host === 'localhost' || u.host === '127.0.0.1' || u.host === '::1' ? 'local' : u.host.toLowerCase());
  const port = (u: DbUrl) => u.port ?? (u.engine === 'mysql' ? 3306 : 5432);
  return host(a) === host(b) && port(a) === port(b) && a.database === b.database;
}

/**
 * Opens the old server's database for reading. SQLite is opened query-only (`mode=ro`); MySQL and
 * PostgreSQL have no read-only connection option here, so the tokens are read in a READ ONLY
 * snapshot transaction and nothing else is ever sent but catalog queries.
 */
export async function openOldDatabase(uri: string): Promise<OldServer> {
  const url = parseDbUrl(uri);
  const db = await openDatabase(url.engine === 'sqlite' ? { ...url, params: { ...url.params, mode: 'ro' } } : url);
  return { db, describe: describeDbUrl(url), close: () => db.close() };
}

/** The scratch copy holds every token's (encrypted) seed: Ctrl-C or kill removes it, then ends as the signal would. */
function removeOnSignal(dir: string): () => void {
  const off = () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
  const handler = (signal: NodeJS.Signals) => {
    rmSync(dir, { recursive: true, force: true });
    off();
    process.kill(process.pid, signal);
  };
  process.once('SIGINT', handler);
  process.once('SIGTERM', handler);
  return off;
}

/** Restores the backup into a scratch SQLite database that is deleted on close. */
export async function openOldBackup(file: string, onProgress?: (msg: string) => void): Promise<OldServer> {
  if (!existsSync(file)) throw new InputError(`${file} does not exist`, 'give the old server\'s database URI, --from-ini, or a backup file');
  const { openBackup } = await import('../backup/source.js');
  const { inspectDump } = await import('../backup/inspect.js');
  const { planRestore, applyRestore } = await import('../backup/restore.js');
  const dir = mkdtempSync(join(tmpdir(), 'linotp-catch-up-'));
  const offSignal = removeOnSignal(dir);
  const db = await openDatabase(`sqlite:///${join(dir, 'old-server.db')}`, { create: true });
  const close = async () => {
    await db.close().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
    offSignal();
  };
  try {
    const src = await openBackup(file);
    onProgress?.(`reading ${file}`);
    const info = await inspectDump(src);
    const plan = await planRestore(db, src, info);
    if (plan.problems.length) throw new InputError(`${file} cannot be read as the old server's state: ${plan.problems[0]}`);
    await applyRestore(db, src, plan);
  } catch (e) {
    await close();
    throw e;
  }
  return { db, describe: file, close };
}
