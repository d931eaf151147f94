// backup catch-up on real databases: an old LinOTP 2 server keeps authenticating after the backup
// (counters advance, a fail counter changes, a token is disabled, one is enrolled, one deleted);
// catch-up brings the new, upgraded database up to date — across engines, never backwards.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBackup } from '../../src/backup/create.js';
import { decryptTokenSeed } from '../../src/crypto/values.js';
import type { Db } from '../../src/db/types.js';
import { runBackup, tableContent, type TestDb } from '../backup/helpers.js';
import { BIN, ensureBuilt, ROOT } from '../e2e/global-setup.js';
import { serverAvailable, type TestEngine } from '../helpers/db.js';
import { dropOldAndNew, oldAndNew, q, tokens, type Fixture } from './helpers.js';

/** Authentications and admin work on the old server after the backup. */
async function simulate(db: Db, serials: string[]): Promise<{ advanced: string; failed: string; disabled: string; enrolled: string; deleted: string; ahead: string }> {
  const [advanced, failed, disabled, deleted, template, ahead] = serials;
  const t = q(db, 'Token');
  const s = q(db, 'LinOtpTokenSerialnumber');
  await db.execute(`UPDATE ${t} SET ${q(db, 'LinOtpCount')} = ${q(db, 'LinOtpCount')} + 7, ${q(db, 'LinOtpLastAuthSuccess')} = ?, ${q(db, 'LinOtpLastAuthMatch')} = ? WHERE ${s} = ?`, ['2031-02-03 04:05:06', '2031-02-03 04:05:06', advanced]);
  await db.execute(`UPDATE ${t} SET ${q(db, 'LinOtpFailCount')} = 3 WHERE ${s} = ?`, [failed]);
  await db.execute(`UPDATE ${t} SET ${q(db, 'LinOtpIsactive')} = ? WHERE ${s} = ?`, [false, disabled]);
  const row = (await db.query(`SELECT * FROM ${t} WHERE ${s} = ?`, [template]))[0];
  const enrolled = 'CATCHUP0001';
  const cols = Object.keys(row).filter((c) => c !== 'LinOtpTokenId');
  await db.insertMany('Token', cols, [cols.map((c) => (c === 'LinOtpTokenSerialnumber' ? enrolled : row[c]))]);
  const newId = (await db.query(`SELECT ${q(db, 'LinOtpTokenId')} AS id FROM ${t} WHERE ${s} = ?`, [enrolled]))[0].id;
  const realmId = (await db.query(`SELECT ${q(db, 'id')} AS id FROM ${q(db, 'Realm')} ORDER BY ${q(db, 'id')}`))[0].id;
  await db.insertMany('TokenRealm', ['token_id', 'realm_id'], [[newId as number, realmId as number]]);
  const delId = (await db.query(`SELECT ${q(db, 'LinOtpTokenId')} AS id FROM ${t} WHERE ${s} = ?`, [deleted]))[0].id;
  await db.execute(`DELETE FROM ${q(db, 'TokenRealm')} WHERE ${q(db, 'token_id')} = ?`, [delId as number]);
  await db.execute(`DELETE FROM ${t} WHERE ${s} = ?`, [deleted]);
  return { advanced, failed, disabled, enrolled, deleted, ahead };
}

const CASES: [TestEngine, TestEngine][] = [
  ['mysql', 'postgres'],
  ['mysql', 'sqlite'],
  ['postgres', 'postgres'],
];

for (const [oldEngine, newEngine] of CASES) {
  describe(`backup catch-up: old ${oldEngine} → new ${newEngine}`, async () => {
    const available = (await serverAvailable(oldEngine)) && (await serverAvailable(newEngine));
    let old: Fixture;
    let target: TestDb;
    let dir: string;
    let keyFile: string;
    let moved: Awaited<ReturnType<typeof simulate>>;
    beforeAll(async () => {
      if (!available) return;
      ({ old, target, dir, keyFile } = await oldAndNew(oldEngine, newEngine, { tokens: 14, auditRows: 5 }));
      const serials = [...(await tokens(old.db)).entries()].filter(([, r]) => r.LinOtpKeyEnc && Number(r.LinOtpIsactive) === 1).map(([s]) => s).sort();
      moved = await simulate(old.db, serials);
      // The new server already used one token beyond the old one: catch-up must leave it alone.
      await target.db.execute(`UPDATE ${q(target.db, 'Token')} SET ${q(target.db, 'LinOtpCount')} = 999 WHERE ${q(target.db, 'LinOtpTokenSerialnumber')} = ?`, [moved.ahead]);
    }, 120_000);
    afterAll(() => dropOldAndNew({ old, target, dir }));
    const run = (extra: Record<string, unknown>) => runBackup('catch-up', { from: old.url, databaseUri: target.url, encKey: keyFile, ...extra });

    it.skipIf(!available)('--plan lists every change and changes nothing', async () => {
      const before = [await tableContent(target.db, 'Token'), await tableContent(target.db, 'TokenRealm')];
      const oldBefore = await tableContent(old.db, 'Token');
      const r = await run({ plan: true, addNew: true, applyDeletes: true });
      expect(r.error).toBeUndefined();
      const p = r.doc.plan;
      expect(r.doc.applied).toBeNull();
      const changed = Object.fromEntries(p.updates.map((u: any) => [u.serial, u.changes.map((c: any) => c.field).sort()]));
      expect(changed[moved.advanced]).toEqual(['LinOtpCount', 'LinOtpLastAuthMatch', 'LinOtpLastAuthSuccess']);
      expect(changed[moved.failed]).toEqual(['LinOtpFailCount']);
      expect(changed[moved.disabled]).toEqual(['LinOtpIsactive']);
      expect(Object.keys(changed).sort()).toEqual([moved.advanced, moved.failed, moved.disabled].sort());
      expect(p.added.map((a: any) => a.serial)).toEqual([moved.enrolled]);
      expect(p.deleted.map((d: any) => d.serial)).toEqual([moved.deleted]);
      expect(p.ahead.map((a: any) => a.serial)).toEqual([moved.ahead]);
      expect(p.reenrolled).toEqual([]);
      expect(p.problems).toEqual([]);
      expect([await tableContent(target.db, 'Token'), await tableContent(target.db, 'TokenRealm')]).toEqual(before);
      expect(await tableContent(old.db, 'Token')).toEqual(oldBefore);
    });

    it.skipIf(!available)('applies: larger counters, same states, new token usable with LinOTP 3 padding, deleted one gone', async () => {
      const oldBefore = await tableContent(old.db, 'Token');
      const r = await run({ addNew: true, applyDeletes: true });
      expect(r.error).toBeUndefined();
      expect(r.doc.applied).toEqual({ updated: 3, added: 1, deleted: 1 });
      const o = await tokens(old.db);
      const n = await tokens(target.db);
      expect(Number(n.get(moved.advanced)!.LinOtpCount)).toBe(Number(o.get(moved.advanced)!.LinOtpCount));
      expect(String(n.get(moved.advanced)!.LinOtpLastAuthSuccess)).toMatch(/^2031-02-03[ T]04:05:06/);
      expect(Number(n.get(moved.failed)!.LinOtpFailCount)).toBe(3);
      expect([false, 0, '0', 0n]).toContain(n.get(moved.disabled)!.LinOtpIsactive);
      expect(Number(n.get(moved.ahead)!.LinOtpCount)).toBe(999);
      expect(n.has(moved.deleted)).toBe(false);
      const added = n.get(moved.enrolled)!;
      const seed = decryptTokenSeed(old.inst.encKey, String(added.LinOtpKeyEnc), String(added.LinOtpKeyIV));
      expect(seed).toMatchObject({ ok: true, padding: 'pkcs7' });
      const links = await target.db.query(`SELECT COUNT(*) AS n FROM ${q(target.db, 'TokenRealm')} WHERE ${q(target.db, 'token_id')} = ?`, [added.LinOtpTokenId as number]);
      expect(Number(links[0].n)).toBe(1);
      expect(await tableContent(old.db, 'Token')).toEqual(oldBefore); // the old server is only read
    });

    it.skipIf(!available)('a second run changes nothing', async () => {
      const before = [await tableContent(target.db, 'Token'), await tableContent(target.db, 'TokenRealm')];
      const r = await run({ addNew: true, applyDeletes: true });
      expect(r.error).toBeUndefined();
      expect(r.doc.plan.updates).toEqual([]);
      expect(r.doc.plan.added).toEqual([]);
      expect(r.doc.plan.deleted).toEqual([]);
      expect(r.doc.applied).toBeNull();
      expect([await tableContent(target.db, 'Token'), await tableContent(target.db, 'TokenRealm')]).toEqual(before);
    });
  });
}

describe('backup catch-up: refusals and other sources', async () => {
  const available = (await serverAvailable('postgres')) && (await serverAvailable('mysql'));
  let old: Fixture;
  let target: TestDb;
  let dir: string;
  let keyFile: string;
  beforeAll(async () => {
    if (!available) return;
    await ensureBuilt();
    ({ old, target, dir, keyFile } = await oldAndNew('mysql', 'postgres', { tokens: 8, auditRows: 3, seed: 9 }));
  }, 180_000);
  afterAll(() => dropOldAndNew({ old, target, dir }));
  const cli = (args: string[]) => spawnSync(process.execPath, [BIN, 'backup', 'catch-up', ...args], { cwd: ROOT, encoding: 'utf8', input: '', env: { ...process.env, NO_COLOR: '1' } });

  it.skipIf(!available)('without a terminal and without --yes it refuses and changes nothing (end to end, --json)', async () => {
    const t = q(old.db, 'Token');
    await old.db.execute(`UPDATE ${t} SET ${q(old.db, 'LinOtpCount')} = ${q(old.db, 'LinOtpCount')} + 1`);
    const before = await tableContent(target.db, 'Token');
    const r = cli(['--from', old.url, '--database-uri', target.url, '--enc-key', keyFile, '--json']);
    expect(r.status).toBe(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines[0]).toMatch(/^error: /);
    expect(lines.slice(1).every((l) => l.startsWith('hint: '))).toBe(true);
    expect(r.stderr).toMatch(/confirmation needed .* stdin is not a terminal; nothing was changed.*--yes/s);
    expect(await tableContent(target.db, 'Token')).toEqual(before);
    const p = cli(['--from', old.url, '--database-uri', target.url, '--enc-key', keyFile, '--json', '--plan']);
    expect(p.status).toBe(0);
    const doc = JSON.parse(p.stdout);
    expect(doc.plan.updates.length).toBe(doc.plan.tokens.source);
    const y = cli(['--from', old.url, '--database-uri', target.url, '--enc-key', keyFile, '--json', '--yes']);
    expect(y.status).toBe(0);
    expect(JSON.parse(y.stdout).applied.updated).toBe(doc.plan.tokens.source);
    expect(r.stdout + r.stderr + p.stdout + y.stdout).not.toContain('lmt-Test-pw'); // no database password in any output
  });

  it.skipIf(!available)('a newer backup of the old server works as the source', async () => {
    await old.db.execute(`UPDATE ${q(old.db, 'Token')} SET ${q(old.db, 'LinOtpCount')} = ${q(old.db, 'LinOtpCount')} + 2`);
    const { file } = await createBackup(old.db, { outDir: join(dir, 'newer'), encKey: null });
    const r = await runBackup('catch-up', { from: file, databaseUri: target.url, encKey: keyFile });
    expect(r.error).toBeUndefined();
    expect(r.doc.applied.updated).toBe(r.doc.plan.tokens.source);
    expect(r.doc.plan.source).toBe(file);
  });

  it.skipIf(!available)('refuses a target still at LinOTP 2, the same database, and --add-new without a key', async () => {
    const notUpgraded = await runBackup('catch-up', { from: target.url, databaseUri: old.url, encKey: keyFile, plan: true });
    expect(notUpgraded.error?.message).toMatch(/not upgraded to LinOTP 3 yet \(model 2\.12\.0\.0\)/);
    expect(notUpgraded.error?.hint).toMatch(/init database/);
    const same = await runBackup('catch-up', { from: target.url, databaseUri: target.url, plan: true });
    expect(same.error?.message).toMatch(/same database as the target/);
    const noKey = await runBackup('catch-up', { from: old.url, databaseUri: target.url, addNew: true, plan: true });
    expect(noKey.error?.message).toMatch(/--add-new needs the encKey/);
    const neither = await runBackup('catch-up', { databaseUri: target.url });
    expect(neither.error?.exitCode).toBe(2);
    const missing = await runBackup('catch-up', { from: join(dir, 'no-such-backup.sql'), databaseUri: target.url, plan: true });
    expect(missing.error?.message).toMatch(/neither a database URI nor an existing backup file/);
    expect(missing.error?.exitCode).toBe(2);
  });
});
