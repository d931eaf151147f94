// End to end: the built binary on generated logs and on the demo fixture; JSON output and exit codes.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiCheckReport } from '../../src/apicheck/report.js';
import { generateLog } from './genlog.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = join(root, 'bin/linotp-migrate.js');
const dir = mkdtempSync(join(tmpdir(), 'apicheck-cli-'));

function run(args: string[]) {
  return spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, input: '' });
}

/** `npm test` builds first; when this file runs alone, build if dist/ is older than the sources. */
beforeAll(() => {
  const newest = (d: string): number => Math.max(0, ...readdirSync(d, { withFileTypes: true }).map((e) => (e.isDirectory() ? newest(join(d, e.name)) : statSync(join(d, e.name)).mtimeMs)));
  let built = 0;
  try {
    built = statSync(join(root, 'dist/apicheck/analyze.js')).mtimeMs;
  } catch {}
  if (built < Math.max(newest(join(root, 'src/apicheck')), statSync(join(root, 'src/cli/api-check.ts')).mtimeMs)) {
    const b = spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: root, encoding: 'utf8' });
    if (!statSync(join(root, 'dist/apicheck/analyze.js'), { throwIfNoEntry: false })) throw new Error(`build failed: ${b.stdout}${b.stderr}`);
  }
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('linotp-migrate api-check (built binary)', () => {
  const { text, expected } = generateLog({ seed: 21, lines: 30_000, formats: ['apache-combined', 'nginx'], prefixes: ['', '/linotp'], malformedRate: 0.01, noiseRate: 0.03 });
  const log = join(dir, 'access.log.1.gz');
  writeFileSync(log, gzipSync(text));
  const okOnly = join(dir, 'ok.log');
  writeFileSync(okOnly, '10.0.0.1 - - [01/Mar/2025:10:00:00 +0000] "POST /validate/check HTTP/1.1" 200 5\n');
  const depOnly = join(dir, 'dep.log');
  writeFileSync(depOnly, '10.0.0.1 - - [01/Mar/2025:10:00:00 +0000] "GET /validate/check?user=a&pass=b HTTP/1.1" 200 5\n');

  it('--json prints one document with exact counts; exit 0 without --fail-on', () => {
    const r = run(['api-check', '--access-log', log, '--json']);
    expect(r.status, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as ApiCheckReport;
    expect(doc.lines).toBe(expected.lines);
    expect(doc.malformed.count).toBe(expected.malformed);
    expect(doc.apiCalls).toBe(expected.apiCalls);
    expect(doc.files[0]).toMatchObject({ path: log, compressed: true, lines: 30_000 });
    const rejected = [...expected.groups.values()].filter((g) => g.verdict === 'rejected').reduce((n, g) => n + g.count, 0);
    expect(doc.summary.rejected.calls).toBe(rejected);
    for (const f of doc.findings) expect(f.count).toBe(expected.groups.get(`${f.method} ${f.endpoint}`)!.count);
  });

  it('--fail-on rejected exits 3 (document still printed, one error line); deprecated alone passes it', () => {
    const r = run(['api-check', '--access-log', log, '--fail-on', 'rejected', '--json']);
    expect(r.status).toBe(3);
    expect(JSON.parse(r.stdout).summary.rejected.calls).toBeGreaterThan(0);
    expect(r.stderr).toMatch(/^error: api-check: \d+ calls that LinOTP 3 rejects \(--fail-on rejected\)\n/);
    expect(run(['api-check', '--access-log', depOnly, '--fail-on', 'rejected']).status).toBe(0);
  });

  it('--fail-on deprecated exits 3 on deprecated (or rejected) calls, 0 when all are ok', () => {
    expect(run(['api-check', '--access-log', depOnly, '--fail-on', 'deprecated', '--json']).status).toBe(3);
    expect(run(['api-check', '--access-log', log, '--fail-on', 'deprecated', '--json']).status).toBe(3);
    expect(run(['api-check', '--access-log', okOnly, '--fail-on', 'deprecated', '--json']).status).toBe(0);
  });

  it('several files after one --access-log, and repeated --access-log, are all read', () => {
    const a = JSON.parse(run(['api-check', '--access-log', okOnly, depOnly, '--json']).stdout) as ApiCheckReport;
    const b = JSON.parse(run(['api-check', '--access-log', okOnly, '--access-log', depOnly, '--json']).stdout) as ApiCheckReport;
    expect(a.files.map((f) => f.path)).toEqual([okOnly, depOnly]);
    expect(b.files.map((f) => f.path)).toEqual([okOnly, depOnly]);
  });

  it('--prefix and --format reach the analysis', () => {
    const doc = JSON.parse(run(['api-check', '--access-log', log, '--prefix', '/linotp', '--format', 'nginx', '--json']).stdout) as ApiCheckReport;
    expect(doc.options).toEqual({ format: 'nginx', prefix: '/linotp' });
    expect(doc.prefixes.map((p) => p.prefix)).toEqual(['/linotp']);
    expect(doc.apiCalls).toBe(expected.prefixes.get('/linotp'));
  });

  it('reads a pipe (process substitution) without losing its first bytes', () => {
    const r = spawnSync('bash', ['-c', `${JSON.stringify(process.execPath)} ${JSON.stringify(bin)} api-check --json --access-log <(cat ${JSON.stringify(depOnly)}) <(gzip -dc ${JSON.stringify(log)})`], { cwd: root, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as ApiCheckReport;
    expect(doc.files.map((f) => [f.lines, f.malformed, f.compressed])).toEqual([[1, 0, false], [30_000, expected.malformed, false]]);
    expect(doc.summary.deprecated.findings).toBeGreaterThan(0);
  });

  it('a missing log is one error line naming it (exit 1)', () => {
    const missing = join(dir, 'missing.log');
    const r = run(['api-check', '--access-log', okOnly, missing]);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n')[0]).toBe(`error: access log not found: ${missing}`);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('usage errors exit 2: no log, unknown format, unknown --fail-on', () => {
    const none = run(['api-check']);
    expect(none.status).toBe(2);
    expect(none.stderr).toContain('no access log given');
    expect(run(['api-check', '--access-log', okOnly, '--format', 'iis']).status).toBe(2);
    expect(run(['api-check', '--access-log', okOnly, '--fail-on', 'ok']).status).toBe(2);
  });

  it('the human report is a table with reasons, without colour codes when not on a terminal', () => {
    const r = run(['api-check', '--access-log', log]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^VERDICT\s+METHOD\s+ENDPOINT\s+CALLS\s+TOP CLIENTS\s+FIRST SEEN \(UTC\)\s+LAST SEEN \(UTC\)$/m);
    expect(r.stdout).toMatch(/^rejected\s+GET\s+admin\/init\s+\d+\s+/m);
    expect(r.stdout).toContain('§3.9.4');
    expect(r.stdout).toMatch(/malformed lines? skipped/);
    expect(r.stdout).not.toContain('pass=');
    expect(r.stdout).not.toMatch(/\x1b\[/);
  });
});

describe('fixtures/demo/access.log', () => {
  const fixture = join(root, 'fixtures/demo/access.log');

  it('is exactly what scripts/make-access-log.mjs writes', () => {
    const out = join(dir, 'regenerated.log');
    const r = spawnSync(process.execPath, [join(root, 'scripts/make-access-log.mjs'), out], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe(readFileSync(fixture, 'utf8'));
  });

  it('shows rejected GET calls and deprecated userservice calls', () => {
    const r = run(['api-check', '--access-log', fixture, '--json']);
    expect(r.status).toBe(0);
    const doc = JSON.parse(r.stdout) as ApiCheckReport;
    expect(doc).toMatchObject({ lines: 403, requests: 400, apiCalls: 397, malformed: { count: 1 }, notApi: { noRequest: 1, invalidRequest: 1, staticFiles: 3 } });
    expect(doc.summary).toEqual({ rejected: { calls: 19, findings: 6 }, deprecated: { calls: 194, findings: 9 }, ok: { calls: 184, findings: 12 } });
    const find = (m: string, e: string) => doc.findings.find((f) => f.method === m && f.endpoint === e);
    expect(find('GET', 'admin/init')).toMatchObject({ verdict: 'rejected', count: 4, clients: [{ address: '10.30.1.40', count: 4 }] });
    expect(find('POST', 'userservice/history')).toMatchObject({ verdict: 'deprecated', count: 3 });
    expect(find('GET', 'validate/check')).toMatchObject({ verdict: 'deprecated', count: 159, firstSeen: '2026-02-16T05:04:13.000Z' });
    expect(run(['api-check', '--access-log', fixture, '--fail-on', 'rejected']).status).toBe(3);
  });
});

describe('human report', () => {
  it('lists every rejected/deprecated row but folds ok rows after 25', async () => {
    const { renderApiCheckReport } = await import('../../src/apicheck/render.js');
    const { Chalk } = await import('chalk');
    const lines = ['10.0.0.1 - - [01/Mar/2025:10:00:00 +0000] "GET /admin/init HTTP/1.1" 200 5'];
    for (let i = 0; i < 40; i++) lines.push(`10.0.0.1 - - [01/Mar/2025:10:00:00 +0000] "GET /admin/probe${i} HTTP/1.1" 404 5`);
    const file = join(dir, 'probes.log');
    writeFileSync(file, lines.join('\n'));
    const { analyzeAccessLogs } = await import('../../src/apicheck/analyze.js');
    const text = renderApiCheckReport(await analyzeAccessLogs([file]), new Chalk({ level: 0 }));
    expect(text).toMatch(/^rejected\s+GET\s+admin\/init/m);
    expect(text.match(/^ok\s+GET\s+admin\/probe/gm)).toHaveLength(25);
    expect(text).toContain('… and 15 more ok endpoint/method pairs (15 calls); --json lists them all');
  });
});
