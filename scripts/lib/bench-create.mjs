// `npm run bench -- --only create`: `backup create` against the native dumpers on the cached LinOTP 2
// data (scripts/lib/bench-data.mjs), per engine: ours vs `mariadb-dump --single-transaction | gzip -1`
// / `pg_dump | gzip -1` (the fair anchors: ours compresses and checksums) and vs the plain dumpers.
// Ours and the native tools alternate run by run. Databases lmt_bench_create_* are dropped at the end.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchDump, dbUrl, dropDatabase, loadNative, MYSQL_ADMIN, PG_ADMIN } from './bench-data.mjs';
import { benchRow, ours, root, sh } from './bench-run.mjs';

export async function bench({ size, runs, log }) {
  const { openDatabase } = await import(join(root, 'dist/db/index.js'));
  const rows = [];
  for (const engine of ['mysql', 'postgres']) {
    const dump = await benchDump(engine, size, log);
    const admin = await openDatabase(engine === 'mysql' ? MYSQL_ADMIN : PG_ADMIN);
    const db = `lmt_bench_create_${engine}`;
    const dir = mkdtempSync(join(tmpdir(), 'lmt-bench-create-'));
    try {
      log(`create ${engine} ${size}: loading the cached dump`);
      await loadNative(admin, engine, db, dump.file);
      const native = engine === 'mysql' ? `mariadb-dump --single-transaction ${db}` : `pg_dump -h 127.0.0.1 -U postgres ${db}`;
      const tool = engine === 'mysql' ? 'mariadb-dump' : 'pg_dump';
      const r = { ours: [], gz: [], plain: [] };
      for (let i = 0; i < runs; i++) {
        r.gz.push(sh(`${native} | gzip -1 > ${join(dir, 'native.sql.gz')}`));
        const out = join(dir, `ours-${i}`);
        const o = ours(['backup', 'create', '--database-uri', dbUrl(engine, db), '--out', out, '--no-enc-key', '--json']);
        r.ours.push(o);
        rmSync(out, { recursive: true, force: true });
        r.plain.push(sh(`${native} > /dev/null`));
        log(`create ${engine} run ${i + 1}: ours ${o.seconds.toFixed(2)} s (${o.rssMb.toFixed(0)} MB), ${tool}|gzip -1 ${r.gz.at(-1).seconds.toFixed(2)} s, ${tool} ${r.plain.at(-1).seconds.toFixed(2)} s`);
      }
      const total = r.ours[0].json?.rows ?? 0;
      const a = benchRow(`${engine} backup create vs ${tool} | gzip -1`, r.ours, r.gz, { rows: total });
      a.rowsPerSecond = Math.round(total / a.ours);
      rows.push(a);
      rows.push(benchRow(`${engine} backup create vs plain ${tool}`, r.ours, r.plain, { rows: total, rowsPerSecond: a.rowsPerSecond }));
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await dropDatabase(admin, engine, db);
      await admin.close();
    }
  }
  return rows;
}
