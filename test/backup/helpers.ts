// Shared pieces of the backup tests: a LinOTP 2 fixture database, and comparisons of table contents.
import { tempDir } from '../helpers/tmp.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { commands } from '../../src/cli/backup.js';
import { Output } from '../../src/cli/output.js';
import type { CommandContext } from '../../src/cli/spec.js';
import { openDatabase } from '../../src/db/index.js';
import type { Db, SqlValue } from '../../src/db/types.js';
import { buildInstallation, type Installation } from '../../src/fixtures/installation.js';
import { writeInstallation } from '../../src/fixtures/write.js';
import { findTable, LINOTP_2_12, type LogicalType } from '../../src/schema/tables.js';
import { createTestDatabase, type TestEngine } from '../helpers/db.js';

export type TestDb = { db: Db; url: string; drop(): Promise<void> };

export async function freshDb(engine: TestEngine): Promise<TestDb> {
  const t = await createTestDatabase(engine);
  const db = await openDatabase(t.url);
  return {
    db,
    url: t.url,
    async drop() {
      await db.close().catch(() => undefined);
      await t.drop();
    },
  };
}

export async function fixtureDb(engine: TestEngine, opts: { seed?: number; tokens?: number; auditRows?: number; mysqlCharset?: 'utf8' | 'latin1' | 'utf8mb4' } = {}): Promise<TestDb & { inst: Installation }> {
  const t = await freshDb(engine);
  const inst = buildInstallation({ seed: opts.seed ?? 1, tokens: opts.tokens ?? 15, auditRows: opts.auditRows ?? 40 });
  await writeInstallation(t.db, inst, { mysqlCharset: opts.mysqlCharset });
  return { ...t, inst };
}

export function tmp(prefix = 'lmt-backup-'): string {
  return tempDir(prefix);
}

function norm(v: SqlValue, type: LogicalType | undefined): string {
  if (v === null || v === undefined) return '∅';
  if (Buffer.isBuffer(v)) return 'x' + v.toString('hex');
  if (type?.kind === 'boolean') return ['1', 't', 'true'].includes(String(v).toLowerCase()) ? 'T' : 'F';
  if (type?.kind === 'datetime') return String(v).replace(/\.0+$/, '');
  return String(v);
}

/** The rows of a LinOTP table as comparable strings, ordered by primary key, independent of the engine. */
export async function tableContent(db: Db, table: string): Promise<string[]> {
  const def = findTable(LINOTP_2_12, table);
  const tables = await db.listTables();
  const actual = tables.find((t) => t.toLowerCase() === table.toLowerCase());
  if (!actual) return [];
  const cols = (await db.listColumns(actual)).map((c) => c.name);
  const rows = await db.query(`SELECT * FROM ${db.dialect.quoteIdent(actual)}`);
  return rows
    .map((r) => cols.map((c) => `${c}=${norm(r[c], def?.columns.find((x) => x.name === c)?.type)}`).join('|'))
    .sort();
}

/** Runs a backup subcommand in-process, as the CLI would, with --json output captured. */
export async function runBackup(sub: string, opts: Record<string, unknown>, env: Record<string, string> = {}, cwd = process.cwd()) {
  const spec = commands.find((c) => c.path[1] === sub)!;
  let stdout = '';
  let stderr = '';
  const sink = (f: (s: string) => void) => new Writable({ write: (c, _e, cb) => (f(String(c)), cb()) });
  const out = new Output({ json: true, quiet: false, verbose: 0, color: false, stdout: sink((s) => (stdout += s)), stderr: sink((s) => (stderr += s)) });
  const ctx: CommandContext = { out, global: { json: true, verbose: 0, quiet: false, yes: true, color: false }, env: { ...env }, cwd, stdin: { isTTY: false } as NodeJS.ReadStream };
  let error: any;
  try {
    await spec.run(ctx, [], opts);
  } catch (e) {
    error = e;
  }
  return { doc: stdout ? JSON.parse(stdout) : undefined, stderr, error };
}

