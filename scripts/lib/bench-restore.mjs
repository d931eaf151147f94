// `npm run bench -- --only restore`: `backup restore` of a cached native dump against the native
// client reading the same dump (`mariadb DB < dump`, `psql -f dump`), into fresh databases,
// alternating run by run so load on the machine hits both. Same engine, validation pass included.
// MySQL also runs with --jobs 1 (one connection), which shows what the parallel load (default: one
// connection per CPU) brings; PostgreSQL restores in one transaction over one connection either way.
import { join } from 'node:path';
import { benchDump, dbUrl, freshDatabase, dropDatabase, MYSQL_ADMIN, nativeLoadCommand as native, PG_ADMIN, SIZES } from './bench-data.mjs';
import { benchRow, ours, root, sh } from './bench-run.mjs';

export async function bench({ size = '5k', runs = 3, log = (m) => process.stderr.write(`[bench-restore] ${m}\n`), jobs1 = true, engines = ['mysql', 'postgres'] } = {}) {
  const { openDatabase } = await import(join(root, 'dist/db/index.js'));
  const { jobsFor } = await import(join(root, 'dist/db/lanes.js'));
  const spec = SIZES[size];
  const rows = [];
  for (const engine of engines) {
    const dump = await benchDump(engine, size, log);
    const admin = await openDatabase(engine === 'mysql' ? MYSQL_ADMIN : PG_ADMIN);
    const db = `lmt_bench_restore_${engine}`;
    const r = { native: [], ours: [], one: [] };
    try {
      for (let i = 0; i < runs; i++) {
        await freshDatabase(admin, engine, db);
        r.native.push(sh(native(engine, db, dump.file)));
        await freshDatabase(admin, engine, db);
        r.ours.push(ours(['backup', 'restore', '--file', dump.file, '--database-uri', dbUrl(engine, db), '--yes', '-q']));
        if (jobs1 && engine === 'mysql') {
          await freshDatabase(admin, engine, db);
          r.one.push(ours(['backup', 'restore', '--file', dump.file, '--database-uri', dbUrl(engine, db), '--yes', '-q', '--jobs', '1']));
        }
        log(`${engine} run ${i + 1}: native ${r.native[i].seconds.toFixed(2)} s, ours ${r.ours[i].seconds.toFixed(2)} s${r.one[i] ? `, --jobs 1 ${r.one[i].seconds.toFixed(2)} s` : ''}`);
      }
    } finally {
      await dropDatabase(admin, engine, db);
      await admin.close();
    }
    const total = spec.tokens * 2 + spec.audit + spec.importedUsers;
    const tool = engine === 'mysql' ? 'mariadb DB < dump' : 'psql -f dump';
    const withRate = (row) => ({ ...row, rows: total, rowsPerSecond: Math.round(total / row.ours) });
    const jobs = engine === 'mysql' ? ` (--jobs ${jobsFor()}, the default)` : '';
    rows.push(withRate(benchRow(`${engine} backup restore${jobs} vs ${tool}`, r.ours, r.native)));
    if (r.one.length) rows.push(withRate(benchRow(`${engine} backup restore --jobs 1 vs ${tool}`, r.one, r.native)));
  }
  return rows;
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop())) {
  const args = process.argv.slice(2);
  const opt = (n, d) => (args.includes(`--${n}`) ? args[args.indexOf(`--${n}`) + 1] : d);
  const out = await bench({ size: opt('size', '5k'), runs: Number(opt('runs', '3')), jobs1: opt('jobs1', 'yes') === 'yes', engines: opt('engine', 'mysql,postgres').split(',') });
  console.log(JSON.stringify(out, null, 1));
}
