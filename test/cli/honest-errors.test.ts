/** Bad paths give one line naming the file and what to do, never a raw ENOTDIR/EEXIST/"file is not a database". */
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/index.js';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { loadSample212 } from '../upgrade/sample-db.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = process.env.LMT_BIN ?? `${root}bin/linotp-migrate.js`;
const dir = mkdtempSync(join(tmpdir(), 'lmt-honest-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(args: string[], user?: string) {
  const env: NodeJS.ProcessEnv = { ...process.env, LINOTP_CFG: '-/nonexistent', NO_COLOR: '1' };
  for (const k of Object.keys(env)) if (k.startsWith('LINOTP_') && k !== 'LINOTP_CFG') delete env[k];
  const argv = [process.execPath, bin, ...args];
  const [cmd, ...rest] = user ? ['runuser', '-u', user, '--', ...argv] : argv;
  return spawnSync(cmd, rest, { cwd: dir, encoding: 'utf8', env, input: '' });
}
const oneError = (stderr: string) => {
  expect(stderr).not.toMatch(/ENOTDIR|EEXIST|EACCES|file is not a database|unexpected failure|\n\s+at /);
  return stderr.split('\n').filter(Boolean);
};

describe('honest errors', () => {
  writeFileSync(join(dir, 'afile'), 'x');
  writeFileSync(join(dir, 'linotp.ini'), '[app:main]\nsqlalchemy.url = sqlite:////tmp/x.db\n');

  it('config convert --out FILE and --out FILE/sub: usage error naming the file', () => {
    for (const out of ['afile', 'afile/sub']) {
      const r = run(['config', 'convert', '--ini', 'linotp.ini', '--out', out]);
      expect(r.status).toBe(2);
      expect(oneError(r.stderr)).toEqual([`error: --out ${join(dir, out)}: ${join(dir, 'afile')} is a file, not a directory`, 'hint: give a directory to --out']);
    }
  });

  it('backup list --dir FILE or a missing directory', () => {
    const r = run(['backup', 'list', '--dir', 'afile']);
    expect(r.status).toBe(2);
    expect(oneError(r.stderr)[0]).toBe(`error: --dir ${join(dir, 'afile')}: ${join(dir, 'afile')} is a file, not a directory`);
    const missing = run(['backup', 'list', '--dir', 'nope']);
    expect(missing.status).toBe(2);
    expect(oneError(missing.stderr)[0]).toBe(`error: --dir ${join(dir, 'nope')} does not exist`);
  });

  it('an invalid init enc-key --keys is a usage error (exit 2) and writes nothing', () => {
    const r = run(['init', 'enc-key', '--enc-key', join(dir, 'newKey'), '--keys', 'abc']);
    expect(r.status).toBe(2);
    expect(oneError(r.stderr)[0]).toBe('error: --keys holds 3 hex digits; LinOTP keys are 192 hex digits (96 bytes, three AES-256 keys)');
    expect(spawnSync('ls', [dir], { encoding: 'utf8' }).stdout).not.toContain('newKey');
  });

  it('backup restore --jobs 0 is a usage error (exit 2) before the backup is read', () => {
    const r = run(['backup', 'restore', '--file', join(dir, 'missing.sql'), '--database-uri', `sqlite:///${join(dir, 'x.db')}`, '--jobs', '0', '--yes']);
    expect(r.status).toBe(2);
    expect(oneError(r.stderr)[0]).toBe('error: --jobs 0: the number of connections must be a whole number, 1 or more');
  });

  it('a failed init database on SQLite leaves no new <file>_audit behind', async () => {
    const file = join(dir, 'linotp2.db');
    const db = await openDatabase(`sqlite:///${file}`, { create: true });
    await loadSample212(db);
    await db.close();
    writeFileSync(join(dir, 'wrongKey'), randomBytes(96));
    const r = run(['init', 'database', '--database-uri', `sqlite:///${file}`, '--enc-key', join(dir, 'wrongKey')]);
    expect(r.status, r.stderr).not.toBe(0);
    expect(existsSync(`${file}_audit`)).toBe(false);
    expect(existsSync(file)).toBe(true);
  });

  it('a file that is not an SQLite database', () => {
    writeFileSync(join(dir, 'bad.db'), 'this is not a database, just text that is long enough '.repeat(20));
    const r = run(['local-admins', 'list', '--database-uri', `sqlite:///${join(dir, 'bad.db')}`]);
    expect(r.status).toBe(1);
    expect(oneError(r.stderr)[0]).toBe(`error: ${join(dir, 'bad.db')} is not an SQLite database`);
  });

  it.skipIf(process.getuid?.() !== 0 && !process.env.CI)('a mode-0600 SQLite file owned by someone else', async () => {
    const db = await openDatabase(`sqlite:///${join(dir, 'ok.db')}`, { create: true });
    await db.execute('CREATE TABLE t (x INTEGER)');
    await db.close();
    copyFileSync(join(dir, 'ok.db'), join(dir, 'private.db'));
    chmodSync(join(dir, 'private.db'), 0o600);
    chmodSync(dir, 0o755);
    const r = run(['local-admins', 'list', '--database-uri', `sqlite:///${join(dir, 'private.db')}`], 'nobody');
    expect(r.status).toBe(1);
    expect(oneError(r.stderr)[0]).toBe(`error: cannot open the SQLite database ${join(dir, 'private.db')}: no permission for this user`);
  });
});
