/** `rehearse` through the built binary and `npm run demo`'s script: exit codes, --json, reports on disk. */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RehearsalReport } from '../../src/rehearse/types.js';
import { BIN, ensureBuilt } from '../e2e/global-setup.js';
import { createTestDatabase, serverAvailable } from '../helpers/db.js';
import { openDatabase } from '../../src/db/index.js';
import { demoSnapshot, parseXmlWithPython, ROOT } from './helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'lmt-rehearse-cli-'));
beforeAll(() => ensureBuilt(), 180_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function run(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', LINOTP_MIGRATE_PASSPHRASE: '', ...env } });
  let json: RehearsalReport | undefined;
  try {
    json = JSON.parse(r.stdout);
  } catch {
    json = undefined;
  }
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, json };
}

const demoArgs = ['--backup', 'fixtures/demo/linotp2.backup.tar.gz', '--ini', 'fixtures/demo/linotp.ini', '--access-log', 'fixtures/demo/access.log'];

function checkReports(dir: string): RehearsalReport {
  const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as RehearsalReport;
  const x = parseXmlWithPython(join(dir, 'junit.xml'));
  expect(x.ok, x.error).toBe(true);
  expect(x.failures).toBe(report.counts.fail);
  expect(x.testcases).toBe(report.checks.length);
  expect(readFileSync(join(dir, 'report.md'), 'utf8')).toContain('## The production upgrade');
  return report;
}

describe('linotp-migrate rehearse (built binary)', () => {
  it('an unknown --audit-timezone is refused before the first step (exit 2, no report)', () => {
    const dir = join(tmp, 'zone');
    const r = run(['rehearse', ...demoArgs, '--passphrase-file', 'fixtures/demo/backup-passphrase.txt', '--audit-timezone', 'Nowhere', '--report-dir', dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: unknown time zone "Nowhere"/m);
    expect(r.stderr).not.toMatch(/restore|verify the backup/);
    expect(existsSync(join(dir, 'report.json'))).toBe(false);
  });

  it('with --audit-timezone the warning asking for it is not printed', () => {
    const dir = join(tmp, 'zone-ok');
    const r = run(['--json', 'rehearse', ...demoArgs, '--passphrase-file', 'fixtures/demo/backup-passphrase.txt', '--audit-timezone', 'Europe/Berlin', '--report-dir', dir]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.stringify(r.json!.warnings)).not.toMatch(/give --audit-timezone/);
    expect(r.stderr).not.toMatch(/give --audit-timezone/);
  }, 120_000);

  it('--json prints the report document; exit 0; reports written', () => {
    const dir = join(tmp, 'ok');
    const r = run(['--json', 'rehearse', ...demoArgs, '--passphrase-file', 'fixtures/demo/backup-passphrase.txt', '--report-dir', dir]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json).toMatchObject({ format: 'linotp-migrate-rehearsal', outcome: 'passed', exitCode: 0 });
    const onDisk = checkReports(dir);
    expect(onDisk.counts).toEqual(r.json!.counts);
    expect(onDisk.counts.fail).toBe(0);
  }, 120_000);

  it('human output: step lines with timings, the checks and a summary; the passphrase from the environment', () => {
    const pass = readFileSync(join(ROOT, 'fixtures/demo/backup-passphrase.txt'), 'utf8').split('\n')[0];
    const r = run(['rehearse', ...demoArgs], { LINOTP_MIGRATE_PASSPHRASE: pass });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^ {2}ok +\d+\.\d\d s {2}restore into the target: /m);
    expect(r.stdout).toMatch(/skipped +create\/reset the admin: .*no --admin given/);
    expect(r.stdout).toMatch(/rows per table preserved/);
    expect(r.stdout).toMatch(/rehearsal PASSED: \d+ passed/);
    expect(r.stdout).not.toContain(pass);
  }, 120_000);

  it('a wrong passphrase: exit 3, one clear error line, reports with the failure', () => {
    const dir = join(tmp, 'wrong');
    const pf = join(tmp, 'wrong-pass');
    writeFileSync(pf, 'wrong passphrase\n');
    const r = run(['rehearse', ...demoArgs, '--passphrase-file', pf, '--report-dir', dir]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^error: rehearsal failed: 1 check\(s\) failed \(first: encKey opens and decrypts the backup: wrong passphrase for encKey_2611220830\.gpg\)/m);
    expect(r.stdout).toMatch(/stopped at "verify the backup"/);
    const report = checkReports(dir);
    expect(report).toMatchObject({ outcome: 'failed', exitCode: 3 });
    expect(report.counts.fail).toBe(1);
  }, 60_000);

  it('a mismatched --enc-key: exit 3', () => {
    const key = join(tmp, 'other-key');
    writeFileSync(key, Buffer.alloc(96, 7));
    const r = run(['--json', 'rehearse', '--backup', 'fixtures/demo/linotp2-mysql.sql', '--enc-key', key]);
    expect(r.code).toBe(3);
    expect(r.json!.checks.find((c) => c.id === 'backup.enc-key')).toMatchObject({ status: 'fail', summary: expect.stringMatching(/does not decrypt/) });
  }, 60_000);

  it('usage errors exit 2', () => {
    expect(run(['rehearse']).code).toBe(2);
    expect(run(['rehearse', '--backup', 'x.sql', '--admin-password-file', 'pw']).code).toBe(2);
  });

  it('a non-empty --target-db is refused without --yes (exit 1, nothing changed)', async () => {
    if (!(await serverAvailable('postgres'))) return;
    const t = await createTestDatabase('postgres');
    try {
      const db = await openDatabase(t.url);
      await db.execute('CREATE TABLE keepme (id INTEGER PRIMARY KEY)');
      await db.close();
      const r = run(['rehearse', '--backup', 'fixtures/demo/linotp2-mysql.sql', '--enc-key', 'fixtures/demo/encKey', '--target-db', t.url]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^error: rehearsal stopped at "prepare the target": the target database .* is not empty \(1 table\(s\): keepme\)/m);
      expect(r.stderr).toMatch(/hint: .*--yes/);
      expect(r.stderr).not.toMatch(/lmt-Test-pw/);
    } finally {
      await t.drop();
    }
  }, 60_000);
});

describe('the demo archive', () => {
  it('is up to date with fixtures/demo/linotp2-mysql.sql and encKey (scripts/make-demo-backup.mjs --check)', () => {
    if (!existsSync('/usr/bin/gpg') && !process.env.GPG) return;
    const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'make-demo-backup.mjs'), '--check'], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status, r.stderr + r.stdout).toBe(0);
  }, 60_000);
});

describe('npm run demo (scripts/demo.mjs)', () => {
  it('rehearses fixtures/demo into SQLite, prints a passing human report, writes nothing into fixtures/', () => {
    const before = demoSnapshot();
    const reports = join(tmp, 'demo-reports');
    const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'demo.mjs')], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', DEMO_REPORT_DIR: reports } });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/rehearsal PASSED/);
    expect(r.stdout).toMatch(/demo finished in [\d.]+ s/);
    expect(r.stdout).toMatch(/admin fix-db-encoding: repaired \d+ double-encoded value/);
    expect(existsSync(join(reports, 'junit.xml'))).toBe(true);
    checkReports(reports);
    expect(demoSnapshot()).toBe(before);
  }, 180_000);
});
