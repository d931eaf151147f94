/**
 * Issue 21 item 5 end to end: on SQLite with AUDIT_DATABASE_URI = SHARED LinOTP 3.4 reads `<file>_audit`.
 * A LinOTP 3 database whose audit rows sit in the main file (what restore + the old init database left) must
 * fail `verify` (exit 3, check audit-location); `init database` moves them; then `verify` passes and counts
 * them where LinOTP reads them. The built binary, --json.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EncKey } from '../../src/crypto/enckey.js';
import { openDatabase } from '../../src/db/index.js';
import { SAMPLE_ENC_KEY } from '../../src/fixtures/sample.js';
import { applyUpgrade } from '../../src/upgrade/apply.js';
import type { VerifyReport } from '../../src/verify/types.js';
import { BIN, ensureBuilt, ROOT } from '../e2e/global-setup.js';
import { loadSample212 } from '../upgrade/sample-db.js';

const tmp = mkdtempSync(join(tmpdir(), 'lmt-verify-audit-'));
// Searchable like /etc: verify checks that the LinOTP service user can reach the encKey.
chmodSync(tmp, 0o755);
const file = join(tmp, 'linotp.db');
const uri = `sqlite:///${file}`;
const keyFile = join(tmp, 'encKey');

beforeAll(() => ensureBuilt(), 180_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function run(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', LINOTP_CFG: '', ...env } });
  let json: unknown;
  try {
    json = JSON.parse(r.stdout);
  } catch {
    json = undefined;
  }
  return { code: r.status, stderr: r.stderr, json };
}

describe('verify and init database find the audit table where LinOTP 3.4 reads it (SQLite SHARED)', () => {
  it('audit rows left in the main file: verify fails, init database moves them to <file>_audit, verify passes', async () => {
    writeFileSync(keyFile, SAMPLE_ENC_KEY);
    const db = await openDatabase(uri, { create: true });
    try {
      await loadSample212(db);
      // what the tool did before: upgraded with the audit table in the main file
      await applyUpgrade(db, { encKey: new EncKey(SAMPLE_ENC_KEY, 'k') });
    } finally {
      await db.close();
    }
    const before = run(['--json', 'verify', '--database-uri', uri, '--enc-key', keyFile, '--skip-encoding']);
    expect(before.code, before.stderr).toBe(3);
    const c1 = (before.json as VerifyReport).checks.find((c) => c.id === 'audit-location')!;
    expect(c1.status).toBe('fail');
    expect(c1.summary).toMatch(/no audit table in the SQLite file .*linotp\.db_audit/);

    // audit to-utc before the move: works on the rows where they are, and says where LinOTP 3.4 reads them
    const early = run(['audit', 'to-utc', '--database-uri', uri, '--timezone', 'Europe/Berlin', '--plan']);
    expect(early.code, early.stderr).toBe(0);
    expect(early.stderr).toContain(`the audit rows are still in the main database sqlite:///${file}; LinOTP 3.4 reads the SQLite file ${file}_audit`);

    const plan = run(['--json', 'init', 'database', '--database-uri', uri, '--enc-key', keyFile, '--plan']);
    expect(plan.code, plan.stderr).toBe(0);
    expect(existsSync(`${file}_audit`)).toBe(false); // a plan creates nothing
    const actions = (plan.json as { actions: { id: string; effects: Record<string, unknown> }[] }).actions;
    expect(actions.map((a) => a.id)).toEqual(['create-audit', 'move-audit']);
    expect(actions[1].effects).toEqual({ auditRowsToMove: 4 });

    const up = run(['--json', 'init', 'database', '--database-uri', uri, '--enc-key', keyFile]);
    expect(up.code, up.stderr).toBe(0);
    const after = run(['--json', 'verify', '--database-uri', uri, '--enc-key', keyFile, '--skip-encoding']);
    expect(after.code, after.stderr).toBe(0);
    const c2 = (after.json as VerifyReport).checks.find((c) => c.id === 'audit-location')!;
    expect(c2).toMatchObject({ status: 'pass', summary: expect.stringMatching(/^4 audit rows in the SQLite file .*linotp\.db_audit \(AUDIT_DATABASE_URI from default\)$/) });
    // audit to-utc after the move: the table in <file>_audit, no warning
    const utc = spawnSync(process.execPath, [BIN, 'audit', 'to-utc', '--database-uri', uri, '--timezone', 'Europe/Berlin', '--plan'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', LINOTP_CFG: '' } });
    expect(utc.status, utc.stderr).toBe(0);
    expect(utc.stdout).toContain(`audit table audit in sqlite:///${file}_audit: 4 rows`);
    expect(utc.stderr).not.toContain('still in the main database');
  });

  it('a separate AUDIT_DATABASE_URI set in a cfg file is where verify looks', async () => {
    const cfg = join(tmp, 'audit.cfg');
    const other = join(tmp, 'other-audit.db');
    writeFileSync(cfg, `AUDIT_DATABASE_URI = 'sqlite:///${other}'\n`);
    const r = run(['--json', 'verify', '--database-uri', uri, '--enc-key', keyFile, '--skip-encoding'], { LINOTP_CFG: cfg });
    expect(r.code).toBe(3);
    const c = (r.json as VerifyReport).checks.find((x) => x.id === 'audit-location')!;
    expect(c.summary).toContain(`no audit table in the SQLite file ${other} (AUDIT_DATABASE_URI from ${cfg}:1)`);
    expect(existsSync(other)).toBe(false);
  });
});
