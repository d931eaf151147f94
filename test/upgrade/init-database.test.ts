/**
 * `init database` on the LinOTP 2.12 sample (linotp-schema.md §7) on MariaDB, PostgreSQL and SQLite.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EncKey } from '../../src/crypto/enckey.js';
import { decryptConfigValue, decryptOtpPin, decryptTokenSeed } from '../../src/crypto/values.js';
import { openDatabase } from '../../src/db/index.js';
import type { Db } from '../../src/db/types.js';
import { SAMPLE_CONFIG_SECRETS, SAMPLE_ENC_KEY, SAMPLE_TOKEN_SECRETS } from '../../src/fixtures/sample.js';
import { compareToModel } from '../../src/schema/inspect.js';
import { createTableStatements } from '../../src/schema/ddl.js';
import { getTable, LINOTP_3_4 } from '../../src/schema/tables.js';
import { detectModelVersion } from '../../src/schema/version.js';
import { applyUpgrade } from '../../src/upgrade/apply.js';
import { allDefaultRows } from '../../src/upgrade/defaults.js';
import { planUpgrade } from '../../src/upgrade/plan.js';
import { createTestDatabase, describeEngines, type TestEngine } from '../helpers/db.js';
import { loadSample212, snapshot } from './sample-db.js';

const KEY = new EncKey(SAMPLE_ENC_KEY, 'sample key');
const WRONG = new EncKey(Buffer.alloc(96, 7), 'wrong key');

async function sampleDb(engine: TestEngine, opts: Parameters<typeof loadSample212>[1] = {}) {
  const t = await createTestDatabase(engine, { charset: 'utf8' });
  const db = await openDatabase(t.url);
  await loadSample212(db, opts);
  return { db, drop: async () => (await db.close(), await t.drop()) };
}

async function tokens(db: Db) {
  const q = (n: string) => db.dialect.quoteIdent(n);
  return db.query<Record<string, string>>(
    `SELECT ${['LinOtpTokenSerialnumber', 'LinOtpKeyEnc', 'LinOtpKeyIV', 'LinOtpPinHash', 'LinOtpSeed'].map(q).join(', ')} FROM ${q('Token')} ORDER BY ${q('LinOtpTokenId')}`,
  );
}
async function config(db: Db): Promise<Map<string, { v: string; t: string; d: string }>> {
  const q = (n: string) => db.dialect.quoteIdent(n);
  const rows = await db.query<{ k: string; v: string; t: string; d: string }>(`SELECT ${q('Key')} AS k, ${q('Value')} AS v, ${q('Type')} AS t, ${q('Description')} AS d FROM ${q('Config')}`);
  return new Map(rows.map((r) => [r.k, r]));
}

/** What LinOTP 3.4 must find after the upgrade. */
async function expectUpgraded(db: Db) {
  expect((await detectModelVersion(db)).stored).toBe('3.2.3.0');
  for (const tok of await tokens(db)) {
    const want = SAMPLE_TOKEN_SECRETS[tok.LinOtpTokenSerialnumber];
    if (want.seed) {
      const r = decryptTokenSeed(KEY, tok.LinOtpKeyEnc, tok.LinOtpKeyIV);
      expect(r).toEqual({ ok: true, value: want.seed, padding: 'pkcs7' });
    }
    if (want.pinMode === 'encrypted') {
      expect(decryptOtpPin(KEY, tok.LinOtpPinHash)).toEqual({ ok: true, value: want.pin, padding: 'pkcs7' });
      // exactly what LinOTP 3.4's check_encrypted_pin computes for PIN 5678 (linotp-schema.md §7)
      expect(tok.LinOtpPinHash).toBe('@@' + Buffer.from('d0d1d2d3d4d5d6d7d8d9dadbdcdddedf:7cc0d70fba3361a66a8a86adf971e823').toString('hex'));
    }
  }
  const [t1, t2] = await tokens(db);
  expect(t1.LinOtpKeyEnc.slice(-32)).toBe('f3ec290a2ebaea6bcae224199d41fa7e');
  expect(t2.LinOtpKeyEnc.slice(-32)).toBe('71fdaff51e8abea04c72fa20f0d178c2');
  const cfg = await config(db);
  for (const [k, plain] of Object.entries(SAMPLE_CONFIG_SECRETS)) {
    expect(cfg.get(k)!.t).toBe('encrypted_data');
    expect(decryptConfigValue(KEY, cfg.get(k)!.v)).toEqual({ ok: true, value: plain, padding: 'pkcs7' });
  }
  for (const r of allDefaultRows('LinOTP_local_admins', 'linotp_admins')) {
    if (r.key === 'linotp.DefaultMaxFailCount' || r.key === 'linotp.DefaultSyncWindow' || r.key === 'linotp.DefaultOtpLen') continue; // kept from 2.12
    expect(cfg.get(r.key)).toEqual({ k: r.key, v: r.value, t: r.type, d: r.description });
  }
  expect(cfg.get('linotp.DefaultRealm')!.v).toBe('corp');
  const q = (n: string) => db.dialect.quoteIdent(n);
  const realms = await db.query<{ name: string }>(`SELECT ${q('name')} AS name FROM ${q('Realm')} ORDER BY ${q('id')}`);
  expect(realms.map((r) => r.name)).toEqual(['corp', 'linotp_admins']);
  expect(Number((await db.query<{ n: number }>('SELECT COUNT(*) AS n FROM challenges'))[0].n)).toBe(0);
  expect(Number((await db.query<{ n: number }>('SELECT COUNT(*) AS n FROM audit'))[0].n)).toBe(4);
  const cmp = await compareToModel(db, LINOTP_3_4);
  expect(cmp.issues).toEqual([]);
  expect(cmp.foreign).toEqual(['ocra']);
}

describeEngines('init database on the LinOTP 2.12 sample', (engine) => {
  describe('plan, refusal, upgrade, re-run', () => {
    let db: Db;
    let drop: () => Promise<void>;
    beforeAll(async () => ({ db, drop } = await sampleDb(engine)));
    afterAll(async () => drop?.());

    it('--plan lists the steps with counts and changes nothing', async () => {
      const before = await snapshot(db);
      const plan = await planUpgrade(db, { encKey: KEY });
      expect(plan.version.stored).toBe('2.12.0.0');
      expect(plan.blockers).toEqual([]);
      expect(plan.actions.map((a) => a.id)).toEqual(['create-tables', '3.0.0.0', '3.1.0.0', '3.2.0.0', '3.2.2.0', '3.2.3.0', 'defaults']);
      expect(plan.actions[0].effects.tablesToCreate).toEqual(['imported_user', 'admin_users']);
      expect(plan.actions[2].effects).toMatchObject({ seed: 2, otpPin: 1, config: 3, alreadyPkcs7: 0, tokensScanned: 3 });
      expect(plan.actions[3].effects).toEqual({ configRowsToInsert: 15, realmRowsToInsert: 1 });
      expect(plan.actions[4].effects).toEqual({ challengesToDelete: 2 });
      expect(plan.actions[6].effects).toEqual({ configRowsToInsert: 28, realmRowsToInsert: 0 });
      // only a MySQL plan speaks of the MySQL charset conversion
      expect(JSON.stringify(plan.actions).includes('MySQL: convert latin1'), plan.actions[1].title).toBe(engine === 'mysql');
      expect(await snapshot(db)).toBe(before);
    });

    it('refuses without a key and with a wrong key, changing nothing', async () => {
      const before = await snapshot(db);
      await expect(applyUpgrade(db, {})).rejects.toThrow(/encKey is needed/);
      await expect(applyUpgrade(db, { encKey: WRONG })).rejects.toThrow(/decrypts none of the 6 encrypted values/);
      expect(await snapshot(db)).toBe(before);
    });

    it('upgrades to 3.2.3.0 with everything LinOTP 3.4 expects', async () => {
      const r = await applyUpgrade(db, { encKey: KEY });
      expect(r.version).toBe('3.2.3.0');
      await expectUpgraded(db);
    });

    it('a second run changes nothing and reports up to date', async () => {
      const before = await snapshot(db);
      const r = await applyUpgrade(db, { encKey: KEY });
      expect(r.upToDate).toBe(true);
      expect(r.applied).toEqual([]);
      expect(await snapshot(db)).toBe(before);
      // without the key too (no re-encryption needed)
      expect((await applyUpgrade(db, {})).upToDate).toBe(true);
    });
  });

  it('a run killed inside 3.1.0.0 completes correctly when run again', async () => {
    const { db, drop } = await sampleDb(engine);
    try {
      await expect(
        applyUpgrade(db, { encKey: KEY }, { beforeCommit: (id) => { if (id === '3.1.0.0') throw new Error('killed'); } }),
      ).rejects.toThrow('killed');
      const mid = await detectModelVersion(db);
      expect(mid.stored).toBe('3.0.0.0');
      const [t1] = await tokens(db);
      expect(decryptTokenSeed(KEY, t1.LinOtpKeyEnc, t1.LinOtpKeyIV)).toMatchObject({ ok: true, padding: 'legacy' });
      const r = await applyUpgrade(db, { encKey: KEY });
      expect(r.applied.map((a) => a.id)).toEqual(['3.1.0.0', '3.2.0.0', '3.2.2.0', '3.2.3.0', 'defaults']);
      await expectUpgraded(db);
    } finally {
      await drop();
    }
  });

  it('a LinOTP ≤2.9 shape (columns missing, no version key) gets every step', async () => {
    const { db, drop } = await sampleDb(engine, { omitColumns: ['lchallenge', 'ptransid', 'bchallenge', 'bdata', 'LinOtpCreationDate', 'LinOtpLastAuthSuccess', 'LinOtpLastAuthMatch'] });
    try {
      await db.execute(`DELETE FROM ${db.dialect.quoteIdent('Config')} WHERE ${db.dialect.quoteIdent('Key')} = ?`, ['linotp.sql_data_model_version']);
      const plan = await planUpgrade(db, { encKey: KEY });
      expect(plan.version.state).toBe('pre-2.10');
      expect(plan.actions.find((a) => a.id === '2.12.0.0')!.effects.columnsToAdd).toEqual(['LinOtpCreationDate', 'LinOtpLastAuthSuccess', 'LinOtpLastAuthMatch']);
      await applyUpgrade(db, { encKey: KEY, truncateAudit: true });
      const cmp = await compareToModel(db, LINOTP_3_4);
      expect(cmp.issues).toEqual([]);
      expect(Number((await db.query<{ n: number }>('SELECT COUNT(*) AS n FROM audit'))[0].n)).toBe(0);
    } finally {
      await drop();
    }
  });

  it('a fresh run killed between CREATE TABLE and CREATE INDEX is completed', async () => {
    const t = await createTestDatabase(engine);
    const db = await openDatabase(t.url);
    try {
      const [table] = createTableStatements(getTable(LINOTP_3_4, 'Token'), engine, { mysqlTable: 'utf8mb4' });
      await db.execute(table);
      const plan = await planUpgrade(db, {});
      expect(plan.actions[0].effects.indexesToCreate).toHaveLength(7);
      await applyUpgrade(db, {});
      expect((await compareToModel(db, LINOTP_3_4)).issues).toEqual([]);
    } finally {
      await db.close();
      await t.drop();
    }
  });

  it('creates and stamps a fresh database like LinOTP', async () => {
    const t = await createTestDatabase(engine);
    const db = await openDatabase(t.url);
    try {
      const r = await applyUpgrade(db, {});
      expect(r.applied.map((a) => a.id)).toEqual(['create-tables', 'defaults', 'stamp']);
      expect((await detectModelVersion(db)).stored).toBe('3.2.3.0');
      const cmp = await compareToModel(db, LINOTP_3_4);
      expect(cmp.issues).toEqual([]);
      expect((await applyUpgrade(db, {})).upToDate).toBe(true);
    } finally {
      await db.close();
      await t.drop();
    }
  });
});
