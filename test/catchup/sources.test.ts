// backup catch-up with an old SQLite server (same engine on both sides): the source is opened
// query-only and stays byte-identical, --from-ini, re-enrolled tokens are reported and never
// overwritten, a new token in a realm the new server lacks stops the run, and an older LinOTP 2
// model without the last-authentication columns.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encryptTokenSeed } from '../../src/crypto/values.js';
import { parseDbUrl } from '../../src/db/url.js';
import { runBackup, tableContent, type TestDb } from '../backup/helpers.js';
import { dropOldAndNew, oldAndNew, q, tokens, type Fixture } from './helpers.js';

const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

describe('backup catch-up: old SQLite → new SQLite', () => {
  let old: Fixture;
  let target: TestDb;
  let dir: string;
  let keyFile: string;
  let oldFile: string;
  let serials: string[];
  beforeAll(async () => {
    ({ old, target, dir, keyFile } = await oldAndNew('sqlite', 'sqlite', { tokens: 10, auditRows: 3, seed: 5 }));
    oldFile = parseDbUrl(old.url).database;
    serials = [...(await tokens(old.db)).entries()].filter(([, r]) => r.LinOtpKeyEnc && String(r.LinOtpKeyIV) !== '3a313a').map(([s]) => s).sort();
  }, 120_000);
  afterAll(() => dropOldAndNew({ old, target, dir }));
  const run = (extra: Record<string, unknown>) => runBackup('catch-up', { from: old.url, databaseUri: target.url, encKey: keyFile, ...extra });

  it('a token enrolled again under the same serial is reported and left as it is; --from-ini reads the old database', async () => {
    const serial = serials[0];
    const iv = '5e'.repeat(16);
    await old.db.execute(`UPDATE ${q(old.db, 'Token')} SET ${q(old.db, 'LinOtpKeyEnc')} = ?, ${q(old.db, 'LinOtpKeyIV')} = ?, ${q(old.db, 'LinOtpCount')} = 0 WHERE ${q(old.db, 'LinOtpTokenSerialnumber')} = ?`, [
      encryptTokenSeed(old.inst.encKey, '42'.repeat(20), iv, 'legacy'),
      iv,
      serial,
    ]);
    await old.db.execute(`UPDATE ${q(old.db, 'Token')} SET ${q(old.db, 'LinOtpCount')} = ${q(old.db, 'LinOtpCount')} + 3 WHERE ${q(old.db, 'LinOtpTokenSerialnumber')} = ?`, [serials[1]]);
    const before = (await tokens(target.db)).get(serial)!;
    const oldSum = sha(oldFile);
    const ini = join(dir, 'linotp.ini');
    writeFileSync(ini, `[DEFAULT]\ndebug = false\n\n[app:main]\nuse = egg:LinOTP\nsqlalchemy.url = sqlite:///${oldFile}\n`);
    const r = await runBackup('catch-up', { fromIni: ini, databaseUri: target.url, encKey: keyFile });
    expect(r.error).toBeUndefined();
    expect(r.doc.plan.reenrolled).toEqual([{ serial, reason: 'the seed differs' }]);
    expect(r.doc.plan.seedsCompared).toBe(true);
    expect(r.doc.plan.seedsUnknown).toBe(0);
    expect(r.doc.plan.updates.map((u: any) => u.serial)).toEqual([serials[1]]);
    expect(r.doc.applied).toEqual({ updated: 1, added: 0, deleted: 0 });
    const after = (await tokens(target.db)).get(serial)!;
    expect([after.LinOtpKeyEnc, after.LinOtpKeyIV, after.LinOtpCount]).toEqual([before.LinOtpKeyEnc, before.LinOtpKeyIV, before.LinOtpCount]);
    expect(sha(oldFile)).toBe(oldSum); // opened query-only, read in a snapshot: not a byte written
  });

  it('without the key the re-enrolment is still seen (a new IV), and a warning says seeds were compared by IV only', async () => {
    const r = await runBackup('catch-up', { from: old.url, databaseUri: target.url, plan: true });
    expect(r.error).toBeUndefined();
    expect(r.doc.plan.reenrolled.map((x: any) => x.serial)).toEqual([serials[0]]);
    expect(r.doc.plan.seedsCompared).toBe(false);
    expect(r.doc.plan.seedsUnknown).toBeGreaterThan(0);
    expect(r.stderr).toMatch(/no encKey given/);
  });

  it('--add-new: a new token in a realm the new server lacks stops the run and changes nothing', async () => {
    const o = old.db;
    await o.insertMany('Realm', ['name', 'default', 'option'], [['branch-office', false, '']]);
    const row = (await o.query(`SELECT * FROM ${q(o, 'Token')} WHERE ${q(o, 'LinOtpTokenSerialnumber')} = ?`, [serials[2]]))[0];
    const cols = Object.keys(row).filter((c) => c !== 'LinOtpTokenId');
    await o.insertMany('Token', cols, [cols.map((c) => (c === 'LinOtpTokenSerialnumber' ? 'BRANCH0001' : row[c]))]);
    const id = (await o.query(`SELECT ${q(o, 'LinOtpTokenId')} AS id FROM ${q(o, 'Token')} WHERE ${q(o, 'LinOtpTokenSerialnumber')} = ?`, ['BRANCH0001']))[0].id as number;
    const realm = (await o.query(`SELECT ${q(o, 'id')} AS id FROM ${q(o, 'Realm')} WHERE ${q(o, 'name')} = ?`, ['branch-office']))[0].id as number;
    await o.insertMany('TokenRealm', ['token_id', 'realm_id'], [[id, realm]]);
    await o.execute(`UPDATE ${q(o, 'Token')} SET ${q(o, 'LinOtpCount')} = ${q(o, 'LinOtpCount')} + 1 WHERE ${q(o, 'LinOtpTokenSerialnumber')} = ?`, [serials[3]]);
    const before = [await tableContent(target.db, 'Token'), await tableContent(target.db, 'TokenRealm')];
    const planned = await run({ addNew: true, plan: true });
    expect(planned.error?.exitCode, 'a plan that finds problems exits 3').toBe(3);
    expect(planned.doc.plan.problems).toHaveLength(1);
    const r = await run({ addNew: true });
    expect(r.error?.message).toMatch(/catch-up cannot be applied: new token BRANCH0001: realm branch-office does not exist on the new server/);
    expect(r.doc.plan.problems).toHaveLength(1);
    expect(r.doc.applied).toBeNull();
    expect([await tableContent(target.db, 'Token'), await tableContent(target.db, 'TokenRealm')]).toEqual(before);
    // without --add-new the counters still go across
    const plain = await run({});
    expect(plain.error).toBeUndefined();
    expect(plain.doc.plan.added.map((a: any) => a.serial)).toEqual(['BRANCH0001']);
    expect(plain.doc.applied.updated).toBe(1);
  });

  it('an older LinOTP 2 model without the last-authentication columns: counters carried, timestamps left alone', async () => {
    const o = old.db;
    for (const c of ['LinOtpLastAuthSuccess', 'LinOtpLastAuthMatch']) {
      await o.execute(`DROP INDEX IF EXISTS ${q(o, `ix_Token_${c}`)}`);
      await o.execute(`ALTER TABLE ${q(o, 'Token')} DROP COLUMN ${q(o, c)}`);
    }
    await o.execute(`UPDATE ${q(o, 'Token')} SET ${q(o, 'LinOtpCount')} = ${q(o, 'LinOtpCount')} + 5 WHERE ${q(o, 'LinOtpTokenSerialnumber')} = ?`, [serials[4]]);
    const r = await run({});
    expect(r.error).toBeUndefined();
    expect(r.doc.plan.updates).toEqual([expect.objectContaining({ serial: serials[4], changes: [expect.objectContaining({ field: 'LinOtpCount' })] })]);
    const again = await run({});
    expect(again.doc.plan.updates).toEqual([]);
    expect(again.doc.applied).toBeNull();
  });
});
