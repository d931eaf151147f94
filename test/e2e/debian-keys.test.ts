/**
 * The guide's key steps on a Debian-like LinOTP 3 target (issue 21 items 1 and 3): LINOTP_CFG as the
 * package sets it up (linotp.cfg with ROOT_DIR, conf.d/01-debian-database.cfg root:linotp 0640), a
 * fresh encKey and audit keys owned by linotp as the postinst leaves them. backup restore
 * --install-enc-key replaces the unused fresh key without --force, init database upgrades, verify
 * passes — including the service user's read access — and fails once the key is root's.
 * (config convert, the guide's step 1, is issue 21 item 2 and not run here.)
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canTestOwnership, ensureLinotpUser, NOT_ROOT } from '../helpers/linotp-user.js';
import { BIN, ensureBuilt, ROOT } from './global-setup.js';

const root = canTestOwnership();
const ARCHIVE = join(ROOT, 'fixtures', 'demo', 'linotp2.backup.tar.gz');
const PASS = join(ROOT, 'fixtures', 'demo', 'backup-passphrase.txt');
const DEMO_KEY = readFileSync(join(ROOT, 'fixtures', 'demo', 'encKey'));

describe.skipIf(!root)(`guide key steps on a Debian-like target${root ? '' : ` (skipped: ${NOT_ROOT})`}`, () => {
  let dir: string;
  let etc: string;
  let env: Record<string, string>;
  let linotp: { uid: number; gid: number };
  const fresh = Buffer.from(Array.from({ length: 96 }, (_, i) => (i * 71 + 3) % 256));

  function run(args: string[]) {
    const base = { ...process.env };
    for (const k of Object.keys(base)) if (k.startsWith('LINOTP_')) delete base[k];
    const r = spawnSync(process.execPath, [BIN, ...args], { cwd: dir, encoding: 'utf8', env: { ...base, NO_COLOR: '1', ...env } });
    let json: any;
    try {
      json = JSON.parse(r.stdout);
    } catch {
      json = undefined;
    }
    return { code: r.status, stdout: r.stdout, stderr: r.stderr, json };
  }

  const place = (p: string, content: string | Buffer, uid: number, gid: number, mode: number) => {
    writeFileSync(p, content);
    chownSync(p, uid, gid);
    chmodSync(p, mode);
  };

  beforeAll(() => {
    ensureBuilt();
    linotp = ensureLinotpUser();
    dir = mkdtempSync(join(tmpdir(), 'lmt-e2e-debian-'));
    chmodSync(dir, 0o755);
    etc = join(dir, 'etc', 'linotp');
    mkdirSync(join(etc, 'conf.d'), { recursive: true, mode: 0o755 });
    chmodSync(join(dir, 'etc'), 0o755);
    chownSync(etc, linotp.uid, 0); // postinst create_dir: chown -R linotp
    const db = join(dir, 'lib', 'linotp.db');
    mkdirSync(join(dir, 'lib'), { mode: 0o755 });
    place(join(etc, 'linotp.cfg'), `ROOT_DIR = '${etc}'\n`, 0, 0, 0o644);
    place(join(etc, 'conf.d', '01-debian-database.cfg'), `DATABASE_URI = 'sqlite:///${db}'\n`, 0, linotp.gid, 0o640);
    place(join(etc, 'encKey'), fresh, linotp.uid, linotp.gid, 0o440);
    place(join(etc, 'audit-private.pem'), '-----BEGIN PRIVATE KEY-----\n', linotp.uid, linotp.gid, 0o640);
    place(join(etc, 'audit-public.pem'), '-----BEGIN PUBLIC KEY-----\n', linotp.uid, linotp.gid, 0o644);
    env = { LINOTP_CFG: `${join(etc, 'linotp.cfg')}:-${join(etc, 'conf.d')}` };
  }, 180_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('backup verify, restore --install-enc-key (no --force), init database, verify', () => {
    const key = join(etc, 'encKey');
    const v = run(['backup', 'verify', '--file', ARCHIVE, '--passphrase-file', PASS]);
    expect(v.code, v.stderr).toBe(0);

    const plan = run(['--json', 'backup', 'restore', '--file', ARCHIVE, '--passphrase-file', PASS, '--install-enc-key', '--plan']);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.json.installEncKey).toMatchObject({ path: key, action: 'replaced', user: 'linotp', group: 'linotp', mode: '0440', replacesUnusedKey: { unused: true, target: { total: 0 } } });
    expect(readFileSync(key).equals(fresh)).toBe(true);

    const r = run(['backup', 'restore', '--file', ARCHIVE, '--passphrase-file', PASS, '--install-enc-key', '--yes']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/encKey replaced: .*encKey \(linotp:linotp 0440\); the old key, which encrypted nothing in the target database, is kept as .*encKey\.\d{4}-\d\d-\d\d/);
    expect(readFileSync(key).equals(DEMO_KEY)).toBe(true);
    const st = statSync(key);
    expect([st.uid, st.gid, st.mode & 0o777]).toEqual([linotp.uid, linotp.gid, 0o440]);
    const old = r.stdout.match(/kept as (\S+encKey\.\d{4}-\d\d-\d\d)/)![1];
    expect(readFileSync(old).equals(fresh)).toBe(true);
    expect(statSync(old).uid).toBe(linotp.uid);

    const up = run(['init', 'database', '--yes']);
    expect(up.code, up.stderr).toBe(0);

    const ok = run(['--json', 'verify', '--skip-encoding']);
    expect(ok.code, ok.stderr + ok.stdout).toBe(0);
    const access = ok.json.checks.find((c: { id: string }) => c.id === 'file-access');
    expect(access).toMatchObject({ status: 'pass', checked: 5, failed: 0 });
    expect(access.summary).toMatch(/^linotp \(owner of the encKey\) can read all 5 file\(s\)/);

    // the mistake issue 21 reports: a root-owned key, which root's own verify used to pass
    chownSync(key, 0, 0);
    chmodSync(key, 0o400);
    const bad = run(['verify', '--skip-encoding']);
    expect(bad.code).toBe(3);
    expect(bad.stderr).toContain(`hint: chown linotp:linotp ${key} && chmod 0440 ${key}`);
    // a second restore now meets a different key the populated target needs: refused, nothing changed
    place(key, fresh, linotp.uid, linotp.gid, 0o440);
    const again = run(['backup', 'restore', '--file', ARCHIVE, '--passphrase-file', PASS, '--install-enc-key', '--yes']);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/error: .*encKey holds a different encKey \(sha256 [0-9a-f]{16}…\), and .* holds \d+ encrypted value\(s\)/);
    expect(readFileSync(key).equals(fresh)).toBe(true);
  });
});
