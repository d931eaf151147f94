/**
 * `verify` computes whether LinOTP 3's service user can read its files (issue 21 item 1): a root-owned
 * 0400 encKey and a 0600 cfg file fail (exit 3) although root can read them; the printed fix makes
 * it pass. Spawns the built binary on a real LinOTP 3 SQLite database (made by `init database`).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/index.js';
import { buildInstallation } from '../../src/fixtures/installation.js';
import { writeInstallation } from '../../src/fixtures/write.js';
import type { VerifyReport } from '../../src/verify/types.js';
import { canTestOwnership, ensureLinotpUser, NOT_ROOT } from '../helpers/linotp-user.js';
import { BIN, ensureBuilt, ROOT } from './global-setup.js';

const root = canTestOwnership();

function run(args: string[], env: Record<string, string> = {}) {
  const base = { ...process.env };
  for (const k of Object.keys(base)) if (k.startsWith('LINOTP_')) delete base[k];
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...base, NO_COLOR: '1', ...env } });
  let json: VerifyReport | undefined;
  try {
    json = JSON.parse(r.stdout);
  } catch {
    json = undefined;
  }
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, json };
}

describe.skipIf(!root)(`verify: LinOTP can read its files${root ? '' : ` (skipped: ${NOT_ROOT})`}`, () => {
  let dir: string;
  let etc: string;
  let key: string;
  let cfg: string;
  let linotp: { uid: number; gid: number };
  const access = (r: ReturnType<typeof run>) => r.json!.checks.find((c) => c.id === 'file-access');

  beforeAll(async () => {
    ensureBuilt();
    linotp = ensureLinotpUser();
    dir = mkdtempSync(join(tmpdir(), 'lmt-e2e-access-'));
    chmodSync(dir, 0o755);
    etc = join(dir, 'etc');
    mkdirSync(etc, { mode: 0o755 });
    const inst = buildInstallation({ tokens: 6, auditRows: 3 });
    const url = `sqlite:///${join(dir, 'linotp.db')}`;
    const db = await openDatabase(url, { create: true });
    try {
      await writeInstallation(db, inst);
    } finally {
      await db.close();
    }
    key = join(etc, 'encKey');
    writeFileSync(key, inst.encKeyBytes, { mode: 0o400 });
    const up = run(['init', 'database', '--database-uri', url, '--enc-key', key, '--yes']);
    expect(up.code, up.stderr).toBe(0);
    cfg = join(etc, 'linotp.cfg');
    writeFileSync(cfg, `DATABASE_URI = '${url}'\nSECRET_FILE = '${key}'\n`, { mode: 0o600 });
  }, 180_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('root:root 0400 encKey and a 0600 cfg: exit 3, both named, the fix printed', () => {
    chownSync(key, 0, 0);
    chmodSync(key, 0o400);
    chmodSync(cfg, 0o600);
    const r = run(['--json', 'verify', '--skip-encoding'], { LINOTP_CFG: cfg });
    expect(r.code, r.stderr).toBe(3);
    const c = access(r)!;
    expect(c).toMatchObject({ status: 'fail', failed: 2 });
    expect(c.items).toEqual([`${key} (encKey, root:root 0400) is not readable by linotp`, `${cfg} (LinOTP settings file, root:root 0600) is not readable by linotp`]);
    expect(c.hint).toBe(`chown linotp:linotp ${key} && chmod 0440 ${key}; chgrp linotp ${cfg} && chmod 0640 ${cfg}`);
    expect(r.stderr).toContain(`error: verify found problems: file-access (2): ${key} (encKey, root:root 0400) is not readable by linotp`);
    expect(r.stderr).toContain(`hint: chown linotp:linotp ${key} && chmod 0440 ${key}`);
  });

  it('after the printed fix: passes (as LinOTP 3.4\'s package leaves the files)', () => {
    chownSync(key, linotp.uid, linotp.gid);
    chmodSync(key, 0o440);
    chownSync(cfg, 0, linotp.gid);
    chmodSync(cfg, 0o640);
    const r = run(['--json', 'verify', '--skip-encoding'], { LINOTP_CFG: cfg });
    expect(r.code, r.stderr).toBe(0);
    expect(access(r)).toMatchObject({ status: 'pass', checked: 2, failed: 0 });
    expect(access(r)!.summary).toMatch(/^linotp \(owner of the encKey\) can read all 2 file\(s\)/);
  });

  it('a directory the service user cannot enter is named', () => {
    chmodSync(etc, 0o700);
    try {
      const r = run(['--json', 'verify', '--skip-encoding'], { LINOTP_CFG: cfg });
      expect(r.code).toBe(3);
      expect(access(r)!.items![0]).toBe(`${key}: linotp cannot enter ${etc} (root:root 0700)`);
      expect(access(r)!.hint).toContain(`chgrp linotp ${etc} && chmod g+x ${etc}`);
    } finally {
      chmodSync(etc, 0o755);
    }
  });

  it('--service-user checks another user; an unknown one fails', () => {
    const other = run(['--json', 'verify', '--skip-encoding', '--service-user', 'nobody'], { LINOTP_CFG: cfg });
    expect(other.code).toBe(3);
    expect(access(other)!.items!.join()).toMatch(/not readable by nobody/);
    const none = run(['--json', 'verify', '--skip-encoding', '--service-user', 'lmt-no-such-user'], { LINOTP_CFG: cfg });
    expect(none.code).toBe(3);
    expect(access(none)!.summary).toBe('--service-user lmt-no-such-user: there is no such user on this system');
  });
});
