/**
 * The scratch target of a rehearsal: by default a SQLite file in a fresh temporary directory (runs
 * anywhere, no server); with --target-db a MariaDB/MySQL, PostgreSQL or SQLite database the caller
 * provides. A non-empty target is refused unless the caller agreed (--yes), because the restore
 * replaces LinOTP's tables in it.
 *
 * Cleanup: the temporary directory is deleted; in a given database only the tables that did not
 * exist before the rehearsal are dropped, so a database that held something before keeps its
 * (rehearsed) tables rather than losing more than the caller agreed to.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Db } from '../db/types.js';
import { describeDbUrl } from '../db/url.js';
import { MigrateError } from '../errors.js';
import { auditLocation, openAuditDatabase, type AuditLocation } from '../audit/location.js';

export interface ScratchTarget {
  db: Db;
  /** The URL with the password masked. */
  url: string;
  engine: string;
  scratch: boolean;
  /** Tables that were there before the rehearsal. */
  before: string[];
  /** Where the temporary SQLite database lives (scratch only). */
  dir?: string;
  /** Removes the scratch directory if the process is interrupted (unregistered by closeTarget). */
  onSignal?: () => void;
  /**
   * Where LinOTP 3.4 with its default AUDIT_DATABASE_URI = SHARED keeps the audit table for this target
   * (src/audit/location.ts): for SQLite the sibling `<file>_audit`, opened here as `auditDb`.
   */
  audit: AuditLocation;
  auditDb?: Db;
  /** The `<file>_audit` SQLite file the rehearsal created (removed by closeTarget unless kept). */
  createdAuditFile?: string;
}

/** The audit location LinOTP 3.4's defaults give the target, and its database opened (created) when separate. */
async function withAudit(uri: string): Promise<Pick<ScratchTarget, 'audit' | 'auditDb' | 'createdAuditFile'>> {
  const audit = auditLocation({ resolved: () => undefined }, uri);
  const target = audit.target;
  if (target.kind !== 'separate') return { audit };
  const { parseDbUrl } = await import('../db/url.js');
  const file = parseDbUrl(target.uri).database;
  const existed = existsSync(file);
  const auditDb = await openAuditDatabase(target, { create: true });
  return { audit, auditDb, createdAuditFile: existed ? undefined : file };
}

/** Ctrl-C / kill during a rehearsal: delete the scratch directory, then end as the signal would have. */
function removeOnSignal(dir: string): () => void {
  const handler = (signal: NodeJS.Signals) => {
    rmSync(dir, { recursive: true, force: true });
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
    process.kill(process.pid, signal);
  };
  process.once('SIGINT', handler);
  process.once('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}

export class NonEmptyTargetError extends MigrateError {
  constructor(url: string, tables: string[]) {
    super(`the target database ${url} is not empty (${tables.length} table(s): ${tables.slice(0, 5).join(', ')}${tables.length > 5 ? ', …' : ''})`, {
      hint: 'rehearse into an empty database, or add --yes to let the restore replace the LinOTP tables in it',
    });
  }
}

export async function openTarget(opts: { targetDb?: string; yes?: boolean; tmpBase?: string }): Promise<ScratchTarget> {
  const { openDatabase } = await import('../db/index.js');
  if (!opts.targetDb) {
    const dir = mkdtempSync(join(opts.tmpBase ?? tmpdir(), 'linotp-rehearse-'));
    const onSignal = removeOnSignal(dir);
    try {
      // SQLAlchemy form: sqlite:/// + absolute path (which starts with /).
      const uri = `sqlite:///${join(dir, 'linotp.db')}`;
      const db = await openDatabase(uri, { create: true });
      return { db, url: describeDbUrl(db.url), engine: db.engine, scratch: true, before: [], dir, onSignal, ...(await withAudit(uri)) };
    } catch (e) {
      onSignal();
      rmSync(dir, { recursive: true, force: true });
      throw e;
    }
  }
  const db = await openDatabase(opts.targetDb, { create: true });
  try {
    const before = await db.listTables();
    const url = describeDbUrl(db.url);
    if (before.length && !opts.yes) throw new NonEmptyTargetError(url, before);
    return { db, url, engine: db.engine, scratch: false, before, ...(await withAudit(opts.targetDb)) };
  } catch (e) {
    await db.close();
    throw e;
  }
}

/** Removes what the rehearsal created (unless kept) and closes the connection. Returns whether anything was removed. */
export async function closeTarget(t: ScratchTarget, keep: boolean): Promise<boolean> {
  t.onSignal?.();
  let removed = false;
  try {
    if (!keep && !t.scratch) {
      const had = new Set(t.before.map((n) => n.toLowerCase()));
      const created = (await t.db.listTables()).filter((n) => !had.has(n.toLowerCase()));
      if (created.length) await dropTables(t.db, created);
      removed = true;
    }
  } finally {
    await t.auditDb?.close();
    await t.db.close();
  }
  if (!keep && !t.scratch && t.createdAuditFile) {
    rmSync(t.createdAuditFile, { force: true });
    for (const suffix of ['-wal', '-shm', '-journal']) rmSync(t.createdAuditFile + suffix, { force: true });
  }
  if (!keep && t.scratch && t.dir) {
    rmSync(t.dir, { recursive: true, force: true });
    removed = true;
  }
  return removed;
}

async function dropTables(db: Db, tables: string[]): Promise<void> {
  const q = db.dialect.quoteIdent;
  if (db.engine === 'postgres') {
    await db.execute(`DROP TABLE IF EXISTS ${tables.map(q).join(', ')} CASCADE`);
  } else if (db.engine === 'mysql') {
    // Foreign keys between the dropped tables: one connection with the checks off.
    await db.transaction(async (tx) => {
      await tx.execute('SET SESSION foreign_key_checks = 0');
      try {
        await tx.execute(`DROP TABLE IF EXISTS ${tables.map(q).join(', ')}`);
      } finally {
        await tx.execute('SET SESSION foreign_key_checks = 1');
      }
    });
  } else {
    await db.execute('PRAGMA foreign_keys = OFF');
    for (const t of tables) await db.execute(`DROP TABLE IF EXISTS ${q(t)}`);
  }
}
