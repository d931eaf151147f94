/**
 * Restore speed into the 3-node Galera cluster: `backup restore` of a mariadb-dump of the generated
 * LinOTP 2 set against `mariadb < dump` into the same cluster (through node 1, medians).
 * Runs only with LMT_BENCH=1 (`npm run bench -- --only galera`); prints `[bench]` lines.
 * Size: LMT_BENCH_TOKENS / LMT_BENCH_AUDIT (default 5000 / 100000), LMT_BENCH_RUNS (default 3).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { openDatabase } from '../../src/db/index.js';
import { parseDbUrl } from '../../src/db/url.js';
import { buildInstallation } from '../../src/fixtures/installation.js';
import { writeInstallation } from '../../src/fixtures/write.js';
import { tableSums } from '../../src/verify/cluster.js';
import { BIN, ensureBuilt, ROOT } from '../e2e/global-setup.js';
import { createTestDatabase } from '../helpers/db.js';
import { startGalera } from '../helpers/cluster.js';

const tokens = Number(process.env.LMT_BENCH_TOKENS ?? 5000);
const audit = Number(process.env.LMT_BENCH_AUDIT ?? 100_000);
const runs = Number(process.env.LMT_BENCH_RUNS ?? 3);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function timed(cmd: string, args: string[]): { seconds: number; rssMb: number } {
  const t = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', '%M', cmd, ...args], { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 28, stdio: ['ignore', 'ignore', 'pipe'] });
  const seconds = Number(process.hrtime.bigint() - t) / 1e9;
  const lines = (r.stderr ?? '').trim().split('\n');
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${lines.slice(-3).join(' | ')}`);
  return { seconds, rssMb: Number(lines[lines.length - 1]) / 1024 };
}

it.skipIf(!process.env.LMT_BENCH)(`galera restore, ${tokens} tokens / ${audit} audit rows`, { timeout: 1_800_000 }, async () => {
  await ensureBuilt();
  const cluster = await startGalera();
  const dir = mkdtempSync(join(tmpdir(), 'lmt-bench-galera-'));
  const src = await createTestDatabase('mysql', { charset: 'utf8' });
  try {
    const db = await openDatabase(src.url);
    await writeInstallation(db, buildInstallation({ tokens, auditRows: audit, importedUsers: 1000 }), { encoding: 'linotp2', batchSize: 2000 });
    await db.close();
    const u = parseDbUrl(src.url);
    const dump = join(dir, 'native.sql');
    const d = spawnSync('bash', ['-c', `mariadb-dump --single-transaction -h ${u.host} -P ${u.port} -u ${u.user} ${u.database} > ${dump}`], { env: { ...process.env, MYSQL_PWD: u.password ?? '' }, encoding: 'utf8' });
    expect(d.status, d.stderr).toBe(0);
    const native: number[] = [];
    const ours: number[] = [];
    let rss = 0;
    for (let i = 0; i < runs; i++) {
      const a = await cluster.createDatabase('utf8mb3');
      native.push(timed('bash', ['-c', `mariadb --socket=${cluster.nodes[0].socket} -uroot ${a.name} < ${dump}`]).seconds);
      await a.drop();
      const b = await cluster.createDatabase('utf8mb3');
      const o = timed(process.execPath, [BIN, '-q', '--yes', 'backup', 'restore', '--file', dump, '--database-uri', cluster.nodes[0].url(b.name)]);
      ours.push(o.seconds);
      rss = Math.max(rss, o.rssMb);
      if (i === 0) {
        const sums = [];
        for (const n of [0, 2]) {
          const x = await openDatabase(cluster.nodes[n].url(b.name), { poolSize: 1 });
          await x.execute('SET SESSION wsrep_sync_wait = 1');
          sums.push(await tableSums(x));
          await x.close();
        }
        expect(sums[1]).toEqual(sums[0]);
      }
      await b.drop();
    }
    const ratio = median(ours) / median(native);
    console.log(`[bench] galera: backup restore ${median(ours).toFixed(2)} s vs mariadb < dump ${median(native).toFixed(2)} s, ratio ${ratio.toFixed(2)}, peak RSS ${rss.toFixed(0)} MB (${tokens} tokens, ${audit} audit rows, median of ${runs}, 3 nodes)`);
  } finally {
    await src.drop();
    await cluster.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
