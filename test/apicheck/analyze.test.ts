// analyzeAccessLogs on generated logs with known content: every count must be exact.
import { chmodSync, closeSync, mkdtempSync, mkdirSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { analyzeAccessLogs } from '../../src/apicheck/analyze.js';
import type { ApiCheckReport } from '../../src/apicheck/report.js';
import { InputError, UsageError } from '../../src/errors.js';
import { emptyExpected, generateLines, generateLog, type Expected, type GenOptions } from './genlog.js';

const dir = mkdtempSync(join(tmpdir(), 'apicheck-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
function write(content: string | Buffer, name = `log${n++}.log`): string {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
}

function expectMatches(report: ApiCheckReport, exp: Expected) {
  expect(report.lines).toBe(exp.lines);
  expect(report.blank).toBe(exp.blank);
  expect(report.malformed.count).toBe(exp.malformed);
  expect(report.requests).toBe(exp.requests);
  expect(report.apiCalls).toBe(exp.apiCalls);
  expect(report.notApi).toEqual(exp.notApi);
  expect(report.firstSeen).toBe(new Date(exp.first).toISOString());
  expect(report.lastSeen).toBe(new Date(exp.last).toISOString());
  // prefixes are reported decoded
  expect(Object.fromEntries(report.prefixes.map((p) => [p.prefix, p.calls]))).toEqual(Object.fromEntries([...exp.prefixes].map(([k, v]) => [decodeURIComponent(k), v])));
  expect(report.findings.length).toBe(exp.groups.size);
  for (const f of report.findings) {
    const g = exp.groups.get(`${f.method} ${f.endpoint}`);
    expect(g, `${f.method} ${f.endpoint}`).toBeDefined();
    expect({ key: `${f.method} ${f.endpoint}`, verdict: f.verdict, count: f.count, distinct: f.distinctClients, first: f.firstSeen, last: f.lastSeen })
      .toEqual({ key: `${g!.method} ${g!.endpoint}`, verdict: g!.verdict, count: g!.count, distinct: g!.clients.size, first: new Date(g!.first).toISOString(), last: new Date(g!.last).toISOString() });
    const top = [...g!.clients].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).slice(0, 3).map(([address, count]) => ({ address, count }));
    expect(f.clients).toEqual(top);
    expect(Object.values(f.statuses).reduce((a, b) => a + b, 0)).toBe(f.count);
  }
  const calls = (v: string) => [...exp.groups.values()].filter((g) => g.verdict === v).reduce((s, g) => s + g.count, 0);
  expect(report.summary.rejected.calls).toBe(calls('rejected'));
  expect(report.summary.deprecated.calls).toBe(calls('deprecated'));
  expect(report.summary.ok.calls).toBe(calls('ok'));
  // findings are ordered: rejected, deprecated, ok; then by count
  const order = report.findings.map((f) => ['rejected', 'deprecated', 'ok'].indexOf(f.verdict));
  expect([...order].sort((a, b) => a - b)).toEqual(order);
}

const base: Omit<GenOptions, 'seed' | 'formats'> = { lines: 20_000, malformedRate: 0.01, blankRate: 0.005, noiseRate: 0.05 };

describe('analyzeAccessLogs on generated logs', () => {
  it('Apache combined, several clients and timezone offsets', async () => {
    const { text, expected } = generateLog({ ...base, seed: 1, formats: ['apache-combined'] });
    const r = await analyzeAccessLogs([write(text)]);
    expectMatches(r, expected);
    expect(r.files[0].layouts.combined).toBe(expected.lines - expected.blank - expected.malformed);
    expect(r.summary.rejected.calls).toBeGreaterThan(1000);
  });

  it('Apache common and vhost_combined mixed, --format apache', async () => {
    const { text, expected } = generateLog({ ...base, seed: 2, formats: ['apache-common', 'apache-vhost', 'apache-combined'] });
    const r = await analyzeAccessLogs([write(text)], { format: 'apache' });
    expectMatches(r, expected);
    const l = r.files[0].layouts;
    expect(l.common).toBeGreaterThan(0);
    expect(l.vhost_combined).toBeGreaterThan(0);
    expect(l.combined).toBeGreaterThan(0);
  });

  it('nginx combined with --format nginx (\\x22 escapes)', async () => {
    const { text, expected } = generateLog({ ...base, seed: 3, formats: ['nginx'] });
    expectMatches(await analyzeAccessLogs([write(text)], { format: 'nginx' }), expected);
  });

  it('--format nginx counts Apache common lines as malformed', async () => {
    const { text, expected } = generateLog({ lines: 2000, seed: 4, formats: ['apache-common', 'nginx'] });
    const r = await analyzeAccessLogs([write(text)], { format: 'nginx' });
    const common = text.split('\n').filter((l) => l && !l.endsWith('"')).length;
    expect(common).toBeGreaterThan(100);
    expect(r.malformed.count).toBe(common);
    expect(r.malformed.samples[0].reason).toMatch(/not nginx "combined" format/);
    expect(r.lines).toBe(expected.lines);
  });

  it('gzip files (detected by content, any name), several files summed, CRLF endings', async () => {
    const exp = emptyExpected();
    const a = generateLog({ ...base, seed: 5, formats: ['apache-combined'], lines: 7000 }, exp);
    const b = generateLog({ ...base, seed: 6, formats: ['nginx'], lines: 6000, start: Date.UTC(2025, 5, 1) }, exp);
    const c = generateLog({ ...base, seed: 7, formats: ['apache-common'], lines: 5000, start: Date.UTC(2024, 11, 31, 23) }, exp);
    const files = [
      write(gzipSync(a.text), 'access.log.2.gz'),
      write(gzipSync(b.text), 'access.log.1'),
      write(c.text.replace(/\n/g, '\r\n'), 'access.log'),
    ];
    const r = await analyzeAccessLogs(files);
    expectMatches(r, exp);
    expect(r.files.map((f) => f.compressed)).toEqual([true, true, false]);
    expect(r.files.map((f) => f.lines)).toEqual([7000, 6000, 5000]);
  });

  it('concatenated gzip members (logrotate delaycompress + cat) are read whole', async () => {
    const exp = emptyExpected();
    const a = generateLog({ ...base, seed: 8, formats: ['apache-combined'], lines: 3000 }, exp);
    const b = generateLog({ ...base, seed: 9, formats: ['apache-combined'], lines: 3000 }, exp);
    expectMatches(await analyzeAccessLogs([write(Buffer.concat([gzipSync(a.text), gzipSync(b.text)]))]), exp);
  });

  it('reverse-proxy prefixes are detected, and --prefix strips one explicitly', async () => {
    const { text, expected } = generateLog({ ...base, seed: 10, formats: ['apache-combined'], prefixes: ['', '/linotp', '/sso/otp%20server'] });
    expectMatches(await analyzeAccessLogs([write(text)]), expected);
    const file = write(text);
    const only = await analyzeAccessLogs([file], { prefix: '/linotp/' });
    expect(only.apiCalls).toBe(expected.prefixes.get('/linotp'));
    expect(only.prefixes).toEqual([{ prefix: '/linotp', calls: expected.prefixes.get('/linotp') }]);
    expect(only.notApi.outsidePrefix).toBe(expected.apiCalls - expected.prefixes.get('/linotp')! + expected.notApi.staticFiles * 0
      + expected.notApi.unknownPath);
    const decoded = await analyzeAccessLogs([file], { prefix: '/sso/otp server' });
    expect(decoded.apiCalls).toBe(expected.prefixes.get('/sso/otp%20server'));
  });

  it('a 1,000,000-line log: exact counts and a throughput figure', async () => {
    // Written in batches: the test itself should not hold 125 MB of log text.
    const file = join(dir, 'million.log');
    const expected = emptyExpected();
    const gen = generateLines({ ...base, seed: 11, lines: 1_000_000, formats: ['apache-combined', 'nginx', 'apache-common'] }, expected);
    const fd = openSync(file, 'w');
    let batch: string[] = [];
    for (let r = gen.next(); !r.done; r = gen.next()) {
      batch.push(r.value);
      if (batch.length === 10_000) {
        writeSync(fd, batch.join('\n') + '\n');
        batch = [];
      }
    }
    if (batch.length) writeSync(fd, batch.join('\n') + '\n');
    closeSync(fd);
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const r = await analyzeAccessLogs([file]);
    const cpu = process.cpuUsage(c0);
    const secs = (performance.now() - t0) / 1000;
    const cpuSecs = (cpu.user + cpu.system) / 1e6;
    expectMatches(r, expected);
    console.log(`api-check throughput: ${Math.round(1_000_000 / secs).toLocaleString('en')} lines/s (${secs.toFixed(2)} s for 1,000,000 lines, ${(r.files[0].bytes / 1e6).toFixed(0)} MB; ${Math.round(1_000_000 / cpuSecs).toLocaleString('en')} lines per CPU second)`);
  }, 120_000);
});

describe('analyzeAccessLogs edge cases', () => {
  it('quotes at most 5 malformed lines, with line numbers and masked query values', async () => {
    const lines = ['junk line 1', '10.0.0.1 - - [01/Mar/2025:10:00:00 +0000] "GET /validate/check?user=a&pass=geheim HTTP/1.1" 2xx 5'];
    for (let i = 0; i < 8; i++) lines.push(`junk ${i}`);
    const r = await analyzeAccessLogs([write(lines.join('\n'))]);
    expect(r.malformed.count).toBe(10);
    expect(r.malformed.samples).toHaveLength(5);
    expect(r.malformed.samples[1]).toMatchObject({ line: 2, reason: 'invalid status code' });
    expect(r.malformed.samples[1].text).not.toContain('geheim');
    expect(r.malformed.samples[1].text).toContain('pass=***');
  });

  it('a URL LinOTP 3 has no route for is ok when LinOTP 2 answered 404 every time, rejected otherwise', async () => {
    const line = (path: string, status: number) => `10.0.0.9 - - [01/Mar/2025:10:00:00 +0000] "GET ${path} HTTP/1.1" ${status} 5`;
    const r = await analyzeAccessLogs([write([line('/admin/wp-login', 404), line('/admin/wp-login', 404), line('/admin/getsession', 404), line('/admin/getsession', 200), line('/admin/init', 404)].join('\n'))]);
    const v = Object.fromEntries(r.findings.map((f) => [f.endpoint, f.verdict]));
    expect(v).toEqual({ 'admin/wp-login': 'ok', 'admin/getsession': 'rejected', 'admin/init': 'rejected' });
    expect(r.findings.find((f) => f.endpoint === 'admin/wp-login')!.reason).toMatch(/^LinOTP 2 answered 404 to every one of these calls too/);
  });

  it('warns when no line of a file is an access-log line (wrong file, custom format)', async () => {
    const warnings: string[] = [];
    const file = write('{"time":"2025-03-01T10:00:00Z","path":"/validate/check"}\n\n{"time":"x"}\n');
    const r = await analyzeAccessLogs([file], { onWarning: (m) => warnings.push(m) });
    expect(r.malformed.count).toBe(2);
    expect(warnings).toEqual([`${file}: none of its 2 lines is an access-log line of the accepted layouts — is it an access log (Apache common/combined, nginx combined)?`]);
  });

  it('an empty file and a file without a trailing newline', async () => {
    const empty = await analyzeAccessLogs([write('')]);
    expect(empty).toMatchObject({ lines: 0, apiCalls: 0, findings: [], firstSeen: null });
    const one = await analyzeAccessLogs([write('10.0.0.1 - - [01/Mar/2025:10:00:00 +0100] "GET /admin/init HTTP/1.0" 200 5')]);
    expect(one.findings).toMatchObject([{ endpoint: 'admin/init', method: 'GET', verdict: 'rejected', count: 1, firstSeen: '2025-03-01T09:00:00.000Z' }]);
  });

  it('a truncated gzip keeps the lines read and flags the file', async () => {
    const { text } = generateLog({ ...base, seed: 12, lines: 50_000, formats: ['apache-combined'] });
    const gz = gzipSync(text);
    const warnings: string[] = [];
    const r = await analyzeAccessLogs([write(gz.subarray(0, Math.floor(gz.length / 2)))], { onWarning: (m) => warnings.push(m) });
    expect(r.files[0].truncated).toBe(true);
    expect(r.lines).toBeGreaterThan(1000);
    expect(r.lines).toBeLessThan(50_000);
    expect(warnings[0]).toMatch(/ends early/);
  });

  it('missing, directory, unreadable and corrupt-gzip inputs are one-line InputErrors naming the path', async () => {
    const missing = join(dir, 'nope.log');
    await expect(analyzeAccessLogs([write('x'), missing])).rejects.toThrow(`access log not found: ${missing}`);
    await expect(analyzeAccessLogs([missing])).rejects.toBeInstanceOf(InputError);
    const sub = join(dir, 'sub');
    mkdirSync(sub);
    await expect(analyzeAccessLogs([sub])).rejects.toThrow(`access log is a directory: ${sub}`);
    const corrupt = write(Buffer.concat([Buffer.from([0x1f, 0x8b, 0x08, 0x00]), Buffer.alloc(64, 0x41)]));
    await expect(analyzeAccessLogs([corrupt])).rejects.toThrow(/cannot decompress access log .*\.log/);
    if (process.getuid?.() !== 0) {
      const locked = write('x');
      chmodSync(locked, 0o000);
      await expect(analyzeAccessLogs([locked])).rejects.toThrow(`cannot read access log ${locked}: permission denied`);
    }
    await expect(analyzeAccessLogs([])).rejects.toBeInstanceOf(UsageError);
  });
});
