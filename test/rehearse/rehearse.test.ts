/** `rehearse` core, in-process: the demo backup into SQLite, MariaDB and PostgreSQL; wrong passphrase and key; target rules. */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/index.js';
import { runRehearsal } from '../../src/rehearse/index.js';
import type { RehearsalReport } from '../../src/rehearse/types.js';
import { createTestDatabase, describeEngines } from '../helpers/db.js';
import { ACCESS_LOG, ADMIN_PASSWORD, ARCHIVE, demoSnapshot, DUMP, ENC_KEY, INI, PASSPHRASE, ROOT } from './helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'lmt-rehearse-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const byId = (r: RehearsalReport, id: string) => r.checks.find((c) => c.id === id);
const stepStatus = (r: RehearsalReport) => Object.fromEntries(r.steps.map((s) => [s.id, s.reason ? `${s.status}:${s.reason}` : s.status]));

function expectPassedUpgrade(r: RehearsalReport) {
  const failing = r.checks.filter((c) => c.status === 'fail');
  expect(failing, JSON.stringify(failing, null, 1)).toEqual([]);
  expect(r.outcome).toBe('passed');
  expect(r.exitCode).toBe(0);
  for (const id of ['backup.readable', 'backup.enc-key', 'restore.rows', 'upgrade.model-version', 'verify.token-seeds', 'verify.token-pins', 'verify.config-secrets', 'verify.admin-realm', 'verify.encoding', 'model-current', 'rows-preserved']) {
    expect(byId(r, id)?.status, id).toBe('pass');
  }
  // the upgrade deletes open challenges by design; everything else is kept
  const t = Object.fromEntries(r.tables.map((x) => [x.table.toLowerCase(), x]));
  expect(t.challenges).toMatchObject({ backup: 2, after: 0, expectedDelta: -2, ok: true });
  expect(t.token).toMatchObject({ backup: 23, after: 23, expectedDelta: 0 });
  expect(t.tokenrealm).toMatchObject({ backup: 20, after: 20 });
  expect(t.audit).toMatchObject({ backup: 44, after: 44 });
  expect(t.realm.after).toBe(t.realm.backup + 1);
  expect(r.details.encoding!.repairedValues).toBeGreaterThan(0);
  expect(r.details.verify).toMatchObject({ keyVerdict: 'matches', valuesFailed: 0, mojibake: 0, model: '3.2.3.0' });
  // a step record per step, with timings
  expect(r.steps.map((s) => s.id)).toEqual(['target', 'config', 'host', 'backup', 'restore', 'upgrade', 'encoding', 'audit', 'admin', 'verify', 'api-check']);
  for (const s of r.steps.filter((x) => x.status === 'ok')) expect(s.seconds).toBeGreaterThanOrEqual(0);
}

describe('rehearse the demo backup into a scratch SQLite database', () => {
  it('passes every check, with the ini, an admin and the access log; removes the scratch target; writes nothing into fixtures/', async () => {
    const before = demoSnapshot();
    const report = await runRehearsal({ backup: ARCHIVE, passphrase: PASSPHRASE, ini: INI, admin: { name: 'admin', password: ADMIN_PASSWORD }, accessLogs: [ACCESS_LOG], auditTimezone: 'Europe/Berlin', cwd: ROOT, tmpBase: tmp });
    expectPassedUpgrade(report);
    expect(stepStatus(report)).toEqual({ target: 'ok', config: 'ok', host: 'skipped:not-requested', backup: 'ok', restore: 'ok', upgrade: 'ok', encoding: 'ok', audit: 'ok', admin: 'ok', verify: 'ok', 'api-check': 'ok' });
    expect(byId(report, 'admin.login')?.status).toBe('pass');
    expect(report.details.audit).toMatchObject({ timezone: 'Europe/Berlin', total: 44, converted: 44, unparseable: 0 });
    expect(byId(report, 'verify.audit-timestamps')?.status ?? 'pass').toBe('pass');
    expect(report.production.join('\n')).toContain('linotp-migrate audit to-utc --timezone Europe/Berlin');
    expect(byId(report, 'verify.local-admins')?.status).toBe('pass');
    expect(report.tables.find((t) => t.table === 'imported_user')).toMatchObject({ backup: 8, after: 9, expectedDelta: 1 });
    // api-check findings are warnings without --fail-on
    expect(byId(report, 'api-check.rejected')).toMatchObject({ status: 'warn' });
    expect(report.details.apiCheck!.rejected.calls).toBe(19);
    expect(byId(report, 'config.needs-attention')?.status).toMatch(/pass|warn/);
    expect(report.target).toMatchObject({ engine: 'sqlite', scratch: true, removed: true, kept: false });
    expect(readdirSync(tmp).filter((d) => d.startsWith('linotp-rehearse-'))).toEqual([]);
    expect(report.production.join('\n')).toMatch(/backup restore --file .* --install-enc-key/);
    expect(demoSnapshot()).toBe(before);
    // secrets never reach the report
    const text = JSON.stringify(report);
    for (const secret of [PASSPHRASE, ADMIN_PASSWORD]) expect(text).not.toContain(secret);
    // every check id the rehearsal made is documented
    const doc = readFileSync(join(ROOT, 'docs', 'report-schema.md'), 'utf8');
    // (verify's own checks are documented as `verify.<id>`: verify may add checks)
    expect(report.checks.map((c) => c.id).filter((id) => !id.startsWith('verify.') && !doc.includes('`' + id + '`'))).toEqual([]);
  }, 120_000);

  it('a loose mariadb-dump with --enc-key; --keep leaves the scratch database', async () => {
    const report = await runRehearsal({ backup: DUMP, encKeyPath: ENC_KEY, keep: true, cwd: ROOT, tmpBase: tmp });
    expect(report.checks.filter((c) => c.status === 'fail')).toEqual([]);
    expect(report.outcome).toBe('passed');
    expect(stepStatus(report)).toMatchObject({ config: 'skipped:not-requested', admin: 'skipped:not-requested', 'api-check': 'skipped:not-requested' });
    // without --admin nobody can log in yet: a warning naming what to do
    expect(byId(report, 'verify.local-admins')).toMatchObject({ status: 'warn' });
    expect(report.target.kept).toBe(true);
    const file = report.target.url.replace(/^sqlite:\/\/\//, '');
    expect(existsSync(file)).toBe(true);
    const db = await openDatabase(`sqlite:///${file}`);
    try {
      expect((await db.query(`SELECT "Value" AS v FROM "Config" WHERE "Key" = 'linotp.sql_data_model_version'`))[0].v).toBe('3.2.3.0');
      // issue 21 item 5: LinOTP 3.4 (SHARED) reads the audit trail from <file>_audit — the rows are there, not in the main file
      expect((await db.listTables()).map((t) => t.toLowerCase())).not.toContain('audit');
    } finally {
      await db.close();
    }
    const audit = await openDatabase(`sqlite:///${file}_audit`);
    try {
      const n = Number((await audit.query('SELECT COUNT(*) AS n FROM audit'))[0].n);
      expect(n).toBeGreaterThan(0);
      expect(report.tables.find((t) => t.table === 'audit')).toMatchObject({ backup: n, after: n, ok: true });
      expect(byId(report, 'verify.audit-location')).toMatchObject({ status: 'pass', summary: `${n} audit rows in the SQLite file ${file}_audit (AUDIT_DATABASE_URI from default)` });
    } finally {
      await audit.close();
    }
  }, 120_000);

  it('a wrong passphrase fails the rehearsal (exit 3) at the backup step, with a clear check and nothing after it', async () => {
    const report = await runRehearsal({ backup: ARCHIVE, passphrase: 'not the passphrase', cwd: ROOT, tmpBase: tmp });
    expect(report.outcome).toBe('failed');
    expect(report.exitCode).toBe(3);
    const c = byId(report, 'backup.enc-key')!;
    expect(c.status).toBe('fail');
    expect(c.summary).toMatch(/wrong passphrase for encKey_2611220830\.gpg/);
    expect(c.hint).toMatch(/passphrase/);
    expect(report.counts.fail).toBe(1);
    expect(stepStatus(report)).toMatchObject({ backup: 'failed', restore: 'skipped:earlier-failure', upgrade: 'skipped:earlier-failure', verify: 'skipped:earlier-failure' });
    expect(report.steps.find((s) => s.id === 'backup')!.error).toMatchObject({ kind: 'checks' });
    expect(report.target.removed).toBe(true);
  }, 60_000);

  it('a mismatched encKey fails the rehearsal (exit 3) naming the key', async () => {
    const other = join(tmp, 'other-encKey');
    writeFileSync(other, Buffer.alloc(96, 0x5a));
    const report = await runRehearsal({ backup: ARCHIVE, encKeyPath: other, passphrase: PASSPHRASE, cwd: ROOT, tmpBase: tmp });
    expect(report.outcome).toBe('failed');
    expect(report.exitCode).toBe(3);
    const c = byId(report, 'backup.enc-key')!;
    expect(c.status).toBe('fail');
    expect(c.summary).toMatch(/does not decrypt|not the encKey in the backup/);
    expect(c.items?.join('\n') ?? c.summary).toMatch(/not the encKey in the backup/);
    expect(stepStatus(report).restore).toBe('skipped:earlier-failure');
  }, 60_000);

  it('no passphrase for the encrypted key: fails naming --passphrase-file', async () => {
    const report = await runRehearsal({ backup: ARCHIVE, cwd: ROOT, tmpBase: tmp });
    expect(report.exitCode).toBe(3);
    expect(byId(report, 'backup.enc-key')).toMatchObject({ status: 'fail', summary: expect.stringMatching(/encrypted and no passphrase/), hint: expect.stringMatching(/--passphrase-file/) });
  }, 60_000);

  it('a damaged seed in the backup: the upgrade refuses it and the rehearsal fails (exit 3) naming the token', async () => {
    const enc = 'f199b35838d4215af26473a239ec9bad20d39de0149288f49086e5f951f2e9d49e0f0e024f49916e2f3d631eaca90db60b966d43bbcf1d5266608795b8a0ec4938f67a1f34aa74896a1183cb4497de61e572801837f531f89057fc6675786553';
    // one byte of the next-to-last block changed: the padding of the seed no longer decrypts
    const i = enc.length - 34;
    const bad = enc.slice(0, i) + (enc[i] === '0' ? '1' : '0') + enc.slice(i + 1);
    const dump = readFileSync(DUMP, 'latin1');
    expect(dump).toContain(enc);
    const file = join(tmp, 'linotp_backup_damaged.sql');
    writeFileSync(file, dump.replace(enc, bad), 'latin1');
    const report = await runRehearsal({ backup: file, encKeyPath: ENC_KEY, cwd: ROOT, tmpBase: tmp });
    expect(report).toMatchObject({ outcome: 'failed', exitCode: 3 });
    expect(byId(report, 'backup.enc-key')?.status).toBe('pass');
    const failing = report.checks.filter((c) => c.status === 'fail');
    expect(failing).toHaveLength(1);
    expect(failing[0].step).toBe('upgrade');
    expect(JSON.stringify(failing[0])).toMatch(/oath0001/);
    expect(stepStatus(report)).toMatchObject({ restore: 'ok', upgrade: 'failed', verify: 'skipped:earlier-failure' });
  }, 120_000);

  it('--fail-on rejected makes the access log findings failing checks', async () => {
    const report = await runRehearsal({ backup: DUMP, encKeyPath: ENC_KEY, accessLogs: [ACCESS_LOG], apiFailOn: 'rejected', cwd: ROOT, tmpBase: tmp });
    expect(report).toMatchObject({ outcome: 'failed', exitCode: 3 });
    expect(report.checks.filter((c) => c.status === 'fail').map((c) => c.id)).toEqual(['api-check.rejected']);
    expect(byId(report, 'api-check.deprecated')?.status).toBe('warn');
    expect(byId(report, 'api-check.rejected')?.items).toContain('GET admin/assign: 6 call(s) from 10.30.1.40');
  }, 120_000);

  it('again into a kept LinOTP 3 target (--yes): its local admin survives the restore and is counted as such', async () => {
    const url = `sqlite:///${join(tmp, 'kept-target.db')}`;
    const first = await runRehearsal({ backup: DUMP, encKeyPath: ENC_KEY, targetDb: url, admin: { name: 'admin', password: ADMIN_PASSWORD }, keep: true, cwd: ROOT });
    expect(first.outcome).toBe('passed');
    const again = await runRehearsal({ backup: DUMP, encKeyPath: ENC_KEY, targetDb: url, yes: true, cwd: ROOT });
    expect(again.checks.filter((c) => c.status === 'fail')).toEqual([]);
    expect(again.tables.find((t) => t.table === 'imported_user')).toMatchObject({ backup: 8, after: 9, expectedDelta: 1, ok: true });
    expect(byId(again, 'verify.local-admins')?.status).toBe('pass');
    expect(again.target).toMatchObject({ scratch: false, removed: true });
  }, 120_000);

  it('a missing input file is refused before any work (exit 1)', async () => {
    await expect(runRehearsal({ backup: join(tmp, 'nope.sql'), encKeyPath: ENC_KEY, cwd: ROOT, tmpBase: tmp })).rejects.toThrow(/--backup .*nope\.sql does not exist/);
    await expect(runRehearsal({ backup: DUMP, encKeyPath: ENC_KEY, accessLogs: [join(tmp, 'access.log.9')], cwd: ROOT, tmpBase: tmp })).rejects.toThrow(/--access-log .* does not exist/);
  });

  it('a file that is not a dump fails the backup check (exit 3)', async () => {
    const file = join(tmp, 'empty.sql');
    writeFileSync(file, 'this is not SQL\n');
    const report = await runRehearsal({ backup: file, encKeyPath: ENC_KEY, cwd: ROOT, tmpBase: tmp });
    expect(report).toMatchObject({ outcome: 'failed', exitCode: 3 });
    expect(byId(report, 'backup.readable')).toMatchObject({ status: 'fail', summary: expect.stringMatching(/does not look like a SQL dump/) });
    expect(report.counts.fail).toBe(1);
  });
});

describeEngines(
  'rehearse into a server database',
  (engine) => {
    it(`passes on ${engine}; the target is emptied afterwards`, async () => {
      const t = await createTestDatabase(engine);
      try {
        const report = await runRehearsal({ backup: ARCHIVE, passphrase: PASSPHRASE, ini: INI, accessLogs: [ACCESS_LOG], targetDb: t.url, cwd: ROOT });
        const failing = report.checks.filter((c) => c.status === 'fail');
        expect(failing, JSON.stringify(failing, null, 1)).toEqual([]);
        expect(report.outcome).toBe('passed');
        expect(report.target).toMatchObject({ engine, scratch: false, removed: true });
        expect(report.target.url).not.toMatch(/lmt-Test-pw/);
        for (const id of ['restore.rows', 'rows-preserved', 'verify.token-seeds', 'verify.encoding', 'model-current', 'verify.admin-realm']) expect(byId(report, id)?.status, id).toBe('pass');
        expect(report.tables.find((x) => x.table === 'challenges')).toMatchObject({ after: 0, ok: true });
        const db = await openDatabase(t.url);
        try {
          expect(await db.listTables()).toEqual([]);
        } finally {
          await db.close();
        }
      } finally {
        await t.drop();
      }
    }, 180_000);

    it(`refuses a non-empty ${engine} target unless --yes`, async () => {
      const t = await createTestDatabase(engine);
      try {
        const db = await openDatabase(t.url);
        await db.execute('CREATE TABLE unrelated (id INTEGER PRIMARY KEY)');
        await db.close();
        const refused = await runRehearsal({ backup: DUMP, encKeyPath: ENC_KEY, targetDb: t.url, cwd: ROOT });
        expect(refused).toMatchObject({ outcome: 'error', exitCode: 1 });
        expect(refused.steps[0]).toMatchObject({ id: 'target', status: 'failed', summary: expect.stringMatching(/is not empty \(1 table\(s\): unrelated\)/), error: { hint: expect.stringMatching(/--yes/) } });
        expect(stepStatus(refused)).toMatchObject({ backup: 'skipped:earlier-failure', restore: 'skipped:earlier-failure' });
        const report = await runRehearsal({ backup: DUMP, encKeyPath: ENC_KEY, targetDb: t.url, yes: true, cwd: ROOT });
        expect(report.outcome).toBe('passed');
        // only what the rehearsal created is dropped: the table that was there stays
        const after = await openDatabase(t.url);
        try {
          expect(await after.listTables()).toEqual(['unrelated']);
        } finally {
          await after.close();
        }
      } finally {
        await t.drop();
      }
    }, 180_000);
  },
  ['mysql', 'postgres'],
);
