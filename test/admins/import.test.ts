/**
 * `local-admins import --htdigest` end to end (built binary): LinOTP 2's digest admins become LinOTP 3
 * local admins; generated passwords only in the 0600 sheet; passlib verifies the stored hashes.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listAdmins } from '../../src/admins/store.js';
import { openDatabase } from '../../src/db/index.js';
import { writeEtcTree } from '../../src/fixtures/etc-tree.js';
import { buildInstallation } from '../../src/fixtures/installation.js';
import { writeInstallation } from '../../src/fixtures/write.js';
import { createTestDatabase, describeEngines } from '../helpers/db.js';
import { ensureBuilt, runCli } from '../e2e/global-setup.js';

const tmp = mkdtempSync(join(tmpdir(), 'lmt-admins-import-'));
const tree = writeEtcTree(join(tmp, 'old'));
const inst = buildInstallation({ tokens: 3, auditRows: 2 });
const keyFile = join(tmp, 'encKey');
writeFileSync(keyFile, inst.encKeyBytes);
const names = { resolver: 'LinOTP_local_admins', realm: 'linotp_admins' };

beforeAll(() => ensureBuilt(), 180_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const run = runCli;

/** passlib, as LinOTP 3.4 checks admin passwords. */
function passlibVerifies(password: string, hash: string): boolean {
  const r = spawnSync('/usr/bin/python3', ['-c', 'import sys; from passlib.hash import sha512_crypt; print(sha512_crypt.verify(sys.stdin.readline().rstrip("\\n"), sys.argv[1]))', hash], { input: password + '\n', encoding: 'utf8' });
  return r.stdout.trim() === 'True';
}

describeEngines('local-admins import', (engine) => {
  let url: string;
  let drop: () => Promise<void>;
  beforeAll(async () => {
    ({ url, drop } = await createTestDatabase(engine));
    const db = await openDatabase(url);
    try {
      await writeInstallation(db, inst);
    } finally {
      await db.close();
    }
    const r = run(['--yes', 'init', 'database', '--database-uri', url, '--enc-key', keyFile]);
    expect(r.code, r.stderr).toBe(0);
  }, 120_000);
  afterAll(() => drop?.());
  const admins = join(tree.linotp2, 'admins');

  it('--plan names who would be added and changes nothing', async () => {
    const r = run(['--json', 'local-admins', 'import', '--database-uri', url, '--htdigest', admins, '--plan']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json).toMatchObject({ toAdd: ['admin', 'hélène'], existing: [], applied: false });
    const db = await openDatabase(url);
    try {
      expect((await listAdmins(db, names)).map((a) => a.userid)).not.toContain('hélène');
    } finally {
      await db.close();
    }
  });

  it('a password file without a line for every admin is refused (exit 2), nothing changed', () => {
    const pw = join(tmp, `${engine}-pw.txt`);
    writeFileSync(pw, 'admin:Correct-Horse-42\n');
    const r = run(['--yes', 'local-admins', 'import', '--database-uri', url, '--htdigest', admins, '--password-file', pw]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: .* has no password for hélène$/m);
    expect(r.stderr).not.toContain('Correct-Horse-42');
  });

  it('--generate-passwords: 0600 sheet, passwords nowhere else, passlib verifies; a second run adds nothing', async () => {
    const sheet = join(tmp, `${engine}-sheet.txt`);
    const r = run(['--json', '--yes', 'local-admins', 'import', '--database-uri', url, '--htdigest', admins, '--generate-passwords', sheet]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json.added).toEqual(['admin', 'hélène']);
    expect(statSync(sheet).mode & 0o777).toBe(0o600);
    const lines = readFileSync(sheet, 'utf8').split('\n').filter((l) => l && !l.startsWith('#'));
    const pw = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1)]));
    expect(Object.keys(pw)).toEqual(['admin', 'hélène']);
    for (const p of Object.values(pw)) {
      expect(r.stdout + r.stderr).not.toContain(p as string);
      expect(p).toMatch(/^[A-Za-z0-9._-]{20}$/);
    }
    const db = await openDatabase(url);
    try {
      const stored = Object.fromEntries((await listAdmins(db, names)).map((a) => [a.userid, a.password]));
      expect(passlibVerifies(pw.admin, stored.admin!)).toBe(true);
      expect(passlibVerifies(pw['hélène'], stored['hélène']!)).toBe(true);
    } finally {
      await db.close();
    }
    const sheet2 = join(tmp, `${engine}-sheet2.txt`);
    const again = run(['--json', '--yes', 'local-admins', 'import', '--database-uri', url, '--htdigest', admins, '--generate-passwords', sheet2]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.json).toMatchObject({ added: [], existing: ['admin', 'hélène'] });
    expect(existsSync(sheet2)).toBe(false);
  }, 60_000);

  it('helpdesk users are listed, not imported; a malformed htdigest line is one error line (exit 1)', () => {
    const r = run(['--json', '--yes', 'local-admins', 'import', '--database-uri', url, '--htdigest', join(tree.linotp2, 'auth_helpdesk')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json).toMatchObject({ toAdd: [], helpdesk: ['helpdesk'] });
    expect(r.stderr).toMatch(/helpdesk is a helpdesk user: not imported/);
    const bad = join(tmp, `${engine}-bad-admins`);
    writeFileSync(bad, 'admin:LinOTP2 admin area:nothex\n');
    const b = run(['local-admins', 'import', '--database-uri', url, '--htdigest', bad]);
    expect(b.code).toBe(1);
    expect(b.stderr).toMatch(/^error: .*bad-admins line 1: not an htdigest line/m);
  });
}, ['sqlite', 'postgres']);
