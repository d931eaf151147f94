// Killing `backup restore` (SIGKILL, no cleanup possible) in the middle of loading leaves the target
// exactly as it was, and the next run goes through (stale lock / leftover shadows handled).
// Runs the built CLI (npm test builds first), like test/cli/main.test.ts.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { createBackup } from '../../src/backup/create.js';
import { inspectDump } from '../../src/backup/inspect.js';
import { applyRestore, planRestore } from '../../src/backup/restore.js';
import { openBackup } from '../../src/backup/source.js';
import { openDatabase } from '../../src/db/index.js';
import type { Db } from '../../src/db/types.js';
import { parseDbUrl } from '../../src/db/url.js';
import { describeEngines } from '../helpers/db.js';
import { fixtureDb, freshDb, runBackup, tmp } from './helpers.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = `${root}bin/linotp-migrate.js`;
const built = existsSync(`${root}dist/cli/backup.js`);

/** true once the restore is writing rows into the target. */
async function loading(db: Db, url: string): Promise<boolean> {
  if (db.engine === 'mysql') {
    const r = await db.query("SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'audit__lm_new'");
    if (!Number(r[0].n)) return false;
    return Number((await db.query('SELECT COUNT(*) AS n FROM `audit__lm_new`'))[0].n) > 0;
  }
  if (db.engine === 'postgres') {
    const r = await db.query("SELECT COUNT(*) AS n FROM pg_stat_activity WHERE application_name = 'linotp-migrate' AND datname = current_database() AND (query LIKE 'INSERT INTO \"audit\"%' OR query LIKE 'COPY \"audit\"%') AND pid <> pg_backend_pid()");
    return Number(r[0].n) > 0;
  }
  return existsSync(`${parseDbUrl(url).database}-journal`) || existsSync(`${parseDbUrl(url).database}-wal`);
}

describeEngines('backup restore killed with SIGKILL', (engine) => {
  it.skipIf(!built)('leaves the target unchanged, and the next run succeeds', async () => {
    const target = await freshDb(engine);
    const small = await fixtureDb(engine, { seed: 3, tokens: 5, auditRows: 10 });
    const big = await fixtureDb(engine, { seed: 4, tokens: 50, auditRows: 30000 });
    try {
      const smallFile = (await createBackup(small.db, { outDir: tmp(), encKey: null })).file;
      const bigFile = (await createBackup(big.db, { outDir: tmp(), encKey: null })).file;
      const first = await runBackup('restore', { file: smallFile, databaseUri: target.url });
      expect(first.error, first.stderr).toBeUndefined();
      const before = (await createBackup(target.db, { outDir: tmp(), encKey: null })).manifest.tables;

      const child = spawn(process.execPath, [bin, '--yes', 'backup', 'restore', '--file', bigFile, '--database-uri', target.url], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d) => (stderr += d));
      const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
      const watcher = await openDatabase(target.url);
      let killed = false;
      try {
        for (let i = 0; i < 600 && child.exitCode === null; i++) {
          if (await loading(watcher, target.url)) {
            child.kill('SIGKILL');
            killed = true;
            break;
          }
          await new Promise((r) => setTimeout(r, 25));
        }
      } finally {
        await watcher.close();
      }
      await exited;
      expect(killed, `the restore finished before it could be killed: ${stderr}`).toBe(true);

      const db = await openDatabase(target.url);
      try {
        const after = (await createBackup(db, { outDir: tmp(), encKey: null })).manifest.tables;
        expect(after).toEqual(before);
        // the next run cleans up and goes through
        const src = await openBackup(bigFile);
        const plan = await planRestore(db, src, await inspectDump(src));
        const res = await applyRestore(db, src, plan);
        expect(res.tables.find((t) => t.name === 'audit')!.rows).toBe(30004);
        expect((await db.listTables()).filter((t) => t.includes('__lm_'))).toEqual([]);
      } finally {
        await db.close();
      }
    } finally {
      await target.drop();
      await small.drop();
      await big.drop();
    }
  }, 180_000);
});
