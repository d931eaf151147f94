/** `audit cleanup` on every engine: LinOTP 3.4's selection rules and export format (python3 writes the expected CSV as LinOTP's SQLJanitor does). */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/index.js';
import type { Db } from '../../src/db/types.js';
import { applyCleanup, cleanupLimits, planCleanup } from '../../src/audit/cleanup.js';
import { UsageError } from '../../src/errors.js';
import { createTestDatabase, describeEngines } from '../helpers/db.js';
import { AUDIT_COLUMNS, auditRow, createLinotp2AuditTable, insertAuditRows, type AuditRow } from './audit-fixture.js';

const dir = mkdtempSync(join(tmpdir(), 'lmt-audit-cleanup-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const NOW = new Date(Date.UTC(2025, 0, 31, 14, 5, 0));
const day = (n: number) => new Date(Date.UTC(2025, 0, 31) - n * 86400000).toISOString().replace('Z', '+00:00');

/** 30 rows, one a day back from today; row 7 has quotes, a NULL and non-ASCII text. */
function rows(): AuditRow[] {
  return Array.from({ length: 30 }, (_, i) => auditRow(i + 1, day(30 - i) .replace('T00:00:00.000', 'T12:00:00.000'), i === 6 ? { info: 'say "hi" ü', administrator: null } : {}));
}

/** LinOTP's export_data, in Python, over the rows as the database returned them. */
function pythonExport(data: AuditRow[]): string {
  const code = `import json,sys
cols=json.loads(sys.argv[1]); out=["; ".join(cols)]
for r in json.load(sys.stdin):
    d=[]
    for c in cols:
        v=r[c]
        d.append("%d"%v if isinstance(v,int) else '"%s"'%v if isinstance(v,str) else "" if v is None else "?")
    out.append("; ".join(d))
sys.stdout.write("\\n".join(out)+"\\n")`;
  const r = spawnSync('python3', ['-c', code, JSON.stringify(AUDIT_COLUMNS)], { input: JSON.stringify(data), encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return r.stdout;
}

describe('cleanupLimits (LinOTP option rules)', () => {
  it('defaults, threshold ≥ keep, --delete-after-days exclusive (0 counts as absent, as LinOTP)', () => {
    expect(cleanupLimits({})).toEqual({ maxEntriesToKeep: 5000, cleanupThreshold: 5000 });
    expect(cleanupLimits({ maxEntriesToKeep: 10 })).toEqual({ maxEntriesToKeep: 10, cleanupThreshold: 10 });
    expect(() => cleanupLimits({ maxEntriesToKeep: 10, cleanupThreshold: 5 })).toThrow(/--cleanup-threshold must be greater than or equal to --max-entries-to-keep/);
    expect(() => cleanupLimits({ deleteAfterDays: 3, cleanupThreshold: 5 })).toThrow(UsageError);
    expect(cleanupLimits({ deleteAfterDays: 3, maxEntriesToKeep: 0 })).toEqual({ deleteAfterDays: 3 });
    expect(() => cleanupLimits({ maxEntriesToKeep: -1 })).toThrow(/whole number ≥ 0/);
  });
});

describeEngines('audit cleanup', (engine) => {
  let db: Db;
  let drop: () => Promise<void>;
  const fresh = async () => {
    await db.execute('DELETE FROM audit');
    await insertAuditRows(db, rows());
  };
  beforeAll(async () => {
    const t = await createTestDatabase(engine);
    drop = t.drop;
    db = await openDatabase(t.url);
    await createLinotp2AuditTable(db);
  }, 60_000);
  afterAll(async () => {
    await db?.close();
    await drop?.();
  });
  const ids = async () => (await db.query('SELECT id FROM audit ORDER BY id')).map((r) => Number(r.id));

  it('by count: nothing at or below the threshold; above it keeps the newest max-entries-to-keep ids', async () => {
    await fresh();
    const none = await planCleanup(db, { maxEntriesToKeep: 10, cleanupThreshold: 30, timeFormat: '%Y', table: 'audit' });
    expect(none).toMatchObject({ total: 30, firstId: 1, lastId: 30, deleteFrom: 0, toDelete: 0 });
    expect((await applyCleanup(db, none)).deleted).toBe(0);
    const plan = await planCleanup(db, { maxEntriesToKeep: 10, cleanupThreshold: 29, timeFormat: '%Y', table: 'audit' });
    expect(plan).toMatchObject({ deleteFrom: 20, toDelete: 20 });
    expect(await ids()).toHaveLength(30); // planning changed nothing
    const res = await applyCleanup(db, plan);
    expect(res).toMatchObject({ deleted: 20, left: 10 });
    expect(await ids()).toEqual(Array.from({ length: 10 }, (_, i) => i + 21));
  });

  it('by age: up to the highest id older than the start of today UTC minus N days; export in LinOTP format', async () => {
    await fresh();
    const exportDir = join(dir, engine);
    spawnSync('mkdir', ['-p', exportDir]);
    const expected = pythonExport([...(await db.query(`SELECT ${AUDIT_COLUMNS.map((c) => db.dialect.quoteIdent(c)).join(', ')} FROM audit WHERE id <= 25 ORDER BY id DESC`))].map((r) => Object.fromEntries(AUDIT_COLUMNS.map((c) => [c, typeof r[c] === 'bigint' || (c === 'id' || c === 'clearance_level') ? Number(r[c]) : r[c]]))) as AuditRow[]);
    const plan = await planCleanup(db, { deleteAfterDays: 5, exportDir, timeFormat: '%Y-%m-%d_%H-%M', table: 'audit', now: NOW });
    // rows are at noon: id 26 (5 days ago, 12:00) is after the cutoff, id 25 (6 days ago) before it
    expect(plan.cutoff).toBe('2025-01-26T00:00:00.000+00:00');
    expect(plan).toMatchObject({ deleteFrom: 25, toDelete: 25 });
    expect(plan.exportFile).toBe(join(exportDir, 'SQLAuditExport.2025-01-31_' + plan.exportFile!.split('_')[1]));
    expect(plan.exportFile).toMatch(/\.25\.csv$/);
    const res = await applyCleanup(db, plan);
    expect(res).toMatchObject({ deleted: 25, left: 5, exported: 25 });
    const text = readFileSync(plan.exportFile!, 'utf8');
    expect(text).toBe(expected);
    expect(text).toContain('"say "hi" ü"');
    expect(readdirSync(exportDir).filter((f) => f.includes('.tmp-'))).toEqual([]);
    expect(await ids()).toEqual([26, 27, 28, 29, 30]);
  });
});

describe('audit cleanup (CLI, SQLite)', () => {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const bin = process.env.LMT_BIN ?? `${root}bin/linotp-migrate.js`;
  const run = (args: string[], extraEnv: Record<string, string> = {}) => {
    const env = { ...process.env };
    for (const k of Object.keys(env)) if (k.startsWith('LINOTP_')) delete env[k];
    return spawnSync(process.execPath, [bin, ...args], { cwd: dir, encoding: 'utf8', env: { ...env, LINOTP_CFG: join(dir, 'linotp.cfg'), ...extraEnv }, input: '' });
  };

  it('--plan, confirmation, -e after the command is --exportdir, usage errors exit 2', async () => {
    const file = join(dir, 'cli.db');
    writeFileSync(join(dir, 'linotp.cfg'), `ROOT_DIR = '${dir}'\nDATABASE_URI = 'sqlite:///${file}'\nBACKUP_DIR = 'bk'\n`);
    const db = await openDatabase(`sqlite:///${file}`, { create: true });
    await createLinotp2AuditTable(db);
    await insertAuditRows(db, rows());
    await db.close();
    const plan = run(['--json', 'audit', 'cleanup', '--max-entries-to-keep', '10', '--plan', '--export']);
    expect(plan.status, plan.stderr).toBe(0);
    expect(JSON.parse(plan.stdout)).toMatchObject({ plan: true, deleteFrom: 20, toDelete: 20, exportFile: expect.stringContaining(join(dir, 'bk', 'SQLAuditExport.')) });
    expect(existsSync(join(dir, 'bk'))).toBe(false);
    const asked = run(['audit', 'cleanup', '--max-entries-to-keep', '10']);
    expect(asked.status).toBe(1);
    expect(asked.stderr).toMatch(/^error: confirmation needed \(Delete 20 of 30 audit entries/m);
    expect(run(['audit', 'cleanup', '--delete-after-days', '3', '--cleanup-threshold', '9']).status).toBe(2);
    const missingDir = run(['audit', 'cleanup', '--export', '-e', join(dir, 'nope')]);
    expect(missingDir.status).toBe(2);
    expect(missingDir.stderr).toMatch(/^error: --exportdir .*nope does not exist/);
    spawnSync('mkdir', ['-p', join(dir, 'out')]);
    const ok = run(['audit', 'cleanup', '--max-entries-to-keep', '10', '--export', '-e', join(dir, 'out')], { LINOTP_MIGRATE_ASSUME_YES: '1' });
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/^20 entries cleaned up\.\n10 entries left in database\.\nExported into .*out\/SQLAuditExport\.[^/]*\.20\.csv\n$/);
    const again = run(['audit', 'cleanup', '--max-entries-to-keep', '10']);
    expect(again.status).toBe(0);
    expect(again.stdout).toBe('Nothing cleaned up. 10 entries in database.\n');
  });
});
