// Bad input never reaches the target: truncated or corrupt archives and dumps, tampered members,
// unsafe members, foreign dumps, unknown model versions, unreachable targets — one line, non-zero, nothing changed.
import { execFileSync } from 'node:child_process';
import { readFileSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBackup } from '../../src/backup/create.js';
import { readDump } from '../../src/backup/dumpread.js';
import { inspectDump } from '../../src/backup/inspect.js';
import { openBackup } from '../../src/backup/source.js';
import { MigrateError } from '../../src/errors.js';
import { fixtureDb, freshDb, runBackup, tmp } from './helpers.js';

let source: Awaited<ReturnType<typeof fixtureDb>>;
let target: Awaited<ReturnType<typeof freshDb>>;
let good: string;
let dir: string;

async function expectRefused(file: string, re: RegExp) {
  const r = await runBackup('restore', { file, databaseUri: target.url });
  expect(r.error, `restore of ${file} should fail`).toBeInstanceOf(MigrateError);
  expect(r.error.message).toMatch(re);
  expect(r.error.message).not.toContain('\n');
  expect(await target.db.listTables()).toEqual([]);
  return r.error as MigrateError;
}

function sqlOf(file: string): string {
  return execFileSync('sh', ['-c', `tar xzf '${file}' -O --wildcards 'linotp_backup_*.sql'`], { encoding: 'utf8', maxBuffer: 1 << 28 });
}

describe('bad backups are refused before the target is touched', () => {
  beforeAll(async () => {
    source = await fixtureDb('sqlite', { tokens: 10, auditRows: 200 });
    target = await freshDb('sqlite');
    dir = tmp();
    good = (await createBackup(source.db, { outDir: dir, encKey: source.inst.encKey, passphrase: 'pw' })).file;
  });
  afterAll(async () => {
    await source?.drop();
    await target?.drop();
  });

  it('a truncated archive', async () => {
    const f = join(dir, 'truncated.tar.gz');
    writeFileSync(f, readFileSync(good).subarray(0, Math.floor(readFileSync(good).length * 0.6)));
    await expectRefused(f, /truncated|not a readable tar|unexpected end/i);
  });

  it('a corrupt gzip stream', async () => {
    const bytes = Buffer.from(readFileSync(good));
    for (let i = 200; i < 260; i++) bytes[i] ^= 0x5a;
    const f = join(dir, 'corrupt.tar.gz');
    writeFileSync(f, bytes);
    await expectRefused(f, /not a readable tar|damaged|incorrect|invalid/i);
  });

  it('a dump member changed after the backup was made (checksum)', async () => {
    const work = tmp();
    execFileSync('tar', ['xzf', good, '-C', work]);
    const sqlName = execFileSync('sh', ['-c', `ls ${work} | grep '\\.sql$'`], { encoding: 'utf8' }).trim();
    const sql = readFileSync(join(work, sqlName), 'utf8').replace("'oath0001'", "'oath9999'");
    writeFileSync(join(work, sqlName), sql);
    const f = join(dir, 'tampered.tar.gz');
    execFileSync('tar', ['czf', f, '-C', work, 'manifest.json', sqlName, 'encKey.gpg']);
    await expectRefused(f, /checksum does not match the manifest/);
  });

  it('an archive with a ".." member or a link', async () => {
    const work = tmp();
    writeFileSync(join(work, 'x.sql'), 'SELECT 1;');
    const f1 = join(dir, 'dotdot.tar.gz');
    execFileSync('tar', ['czf', f1, '-C', work, '--transform', 's,^,../,', 'x.sql']);
    await expectRefused(f1, /unsafe name/);
    symlinkSync('/etc/passwd', join(work, 'linotp_backup_1.sql'));
    const f2 = join(dir, 'link.tar.gz');
    execFileSync('tar', ['czf', f2, '-C', work, 'linotp_backup_1.sql']);
    await expectRefused(f2, /link or special file/);
  });

  it('a truncated plain dump', async () => {
    const f = join(dir, 'linotp_backup_2001010000.sql');
    const sql = sqlOf(good);
    writeFileSync(f, sql.slice(0, sql.indexOf("INSERT INTO \"Token\"") + 300));
    await expectRefused(f, /truncated|ends inside/);
  });

  it('a dump of some other application', async () => {
    const f = join(dir, 'other.sql');
    writeFileSync(f, '-- MySQL dump 10.13\nCREATE TABLE `wp_posts` (`ID` int NOT NULL, PRIMARY KEY (`ID`));\nINSERT INTO `wp_posts` VALUES (1),(2);\n');
    await expectRefused(f, /not a LinOTP database dump/);
  });

  it('an unknown or newer LinOTP model version', async () => {
    for (const [v, re] of [['9.9.9.9', /newer than 3\.2\.3\.0/], ['2.99-custom', /unknown model version/]] as const) {
      const f = join(dir, `version-${v}.sql.gz`);
      writeFileSync(f, gzipSync(sqlOf(good).replace("'linotp.sql_data_model_version','2.12.0.0'", `'linotp.sql_data_model_version','${v}'`)));
      await expectRefused(f, re);
    }
  });

  it('something that is not a dump at all', async () => {
    const f = join(dir, 'notes.txt');
    writeFileSync(f, 'just some text\n');
    await expectRefused(f, /does not look like a SQL dump/);
    await expectRefused(join(dir, 'missing.tar.gz'), /does not exist/);
  });

  it('an unreachable target: one line, password masked', async () => {
    const r = await runBackup('restore', { file: good, databaseUri: 'postgresql://linotp:S3cret-pw@127.0.0.1:1/linotp' });
    expect(r.error.message).toMatch(/^cannot connect to postgresql:\/\/linotp:\*\*\*@127\.0\.0\.1:1\/linotp/);
    expect(`${r.error.message} ${r.error.hint} ${r.stderr}`).not.toContain('S3cret');
  });

  it('a truncated file still parses to the same error through readDump directly', async () => {
    const sql = Buffer.from("INSERT INTO `t` VALUES ('abc", 'utf8');
    const events = readDump((async function* () { yield sql; })(), 'mysql', 'x.sql');
    await expect((async () => { for await (const _ of events) void _; })()).rejects.toThrow(/ends inside a quoted string/);
  });

  it('the good backup still restores after all that', async () => {
    const info = await inspectDump(await openBackup(good));
    expect(info.problems).toEqual([]);
    const r = await runBackup('restore', { file: good, databaseUri: target.url });
    expect(r.error, r.stderr).toBeUndefined();
    expect(r.doc.restored.find((t: { name: string }) => t.name === 'audit').rows).toBe(204);
  });
});
