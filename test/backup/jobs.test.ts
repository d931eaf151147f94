// backup restore --jobs on MariaDB: a mariadb-dump with many INSERT statements per table, loaded
// over several connections with the plain indexes built after the rows, gives the same rows and the
// same indexes as over one connection, and the pooled connections keep their own session settings.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { inspectDump } from '../../src/backup/inspect.js';
import { applyRestore, planRestore } from '../../src/backup/restore.js';
import { openBackup } from '../../src/backup/source.js';
import { parseDbUrl } from '../../src/db/url.js';
import { describeEngines } from '../helpers/db.js';
import { fixtureDb, freshDb, tableContent, tmp, type TestDb } from './helpers.js';

const TABLES = ['Config', 'Token', 'TokenRealm', 'Realm', 'audit', 'imported_user'];

describeEngines(
  'backup restore --jobs (MariaDB)',
  () => {
    let source: TestDb;
    let file: string;
    beforeAll(async () => {
      source = await fixtureDb('mysql', { tokens: 300, auditRows: 4000 });
      const u = parseDbUrl(source.url);
      file = join(tmp(), 'many-inserts.sql');
      // small statements: audit and Token arrive in dozens of INSERTs, so several are in flight at once
      const dump = execFileSync('mariadb-dump', ['--net-buffer-length=8192', '-h', u.host!, '-P', String(u.port), '-u', u.user!, u.database], { env: { ...process.env, MYSQL_PWD: u.password }, maxBuffer: 1 << 28 });
      writeFileSync(file, dump);
      expect((dump.toString('utf8').match(/^INSERT INTO `audit`/gm) ?? []).length).toBeGreaterThan(20);
      // plain indexes the restore builds after the rows
      expect((await source.db.listIndexes('audit')).filter((i) => !i.unique).length).toBeGreaterThan(2);
    });
    afterAll(async () => {
      await source?.drop();
    });

    for (const jobs of [1, 4]) {
      it(`--jobs ${jobs}: the same rows and indexes as the source`, async () => {
        const target = await freshDb('mysql');
        try {
          const src = await openBackup(file);
          const plan = await planRestore(target.db, src, await inspectDump(src));
          expect(plan.problems).toEqual([]);
          await applyRestore(target.db, src, plan, { jobs });
          for (const t of TABLES) expect(await tableContent(target.db, t), t).toEqual(await tableContent(source.db, t));
          const key = (i: { name: string; columns: string[]; unique: boolean }) => `${i.name}(${i.columns.join(',')})${i.unique ? ' unique' : ''}`;
          for (const t of ['audit', 'Token', 'TokenRealm']) {
            expect((await target.db.listIndexes(t)).map(key).sort(), t).toEqual((await source.db.listIndexes(t)).map(key).sort());
          }
          // the connections the load used went back to the pool with their settings restored
          for (let i = 0; i < 6; i++) {
            const [s] = await target.db.query('SELECT @@SESSION.foreign_key_checks AS fk, @@SESSION.sql_mode AS m');
            expect(Number(s.fk)).toBe(1);
            expect(String(s.m)).not.toMatch(/NO_AUTO_VALUE_ON_ZERO/);
          }
        } finally {
          await target.drop();
        }
      });
    }
  },
  ['mysql'],
);
