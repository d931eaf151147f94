#!/usr/bin/env node
// `npm run bench`: our commands side by side with the native tools on generated LinOTP 2 data.
// Alternates ours/native N times and reports medians, ratios and our peak RSS (/usr/bin/time -f %M).
// Options: --tokens N (default 50000) --audit N (default 1000000) --runs N (default 3) --small
//          --only help,mysql,postgres,encoding,reencrypt[,galera] --json
//          (galera is opt-in: restore into a private 3-node Galera cluster vs mariadb < dump, test/cluster/bench-galera.test.ts)
// Needs the local MariaDB (root via socket) and PostgreSQL (postgres, trust). Creates and drops
// databases named lmt_bench_*. Figures are measured, never asserted; see docs/performance.md.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir, cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = join(root, 'bin/linotp-migrate.js');
const args = process.argv.slice(2);
const opt = (name, def) => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1] : def; };
const small = args.includes('--small');
const tokens = Number(opt('tokens', small ? 5000 : 50000));
const audit = Number(opt('audit', small ? 100000 : 1000000));
const runs = Number(opt('runs', 3));
const only = new Set(String(opt('only', 'help,mysql,postgres,encoding,reencrypt')).split(','));
const asJson = args.includes('--json');
const log = (m) => process.stderr.write(`[bench] ${m}\n`);

const MYSQL_ADMIN = 'mysql://root@localhost/?unix_socket=/run/mysqld/mysqld.sock';
const PG_ADMIN = 'postgresql://postgres@127.0.0.1:5432/postgres';
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };

/** Runs a command; returns seconds and (for ours) peak RSS in MB. Throws on failure. */
function timed(cmd, argv, { input, env, stdoutFile } = {}) {
  const full = ['-f', '%M', cmd, ...argv];
  const t = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', full, { input, env: { ...process.env, ...env }, encoding: 'utf8', maxBuffer: 1 << 30, stdio: [input === undefined ? 'ignore' : 'pipe', stdoutFile ?? 'pipe', 'pipe'] });
  const seconds = Number(process.hrtime.bigint() - t) / 1e9;
  const lines = (r.stderr ?? '').trim().split('\n');
  const rssMb = Number(lines[lines.length - 1]) / 1024;
  if (r.status !== 0) throw new Error(`${cmd} ${argv.join(' ')} failed (${r.status}): ${lines.slice(-3).join(' | ')}`);
  return { seconds, rssMb };
}
const sh = (script, env) => timed('bash', ['-c', script], { env });
const ours = (argv, env) => timed(process.execPath, [bin, ...argv], { env });

const { openDatabase } = await import(join(root, 'dist/db/index.js'));
const { buildInstallation } = await import(join(root, 'dist/fixtures/installation.js'));
const { writeInstallation } = await import(join(root, 'dist/fixtures/write.js'));

const results = { machine: { cpus: cpus().length, cpu: cpus()[0]?.model, memGb: Math.round(totalmem() / 2 ** 30), node: process.version }, size: { tokens, audit }, runs, rows: [] };
const row = (name, oursS, nativeS, rssMb, extra = {}) => {
  const r = { name, ours: oursS, native: nativeS, ratio: nativeS ? oursS / nativeS : undefined, peakRssMb: rssMb, ...extra };
  results.rows.push(r);
  log(`${name}: ours ${oursS.toFixed(2)} s${nativeS ? `, native ${nativeS.toFixed(2)} s, ratio ${r.ratio.toFixed(2)}` : ''}${rssMb ? `, peak RSS ${rssMb.toFixed(0)} MB` : ''}`);
};

if (only.has('help')) {
  const xs = Array.from({ length: 10 }, () => timed(process.execPath, [bin, '--help']).seconds);
  row('--help cold start', median(xs), undefined, undefined, { unit: 's' });
}

async function engineBench(engine) {
  const admin = await openDatabase(engine === 'mysql' ? MYSQL_ADMIN : PG_ADMIN);
  const base = engine === 'mysql' ? MYSQL_ADMIN : PG_ADMIN;
  const url = (db) => (engine === 'mysql' ? `mysql://root@localhost/${db}?unix_socket=/run/mysqld/mysqld.sock` : `postgresql://postgres@127.0.0.1:5432/${db}`);
  const q = (n) => (engine === 'mysql' ? `\`${n}\`` : `"${n}"`);
  const fresh = async (n) => {
    if (engine === 'postgres') await admin.execute(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${n}' AND pid <> pg_backend_pid()`);
    await admin.execute(`DROP DATABASE IF EXISTS ${q(n)}`);
    await admin.execute(engine === 'mysql' ? `CREATE DATABASE ${q(n)} CHARACTER SET utf8mb3` : `CREATE DATABASE ${q(n)}`);
  };
  const dir = mkdtempSync(join(tmpdir(), `lmt-bench-${engine}-`));
  const src = `lmt_bench_${engine}_src`;
  try {
    await fresh(src);
    let t = Date.now();
    const db = await openDatabase(url(src));
    await writeInstallation(db, buildInstallation({ tokens, auditRows: audit, importedUsers: 1000 }), { encoding: engine === 'mysql' ? 'linotp2' : 'correct', batchSize: 2000 });
    await db.close();
    log(`${engine}: wrote ${tokens} tokens, ${audit} audit rows in ${((Date.now() - t) / 1000).toFixed(1)} s`);
    const dump = join(dir, 'native.sql');
    const nativeDump = engine === 'mysql' ? `mariadb-dump --single-transaction ${src} > ${dump}` : `pg_dump -h 127.0.0.1 -U postgres ${src} > ${dump}`;
    const nativeLoad = (n) => (engine === 'mysql' ? `mariadb ${n} < ${dump}` : `psql -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -U postgres -d ${n} -f ${dump} > /dev/null`);
    const nativeGz = `${nativeDump.replace(` > ${dump}`, '')} | gzip -1 > ${dump}.gz`;
    const c = { ours: [], native: [], rss: [], gz: [], level0: [] }, r = { ours: [], native: [], rss: [] };
    for (let i = 0; i < runs; i++) {
      c.native.push(sh(nativeDump).seconds);
      const out = join(dir, `ours-${i}`);
      const o = ours(['backup', 'create', '--database-uri', url(src), '--out', out, '--no-enc-key', '-q']);
      c.ours.push(o.seconds); c.rss.push(o.rssMb);
      c.gz.push(sh(`set -o pipefail; ${nativeGz}`).seconds);
      const o0 = ours(['backup', 'create', '--database-uri', url(src), '--out', `${out}-0`, '--no-enc-key', '-q', '--compress-level', '0']);
      c.level0.push(o0.seconds); c.rss.push(o0.rssMb);
      rmSync(`${out}-0`, { recursive: true, force: true });
      const target = `lmt_bench_${engine}_dst`;
      await fresh(target);
      r.native.push(sh(nativeLoad(target)).seconds);
      await fresh(target);
      const p = ours(['backup', 'restore', '--file', dump, '--database-uri', url(target), '--yes', '-q']);
      r.ours.push(p.seconds); r.rss.push(p.rssMb);
      await fresh(target);
      await admin.execute(`DROP DATABASE IF EXISTS ${q(target)}`);
      rmSync(out, { recursive: true, force: true });
    }
    const dumper = engine === 'mysql' ? 'mariadb-dump' : 'pg_dump';
    row(`${engine} backup create vs ${dumper}`, median(c.ours), median(c.native), Math.max(...c.rss));
    row(`${engine} backup create vs ${dumper} | gzip -1 (same work: a compressed dump)`, median(c.ours), median(c.gz), undefined);
    row(`${engine} backup create --compress-level 0 vs ${dumper}`, median(c.level0), median(c.native), undefined);
    row(`${engine} backup restore vs ${engine === 'mysql' ? 'mariadb <' : 'psql -f'}`, median(r.ours), median(r.native), Math.max(...r.rss));
    if (engine === 'mysql') {
      // Cross-engine: the mariadb-dump restored into PostgreSQL (the "move off MySQL" upgrade).
      const pgAdmin = await openDatabase(PG_ADMIN);
      const x = 'lmt_bench_cross_dst';
      await pgAdmin.execute(`DROP DATABASE IF EXISTS ${x}`);
      await pgAdmin.execute(`CREATE DATABASE ${x}`);
      try {
        const p = ours(['backup', 'restore', '--file', dump, '--database-uri', `postgresql://postgres@127.0.0.1:5432/${x}`, '--yes', '-q']);
        const rows = tokens * 2 + audit; // Token + TokenRealm + audit dominate
        row('cross-engine restore: mariadb-dump into PostgreSQL', p.seconds, undefined, p.rssMb, { rowsPerSecond: Math.round(rows / p.seconds) });
      } finally {
        await pgAdmin.execute(`DROP DATABASE IF EXISTS ${x}`).catch(() => undefined);
        await pgAdmin.close();
      }
    }
    const v = ours(['verify', '--database-uri', url(src), '--enc-key', join(root, 'fixtures/demo/encKey'), '-q']);
    row(`${engine} verify (${tokens} tokens)`, v.seconds, undefined, v.rssMb, { tokensPerSecond: Math.round(tokens / v.seconds) });
  } finally {
    await admin.execute(`DROP DATABASE IF EXISTS ${q(src)}`).catch(() => undefined);
    await admin.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

for (const engine of ['mysql', 'postgres']) {
  if (!only.has(engine)) continue;
  try { await engineBench(engine); } catch (e) { log(`${engine}: ${e.message}`); results.rows.push({ name: `${engine} backup`, error: e.message }); }
}

if (only.has('encoding')) {
  try {
    const { benchmarkFixEncoding } = await import(join(root, 'dist/encoding/bench.js'));
    const r = await benchmarkFixEncoding({ adminUri: MYSQL_ADMIN, tokens, auditRows: audit, log });
    row("fix-db-encoding vs LinOTP's CONVERT UPDATEs (MariaDB)", r.oursSeconds, r.linotpSeconds, r.maxRssMb, { repairedValues: r.repairedValues, secondRunSeconds: r.secondRunSeconds });
  } catch (e) { log(`encoding: ${e.message}`); results.rows.push({ name: 'fix-db-encoding', error: e.message }); }
}

if (only.has('reencrypt')) {
  // init database on 100,000 LinOTP 2 tokens per engine (test/upgrade/bench-reencrypt.test.ts prints the figures).
  const r = spawnSync('npx', ['vitest', 'run', 'test/upgrade/bench-reencrypt.test.ts'], { cwd: root, encoding: 'utf8', env: { ...process.env, LMT_BENCH: '1', LMT_BENCH_TOKENS: String(small ? 20000 : 100000) } });
  const lines = (r.stdout + r.stderr).replace(/\x1b\[[0-9;]*m/g, '').split('\n').filter((l) => /tokens?.*\d+(\.\d+)?\s*s/i.test(l) && !/Duration|Start at/.test(l));
  results.rows.push({ name: 'init database re-encryption', output: lines.slice(0, 6) });
  for (const l of lines.slice(0, 6)) log(`reencrypt: ${l.trim()}`);
}

if (only.has('galera')) {
  const r = spawnSync('npx', ['vitest', 'run', 'test/cluster/bench-galera.test.ts'], { cwd: root, encoding: 'utf8', env: { ...process.env, LMT_BENCH: '1', LMT_BENCH_TOKENS: String(tokens), LMT_BENCH_AUDIT: String(audit), LMT_BENCH_RUNS: String(runs) } });
  const text = (r.stdout + r.stderr).replace(/\x1b\[[0-9;]*m/g, '');
  const m = /\[bench\] galera: backup restore ([\d.]+) s vs mariadb < dump ([\d.]+) s, ratio [\d.]+, peak RSS (\d+) MB/.exec(text);
  if (m) row('galera (3 nodes) backup restore vs mariadb <', Number(m[1]), Number(m[2]), Number(m[3]));
  else { log(`galera: ${text.split('\n').filter((l) => /Error|error|FAIL/.test(l)).slice(0, 3).join(' | ') || 'no result'}`); results.rows.push({ name: 'galera restore', error: 'no result' }); }
}

if (asJson) process.stdout.write(JSON.stringify(results, null, 2) + '\n');
else {
  const fmt = (x, d = 2) => (x === undefined ? '' : x.toFixed(d));
  console.log(`\nlinotp-migrate bench — ${tokens} tokens, ${audit} audit rows, median of ${runs}; ${results.machine.cpus} cores, ${results.machine.memGb} GiB, node ${results.machine.node}`);
  console.log(['what', 'ours s', 'native s', 'ratio', 'peak RSS MB'].join(' | '));
  for (const r of results.rows) {
    if (r.output) { console.log(`${r.name}: ${r.output.map((l) => l.trim()).join('; ')}`); continue; }
    console.log([r.name, r.error ? `error: ${r.error}` : fmt(r.ours), fmt(r.native), fmt(r.ratio), fmt(r.peakRssMb, 0)].join(' | '));
  }
}
