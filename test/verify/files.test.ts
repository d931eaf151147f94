// Which files verify checks for LinOTP 3's service user, and who that user is (src/verify/files.ts).
import { chmodSync, chownSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findUser } from '../../src/files/ownership.js';
import { loadLinotp3Settings } from '../../src/settings/linotp3.js';
import { checkFileAccess, chooseServiceUser, filesLinotpReads } from '../../src/verify/files.js';
import { canTestOwnership, ensureLinotpUser, ensureUser, NOT_ROOT } from '../helpers/linotp-user.js';

const root = canTestOwnership();

describe.skipIf(!root)(`verify file access${root ? '' : ` (skipped: ${NOT_ROOT})`}`, () => {
  let dir: string;
  beforeAll(() => {
    ensureLinotpUser();
    ensureUser('lmt-other');
    dir = mkdtempSync(join(tmpdir(), 'lmt-vfiles-'));
    chmodSync(dir, 0o755); // mkdtemp's 0700 would (rightly) hide the cfg files from linotp
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function settings(cfg: string) {
    const file = join(dir, `s${Math.random().toString(36).slice(2)}.cfg`);
    writeFileSync(file, cfg);
    return { file, s: loadLinotp3Settings({ LINOTP_CFG: file }) };
  }

  it('encKey, the audit keys unless AUDIT_DATABASE_URI is OFF, and every cfg file read', () => {
    const { file, s } = settings(`ROOT_DIR = '${dir}'\nAUDIT_PRIVATE_KEY_FILE = '/etc/x/priv.pem'\n`);
    expect(filesLinotpReads(s, join(dir, './encKey'))).toEqual([
      { path: join(dir, 'encKey'), kind: 'enc-key', required: true },
      { path: '/etc/x/priv.pem', kind: 'audit-private-key', required: true },
      { path: join(dir, 'audit-public.pem'), kind: 'audit-public-key', required: false },
      { path: file, kind: 'cfg', required: true },
    ]);
    const off = settings(`AUDIT_DATABASE_URI = 'OFF'\n`);
    expect(filesLinotpReads(off.s, undefined).map((f) => f.kind)).toEqual(['cfg']);
  });

  it('a named audit key that is missing fails; a default one that is missing is not counted', () => {
    const { s } = settings(`ROOT_DIR = '${dir}'\nAUDIT_PRIVATE_KEY_FILE = '${dir}/missing.pem'\n`);
    const r = checkFileAccess(filesLinotpReads(s, undefined), { account: findUser('linotp')!, from: '--service-user' }, 'linotp');
    expect(r).toMatchObject({ status: 'fail', checked: 2, failed: 1 });
    expect(r.items).toEqual([`${dir}/missing.pem (audit private key) does not exist`]);
  });

  it('service user: --service-user, else the key owner unless root, else linotp (LINOTP_MIGRATE_SERVICE_USER)', () => {
    const key = join(dir, 'encKey');
    writeFileSync(key, Buffer.alloc(96));
    chownSync(key, 0, 0);
    expect(chooseServiceUser(undefined, key, {})).toMatchObject({ account: { name: 'linotp' }, from: 'default service user' });
    expect(chooseServiceUser(undefined, key, { LINOTP_MIGRATE_SERVICE_USER: 'lmt-no-such-user' })).toEqual({ from: 'none' });
    chownSync(key, findUser('lmt-other')!.uid, 0);
    expect(chooseServiceUser(undefined, key, {})).toMatchObject({ account: { name: 'lmt-other' }, from: 'owner of the encKey' });
    expect(chooseServiceUser('nobody', key, {})).toMatchObject({ account: { name: 'nobody' }, from: '--service-user' });
    expect(checkFileAccess([], { from: 'none' }, undefined)).toMatchObject({ status: 'skip' });
  });
});
