// A PostgreSQL restore sends each table's rows as ONE COPY left open over the dump's blocks
// (RowStream, src/db/postgres.ts). A row the server rejects deep inside that stream, after many
// megabytes were sent, must still fail the restore with one line and leave the target as it was;
// the connection (and the restore lock) must be usable again afterwards.
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createBackup } from '../../src/backup/create.js';
import { inspectDump } from '../../src/backup/inspect.js';
import { applyRestore, planRestore } from '../../src/backup/restore.js';
import { openBackup } from '../../src/backup/source.js';
import { DatabaseError } from '../../src/errors.js';
import { describeEngines } from '../helpers/db.js';
import { fixtureDb, tableContent, tmp } from './helpers.js';

describeEngines(
  'PostgreSQL: one open COPY per table',
  () => {
    let source: Awaited<ReturnType<typeof fixtureDb>>;
    let target: Awaited<ReturnType<typeof fixtureDb>>;
    let dir: string;
    let dump: string;
    beforeAll(async () => {
      source = await fixtureDb('postgres', { seed: 5, tokens: 30, auditRows: 30000 });
      target = await fixtureDb('postgres', { seed: 6, tokens: 7, auditRows: 50 });
      dir = tmp();
      const archive = (await createBackup(source.db, { outDir: dir, encKey: null })).file;
      // the loose dump of the archive (no manifest: the damaged copy below is read as it is)
      const sql = execFileSync('sh', ['-c', `tar xzf '${archive}' -O --wildcards 'linotp_backup_*.sql'`], { maxBuffer: 1 << 28 });
      dump = join(dir, 'linotp_backup_good.sql');
      writeFileSync(dump, sql);
    }, 120_000);
    afterAll(async () => {
      await source?.drop();
      await target?.drop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('a value the server rejects deep inside the stream: one line, target as it was, lock free', async () => {
      const lines = readFileSync(dump, 'utf8').split('\n');
      const copy = lines.findIndex((l) => /^COPY \S*audit\b/.test(l));
      expect(copy).toBeGreaterThan(0);
      const columns = /\(([^)]*)\)/.exec(lines[copy])![1].split(',').map((c) => c.trim().replace(/"/g, ''));
      const id = columns.indexOf('id');
      // ~25,000 rows in: several 1 MB blocks have gone to the server by then
      const at = copy + 25_000;
      const fields = lines[at].split('\t');
      fields[id] = 'not-a-number';
      lines[at] = fields.join('\t');
      const bad = join(dir, 'linotp_backup_bad.sql');
      writeFileSync(bad, lines.join('\n'));
      expect(readFileSync(bad).length).toBeGreaterThan(4 << 20);

      const before = await Promise.all(['Token', 'Config', 'audit'].map((t) => tableContent(target.db, t)));
      const src = await openBackup(bad);
      const plan = await planRestore(target.db, src, await inspectDump(src));
      expect(plan.problems).toEqual([]);
      const err = await applyRestore(target.db, src, plan).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DatabaseError);
      expect((err as Error).message).toMatch(/not-a-number/);
      expect((err as Error).message).not.toContain('\n');
      expect(await Promise.all(['Token', 'Config', 'audit'].map((t) => tableContent(target.db, t)))).toEqual(before);

      // the same handle, the lock given back: the good dump restores every row
      const good = await openBackup(dump);
      const res = await applyRestore(target.db, good, await planRestore(target.db, good, await inspectDump(good)));
      expect(res.tables.find((t) => t.name === 'audit')!.rows).toBe(30000 + 4);
      expect(await tableContent(target.db, 'audit')).toEqual(await tableContent(source.db, 'audit'));
    }, 120_000);

    it("a statement_timeout of LinOTP's database does not cut off a table's one long COPY", async () => {
      const { openDatabase } = await import('../../src/db/index.js');
      const name = new URL(target.url).pathname.slice(1);
      await target.db.execute(`ALTER DATABASE "${name}" SET statement_timeout = '20ms'`);
      const db = await openDatabase(target.url);
      try {
        expect((await db.query('SHOW statement_timeout'))[0].statement_timeout).toBe('20ms');
        const src = await openBackup(dump);
        const res = await applyRestore(db, src, await planRestore(db, src, await inspectDump(src)));
        expect(res.tables.find((t) => t.name === 'audit')!.rows).toBe(30000 + 4);
        expect((await db.query('SHOW statement_timeout'))[0].statement_timeout).toBe('20ms');
      } finally {
        await db.close();
        await target.db.execute(`ALTER DATABASE "${name}" RESET statement_timeout`);
      }
    }, 120_000);

    it('the stream counts every row of every write, and an abandoned one rolls back cleanly', async () => {
      const db = target.db;
      await db.execute('CREATE TABLE lmt_stream_t (n integer, s text)');
      try {
        const block = (from: number, n: number) => Buffer.from(Array.from({ length: n }, (_, i) => `${from + i}\tx${from + i}\n`).join(''));
        const stored = await db.transaction(async (tx) => {
          const sink = await tx.openLoad!('lmt_stream_t', ['n', 's'], {});
          for (let i = 0; i < 50; i++) await sink.write(block(i * 2000, 2000));
          return sink.end();
        });
        expect(stored).toBe(100_000);
        expect(Number((await db.query('SELECT COUNT(*) AS c, SUM(n) AS s FROM lmt_stream_t'))[0].c)).toBe(100_000);
        await expect(
          db.transaction(async (tx) => {
            const sink = await tx.openLoad!('lmt_stream_t', ['n', 's'], {});
            await sink.write(block(0, 1000));
            await sink.abort();
            throw new Error('stopped');
          }),
        ).rejects.toThrow('stopped');
        expect(Number((await db.query('SELECT COUNT(*) AS c FROM lmt_stream_t'))[0].c)).toBe(100_000);
      } finally {
        await db.execute('DROP TABLE lmt_stream_t');
      }
    });
  },
  ['postgres'],
);
