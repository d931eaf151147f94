/**
 * What LinOTP's own 3.1.0.0 misses (linotp-schema.md §3.3): user/SO PINs, the ocra2 sharedSecret in
 * TokenInfo and chunked encrypted Config values — re-encrypted by our 3.1.0.0, and repaired in a
 * database LinOTP 3.x already migrated. Plus the lock, erase and refusal paths.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { EncKey } from '../../src/crypto/enckey.js';
import {
  decryptConfigValue,
  decryptOcraSharedSecret,
  decryptOtpPin,
  decryptUserPin,
  encryptConfigValue,
  encryptOcraSharedSecret,
  encryptTokenSeed,
  encryptUserPin,
  decryptTokenSeed,
} from '../../src/crypto/values.js';
import { groupConfigRows } from '../../src/crypto/chunks.js';
import { openDatabase } from '../../src/db/index.js';
import type { Db } from '../../src/db/types.js';
import { SAMPLE_ENC_KEY } from '../../src/fixtures/sample.js';
import { applyUpgrade } from '../../src/upgrade/apply.js';
import { planUpgrade } from '../../src/upgrade/plan.js';
import { chunkConfigValue } from '../../src/upgrade/reencrypt.js';
import { createTestDatabase, describeEngines, type TestEngine } from '../helpers/db.js';
import { loadSample212, snapshot } from './sample-db.js';

const KEY = new EncKey(SAMPLE_ENC_KEY, 'sample key');
const LONG_SECRET = 'ÄÖÜ-' + 'x'.repeat(1500); // hex of this exceeds one 1994-char chunk several times
const IV_U = '11111111111111111111111111111111';
const IV_S = '22222222222222222222222222222222';
const SHARED = Buffer.from('3132333435363738393031323334353637383930', 'hex');

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0)) await c();
});

async function gapDb(engine: TestEngine): Promise<Db> {
  const t = await createTestDatabase(engine);
  const db = await openDatabase(t.url);
  cleanup.push(async () => (await db.close(), await t.drop()));
  await loadSample212(db);
  const q = (n: string) => db.dialect.quoteIdent(n);
  await db.insertMany(
    'Token',
    ['LinOtpTokenId', 'LinOtpTokenSerialnumber', 'LinOtpTokenType', 'LinOtpTokenInfo', 'LinOtpKeyEnc', 'LinOtpKeyIV', 'LinOtpTokenPinUser', 'LinOtpTokenPinUserIV', 'LinOtpTokenPinSO', 'LinOtpTokenPinSOIV', 'LinOtpPinHash'],
    [
      [
        4,
        'OCRA0001',
        'ocra2',
        JSON.stringify({ ocrasuite: 'OCRA-1:HOTP-SHA256-8:C-QN08', sharedSecret: encryptOcraSharedSecret(KEY, SHARED, 'legacy', IV_S) }),
        encryptTokenSeed(KEY, '3132', IV_U, 'legacy'),
        IV_U,
        encryptUserPin(KEY, '4711', IV_U, 'legacy'),
        IV_U,
        encryptUserPin(KEY, 'so-pin', IV_S, 'legacy'),
        IV_S,
        '',
      ],
    ],
  );
  const rows = chunkConfigValue('linotp.EmailProviderConfig', encryptConfigValue(KEY, LONG_SECRET, 'legacy'), 'encrypted_data', 'None');
  expect(rows.length).toBeGreaterThan(2);
  await db.insertMany('Config', ['Key', 'Value', 'Type', 'Description'], rows.map((r) => [r.key, r.value, r.type, r.description]));
  await db.execute(`UPDATE ${q('Config')} SET ${q('Type')} = 'password' WHERE ${q('Key')} = 'linotp.sqlresolver.Password.corpsql'`);
  return db;
}

async function expectGapsFixed(db: Db) {
  const q = (n: string) => db.dialect.quoteIdent(n);
  const [tok] = await db.query<Record<string, string>>(`SELECT * FROM ${q('Token')} WHERE ${q('LinOtpTokenSerialnumber')} = 'OCRA0001'`);
  expect(decryptUserPin(KEY, tok.LinOtpTokenPinUser, tok.LinOtpTokenPinUserIV)).toEqual({ ok: true, value: '4711', padding: 'pkcs7' });
  expect(decryptUserPin(KEY, tok.LinOtpTokenPinSO, tok.LinOtpTokenPinSOIV)).toEqual({ ok: true, value: 'so-pin', padding: 'pkcs7' });
  const shared = decryptOcraSharedSecret(KEY, tok.LinOtpTokenInfo)!;
  expect(shared.ok && shared.padding === 'pkcs7' && shared.value.equals(SHARED)).toBe(true);
  expect(JSON.parse(tok.LinOtpTokenInfo).sharedSecret.startsWith(IV_S + ':')).toBe(true);
  const rows = await db.query<{ key: string; value: string; type: string; description: string }>(
    `SELECT ${q('Key')} AS ${q('key')}, ${q('Value')} AS ${q('value')}, ${q('Type')} AS ${q('type')}, ${q('Description')} AS ${q('description')} FROM ${q('Config')}`,
  );
  const { entries, problems } = groupConfigRows(rows);
  expect(problems).toEqual([]);
  const email = entries.find((e) => e.key === 'linotp.EmailProviderConfig')!;
  expect(email.rowKeys.length).toBeGreaterThan(2);
  expect(email).toMatchObject({ type: 'encrypted_data', description: 'None' });
  expect(decryptConfigValue(KEY, email.value!)).toEqual({ ok: true, value: LONG_SECRET, padding: 'pkcs7' });
  expect(entries.find((e) => e.key === 'linotp.sqlresolver.Password.corpsql')!.type).toBe('encrypted_data');
}

describeEngines('re-encryption beyond LinOTP', (engine) => {
  it('3.1.0.0 re-encrypts user/SO PINs, ocra2 sharedSecret and chunked secrets', async () => {
    const db = await gapDb(engine);
    const plan = await planUpgrade(db, { encKey: KEY });
    expect(plan.actions.find((a) => a.id === '3.1.0.0')!.effects).toMatchObject({ seed: 3, otpPin: 1, userPin: 1, soPin: 1, ocraSecret: 1, config: 3, chunkedConfig: 1 });
    await applyUpgrade(db, { encKey: KEY });
    await expectGapsFixed(db);
  });

  it('a database LinOTP 3.x migrated (version 3.2.3.0, gaps left) is repaired, then stays unchanged', async () => {
    const db = await gapDb(engine);
    const q = (n: string) => db.dialect.quoteIdent(n);
    // Seeds already in PKCS#7 as LinOTP 3.1+ leaves them; the rest still in the old padding.
    for (const tok of await db.query<Record<string, string>>(`SELECT * FROM ${q('Token')}`)) {
      const d = tok.LinOtpKeyIV !== '3a313a' && tok.LinOtpKeyEnc ? decryptTokenSeed(KEY, tok.LinOtpKeyEnc, tok.LinOtpKeyIV) : undefined;
      if (d?.ok) await db.execute(`UPDATE ${q('Token')} SET ${q('LinOtpKeyEnc')} = ? WHERE ${q('LinOtpTokenId')} = ?`, [encryptTokenSeed(KEY, d.value, tok.LinOtpKeyIV, 'pkcs7'), tok.LinOtpTokenId]);
    }
    await applyUpgrade(db, {}).catch(() => undefined); // no key: refused (3.1.0.0 pending)
    await db.execute(`UPDATE ${q('Config')} SET ${q('Value')} = '3.2.3.0' WHERE ${q('Key')} = 'linotp.sql_data_model_version'`);
    const noKey = await planUpgrade(db, {});
    expect(noKey.warnings.join('\n')).toMatch(/no encKey given/);
    const plan = await planUpgrade(db, { encKey: KEY });
    const repair = plan.actions.find((a) => a.id === 'repair-padding')!;
    expect(repair.effects).toMatchObject({ seed: 0, otpPin: 1, userPin: 1, soPin: 1, ocraSecret: 1, config: 3, chunkedConfig: 1 });
    await applyUpgrade(db, { encKey: KEY });
    await expectGapsFixed(db);
    const pin = (await db.query<{ p: string }>(`SELECT ${q('LinOtpPinHash')} AS p FROM ${q('Token')} WHERE ${q('LinOtpTokenId')} = 2`))[0].p;
    expect(decryptOtpPin(KEY, pin)).toEqual({ ok: true, value: '5678', padding: 'pkcs7' });
    const before = await snapshot(db);
    expect((await applyUpgrade(db, { encKey: KEY })).upToDate).toBe(true);
    expect(await snapshot(db)).toBe(before);
  });
});

describe('refusals, lock and erase (SQLite and PostgreSQL)', () => {
  it('an unknown or newer model version is refused and nothing changes', async () => {
    const db = await gapDb('sqlite');
    const q = (n: string) => db.dialect.quoteIdent(n);
    for (const v of ['4.0.0.0', '2.11.9.9']) {
      await db.execute(`UPDATE ${q('Config')} SET ${q('Value')} = ? WHERE ${q('Key')} = 'linotp.sql_data_model_version'`, [v]);
      const before = await snapshot(db);
      await expect(applyUpgrade(db, { encKey: KEY })).rejects.toThrow(v === '4.0.0.0' ? /newer than 3.2.3.0/ : /unknown model version/);
      expect(await snapshot(db)).toBe(before);
    }
  });

  it('no linotp.Config row but tokens: migrated anyway (LinOTP would only stamp the version)', async () => {
    const db = await gapDb('sqlite');
    await db.execute(`DELETE FROM "Config" WHERE "Key" = 'linotp.Config'`);
    const plan = await planUpgrade(db, { encKey: KEY });
    expect(plan.fresh).toBe(false);
    expect(plan.warnings.join('\n')).toMatch(/no linotp.Config row but 4 tokens/);
    expect(plan.actions.map((a) => a.id)).toContain('3.1.0.0');
    await applyUpgrade(db, { encKey: KEY });
    await expectGapsFixed(db);
  });

  it('PostgreSQL sequences behind the existing ids are moved forward before inserting', async () => {
    const db = await gapDb('postgres');
    await db.query(`SELECT setval('"Realm_id_seq"', 1, false)`);
    await db.query(`SELECT setval('"Token_LinOtpTokenId_seq"', 1, false)`);
    const plan = await planUpgrade(db, { encKey: KEY });
    expect(plan.actions.find((a) => a.id === 'fix-sequences')!.effects.sequences).toEqual([
      'public."Token_LinOtpTokenId_seq" 0 → 4',
      'public."Realm_id_seq" 0 → 1',
    ]);
    await applyUpgrade(db, { encKey: KEY });
    await expectGapsFixed(db);
    expect((await planUpgrade(db, { encKey: KEY })).upToDate).toBe(true);
  });

  it('a second concurrent run fails fast on the lock', async () => {
    const t = await createTestDatabase('postgres');
    const a = await openDatabase(t.url);
    const b = await openDatabase(t.url);
    cleanup.push(async () => (await a.close(), await b.close(), await t.drop()));
    await loadSample212(a);
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const first = applyUpgrade(a, { encKey: KEY }, { beforeCommit: async (id) => (id === '3.1.0.0' ? held : undefined) });
    await new Promise((r) => setTimeout(r, 1500));
    await expect(applyUpgrade(b, { encKey: KEY })).rejects.toThrow(/lock/i);
    release();
    expect((await first).version).toBe('3.2.3.0');
  });

  it('--erase-all-data drops LinOTP tables (not ocra) and recreates a fresh database', async () => {
    const db = await gapDb('sqlite');
    const r = await applyUpgrade(db, { eraseAllData: true });
    expect(r.applied.map((a) => a.id)).toEqual(['erase', 'create-tables', 'defaults', 'stamp']);
    expect(Number((await db.query<{ n: number }>('SELECT COUNT(*) AS n FROM "Token"'))[0].n)).toBe(0);
    expect((await db.listTables()).sort()).toContain('ocra');
  });
});
