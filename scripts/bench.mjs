#!/usr/bin/env node
// `npm run bench`: our commands side by side with the native tools on generated LinOTP 2 data.
//   npm run bench -- [--size 5k|50k|500k] [--only restore,create,init,fix] [--runs N] [--json]
// Extra parts (opt-in in --only): help (cold start), verify, cross (a mariadb-dump restored into
// PostgreSQL), reencrypt (init database re-encryption, test/upgrade/bench-reencrypt.test.ts),
// galera (a private 3-node cluster, test/cluster/bench-galera.test.ts), chain (the upgrade window on one
// database per side: restore → create → init database → fix-db-encoding, scripts/lib/bench-chain.mjs;
// what `--size 500k` is measured with, where each command's own bench would take hours).
// The data of each size is generated once and cached (scripts/lib/bench-data.mjs, $LMT_BENCH_CACHE).
// Each command's bench lives in scripts/lib/bench-<command>.mjs; ours and the native tool alternate
// run by run; medians; peak RSS is /usr/bin/time's for our process. Needs the local MariaDB (root via
// socket) and PostgreSQL (postgres, trust); creates and drops databases named lmt_bench_*.
// Figures are measured, never asserted in tests; docs/performance.md holds the latest.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cpus, totalmem, loadavg } from 'node:os';
import { join } from 'node:path';
import { benchDump, dbUrl, dropDatabase, freshDatabase, loadNative, MYSQL_ADMIN, PG_ADMIN, SIZES } from './lib/bench-data.mjs';
import { bin, median, ours, root, timed } from './lib/bench-run.mjs';

const args = process.argv.slice(2);
const opt = (name, def) => (args.includes(`--${name}`) ? args[args.indexOf(`--${name}`) + 1] : def);
const size = args.includes('--small') ? '5k' : opt('size', '50k');
if (!SIZES[size]) {
  process.stderr.write(`bench: --size ${size} is not known; choose ${Object.keys(SIZES).join(', ')}\n`);
  process.exit(2);
}
const runs = Number(opt('runs', size === '500k' ? 1 : 3));
const only = String(opt('only', 'restore,create,init,fix')).split(',');
const asJson = args.includes('--json');
const log = (m) => process.stderr.write(`[bench] ${m}\n`);
const spec = SIZES[size];

const results = {
  machine: { cpus: cpus().length, cpu: cpus()[0]?.model, memGb: Math.round(totalmem() / 2 ** 30), node: process.version, loadAverageAtStart: loadavg()[0] },
  size: { name: size, ...spec },
  runs,
  rows: [],
};
const add = (r) => {
  results.rows.push(r);
  if (r.error) return log(`${r.name}: error: ${r.error}`);
  log(`${r.name}: ours ${r.ours.toFixed(2)} s${r.native ? `, native ${r.native.toFixed(2)} s, ratio ${(r.ratio ?? r.ours / r.native).toFixed(2)}` : ''}${r.peakRssMb ? `, peak RSS ${Math.round(r.peakRssMb)} MB` : ''}`);
};

for (const part of only) {
  const module = join(root, 'scripts/lib', `bench-${part}.mjs`);
  try {
    if (existsSync(module) && !['help', 'verify', 'cross', 'reencrypt', 'galera'].includes(part)) {
      const { bench } = await import(module);
      for (const r of await bench({ size, runs, log })) add({ part, ...r });
    } else if (part === 'help') {
      const xs = Array.from({ length: 10 }, () => timed(process.execPath, [bin, '--help']).seconds);
      add({ part, name: '--help cold start (median of 10, node start included)', ours: median(xs) });
    } else if (part === 'verify' || part === 'cross') {
      await extra(part);
    } else if (part === 'reencrypt' || part === 'galera') {
      vitestBench(part);
    } else {
      throw new Error(`no bench named ${part} (scripts/lib/bench-${part}.mjs is missing)`);
    }
  } catch (e) {
    add({ part, name: part, error: e.message });
  }
}

/** verify on every engine's loaded copy, and the cross-engine restore (mariadb-dump into PostgreSQL). */
async function extra(part) {
  const { openDatabase } = await import(join(root, 'dist/db/index.js'));
  for (const engine of part === 'cross' ? ['postgres'] : ['mysql', 'postgres']) {
    const admin = await openDatabase(engine === 'mysql' ? MYSQL_ADMIN : PG_ADMIN);
    const name = `lmt_bench_${part}_${engine}`;
    try {
      if (part === 'verify') {
        await loadNative(admin, engine, name, (await benchDump(engine, size, log)).file);
        const v = ours(['verify', '--database-uri', dbUrl(engine, name), '--enc-key', join(root, 'fixtures/demo/encKey'), '-q']);
        add({ part, name: `${engine} verify (${spec.tokens} tokens, every value decrypted)`, ours: v.seconds, peakRssMb: v.rssMb, rowsPerSecond: Math.round(spec.tokens / v.seconds) });
      } else {
        const dump = await benchDump('mysql', size, log);
        await freshDatabase(admin, engine, name);
        const p = ours(['backup', 'restore', '--file', dump.file, '--database-uri', dbUrl(engine, name), '--yes', '-q']);
        const rows = spec.tokens * 2 + spec.audit;
        add({ part, name: 'cross-engine restore: mariadb-dump into PostgreSQL', ours: p.seconds, peakRssMb: p.rssMb, rows, rowsPerSecond: Math.round(rows / p.seconds) });
      }
    } finally {
      await dropDatabase(admin, engine, name);
      await admin.close();
    }
  }
}

/** The benches that live in vitest files (they need the test helpers: private clusters, fixtures). */
function vitestBench(part) {
  const file = part === 'galera' ? 'test/cluster/bench-galera.test.ts' : 'test/upgrade/bench-reencrypt.test.ts';
  const r = spawnSync('npx', ['vitest', 'run', file], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, LMT_BENCH: '1', LMT_BENCH_TOKENS: String(part === 'reencrypt' ? spec.tokens * 2 : spec.tokens), LMT_BENCH_AUDIT: String(spec.audit), LMT_BENCH_RUNS: String(runs) },
  });
  const text = (r.stdout + r.stderr).replace(/\x1b\[[0-9;]*m/g, '');
  if (part === 'galera') {
    const m = /\[bench\] galera: backup restore ([\d.]+) s vs mariadb < dump ([\d.]+) s, ratio [\d.]+, peak RSS (\d+) MB/.exec(text);
    if (!m) throw new Error(text.split('\n').filter((l) => /Error|FAIL/.test(l)).slice(0, 3).join(' | ') || 'no result');
    add({ part, name: 'galera (3 nodes) backup restore vs mariadb <', ours: Number(m[1]), native: Number(m[2]), ratio: Number(m[1]) / Number(m[2]), peakRssMb: Number(m[3]) });
  } else {
    const lines = text.split('\n').filter((l) => /tokens?.*\d+(\.\d+)?\s*s/i.test(l) && !/Duration|Start at/.test(l));
    results.rows.push({ part, name: 'init database re-encryption', output: lines.slice(0, 6).map((l) => l.trim()) });
  }
}

results.machine.loadAverageAtEnd = loadavg()[0];
if (asJson) process.stdout.write(JSON.stringify(results, null, 2) + '\n');
else printTable();

function printTable() {
  const f = (x, d = 2) => (x === undefined || x === null ? '' : Number(x).toFixed(d));
  const head = ['what', 'ours s', 'native s', 'ratio', 'paired', 'peak RSS MB', 'rows/s'];
  const body = [];
  for (const r of results.rows) {
    if (r.output) body.push([`${r.name}: ${r.output.join('; ')}`, '', '', '', '', '', '']);
    else if (r.error) body.push([r.name, `error: ${r.error}`, '', '', '', '', '']);
    else body.push([r.name, f(r.ours), f(r.native), f(r.ratio ?? (r.native ? r.ours / r.native : undefined)), f(r.pairedRatio), f(r.peakRssMb, 0), r.rowsPerSecond ? String(r.rowsPerSecond) : '']);
    if (r.phases) for (const [k, v] of Object.entries(r.phases)) body.push([`  ${k}`, f(v), '', '', '', '', '']);
  }
  const width = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells) => cells.map((c, i) => (i === 0 ? c.padEnd(width[i]) : c.padStart(width[i]))).join('  ');
  const m = results.machine;
  console.log(`\nlinotp-migrate bench: ${spec.tokens} tokens, ${spec.audit} audit rows (--size ${size}), median of ${runs}; ${m.cpus} cores, ${m.memGb} GiB, node ${m.node}, load ${m.loadAverageAtStart.toFixed(1)}→${m.loadAverageAtEnd.toFixed(1)}`);
  console.log(line(head));
  for (const b of body) console.log(line(b));
}
