import { describe, expect, it } from 'vitest';
import { EncKey } from '../../src/crypto/enckey.js';
import { encryptConfigValue, encryptTokenSeed } from '../../src/crypto/values.js';
import { SAMPLE_ENC_KEY, SAMPLE_TOKENS } from '../../src/fixtures/sample.js';
import { adminResolverRows, allDefaultRows, setDefaultsRows } from '../../src/upgrade/defaults.js';
import { chunkConfigValue, CONFIG_CHUNK_LEN, processConfigRows, processTokenRow } from '../../src/upgrade/reencrypt.js';

const KEY = new EncKey(SAMPLE_ENC_KEY, 'sample key');

describe('processTokenRow', () => {
  it('re-encrypts the legacy seed with the same IV and the @@ PIN with the LinOtpSeed IV', () => {
    const r = processTokenRow(KEY, SAMPLE_TOKENS[1]);
    expect(r.failures).toEqual([]);
    expect(Object.keys(r.update).sort()).toEqual(['LinOtpKeyEnc', 'LinOtpPinHash']);
    expect(r.update.LinOtpKeyEnc.slice(-32)).toBe('71fdaff51e8abea04c72fa20f0d178c2');
    expect(r.update.LinOtpKeyEnc.slice(0, 256)).toBe(String(SAMPLE_TOKENS[1].LinOtpKeyEnc).slice(0, 256));
  });
  it('skips pw tokens (IV :1:), qr/push and empty seeds; leaves PKCS#7 values alone', () => {
    expect(processTokenRow(KEY, SAMPLE_TOKENS[2])).toEqual({ update: {}, legacy: {}, pkcs7: {}, failures: [] });
    expect(processTokenRow(KEY, { ...SAMPLE_TOKENS[0], LinOtpTokenType: 'push' }).update).toEqual({});
    expect(processTokenRow(KEY, { ...SAMPLE_TOKENS[0], LinOtpKeyEnc: '' }).update).toEqual({});
    const iv = 'a0a1a2a3a4a5a6a7a8a9aaabacadaeaf';
    const modern = { ...SAMPLE_TOKENS[0], LinOtpKeyEnc: encryptTokenSeed(KEY, '3132', iv, 'pkcs7'), LinOtpKeyIV: iv };
    expect(processTokenRow(KEY, modern)).toEqual({ update: {}, legacy: {}, pkcs7: { seed: 1 }, failures: [] });
  });
  it('checkOnly (the plan): the same counts and failures as the rewrite, nothing encrypted', () => {
    const wrong = new EncKey(Buffer.alloc(96, 9), 'wrong');
    const damaged = { ...SAMPLE_TOKENS[0], LinOtpKeyEnc: 'zz' };
    for (const row of [...SAMPLE_TOKENS, damaged]) {
      for (const key of [KEY, wrong]) {
        const full = processTokenRow(key, row);
        expect(processTokenRow(key, row, { checkOnly: true })).toEqual({ ...full, update: {} });
      }
    }
  });
  it('reports a wrong key as a failure naming the token, never the value', () => {
    const r = processTokenRow(new EncKey(Buffer.alloc(96, 9), 'wrong'), SAMPLE_TOKENS[0]);
    expect(r.update).toEqual({});
    expect(r.failures).toEqual([{ where: 'token oath0001', kind: 'seed', reason: expect.any(String) }]);
  });
});

describe('Config values', () => {
  it('chunks like LinOTP: head C 0:N, middle C i:N, last carries type and description', () => {
    const v = 'a'.repeat(CONFIG_CHUNK_LEN * 2 + 5);
    expect(chunkConfigValue('linotp.X', v, 'encrypted_data', 'None').map((r) => [r.key, r.value!.length, r.type, r.description])).toEqual([
      ['linotp.X', CONFIG_CHUNK_LEN, 'C', '0:2'],
      ['linotp.X__[1:2]', CONFIG_CHUNK_LEN, 'C', '1:2'],
      ['linotp.X__[2:2]', 5, 'encrypted_data', 'None'],
    ]);
    expect(chunkConfigValue('linotp.Y', 'short', 'text', '')).toEqual([{ key: 'linotp.Y', value: 'short', type: 'text', description: '' }]);
  });
  it('re-encrypts legacy secrets (password → encrypted_data), skips PKCS#7 and plain rows', () => {
    const rows = [
      { key: 'linotp.a', value: encryptConfigValue(KEY, 'one', 'legacy'), type: 'password', description: 'None' },
      { key: 'linotp.b', value: encryptConfigValue(KEY, 'two', 'pkcs7'), type: 'encrypted_data', description: 'None' },
      { key: 'linotp.c', value: 'a31b6178b78637d5e4fa5fb5f19d5493:599e786159a3f544d1bb0d810830587d', type: 'text', description: 'None' },
    ];
    const r = processConfigRows(KEY, rows);
    expect(r.failures).toEqual([]);
    expect(r.legacy).toEqual({ config: 1 });
    expect(r.pkcs7).toEqual({ config: 1 });
    expect(r.changes).toHaveLength(1);
    expect(r.changes[0]).toMatchObject({ key: 'linotp.a', deleteKeys: ['linotp.a'], rows: [{ key: 'linotp.a', type: 'encrypted_data', description: 'None' }] });
  });
  it('a broken chunk chain of a secret is reported, not decrypted', () => {
    const rows = chunkConfigValue('linotp.S', encryptConfigValue(KEY, 'x'.repeat(2000), 'legacy'), 'encrypted_data', 'None');
    const r = processConfigRows(KEY, rows.filter((_, i) => i !== 1));
    expect(r.changes).toEqual([]);
    expect(r.chunkProblems.map((p) => p.problem)).toContain('missing-chunk');
  });
});

describe('set_defaults data (branch-v3.4)', () => {
  it('the admin resolver Map is the JSON LinOTP stores, Password is the dummy stored as text', () => {
    const rows = adminResolverRows('LinOTP_local_admins');
    expect(rows).toHaveLength(14);
    expect(rows.find((r) => r.key === 'linotp.sqlresolver.Map.LinOTP_local_admins')!.value).toBe(
      '{"userid": "userid", "username": "username", "phone": "phone", "mobile": "mobile", "email": "email", "surname": "surname", "givenname": "givenname", "password": "password", "groupid": "groupid"}',
    );
    expect(rows.find((r) => r.key.startsWith('linotp.sqlresolver.Password.'))!.type).toBe('text');
    expect(rows.find((r) => r.key.startsWith('linotp.sqlresolver.Where.'))!.value).toBe("groupid = 'LinOTP_local_admins'");
  });
  it('31 defaults + 14 resolver rows + the realm mapping; keys unique', () => {
    expect(setDefaultsRows()).toHaveLength(31);
    const all = allDefaultRows('LinOTP_local_admins', 'Linotp_Admins');
    expect(all).toHaveLength(46);
    expect(new Set(all.map((r) => r.key)).size).toBe(46);
    expect(all.find((r) => r.key.startsWith('linotp.useridresolver.group.'))).toEqual({
      key: 'linotp.useridresolver.group.linotp_admins',
      value: 'useridresolver.SQLIdResolver.IdResolver.LinOTP_local_admins',
      type: 'text',
      description: 'None',
    });
  });
});
