// Restoring what other tools wrote: LinOTP 2's linotp-backup (real mariadb-dump + gpg -c), the
// migration guide's tar.gz, and pg_dump plain dumps — through the CLI command itself.
import { execFileSync, execSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBackup } from '../../src/backup/create.js';
import { checkKey, inspectDump } from '../../src/backup/inspect.js';
import { openBackup } from '../../src/backup/source.js';
import { parseDbUrl } from '../../src/db/url.js';
import { serverAvailable } from '../helpers/db.js';
import { fixtureDb, freshDb, runBackup, tableContent, tmp } from './helpers.js';

const PASS = 'LinOTP2 backup passphrase';
const TABLES = ['Config', 'Token', 'TokenRealm', 'Realm', 'challenges', 'audit', 'imported_user'];

function mysqlDbName(url: string): string {
  return parseDbUrl(url).database;
}

describe('LinOTP 2 linotp-backup output (mariadb-dump + gpg -c)', () => {
  let source: Awaited<ReturnType<typeof fixtureDb>> | undefined;
  let dir: string;
  let dump: string;
  let available = false;
  beforeAll(async () => {
    available = await serverAvailable('mysql');
    if (!available) return;
    // A LinOTP 2 database as Debian's LinOTP 2 left it: utf8 tables, text written through latin1.
    source = await fixtureDb('mysql', { tokens: 20, auditRows: 50 });
    dir = tmp('lmt-linotp2-');
    dump = join(dir, 'linotp_backup_2212061351.sql');
    execSync(`mariadb-dump -uroot -S /run/mysqld/mysqld.sock ${mysqlDbName(source.url)} > ${dump}`);
    writeFileSync(join(dir, 'encKey'), source.inst.encKeyBytes, { mode: 0o400 });
    execFileSync('gpg', ['--batch', '--quiet', '--pinentry-mode', 'loopback', '--passphrase', PASS, '-c', '--cipher-algo', 'AES256', '-o', join(dir, 'encKey_2212061351.gpg'), join(dir, 'encKey')], {
      env: { ...process.env, GNUPGHOME: tmp('lmt-gpg-') },
    });
    writeFileSync(join(dir, 'pass'), PASS + '\n');
  });
  afterAll(async () => {
    await source?.drop();
  });

  it('reads the dump and finds the key next to it', async () => {
    if (!available) return;
    const src = await openBackup(dump);
    expect(src.kind).toBe('dump');
    expect(src.dialect).toBe('mysql');
    expect(src.key?.name).toMatch(/encKey_2212061351\.gpg$/);
    const info = await inspectDump(src);
    expect(info.problems).toEqual([]);
    expect(info.modelVersion).toBe('2.12.0.0');
    expect(info.tables.find((t) => t.name === 'Token')!.rows).toBe(23);
    expect(checkKey(source!.inst.encKey, info).ok).toBe(true);
  });

  for (const to of ['postgres', 'sqlite', 'mysql'] as const) {
    it(`restores into ${to} with --install-enc-key; text bytes stay as they were`, async () => {
      if (!available || !(await serverAvailable(to))) return;
      const target = await freshDb(to);
      const keyDir = tmp('lmt-key-');
      try {
        const secret = join(keyDir, 'encKey');
        const r = await runBackup('restore', { file: dump, databaseUri: target.url, installEncKey: true, passphraseFile: join(dir, 'pass'), encKey: secret });
        expect(r.error, r.stderr).toBeUndefined();
        expect(r.doc.applied).toBe(true);
        expect(r.doc.encKey.action).toBe('created');
        expect(readFileSync(secret).equals(source!.inst.encKeyBytes)).toBe(true);
        expect(statSync(secret).mode & 0o777).toBe(0o440);
        for (const t of TABLES) expect(await tableContent(target.db, t), t).toEqual(await tableContent(source!.db, t));
        // double-encoded LinOTP 2 text is carried as it is, for fix-db-encoding
        const q = target.db.dialect.quoteIdent;
        const descs = (await target.db.query(`SELECT ${q('LinOtpTokenDesc')} AS d FROM ${q('Token')}`)).map((x) => String(x.d));
        expect(descs.some((d) => d.includes('Ã'))).toBe(true);
        // the installed key decrypts the restored data
        const again = await createBackup(target.db, { outDir: tmp(), encKey: null });
        expect(checkKey(source!.inst.encKey, await inspectDump(await openBackup(again.file))).ok).toBe(true);
      } finally {
        await target.drop();
      }
    });
  }

  it('restores the tar.gz the migration guide packs (encKey + dump)', async () => {
    if (!available) return;
    const tgz = join(dir, 'linotp2.backup.tar.gz');
    execFileSync('tar', ['-czf', tgz, '-C', dir, 'encKey', 'linotp_backup_2212061351.sql']);
    const target = await freshDb('sqlite');
    try {
      const src = await openBackup(tgz);
      expect(src.kind).toBe('tar');
      expect(src.key?.form).toBe('raw');
      const secret = join(tmp('lmt-key-'), 'encKey');
      const r = await runBackup('restore', { file: tgz, databaseUri: target.url, installEncKey: true, encKey: secret });
      expect(r.error, r.stderr).toBeUndefined();
      expect(readFileSync(secret).equals(source!.inst.encKeyBytes)).toBe(true);
      expect(await tableContent(target.db, 'Token')).toEqual(await tableContent(source!.db, 'Token'));
    } finally {
      await target.drop();
    }
  });

  it('does not replace a different installed key that the target may need without --force, and keeps the old one with it', async () => {
    if (!available) return;
    // A target holding encrypted values (an empty one would let the key be replaced: tested in keys.test.ts).
    const target = await fixtureDb('sqlite', { tokens: 2, auditRows: 1, seed: 4 });
    const keyDir = tmp('lmt-key-');
    const secret = join(keyDir, 'encKey');
    writeFileSync(secret, Buffer.alloc(96, 7), { mode: 0o400 });
    try {
      const before = await tableContent(target.db, 'Token');
      const r = await runBackup('restore', { file: dump, databaseUri: target.url, installEncKey: true, passphraseFile: join(dir, 'pass'), encKey: secret });
      expect(r.error?.message).toMatch(/holds a different encKey .*encrypted value\(s\).*; nothing was changed/);
      expect(await tableContent(target.db, 'Token')).toEqual(before);
      expect(readFileSync(secret).equals(Buffer.alloc(96, 7))).toBe(true);
      const forced = await runBackup('restore', { file: dump, databaseUri: target.url, installEncKey: true, force: true, passphraseFile: join(dir, 'pass'), encKey: secret });
      expect(forced.error, forced.stderr).toBeUndefined();
      expect(forced.doc.encKey.action).toBe('replaced');
      expect(readFileSync(forced.doc.encKey.backup).equals(Buffer.alloc(96, 7))).toBe(true);
      expect(readFileSync(secret).equals(source!.inst.encKeyBytes)).toBe(true);
    } finally {
      await target.drop();
    }
  });

  it('lists LinOTP 2 backups with their key', async () => {
    if (!available) return;
    const r = await runBackup('list', { dir });
    const b = r.doc.backups.find((x: { name: string }) => x.name === 'linotp_backup_2212061351.sql');
    expect(b).toMatchObject({ kind: 'linotp2', engine: 'mysql', encKey: true, date: new Date(2022, 11, 6, 13, 51).toISOString() });
  });
});

describe('LinOTP 2 MariaDB databases with latin1 and utf8 tables', () => {
  for (const charset of ['latin1', 'utf8'] as const) {
    it(`a ${charset} database restores into MariaDB byte for byte, and into PostgreSQL as the same text`, async () => {
      if (!(await serverAvailable('mysql'))) return;
      const source = await fixtureDb('mysql', { tokens: 12, auditRows: 20, mysqlCharset: charset });
      const dir = tmp('lmt-cs-');
      const dump = join(dir, 'linotp_backup_2301020304.sql');
      execSync(`mariadb-dump -uroot -S /run/mysqld/mysqld.sock ${mysqlDbName(source.url)} > ${dump}`);
      const targets = [await freshDb('mysql'), ...((await serverAvailable('postgres')) ? [await freshDb('postgres')] : [])];
      try {
        for (const target of targets) {
          const r = await runBackup('restore', { file: dump, databaseUri: target.url });
          expect(r.error, r.stderr).toBeUndefined();
          for (const t of TABLES) expect(await tableContent(target.db, t), t).toEqual(await tableContent(source.db, t));
        }
        // same engine: the same table charsets and the same stored bytes
        const [my] = targets;
        expect(await my.db.tableCharsets()).toEqual(await source.db.tableCharsets());
        const raw = async (db: typeof my.db) =>
          (await db.query(`SELECT HEX(${db.dialect.rawBytes('`LinOtpTokenDesc`')}) AS h FROM \`Token\` ORDER BY \`LinOtpTokenId\``)).map((x) => x.h);
        expect(await raw(my.db)).toEqual(await raw(source.db));
      } finally {
        for (const t of targets) await t.drop();
        await source.drop();
      }
    });
  }
});

describe('pg_dump plain dumps', () => {
  let source: Awaited<ReturnType<typeof fixtureDb>> | undefined;
  let dump: string;
  let available = false;
  beforeAll(async () => {
    available = await serverAvailable('postgres');
    if (!available) return;
    source = await fixtureDb('postgres', { tokens: 20, auditRows: 50 });
    dump = join(tmp('lmt-pgdump-'), 'linotp.sql');
    execSync(`pg_dump -h 127.0.0.1 -U postgres ${parseDbUrl(source.url).database} > ${dump}`);
  });
  afterAll(async () => {
    await source?.drop();
  });

  for (const to of ['postgres', 'mysql', 'sqlite'] as const) {
    it(`restores a pg_dump into ${to}`, async () => {
      if (!available || !(await serverAvailable(to))) return;
      expect(readFileSync(dump, 'utf8')).toMatch(/COPY public\."Token"/);
      const target = await freshDb(to);
      try {
        const r = await runBackup('restore', { file: dump, databaseUri: target.url });
        expect(r.error, r.stderr).toBeUndefined();
        for (const t of TABLES) expect(await tableContent(target.db, t), t).toEqual(await tableContent(source!.db, t));
        if (to === 'postgres') {
          // same engine: constraints and sequences came along
          const q = target.db.dialect.quoteIdent;
          await target.db.execute(`INSERT INTO ${q('Realm')} (${q('name')}, ${q('default')}, ${q('option')}) VALUES (?, ?, ?)`, ['another', false, '']);
          await expect(target.db.execute(`INSERT INTO ${q('Realm')} (${q('name')}) VALUES (?)`, ['another'])).rejects.toThrow(/duplicate|unique/i);
        }
      } finally {
        await target.drop();
      }
    });
  }
});

describe('the CLI commands', () => {
  it('create needs a passphrase without a terminal, and never takes one from argv', async () => {
    const src = await fixtureDb('sqlite', { tokens: 3, auditRows: 2 });
    const dir = tmp();
    try {
      const keyFile = join(dir, 'encKey');
      writeFileSync(keyFile, src.inst.encKeyBytes);
      const noPass = await runBackup('create', { databaseUri: src.url, encKey: keyFile, out: dir });
      expect(noPass.error?.message).toMatch(/passphrase is needed but stdin is not a terminal/);
      const ok = await runBackup('create', { databaseUri: src.url, encKey: keyFile, out: dir }, { LINOTP_MIGRATE_PASSPHRASE: 'from env' });
      expect(ok.error, ok.stderr).toBeUndefined();
      expect(existsSync(ok.doc.file)).toBe(true);
      const verified = await runBackup('verify', { file: ok.doc.file }, { LINOTP_MIGRATE_PASSPHRASE: 'from env' });
      expect(verified.doc.problems).toEqual([]);
      expect(verified.doc.encKey.check.ok).toBe(true);
      const noKey = await runBackup('create', { databaseUri: src.url, encKey: false, out: dir });
      expect(noKey.error, noKey.stderr).toBeUndefined();
      expect(noKey.stderr).toMatch(/will not contain the encKey/);
      expect(noKey.doc.manifest.encKey).toBeNull();
      const listed = await runBackup('list', { dir });
      expect(listed.doc.backups.filter((b: { kind: string }) => b.kind === 'linotp-migrate')).toHaveLength(2);
      const plan = await runBackup('restore', { file: ok.doc.file, databaseUri: `sqlite:///${join(dir, 'new.db')}`, plan: true });
      expect(plan.doc.applied).toBe(false);
      expect(existsSync(join(dir, 'new.db'))).toBe(false); // a plan creates nothing
      expect(plan.doc.tables.length).toBeGreaterThan(5);
    } finally {
      await src.drop();
    }
  });
});
