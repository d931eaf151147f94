// Every dump format an administrator may hold is read, or refused naming what it is and the one
// command that converts it — never "truncated", never a partial restore. pg_dump's -Fc/-Fd/-Ft are
// read through pg_restore (installed here, as postgresql-client is on a LinOTP PostgreSQL host).
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBackup } from '../../src/backup/create.js';
import { detectFormat } from '../../src/backup/format.js';
import { parseDbUrl } from '../../src/db/url.js';
import { MigrateError } from '../../src/errors.js';
import { extendedHeaderBomb, runCli, tarGz } from '../robustness/helpers.js';
import { ensureBuilt } from '../e2e/global-setup.js';
import { fixtureDb, freshDb, runBackup, tableContent, tmp, type TestDb } from './helpers.js';
import { describeEngines } from '../helpers/db.js';

const LINOTP_TABLES = ['Config', 'Token', 'Realm', 'TokenRealm', 'audit'];

beforeAll(() => ensureBuilt(), 180_000);

describeEngines('pg_dump archives read through pg_restore', () => {
  let source: TestDb;
  let dir: string;
  const files: Record<string, string> = {};
  beforeAll(async () => {
    source = await fixtureDb('postgres', { tokens: 12, auditRows: 30 });
    dir = tmp();
    const u = parseDbUrl(source.url);
    const env = { ...process.env, PGPASSWORD: u.password ?? '' };
    const dump = (args: string[]) => execFileSync('pg_dump', ['-h', u.host!, '-p', String(u.port), '-U', u.user!, ...args, u.database], { env, maxBuffer: 1 << 26 });
    files.plain = join(dir, 'plain.sql');
    writeFileSync(files.plain, dump([]));
    files.custom = join(dir, 'linotp.custom');
    writeFileSync(files.custom, dump(['-Fc']));
    files.tar = join(dir, 'linotp.tar');
    writeFileSync(files.tar, dump(['-Ft']));
    files.directory = join(dir, 'linotp.dir');
    dump(['-Fd', '-f', files.directory]);
    files.customGz = join(dir, 'linotp.custom.gz');
    writeFileSync(files.customGz, execFileSync('gzip', ['-c', files.custom]));
  }, 120_000);
  afterAll(async () => source?.drop());

  it('detects each form by its bytes, whatever the name', () => {
    expect(detectFormat(files.custom)).toEqual({ kind: 'pg-archive', form: 'custom', gzip: false });
    expect(detectFormat(files.tar)).toEqual({ kind: 'pg-archive', form: 'tar', gzip: false });
    expect(detectFormat(files.directory)).toEqual({ kind: 'pg-archive', form: 'directory', gzip: false });
    expect(detectFormat(files.customGz)).toEqual({ kind: 'pg-archive', form: 'custom', gzip: true });
    expect(detectFormat(files.plain)).toEqual({ kind: 'plain', gzip: false });
  });

  for (const form of ['custom', 'tar', 'directory', 'customGz'] as const) {
    it(`pg_dump ${form}: verify counts what the plain dump holds, and restore carries every row`, async () => {
      const plain = await runBackup('verify', { file: files.plain });
      const r = await runBackup('verify', { file: files[form] });
      expect(r.error, r.stderr).toBeUndefined();
      expect(r.doc.ok).toBe(true);
      expect(r.doc.kind).toBe('pg_dump archive');
      expect(r.doc.tables).toEqual(plain.doc.tables);
      expect(r.doc.tables.find((t: any) => t.name === 'Token').rows).toBe((await source.db.query('SELECT COUNT(*) AS n FROM "Token"'))[0].n);
      const target = await freshDb('postgres');
      try {
        const res = await runBackup('restore', { file: files[form], databaseUri: target.url });
        expect(res.error, res.stderr).toBeUndefined();
        for (const t of LINOTP_TABLES) expect(await tableContent(target.db, t), t).toEqual(await tableContent(source.db, t));
      } finally {
        await target.drop();
      }
    }, 60_000);
  }

  it('a damaged archive is refused with pg_restore\'s reason, nothing restored', async () => {
    const cut = join(dir, 'cut.custom');
    const bytes = execFileSync('head', ['-c', '300', files.custom]);
    writeFileSync(cut, bytes);
    const r = await runBackup('verify', { file: cut });
    expect(r.error).toBeInstanceOf(MigrateError);
    expect(r.error.message).toMatch(/^pg_restore cannot read the pg_dump custom-format archive .*cut\.custom: /);
  });

  it('without pg_restore: refused naming the format and the conversion', async () => {
    const r = await runCli(['backup', 'verify', '--file', files.custom], { env: { PATH: '/nonexistent' } });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/error: .*linotp\.custom is a pg_dump custom-format archive \(pg_dump -Fc\), and reading it needs pg_restore, which is not installed/);
    expect(r.stderr).toMatch(/hint: .*pg_restore -f linotp\.sql /);
  });
}, ['postgres']);

describe('compressions this tool does not read: refused with the converting command', () => {
  let source: TestDb;
  let dir: string;
  let archive: string;
  beforeAll(async () => {
    source = await fixtureDb('sqlite', { tokens: 3, auditRows: 5 });
    dir = tmp();
    // our own archive (no key inside: verify needs no passphrase); the compressors below re-pack its tar
    archive = (await createBackup(source.db, { outDir: dir, encKey: null })).file;
  }, 60_000);
  afterAll(async () => source?.drop());

  const tools: [string, string, string][] = [
    ['bzip2', 'tar.bz2', 'a bzip2-compressed tar archive'],
    ['xz', 'tar.xz', 'a xz-compressed tar archive'],
    ['zstd', 'tar.zst', 'a zstd-compressed tar archive'],
    ['lz4', 'tar.lz4', 'a lz4-compressed tar archive'],
  ];
  for (const [tool, ext, what] of tools) {
    it(`.${ext}: "${what}", and the hint's command makes a backup that verifies`, async () => {
      expect(archive, 'backup create made an archive').toMatch(/\.tar\.gz$/);
      const f = join(dir, `linotp_backup_2212061351.${ext}`);
      execFileSync('sh', ['-c', `gzip -dc '${archive}' | ${tool} -c > '${f}'`]);
      const r = await runCli(['backup', 'verify', '--file', f]);
      expect(r.code).toBe(1);
      const error = r.stderr.split('\n').find((l) => l.startsWith('error: '))!;
      expect(error).toBe(`error: ${f} is ${what}, which linotp-migrate does not read`);
      const hint = r.stderr.split('\n').find((l) => l.startsWith('hint: '))!;
      const m = /^hint: convert it: (.+), then give (.+)$/.exec(hint)!;
      expect(m, hint).toBeTruthy();
      execFileSync('sh', ['-c', m[1]]);
      const again = await runCli(['backup', 'verify', '--file', m[2]]);
      expect(again.code, again.stderr).toBe(0);
      // backup list names it too, as not restorable, with the same command
      const list = await runCli(['backup', 'list', '--dir', dir, '--json']);
      const item = JSON.parse(list.stdout).backups.find((b: any) => b.file === f);
      expect(item).toMatchObject({ kind: 'unsupported', restorable: false });
      expect(item.note).toContain(m[1]);
    }, 60_000);
  }

  it('a zip archive', async () => {
    const f = join(dir, 'linotp_backup_2212061352.zip');
    execFileSync('zip', ['-qj', f, archive]);
    const r = await runCli(['backup', 'restore', '--file', f, '--database-uri', `sqlite:///${join(dir, 'target.db')}`, '--yes']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/error: .* is a zip archive, which linotp-migrate does not read/);
    expect(r.stderr).toMatch(/hint: convert it: unzip /);
  });
});

describe('bounded work on a GNU long-name or pax header of 1 GiB in a 1 MB archive', () => {
  let dir: string;
  beforeAll(() => {
    dir = tmp();
  });
  for (const type of ['L', 'x'] as const) {
    it(`${type}: verify and restore refuse it, list lists it, each in < 5 s and < 200 MB`, async () => {
      const sub = join(dir, type);
      mkdirSync(sub);
      const f = join(sub, 'linotp_backup_2212061351.tar.gz');
      const bomb = extendedHeaderBomb(type);
      expect(bomb.length).toBeLessThan(1.5 * (1 << 20));
      writeFileSync(f, bomb);
      for (const args of [
        ['backup', 'verify', '--file', f],
        ['backup', 'restore', '--file', f, '--database-uri', `sqlite:///${join(sub, 'target.db')}`, '--yes'],
      ]) {
        const r = await runCli(args);
        expect(r.code, r.stderr).toBe(1);
        expect(r.stderr).toMatch(new RegExp(`error: .* has a ${type === 'L' ? 'GNU long-name' : 'pax'} header of 1073741824 bytes \\(at most 1048576 are read\\): it is not a backup`));
        expect(r.seconds).toBeLessThan(5);
        expect(r.maxRssMb).toBeLessThan(200);
      }
      const list = await runCli(['backup', 'list', '--dir', sub, '--json']);
      expect(list.code, list.stderr).toBe(0);
      expect(JSON.parse(list.stdout).backups[0]).toMatchObject({ kind: 'archive', restorable: false });
      expect(list.seconds).toBeLessThan(5);
      expect(list.maxRssMb).toBeLessThan(200);
    }, 60_000);
  }
});

describe('terminal escape bytes in names from a backup are shown escaped', () => {
  it('in the error line, the verify table and the restore plan', async () => {
    const dir = tmp();
    // (a `]` in a table name is left out: dumpread drops such a table silently — reported to branch ddl)
    const evil = 'evil\x1b[2J\x1b[31mred\x07\u202e';
    // an unsafe member name: the error line quotes it
    const f = join(dir, 'names.tar.gz');
    writeFileSync(f, tarGz([{ name: `../${evil}.sql`, data: 'x' }]));
    const r = await runCli(['backup', 'verify', '--file', f]);
    expect(r.code).toBe(1);
    expect(r.stderr).not.toMatch(/[\x1b\x07\u202e]/);
    expect(r.stderr).toContain('evil\\x1b[2J\\x1b[31mred\\x07\\u202e');
    // a table name in a valid dump: the verify table and the restore plan
    const sql = join(dir, 'linotp_backup_2212061351.sql');
    copyFileSync(join(process.cwd(), 'fixtures', 'demo', 'linotp2-mysql.sql'), sql);
    writeFileSync(sql, `CREATE TABLE \`${evil}\` (id int);\nINSERT INTO \`${evil}\` VALUES (1);\n`, { flag: 'a' });
    const v = await runCli(['backup', 'verify', '--file', sql]);
    expect(v.stdout + v.stderr).not.toMatch(/[\x1b\x07\u202e]/);
    expect(v.stdout).toContain('evil\\x1b[2J');
    const p = await runCli(['backup', 'restore', '--file', sql, '--database-uri', `sqlite:///${join(dir, 't.db')}`, '--plan']);
    expect(p.stdout + p.stderr).not.toMatch(/[\x1b\x07\u202e]/);
    expect(p.stdout + p.stderr).toContain('evil\\x1b[2J');
  }, 60_000);
});
