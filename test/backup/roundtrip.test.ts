// backup create → restore on real MariaDB, PostgreSQL and SQLite: identical checksums same-engine,
// value-for-value cross-engine, local admins kept, interrupted restores change nothing.
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBackup } from '../../src/backup/create.js';
import { checkKey, inspectDump, keyFromBackup } from '../../src/backup/inspect.js';
import { applyRestore, planRestore } from '../../src/backup/restore.js';
import { openBackup } from '../../src/backup/source.js';
import { verifyBackup } from '../../src/backup/verify.js';
import { ALL_ENGINES, describeEngines, serverAvailable, type TestEngine } from '../helpers/db.js';
import { fixtureDb, freshDb, tableContent, tmp, type TestDb } from './helpers.js';

const PASS = 'correct horse battery staple';
const TABLES = ['Config', 'Token', 'TokenRealm', 'Realm', 'challenges', 'audit', 'imported_user', 'REPORTING'];

async function restoreInto(target: TestDb, file: string, opts: Parameters<typeof applyRestore>[3] = {}) {
  const src = await openBackup(file);
  const info = await inspectDump(src);
  const plan = await planRestore(target.db, src, info, opts);
  expect(plan.problems).toEqual([]);
  return { plan, result: await applyRestore(target.db, src, plan, opts) };
}

describeEngines('backup create/restore round trip', (engine) => {
  let source: Awaited<ReturnType<typeof fixtureDb>>;
  let dir: string;
  let file: string;
  beforeAll(async () => {
    source = await fixtureDb(engine);
    dir = tmp();
    file = (await createBackup(source.db, { outDir: dir, encKey: source.inst.encKey, passphrase: PASS })).file;
  });
  afterAll(async () => {
    await source?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('writes the archive: manifest first, the dump, encKey.gpg that gpg opens', async () => {
    expect(file).toMatch(/linotp_backup_\d{10}\.tar\.gz$/);
    const members = execFileSync('tar', ['tzf', file], { encoding: 'utf8' }).trim().split('\n');
    expect(members[0]).toBe('manifest.json');
    expect(members[1]).toMatch(/^linotp_backup_\d{10}\.sql$/);
    expect(members[2]).toBe('encKey.gpg');
    const gpgOut = execFileSync('sh', ['-c', `tar xzf '${file}' -O encKey.gpg | gpg --batch --quiet --pinentry-mode loopback --passphrase '${PASS}' -d`], { env: { ...process.env, GNUPGHOME: tmp('lmt-gpg-') } });
    expect(Buffer.from(gpgOut).equals(source.inst.encKeyBytes)).toBe(true);
    const manifest = JSON.parse(execFileSync('tar', ['xzf', file, '-O', 'manifest.json'], { encoding: 'utf8' }));
    expect(manifest).toMatchObject({ format: 'linotp-migrate-backup', modelVersion: '2.12.0.0', source: { engine } });
    expect(manifest.encKey.fingerprint).toBe(source.inst.encKey.fingerprint());
    expect(JSON.stringify(manifest)).not.toMatch(/lmt-Test-pw|:[^*@/]+@127/); // no DB password in the manifest
    const tokens = manifest.tables.find((t: { name: string }) => t.name === 'Token');
    expect(tokens.rows).toBe(18);
  });

  it('never overwrites an existing backup of the same minute', async () => {
    const now = new Date(2024, 4, 2, 10, 11);
    const a = await createBackup(source.db, { outDir: dir, encKey: null, now });
    const b = await createBackup(source.db, { outDir: dir, encKey: null, now });
    expect(a.file).toMatch(/linotp_backup_2405021011\.tar\.gz$/);
    expect(b.file).toMatch(/linotp_backup_2405021011_1\.tar\.gz$/);
  });

  it('--skip-audit leaves the audit table out, and a restore then leaves the target audit alone', async () => {
    const r = await createBackup(source.db, { outDir: tmp(), encKey: null, skipAudit: true });
    expect(r.manifest.skippedTables).toEqual(['audit']);
    expect(r.manifest.tables.map((t) => t.name)).not.toContain('audit');
    const target = await freshDb(engine);
    try {
      await restoreInto(target, file);
      const { plan } = await restoreInto(target, r.file);
      expect(plan.untouched).toEqual(['audit']);
      expect((await target.db.query(`SELECT COUNT(*) AS n FROM ${target.db.dialect.quoteIdent('audit')}`))[0].n).toBe(44);
    } finally {
      await target.drop();
    }
  });

  it('verify: checksums, row counts and the key, without a database', async () => {
    const { report } = await verifyBackup(file, { passphrase: PASS });
    expect(report.problems).toEqual([]);
    expect(report.checksums).toBe('ok');
    expect(report.encKey.matchesManifest).toBe(true);
    expect(report.encKey.check!.checked).toBeGreaterThan(5);
    expect(report.encKey.check!.ok).toBe(true);
    await expect(verifyBackup(file, { passphrase: 'wrong' })).rejects.toThrow(/wrong passphrase/);
  });

  it('restores into a fresh database of the same engine with identical checksums', async () => {
    const target = await freshDb(engine);
    try {
      const { result } = await restoreInto(target, file);
      expect(result.tables.find((t) => t.name === 'Token')!.rows).toBe(18);
      const again = await createBackup(target.db, { outDir: tmp(), encKey: null });
      const original = JSON.parse(execFileSync('tar', ['xzf', file, '-O', 'manifest.json'], { encoding: 'utf8' }));
      expect(again.manifest.tables).toEqual(original.tables);
      // the restored database is usable: new ids continue after the restored ones
      const q = target.db.dialect.quoteIdent;
      await target.db.execute(`INSERT INTO ${q('Realm')} (${q('name')}, ${q('default')}, ${q('option')}) VALUES (?, ?, ?)`, ['newrealm', false, '']);
    } finally {
      await target.drop();
    }
  });

  for (const to of ALL_ENGINES.filter((e) => e !== engine)) {
    it(`restores into ${to} value for value`, async () => {
      if (!(await serverAvailable(to))) return;
      const target = await freshDb(to);
      try {
        const { plan } = await restoreInto(target, file);
        expect(plan.sameEngine).toBe(false);
        expect(plan.skipped).toEqual([]);
        for (const t of TABLES) expect(await tableContent(target.db, t), t).toEqual(await tableContent(source.db, t));
        // key still fits the restored data
        const again = await createBackup(target.db, { outDir: tmp(), encKey: null });
        const info = await inspectDump(await openBackup(again.file));
        expect(checkKey(source.inst.encKey, info).ok).toBe(true);
      } finally {
        await target.drop();
      }
    });
  }

  it('keeps the local admins of the target and replaces everything else', async () => {
    const target = await freshDb(engine);
    try {
      await restoreInto(target, file);
      const q = target.db.dialect.quoteIdent;
      const admin = ['LinOTP_local_admins', 'admin', 'admin', '$6$rounds=656000$abc$hash', 'Ada', 'Admin', '', '', 'ada@example.com'];
      await target.db.execute(`INSERT INTO ${q('imported_user')} (groupid, userid, username, password, givenname, surname, phone, mobile, email) VALUES (?,?,?,?,?,?,?,?,?)`, admin);
      await target.db.execute(`DELETE FROM ${q('TokenRealm')}`);
      await target.db.execute(`DELETE FROM ${q('Token')}`);
      const { plan } = await restoreInto(target, file);
      expect(plan.preservedAdmins).toBe(1);
      const admins = await target.db.query(`SELECT userid, password FROM ${q('imported_user')} WHERE groupid = ?`, ['LinOTP_local_admins']);
      expect(admins).toEqual([{ userid: 'admin', password: '$6$rounds=656000$abc$hash' }]);
      expect((await target.db.query(`SELECT COUNT(*) AS n FROM ${q('Token')}`))[0].n).toBe(18);
      expect((await target.db.query(`SELECT COUNT(*) AS n FROM ${q('imported_user')}`))[0].n).toBe(9);
    } finally {
      await target.drop();
    }
  });

  it('an interrupted restore leaves the target exactly as it was', async () => {
    const target = await freshDb(engine);
    const other = await fixtureDb(engine, { seed: 7, tokens: 40, auditRows: 3000 });
    try {
      await restoreInto(target, file);
      const before = (await createBackup(target.db, { outDir: tmp(), encKey: null })).manifest.tables;
      const otherFile = (await createBackup(other.db, { outDir: tmp(), encKey: null })).file;
      let batches = 0;
      const src = await openBackup(otherFile);
      const plan = await planRestore(target.db, src, await inspectDump(src));
      await expect(
        applyRestore(target.db, src, plan, {
          afterBatch: () => {
            if (++batches === 3) throw new Error('simulated crash');
          },
        }),
      ).rejects.toThrow('simulated crash');
      const after = (await createBackup(target.db, { outDir: tmp(), encKey: null })).manifest.tables;
      expect(after).toEqual(before);
      expect((await target.db.listTables()).filter((t) => t.includes('__lm_'))).toEqual([]);
      // and the lock was released: the same restore now goes through
      const res = await applyRestore(target.db, src, plan);
      expect(res.tables.find((t) => t.name === 'audit')!.rows).toBe(3004);
    } finally {
      await target.drop();
      await other.drop();
    }
  });

  it('refuses a restore while another run holds the lock', async () => {
    const target = await freshDb(engine);
    try {
      const src = await openBackup(file);
      const plan = await planRestore(target.db, src, await inspectDump(src));
      await target.db.withLock('backup-restore', async () => {
        const { openDatabase } = await import('../../src/db/index.js');
        const second = await openDatabase(target.url);
        try {
          await expect(applyRestore(second, src, plan)).rejects.toThrow(/backup restore refused: another linotp-migrate run holds the lock/);
        } finally {
          await second.close();
        }
      });
      expect(await target.db.listTables()).toEqual([]);
    } finally {
      await target.drop();
    }
  });

  it('installs nothing from the key member when asked for the wrong passphrase', async () => {
    const src = await openBackup(file);
    await expect(keyFromBackup(src, 'nope')).rejects.toThrow(/wrong passphrase/);
    const key = await keyFromBackup(src, PASS);
    expect(key.fingerprint()).toBe(source.inst.encKey.fingerprint());
    expect(readFileSync(file).includes(source.inst.encKeyBytes)).toBe(false);
  });
});

describe('backup engines', () => {
  it('covers all three engines', () => {
    expect(ALL_ENGINES).toEqual<TestEngine[]>(['mysql', 'postgres', 'sqlite']);
  });
});
