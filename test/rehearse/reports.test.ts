/** Reports (junit.xml well-formed with the right failure count, report.md) and the step runner. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ChecksFailedError, DatabaseError } from '../../src/errors.js';
import { renderJunit, xmlEscape } from '../../src/reports/junit.js';
import { renderMarkdown } from '../../src/reports/markdown.js';
import { writeReports } from '../../src/reports/write.js';
import { requireFn, NotAvailableError, StepChecksFailed, StepRunner } from '../../src/rehearse/runner.js';
import { REPORT_FORMAT, type RehearsalReport } from '../../src/rehearse/types.js';
import { parseXmlWithPython } from './helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'lmt-reports-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A report with every check status and hostile text in it. */
function sample(): RehearsalReport {
  const nasty = 'a <b> & "c" \'d\' ]]> \u0001\u0008 \uFFFE JÃ¼rgen → Jürgen 😀 \uD800 | pipe\nnewline';
  return {
    format: REPORT_FORMAT,
    version: 1,
    tool: { name: 'linotp-migrate', version: '0.1.0' },
    startedAt: '2026-11-22T09:00:00.000Z',
    finishedAt: '2026-11-22T09:00:05.000Z',
    seconds: 5,
    outcome: 'failed',
    ok: false,
    exitCode: 3,
    input: { backup: '/x/b.sql', ini: null, encKey: null, accessLogs: [], admin: null },
    target: { url: 'sqlite:////tmp/x/linotp.db', engine: 'sqlite', scratch: true, kept: false, removed: true },
    steps: [
      { id: 'backup', title: 'verify the backup', status: 'ok', seconds: 1.5, summary: 'ok' },
      { id: 'restore', title: 'restore', status: 'failed', seconds: 0.5, summary: nasty, error: { message: nasty, hint: 'fix it', kind: 'checks' } },
      { id: 'upgrade', title: 'init database', status: 'skipped', reason: 'earlier-failure', seconds: 0, summary: 'not run' },
    ],
    checks: [
      { id: 'backup.readable', step: 'backup', title: 'backup reads', status: 'pass', summary: 'fine' },
      { id: 'backup.enc-key', step: 'backup', title: 'key', status: 'warn', summary: nasty, items: [nasty], hint: nasty },
      { id: 'restore.rows', step: 'restore', title: 'rows', status: 'fail', summary: nasty, items: ['Token: 1 of 2', nasty], hint: 'h' },
      { id: 'step.restore', step: 'restore', title: 'restore: completed', status: 'fail', summary: 'x' },
      { id: 'step.encoding', step: 'encoding', title: 'fix: available', status: 'skip', summary: 'not available in this build' },
    ],
    counts: { pass: 1, warn: 1, fail: 2, skip: 1 },
    tables: [{ table: 'Token', backup: 2, after: 1, expectedDelta: 0, ok: false }],
    details: {},
    warnings: [nasty],
    production: ['linotp-migrate init database'],
  };
}

describe('junit.xml', () => {
  it('is well-formed for python3 xml.etree, with one testcase per check and failures = counts.fail', () => {
    const r = sample();
    const files = writeReports(join(tmp, 'out'), r);
    expect(files.map((f) => f.slice(f.lastIndexOf('/') + 1))).toEqual(['report.json', 'report.md', 'junit.xml']);
    const x = parseXmlWithPython(join(tmp, 'out', 'junit.xml'));
    expect(x.ok, x.error).toBe(true);
    expect(x.testcases).toBe(r.checks.length);
    expect(x.failures).toBe(r.counts.fail);
    expect(x.attrs).toMatchObject({ failures: String(r.counts.fail), tests: String(r.checks.length), errors: '0', skipped: '1' });
    const json = JSON.parse(readFileSync(join(tmp, 'out', 'report.json'), 'utf8'));
    expect(json.counts.fail).toBe(x.failures);
  });

  it('escapes markup and drops characters XML cannot carry', () => {
    expect(xmlEscape('<a b="c">&\'')).toBe('&lt;a b=&quot;c&quot;&gt;&amp;&apos;');
    expect(xmlEscape('x\u0000\u001Fy\uFFFEz')).toBe('xyz');
    expect(xmlEscape('\uD83D\uDE00')).toBe('\uD83D\uDE00');
    expect(xmlEscape('\uD800x')).toBe('\uFFFDx');
    const xml = renderJunit(sample());
    expect(xml).toContain('<failure message="');
    expect(xml).toContain('<skipped message="not available in this build"/>');
    expect(xml).toContain('classname="rehearse.restore"');
  });
});

describe('report.md', () => {
  it('names the stop, lists every check, the rows table and the production commands; table cells stay on one line', () => {
    const md = renderMarkdown(sample());
    expect(md).toMatch(/^# LinOTP 2 → 3 upgrade rehearsal: FAILED/);
    expect(md).toContain('The rehearsal stopped at “restore”');
    expect(md).toContain('**What to fix:** fix it');
    expect(md).toContain('skipped (earlier failure)');
    expect(md).toContain('```sh\nlinotp-migrate init database\n```');
    for (const line of md.split('\n').filter((l) => l.startsWith('| '))) expect(line.endsWith('|'), line).toBe(true);
    expect(md).toContain('\\| pipe newline');
  });
});

describe('step runner', () => {
  it('times steps, stops at the first failure and skips the rest', async () => {
    const run = new StepRunner();
    await run.run('backup', 'b', async () => ({ summary: 'fine', value: 1 }));
    await run.run('restore', 'r', async () => {
      throw new DatabaseError('connection refused', 'start the server');
    });
    expect(await run.run('upgrade', 'u', async () => ({ summary: 'never', value: 2 }))).toBeUndefined();
    expect(run.steps.map((s) => [s.id, s.status, s.reason])).toEqual([
      ['backup', 'ok', undefined],
      ['restore', 'failed', undefined],
      ['upgrade', 'skipped', 'earlier-failure'],
    ]);
    expect(run.steps[1].error).toEqual({ message: 'connection refused', hint: 'start the server', kind: 'operational' });
    expect(run.checks).toEqual([{ id: 'step.restore', step: 'restore', title: 'r: completed', status: 'fail', summary: 'connection refused', hint: 'start the server' }]);
  });

  it('a step that recorded its own failing check adds no generic one; ChecksFailedError counts as a check failure', async () => {
    const run = new StepRunner();
    await run.run('backup', 'b', async () => {
      run.addCheck({ id: 'backup.enc-key', step: 'backup', title: 'key', status: 'fail', summary: 'wrong' });
      throw new StepChecksFailed('wrong');
    });
    expect(run.checks.map((c) => c.id)).toEqual(['backup.enc-key']);
    const run2 = new StepRunner();
    await run2.run('verify', 'v', async () => {
      throw new ChecksFailedError('bad');
    });
    expect(run2.steps[0].error?.kind).toBe('checks');
  });

  it('reports a missing library function as "skipped (not available)", never as success', async () => {
    await expect(requireFn(async () => ({ other: () => 1 }) as Record<string, unknown>, 'missing', 'the thing')).rejects.toBeInstanceOf(NotAvailableError);
    await expect(
      requireFn(() => import(/* @vite-ignore */ String('../../src/rehearse/does-not-exist.js')) as Promise<Record<string, unknown>>, 'x', 'the module'),
    ).rejects.toBeInstanceOf(NotAvailableError);
    const run = new StepRunner();
    await run.run('encoding', 'fix', () => requireFn(async () => ({}) as Record<string, unknown>, 'runFixEncoding', 'fix-db-encoding').then(() => ({ summary: 'x', value: 0 })));
    await run.run('verify', 'verify', async () => ({ summary: 'ran', value: 0 }));
    expect(run.steps.map((s) => [s.id, s.status, s.reason])).toEqual([
      ['encoding', 'skipped', 'not-available'],
      ['verify', 'ok', undefined],
    ]);
    expect(run.checks[0]).toMatchObject({ id: 'step.encoding', status: 'skip' });
    expect(run.warnings[0]).toMatch(/not available/);
    // a required step that is missing fails the rehearsal
    const run2 = new StepRunner();
    await run2.run('restore', 'restore', () => requireFn(async () => ({}) as Record<string, unknown>, 'applyRestore', 'backup restore').then(() => ({ summary: 'x', value: 0 })), { required: true });
    expect(run2.checks[0]).toMatchObject({ id: 'step.restore', status: 'fail' });
    expect(run2.stopped).toBe(true);
  });
});

describe('docs/report-schema.md', () => {
  it('documents every field of the report, its steps, checks and table counts', () => {
    const doc = readFileSync(join(__dirname, '../../docs/report-schema.md'), 'utf8');
    const r = sample();
    const keys = new Set<string>([
      ...Object.keys(r),
      ...Object.keys(r.input),
      'backupKind',
      'dumpDialect',
      'modelVersion',
      ...Object.keys(r.target),
      ...r.steps.flatMap((s) => Object.keys(s)),
      ...r.checks.flatMap((c) => Object.keys(c)),
      ...Object.keys(r.tables[0]),
      'why',
      'config',
      'restore',
      'upgrade',
      'encoding',
      'audit',
      'admin',
      'verify',
      'apiCheck',
    ]);
    const missing = [...keys].filter((k) => !doc.includes('`' + k + '`'));
    expect(missing).toEqual([]);
  });
});
