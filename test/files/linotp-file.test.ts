// Owner, group and mode of written LinOTP files (issue 21 item 1), with a real `linotp` system user.
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ExitCode, UsageError } from '../../src/errors.js';
import { planLinotpFile, writeLinotpFile } from '../../src/files/linotp-file.js';
import { findUser, groupsOf, parseOwnerSpec, readObstacle } from '../../src/files/ownership.js';
import { BIN, ensureBuilt } from '../e2e/global-setup.js';
import { canTestOwnership, ensureLinotpUser, ensureUser, NOT_ROOT } from '../helpers/linotp-user.js';

const root = canTestOwnership();
const KEY = Buffer.alloc(96, 0x11);
const OTHER = Buffer.alloc(96, 0x22);
/** LINOTP_MIGRATE_SERVICE_USER pointing at a user that does not exist: "no linotp user here". */
const NO_SERVICE_USER = { LINOTP_MIGRATE_SERVICE_USER: 'lmt-no-such-user' };

let linotp: { uid: number; gid: number };
let other: { uid: number; gid: number };
let dir: string;

const own = (p: string) => {
  const st = statSync(p);
  return { uid: st.uid, gid: st.gid, mode: st.mode & 0o7777 };
};

describe.skipIf(!root)(`LinOTP file ownership${root ? '' : ` (skipped: ${NOT_ROOT})`}`, () => {
  beforeAll(() => {
    linotp = ensureLinotpUser();
    other = ensureUser('lmt-other');
  });
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'lmt-files-'));
    chmodSync(dir, 0o755);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('a fresh encKey is linotp:linotp 0440, as LinOTP 3.4\'s postinst leaves it', () => {
    const p = join(dir, 'encKey');
    const r = writeLinotpFile(p, KEY, { kind: 'enc-key', env: {} });
    expect(r).toMatchObject({ action: 'created', user: 'linotp', group: 'linotp', mode: '0440', ownerFrom: 'service user', warnings: [] });
    expect(own(p)).toEqual({ uid: linotp.uid, gid: linotp.gid, mode: 0o440 });
    expect(readFileSync(p).equals(KEY)).toBe(true);
    expect(readdirSync(dir)).toEqual(['encKey']);
  });

  it('replacing a key keeps its owner, group and mode; the old key keeps them too', () => {
    const p = join(dir, 'encKey');
    writeFileSync(p, OTHER);
    chownSync(p, other.uid, other.gid);
    chmodSync(p, 0o400);
    const r = writeLinotpFile(p, KEY, { kind: 'enc-key', existing: 'keep-backup', env: {}, now: new Date(2026, 0, 2, 3, 4) });
    expect(r).toMatchObject({ action: 'replaced', user: 'lmt-other', group: 'lmt-other', mode: '0400', ownerFrom: 'replaced file', backup: `${p}.2026-01-02` });
    expect(own(p)).toEqual({ uid: other.uid, gid: other.gid, mode: 0o400 });
    expect(own(`${p}.2026-01-02`)).toEqual({ uid: other.uid, gid: other.gid, mode: 0o400 });
    expect(readFileSync(`${p}.2026-01-02`).equals(OTHER)).toBe(true);
  });

  it('a replaced world-readable file loses the world bits', () => {
    const p = join(dir, 'linotp.cfg');
    writeFileSync(p, 'A = 1\n', { mode: 0o644 });
    chmodSync(p, 0o644);
    writeLinotpFile(p, 'A = 2\n', { kind: 'cfg', existing: 'overwrite', env: {} });
    expect(own(p).mode).toBe(0o640);
  });

  it('--owner overrides the default and the replaced file', () => {
    const p = join(dir, 'encKey');
    const r = writeLinotpFile(p, KEY, { kind: 'enc-key', owner: parseOwnerSpec('lmt-other:linotp'), env: {} });
    expect(r).toMatchObject({ user: 'lmt-other', group: 'linotp', ownerFrom: 'option' });
    expect(own(p)).toEqual({ uid: other.uid, gid: linotp.gid, mode: 0o440 });
    writeLinotpFile(p, OTHER, { kind: 'enc-key', owner: parseOwnerSpec('linotp'), existing: 'overwrite', env: {} });
    expect(own(p)).toMatchObject({ uid: linotp.uid, gid: linotp.gid });
    expect(parseOwnerSpec(`${linotp.uid}:${other.gid}`)).toMatchObject({ user: 'linotp', group: 'lmt-other' });
  });

  it('--owner with an unknown user or group is a usage error (exit 2), nothing written', () => {
    for (const spec of ['lmt-no-such-user', 'linotp:lmt-no-such-group', 'a:b:c', '']) {
      let err: unknown;
      try {
        parseOwnerSpec(spec);
      } catch (e) {
        err = e;
      }
      expect(err, spec).toBeInstanceOf(UsageError);
      expect((err as UsageError).exitCode).toBe(ExitCode.Usage);
    }
    expect(() => parseOwnerSpec('lmt-no-such-user')).toThrow(/there is no user "lmt-no-such-user"/);
  });

  it('no service user: the invoking user, with a warning naming --owner', () => {
    const p = join(dir, 'encKey');
    const r = writeLinotpFile(p, KEY, { kind: 'enc-key', env: NO_SERVICE_USER });
    expect(r.ownerFrom).toBe('invoking user');
    expect(r.warnings.join()).toMatch(/there is no user lmt-no-such-user here: .* is owned by root:root; give --owner USER\[:GROUP\]/);
    expect(own(p)).toEqual({ uid: 0, gid: 0, mode: 0o440 });
  });

  it('cfg files: the invoking user, group linotp, 0640 (like Debian\'s 01-debian-database.cfg)', () => {
    const p = join(dir, 'conf.d', 'sub', '50-x.cfg');
    const r = writeLinotpFile(p, 'A = 1\n', { kind: 'cfg', env: {} });
    expect(r).toMatchObject({ user: 'root', group: 'linotp', mode: '0640' });
    expect(own(p)).toEqual({ uid: 0, gid: linotp.gid, mode: 0o640 });
    // created directories: LinOTP must be able to enter them
    expect(own(join(dir, 'conf.d'))).toEqual({ uid: 0, gid: linotp.gid, mode: 0o750 });
    expect(readObstacle(p, findUser('linotp')!, groupsOf(findUser('linotp')!))).toBeUndefined();
  });

  it('refuses a different existing file unless told; plan predicts the write without touching anything', () => {
    const p = join(dir, 'encKey');
    writeFileSync(p, OTHER, { mode: 0o400 });
    expect(() => writeLinotpFile(p, KEY, { kind: 'enc-key', env: {} })).toThrow(/already exists with other content/);
    expect(readFileSync(p).equals(OTHER)).toBe(true);
    expect(planLinotpFile(p, KEY, { kind: 'enc-key', existing: 'keep-backup', env: {}, now: new Date(2026, 0, 2) })).toMatchObject({ action: 'replaced', backup: `${p}.2026-01-02`, user: 'root', mode: '0400' });
    expect(readdirSync(dir)).toEqual(['encKey']);
  });

  it('same content: unchanged, nothing rewritten', () => {
    const p = join(dir, 'encKey');
    writeLinotpFile(p, KEY, { kind: 'enc-key', env: {} });
    const ino = statSync(p).ino;
    expect(writeLinotpFile(p, KEY, { kind: 'enc-key', env: {} }).action).toBe('unchanged');
    expect(statSync(p).ino).toBe(ino);
  });

  it('readObstacle computes access as the kernel does (owner class first, groups from /etc/group, directories)', () => {
    const user = findUser('linotp')!;
    const groups = groupsOf(user);
    const p = join(dir, 'encKey');
    writeFileSync(p, KEY);
    chownSync(p, 0, 0);
    chmodSync(p, 0o400);
    expect(readObstacle(p, user, groups)).toMatchObject({ path: p, need: 'read', mode: 0o400 });
    chownSync(p, 0, linotp.gid);
    chmodSync(p, 0o440);
    expect(readObstacle(p, user, groups)).toBeUndefined();
    // owner class without read beats group read
    chownSync(p, linotp.uid, linotp.gid);
    chmodSync(p, 0o040);
    expect(readObstacle(p, user, groups)?.need).toBe('read');
    chmodSync(p, 0o440);
    const sub = join(dir, 'locked');
    mkdirSync(sub, { mode: 0o700 });
    writeFileSync(join(sub, 'encKey'), KEY, { mode: 0o444 });
    expect(readObstacle(join(sub, 'encKey'), user, groups)).toMatchObject({ path: sub, need: 'search' });
    // a supplementary group (Debian: linotp's primary group is nogroup, it reads through group linotp)
    const viaMember = { ...user, gid: 65534 };
    expect(groupsOf(viaMember).has(linotp.gid)).toBe(false);
    expect(readObstacle(p, { ...viaMember, uid: other.uid }, new Set([65534, linotp.gid]))).toBeUndefined();
    expect(readObstacle(p, { ...viaMember, uid: other.uid }, new Set([65534]))).toMatchObject({ need: 'read' });
  });

  it('not root: a default owner that cannot be given away leaves the file with the invoker, with a warning', () => {
    ensureBuilt();
    chownSync(dir, findUser('nobody')!.uid, 0);
    const mod = join(BIN, '..', '..', 'dist', 'files', 'linotp-file.js');
    const script = `import(${JSON.stringify(mod)}).then((m) => console.log(JSON.stringify(m.writeLinotpFile(${JSON.stringify(join(dir, 'encKey'))}, Buffer.alloc(96, 1), { kind: 'enc-key', env: {} }))))`;
    const r = JSON.parse(execFileSync('runuser', ['-u', 'nobody', '--', process.execPath, '-e', script], { encoding: 'utf8', cwd: '/' }));
    expect(r).toMatchObject({ action: 'created', user: 'nobody', ownerFrom: 'invoking user', mode: '0440' });
    expect(r.warnings[0]).toMatch(/cannot give .*encKey to linotp:linotp without root: it is yours; run as root, or chown linotp:linotp /);
    expect(own(join(dir, 'encKey'))).toMatchObject({ uid: findUser('nobody')!.uid, mode: 0o440 });
  }, 120_000);
});
