// `npm run bench -- --size 500k --only chain`: the production upgrade's downtime window at sizes where
// each command's own bench (a fresh load per run and per side) would take hours: ONE database per side,
// each command run on what the previous one left, as an administrator would go:
//   MariaDB:    restore (ours | `mariadb DB < dump`) → create (ours | `mariadb-dump | gzip -1`) →
//               init database (ours | LinOTP 3.4's, when installed) → fix-db-encoding (ours | LinOTP's
//               CONVERT statements, scripts/lib/bench-fix.mjs)
//   PostgreSQL: restore (ours | `psql -f`) → create (ours | `pg_dump | gzip -1`) → init database (ours)
// Each command runs once per side (`--runs` repeats the whole chain), ours first, then the native one,
// so the two sides' databases are loaded and upgraded the same way by each side's own tools.
// Databases lmt_bench_chain_* are dropped at the end.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchDump, dbUrl, dropDatabase, freshDatabase, MYSQL_ADMIN, nativeLoadCommand, PG_ADMIN, SIZES } from './bench-data.mjs';
import { linotpFixSql } from './bench-fix.mjs';
import { ENC_KEY, LINOTP3, linotpCfg } from './bench-init.mjs';
import { benchRow, ours, root, sh, timed } from './bench-run.mjs';

const dumpCommand = (engine, db) => (engine === 'mysql' ? `mariadb-dump --single-transaction ${db}` : `pg_dump -h 127.0.0.1 -U postgres ${db}`);

async function chain(engine, { size, runs, log }, dir) {
  const { openDatabase } = await import(join(root, 'dist/db/index.js'));
  const dump = await benchDump(engine, size, log);
  const admin = await openDatabase(engine === 'mysql' ? MYSQL_ADMIN : PG_ADMIN);
  const names = { ours: `lmt_bench_chain_${engine}_ours`, native: `lmt_bench_chain_${engine}_native` };
  const linotp = engine === 'mysql' && existsSync(join(LINOTP3, 'linotp'));
  const r = { restore: [[], []], create: [[], []], init: [[], []], fix: [[], []] };
  const step = (what, o, n) => {
    r[what][0].push(o);
    if (n) r[what][1].push(n);
    log(`chain ${engine} ${size} ${what}: ours ${o.seconds.toFixed(1)} s (${o.rssMb.toFixed(0)} MB)${n ? `, native ${n.seconds.toFixed(1)} s, ${(o.seconds / n.seconds).toFixed(2)}×` : ''}`);
  };
  try {
    for (let i = 0; i < runs; i++) {
      await freshDatabase(admin, engine, names.ours);
      const restored = ours(['backup', 'restore', '--file', dump.file, '--database-uri', dbUrl(engine, names.ours), '--yes', '-q']);
      await freshDatabase(admin, engine, names.native);
      step('restore', restored, sh(nativeLoadCommand(engine, names.native, dump.file)));

      const created = ours(['backup', 'create', '--database-uri', dbUrl(engine, names.ours), '--no-enc-key', '--out', join(dir, `ours-${i}`), '--json'], { LINOTP_SECRET_FILE: ENC_KEY });
      step('create', created, sh(`${dumpCommand(engine, names.native)} | gzip -1 > ${join(dir, `native-${i}.sql.gz`)}`));
      rmSync(join(dir, `ours-${i}`), { recursive: true, force: true });
      rmSync(join(dir, `native-${i}.sql.gz`), { force: true });

      const init = ours(['init', 'database', '--database-uri', dbUrl(engine, names.ours), '--enc-key', ENC_KEY, '--yes']);
      step('init', init, linotp ? timed(join(LINOTP3, 'linotp'), ['init', 'database'], { env: { LINOTP_CFG: linotpCfg(dir, `mysql://root@localhost/${names.native}?unix_socket=/run/mysqld/mysqld.sock`) } }) : undefined);

      if (engine === 'mysql') {
        const fixed = ours(['admin', 'fix-db-encoding', '--database-uri', dbUrl(engine, names.ours), '--json']);
        log(`chain fix phases: ${JSON.stringify(fixed.json.phases)}`);
        const sql = join(dir, 'linotp-fix.sql');
        writeFileSync(sql, await linotpFixSql(admin, names.native));
        step('fix', fixed, sh(`mariadb ${names.native} < ${sql}`));
      }
    }
  } finally {
    for (const n of Object.values(names)) await dropDatabase(admin, engine, n);
    await admin.close();
  }
  const spec = SIZES[size];
  const native = {
    restore: engine === 'mysql' ? 'mariadb DB < dump' : 'psql -f dump',
    create: engine === 'mysql' ? 'mariadb-dump | gzip -1' : 'pg_dump | gzip -1',
    init: linotp ? "LinOTP 3.4's init database" : undefined,
    fix: "LinOTP's CONVERT statements",
  };
  return Object.entries(r)
    .filter(([, [o]]) => o.length)
    .map(([what, [o, n]]) => benchRow(`chain ${engine} ${what}${native[what] && n.length ? ` vs ${native[what]}` : ''}`, o, n.length ? n : undefined, { rows: what === 'init' ? spec.tokens : spec.tokens * 2 + spec.audit + spec.importedUsers }));
}

export async function bench(opts) {
  const dir = mkdtempSync(join(tmpdir(), 'lmt-bench-chain-'));
  try {
    const engines = opts.engines ?? ['mysql', 'postgres'];
    const rows = [];
    for (const e of engines) rows.push(...(await chain(e, { runs: 1, ...opts }, dir)));
    return rows;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop())) {
  const arg = (n, d) => (process.argv.includes(`--${n}`) ? process.argv[process.argv.indexOf(`--${n}`) + 1] : d);
  const rows = await bench({ size: arg('size', '5k'), runs: Number(arg('runs', 1)), engines: arg('engine') ? [arg('engine')] : undefined, log: (m) => process.stderr.write(`[bench-chain] ${m}\n`) });
  console.log(JSON.stringify(rows, null, 2));
}
