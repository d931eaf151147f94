/**
 * Benchmark for issue 6 (called by `npm run bench`): `admin fix-db-encoding` against LinOTP's own
 * way on the same data — the utf8mb4 table conversion plus LinOTP's blind
 * `CONVERT(CAST(CONVERT(col USING latin1) AS BINARY) USING utf8mb4)` UPDATEs (linotp-schema.md §5.2)
 * on its columns plus the audit table. Both run on copies of one database written the LinOTP 2 way,
 * one after the other with a pause (InnoDB purge of the first run would otherwise slow the second).
 * MySQL/MariaDB only (LinOTP's statements are MySQL SQL). Creates and drops its own databases.
 */
import { openDatabase } from '../db/index.js';
import { parseDbUrl } from '../db/url.js';
import type { Db, DbUrl } from '../db/types.js';
import { buildInstallation } from '../fixtures/installation.js';
import { writeInstallation } from '../fixtures/write.js';
import { runFixEncoding } from './index.js';
import { conversionSql, planCharsetConversions } from './mysql-charset.js';
import { findTargets } from './targets.js';

export interface FixEncodingBenchResult {
  tokens: number;
  auditRows: number;
  writeSeconds: number;
  linotpSeconds: number;
  oursSeconds: number;
  ratio: number;
  repairedValues: number;
  changedRows: number;
  rows: number;
  secondRunSeconds: number;
  secondRunChanges: number;
  maxRssMb: number;
}

const LINOTP_COLUMNS: [string, string[]][] = [
  ['Config', ['Description', 'Value']],
  ['Token', ['LinOtpTokenDesc', 'LinOtpTokenInfo']],
  ['imported_user', ['username', 'surname', 'givenname', 'email']],
  ['audit', ['user', 'realm', 'administrator', 'action_detail', 'info']],
];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function benchmarkFixEncoding(opts: { adminUri: string; tokens?: number; auditRows?: number; prefix?: string; log?: (m: string) => void }): Promise<FixEncodingBenchResult> {
  const tokens = opts.tokens ?? 50_000;
  const auditRows = opts.auditRows ?? 1_000_000;
  const log = opts.log ?? (() => undefined);
  const prefix = opts.prefix ?? 'lmt_bench_enc';
  const admin = await openDatabase(opts.adminUri, { poolSize: 2 });
  const url = (database: string): DbUrl => ({ ...parseDbUrl(opts.adminUri), database });
  const names = { src: `${prefix}_src`, linotp: `${prefix}_linotp`, ours: `${prefix}_ours` };
  const fresh = async (n: string) => {
    await admin.execute(`DROP DATABASE IF EXISTS \`${n}\``);
    await admin.execute(`CREATE DATABASE \`${n}\` CHARACTER SET utf8mb3 COLLATE utf8mb3_general_ci`);
  };
  const open = (n: string): Promise<Db> => openDatabase(url(n));
  try {
    await fresh(names.src);
    let t = Date.now();
    const src = await open(names.src);
    const tables = await (async () => {
      try {
        await writeInstallation(src, buildInstallation({ tokens, auditRows, importedUsers: 2000 }), { encoding: 'linotp2', batchSize: 2000 });
        return await src.listTables();
      } finally {
        await src.close();
      }
    })();
    const writeSeconds = (Date.now() - t) / 1000;
    log(`wrote ${tokens} tokens and ${auditRows} audit rows the LinOTP 2 way in ${writeSeconds}s`);
    for (const n of [names.linotp, names.ours]) {
      await fresh(n);
      for (const tb of tables) {
        await admin.execute(`CREATE TABLE \`${n}\`.\`${tb}\` LIKE \`${names.src}\`.\`${tb}\``);
        await admin.execute(`INSERT INTO \`${n}\`.\`${tb}\` SELECT * FROM \`${names.src}\`.\`${tb}\``);
      }
    }
    await sleep(5000);

    const ours = await open(names.ours);
    t = Date.now();
    const r = await runFixEncoding(ours, {});
    const oursSeconds = (Date.now() - t) / 1000;
    t = Date.now();
    const r2 = await runFixEncoding(ours, {});
    const secondRunSeconds = (Date.now() - t) / 1000;
    await ours.close();
    log(`fix-db-encoding: ${oursSeconds}s; second run ${secondRunSeconds}s`);
    await sleep(5000);

    const lin = await open(names.linotp);
    t = Date.now();
    for (const c of await planCharsetConversions(lin, await findTargets(lin))) await lin.execute(conversionSql(lin, c));
    const conv = (c: string) => `\`${c}\` = CONVERT(CAST(CONVERT(\`${c}\` USING latin1) AS BINARY) USING utf8mb4)`;
    for (const [tb, cols] of LINOTP_COLUMNS) await lin.execute(`UPDATE \`${tb}\` SET ${cols.map(conv).join(', ')}`);
    const linotpSeconds = (Date.now() - t) / 1000;
    await lin.close();
    log(`LinOTP's way: ${linotpSeconds}s`);

    return {
      tokens,
      auditRows,
      writeSeconds,
      linotpSeconds,
      oursSeconds,
      ratio: Math.round((oursSeconds / linotpSeconds) * 100) / 100,
      repairedValues: r.totals.repairedValues,
      changedRows: r.totals.changedRows,
      rows: r.totals.rows,
      secondRunSeconds,
      secondRunChanges: r2.totals.repairedValues,
      maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    };
  } finally {
    for (const n of Object.values(names)) await admin.execute(`DROP DATABASE IF EXISTS \`${n}\``).catch(() => undefined);
    await admin.close();
  }
}
