// `backup create` against the fair anchors `mariadb-dump --single-transaction DB | gzip -1` and
// `pg_dump DB | gzip -1` (ours compresses and checksums too), and against the plain dumps.
// Contract: bench({ size, runs, log }) → rows (see scripts/bench.mjs). The cached dump is loaded
// once per engine into lmt_bench_create_<size> and dropped at the end.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchDump, dbUrl, dropDatabase, loadNative, MYSQL_ADMIN, PG_ADMIN, SIZES } from './bench-data.mjs';
import { benchRow, ours, root, sh } from './bench-run.mjs';

const encKey = join(root, 'fixtures/demo/encKey');

export async function bench({ size = '5k', runs = 3, log = () => undefined } = {}) {
  const { openDatabase } = await import(join(root, 'dist/db/index.js'));
  const rows = [];
  const totalRows = SIZES[size].tokens + SIZES[size].audit;
  for (const engine of ['mysql', 'postgres']) {
    const admin = await openDatabase(engine === 'mysql' ? MYSQL_ADMIN : PG_ADMIN);
    const name = `lmt_bench_create_${size}`;
    const out = mkdtempSync(join(tmpdir(), 'lmt-bench-create-'));
    try {
      const dump = await benchDump(engine, size, log);
      log(`create ${engine} ${size}: loading ${dump.file}`);
      await loadNative(admin, engine, name, dump.file);
      const native = engine === 'mysql' ? `mariadb-dump --single-transaction ${name}` : `pg_dump -h 127.0.0.1 -U postgres ${name}`;
      const o = [], gz = [], plain = [];
      for (let i = 0; i < runs; i++) {
        // Alternated run by run, so load on the machine hits all three alike.
        rmSync(join(out, 'a'), { recursive: true, force: true });
        o.push(ours(['backup', 'create', '--database-uri', dbUrl(engine, name), '--no-enc-key', '--out', join(out, 'a'), '--json'], { LINOTP_SECRET_FILE: encKey }));
        gz.push(sh(`${native} | gzip -1 > ${join(out, 'native.sql.gz')}`));
        plain.push(sh(`${native} > ${join(out, 'native.sql')}`));
        log(`create ${engine} ${size} run ${i + 1}: ours ${o[i].seconds.toFixed(2)} s (${o[i].rssMb.toFixed(0)} MB), | gzip -1 ${gz[i].seconds.toFixed(2)} s, plain ${plain[i].seconds.toFixed(2)} s`);
      }
      const tool = engine === 'mysql' ? 'mariadb-dump' : 'pg_dump';
      const r = benchRow(`create ${engine} vs ${tool} | gzip -1`, o, gz, { rows: totalRows });
      r.rowsPerSecond = Math.round(totalRows / r.ours);
      rows.push(r);
      const p = benchRow(`create ${engine} vs plain ${tool}`, o, plain, { rows: totalRows });
      p.rowsPerSecond = r.rowsPerSecond;
      rows.push(p);
    } finally {
      rmSync(out, { recursive: true, force: true });
      await dropDatabase(admin, engine, name);
      await admin.close();
    }
  }
  return rows;
}
