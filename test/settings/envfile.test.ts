// -e/--env-file as LinOTP 3's `linotp -e` reads it (python-dotenv through Flask): checked against the
// real python-dotenv where Debian's python3-dotenv is installed.
import { tempDir } from '../helpers/tmp.js';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadEnvFile, parseEnvFile } from '../../src/settings/envfile.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const SAMPLE = [
  '# LinOTP settings for the CLI',
  'LINOTP_DATABASE_URI=postgresql://linotp:s3cr%40t@db/linotp',
  'export LINOTP_SECRET_FILE = /etc/linotp/encKey',
  "LINOTP_LOG_LEVEL='DEBUG'  # quoted",
  'LINOTP_SITE_ROOT_REDIRECT="/manage \\"x\\"\\nnext"',
  'LINOTP_X=plain value # comment',
  '',
  'EMPTY=',
].join('\n');

describe('env file', () => {
  it('reads the dotenv forms', () => {
    expect(Object.fromEntries(parseEnvFile(SAMPLE, 'f').map((e) => [e.key, e.value]))).toEqual({
      LINOTP_DATABASE_URI: 'postgresql://linotp:s3cr%40t@db/linotp',
      LINOTP_SECRET_FILE: '/etc/linotp/encKey',
      LINOTP_LOG_LEVEL: 'DEBUG',
      LINOTP_SITE_ROOT_REDIRECT: '/manage "x"\nnext',
      LINOTP_X: 'plain value',
      EMPTY: '',
    });
  });

  const dotenv = spawnSync('python3', ['-c', 'import dotenv'], { encoding: 'utf8' }).status === 0;
  it.skipIf(!dotenv)('agrees with python-dotenv', () => {
    const r = spawnSync('python3', ['-c', 'import sys, json, dotenv, io; print(json.dumps(dotenv.dotenv_values(stream=io.StringIO(sys.stdin.read()))))'], { input: SAMPLE, encoding: 'utf8' });
    expect(JSON.parse(r.stdout)).toEqual(Object.fromEntries(parseEnvFile(SAMPLE, 'f').map((e) => [e.key, e.value])));
  });

  it('never overrides a variable already set; a bad line is one clear error', () => {
    const dir = tempDir('lmt-env-');
    const f = join(dir, 'env');
    writeFileSync(f, 'A=from-file\nB=from-file\n');
    const env: NodeJS.ProcessEnv = { A: 'already' };
    expect(loadEnvFile(f, env)).toEqual(['B']);
    expect(env).toEqual({ A: 'already', B: 'from-file' });
    writeFileSync(f, 'A=1\nthis is not a setting\n');
    expect(() => loadEnvFile(f, {})).toThrow(/line 2: not a KEY=VALUE line/);
    expect(() => loadEnvFile(join(dir, 'missing'), {})).toThrow(/cannot read the env file .*no such file/);
  });

  it('-e puts the settings into the environment before the command runs; -q keeps the result', () => {
    const dir = tempDir('lmt-env-');
    const db = join(dir, 'l.db');
    writeFileSync(join(dir, 'env'), `LINOTP_DATABASE_URI=sqlite:///${db}\nLINOTP_MIGRATE_ASSUME_YES=1\n`);
    const r = spawnSync(process.execPath, [join(root, 'bin/linotp-migrate.js'), '-q', '-e', join(dir, 'env'), 'config', 'show', '--json'], { cwd: dir, encoding: 'utf8', env: { ...process.env, LINOTP_CFG: '', LINOTP_DATABASE_URI: '' } });
    // An empty LINOTP_DATABASE_URI is "set": the file does not override it.
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toBeTruthy();
    const env: NodeJS.ProcessEnv = { ...process.env, LINOTP_CFG: '' };
    delete env.LINOTP_DATABASE_URI;
    const shown = spawnSync(process.execPath, [join(root, 'bin/linotp-migrate.js'), '-q', '-e', join(dir, 'env'), 'config', 'show'], { cwd: dir, encoding: 'utf8', env });
    expect(shown.status, shown.stderr).toBe(0);
    expect(shown.stdout).toContain(db);
  });
});
