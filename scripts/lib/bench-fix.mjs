// `npm run bench -- --only fix`: `admin fix-db-encoding` (the built binary) against LinOTP 3.4's own
// statements, in the scenario an administrator waits for (issue 22): the cached LinOTP 2 mariadb-dump
// (double-encoded text in utf8mb3 tables) restored with `mariadb` and upgraded by our `init database`;
// that database is dumped once and loaded into two identical copies per run, one for each side.
//
// LinOTP's side is exactly what `linotp admin fix-db-encoding` runs (linotp-schema.md §5.2) plus the
// same UPDATE over every text column of audit (LinOTP itself never repairs audit): no table
// conversion, `USING utf8`. On this data LinOTP's statements abort in strict mode (ERROR 1300 on a
// double-encoded emoji: utf8mb3 cannot hold it), so they run with sql_mode='' (the emoji become '?')
// — the cheapest LinOTP could possibly be, and the statements an administrator would type.
//
// The old in-process bench (src/encoding/bench.ts, removed) gave LinOTP's side our utf8mb4 ALTER TABLE
// conversion too and converted only five audit columns: the ALTER, the same on both sides, diluted
// the ratio (see docs/performance.md).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchDump, dbUrl, dropDatabase, loadNative, MYSQL_ADMIN } from './bench-data.mjs';
import { median, ours, root, sh } from './bench-run.mjs';

const LINOTP_COLUMNS = [
  ['Config', ['Description', 'Value']],
  ['Token', ['LinOtpTokenDesc', 'LinOtpTokenInfo']],
  ['imported_user', ['username', 'surname', 'givenname', 'email']],
];
const conv = (c) => `\`${c}\` = CONVERT(CAST(CONVERT(\`${c}\` USING latin1) AS BINARY) USING utf8)`;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const encKey = join(root, 'fixtures/demo/encKey');

/**
 * LinOTP's fix-db-encoding statements for database `db` (its Config, Token, imported_user columns and
 * every text column of audit), as one script for `mariadb db < file`.
 */
export async function linotpFixSql(admin, db) {
  const rows = await admin.query(
    "SELECT COLUMN_NAME AS c FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = 'audit' AND DATA_TYPE IN ('varchar', 'char', 'text') ORDER BY ORDINAL_POSITION",
    [db],
  );
  const audit = rows.map((r) => String(r.c));
  return ["SET SESSION sql_mode = '';", ...[...LINOTP_COLUMNS, ['audit', audit]].map(([t, cols]) => `UPDATE \`${t}\` SET ${cols.map(conv).join(', ')};`)].join('\n') + '\n';
}

export async function bench({ size = '5k', runs = 3, log = () => undefined } = {}) {
  const { openDatabase } = await import(join(root, 'dist/db/index.js'));
  const dump = await benchDump('mysql', size, log);
  const admin = await openDatabase(MYSQL_ADMIN);
  const dir = mkdtempSync(join(tmpdir(), 'lmt-bench-fix-'));
  const names = { base: 'lmt_bench_fix_base', ours: 'lmt_bench_fix_ours', native: 'lmt_bench_fix_native' };
  try {
    // The administrator's database: restored, then upgraded by our init database.
    await loadNative(admin, 'mysql', names.base, dump.file);
    ours(['init', 'database', '--database-uri', dbUrl('mysql', names.base), '--enc-key', encKey]);
    const image = join(dir, 'upgraded.sql');
    sh(`mariadb-dump --single-transaction ${names.base} > ${image}`);
    await dropDatabase(admin, 'mysql', names.base);
    log(`fix: ${size} restored and upgraded by init database; image ${image}`);

    await loadNative(admin, 'mysql', names.native, image);
    const linotpSql = join(dir, 'linotp-fix.sql');
    writeFileSync(linotpSql, await linotpFixSql(admin, names.native));

    const oursRuns = [];
    const nativeRuns = [];
    const second = [];
    let repaired;
    let rows;
    for (let i = 0; i < runs; i++) {
      for (const n of [names.ours, names.native]) {
        await loadNative(admin, 'mysql', n, image);
      }
      await sleep(5000); // let InnoDB purge the loads before timing
      const runOurs = () => {
        const r = ours(['admin', 'fix-db-encoding', '--database-uri', dbUrl('mysql', names.ours), '--json']);
        oursRuns.push(r);
        repaired = r.json.totals.repairedValues;
        rows = r.json.totals.rows;
        log(`fix: ours ${r.seconds.toFixed(2)} s (${JSON.stringify(r.json.phases)}), ${repaired} values, peak ${r.rssMb.toFixed(0)} MB`);
        const r2 = ours(['admin', 'fix-db-encoding', '--database-uri', dbUrl('mysql', names.ours), '--json']);
        second.push({ seconds: r2.seconds, changes: r2.json.totals.repairedValues });
        log(`fix: second run ${r2.seconds.toFixed(2)} s, ${r2.json.totals.repairedValues} values`);
      };
      const runNative = () => {
        const r = sh(`mariadb ${names.native} < ${linotpSql}`);
        nativeRuns.push(r);
        log(`fix: LinOTP's statements ${r.seconds.toFixed(2)} s`);
      };
      // Alternate which side goes first.
      if (i % 2 === 0) {
        runOurs();
        await sleep(5000);
        runNative();
      } else {
        runNative();
        await sleep(5000);
        runOurs();
      }
    }
    const o = median(oursRuns.map((r) => r.seconds));
    const n = median(nativeRuns.map((r) => r.seconds));
    const phase = (k) => median(oursRuns.map((r) => r.json.phases?.[k] ?? 0));
    return [
      {
        name: "fix-db-encoding vs LinOTP's CONVERT UPDATEs (MariaDB, restored + init database)",
        ours: o,
        native: n,
        ratio: o / n,
        pairedRatio: median(oursRuns.map((r, i) => r.seconds / nativeRuns[i].seconds)),
        peakRssMb: Math.round(Math.max(...oursRuns.map((r) => r.rssMb), ...second.map(() => 0))),
        rows,
        rowsPerSecond: Math.round(rows / o),
        phases: { checking: phase('checking'), converting: phase('converting'), deciding: phase('deciding'), updating: phase('updating') },
        secondRunSeconds: median(second.map((s) => s.seconds)),
        secondRunChanges: Math.max(...second.map((s) => s.changes)),
        repairedValues: repaired,
      },
    ];
  } finally {
    for (const n of Object.values(names)) await dropDatabase(admin, 'mysql', n);
    await admin.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop())) {
  const size = process.argv[2] ?? '5k';
  const runs = Number(process.argv[3] ?? 1);
  console.log(JSON.stringify(await bench({ size, runs, log: (m) => process.stderr.write(`[bench-fix] ${m}\n`) }), null, 2));
}
