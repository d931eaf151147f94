/**
 * Secrets (issue #9): the commands that handle secrets run with known, distinctive ones — backup
 * passphrases (file and LINOTP_MIGRATE_PASSPHRASE), a local admin's password, database passwords in
 * URIs (the real MariaDB test user's, PostgreSQL's, one in a linotp.ini) and a random encKey — and
 * none of them may appear in stdout, stderr (every run with -v; several also with --json), the reports
 * and any other file the commands leave behind, or the argv of a process they start (PATH leads to shim
 * scripts named like every tool the CLI could spawn — gpg, mariadb, mysqldump, pg_dump, psql, sqlite3,
 * sh … — that log their argv and run the real tool). The key is looked for raw, in hex (both cases),
 * base64 and in 8-byte windows, so a paper-form or chunked print is caught too.
 * Files written on purpose hold a secret and get the intended mode: encKey 0440, linotp.cfg 0640 (the
 * database password must be in it, LinOTP reads it there), backup archives 0600 (the key inside is
 * OpenPGP-encrypted, still nobody else's business). A URI in an error message has its password masked.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/index.js';
import { parseDbUrl } from '../../src/db/url.js';
import { buildInstallation } from '../../src/fixtures/installation.js';
import { SAMPLE_CONFIG_SECRETS, SAMPLE_TOKENS } from '../../src/fixtures/sample.js';
import { writeInstallation } from '../../src/fixtures/write.js';
import { ensureBuilt } from '../e2e/global-setup.js';
import { createTestDatabase, serverAvailable } from '../helpers/db.js';
import { keySecretForms, leaks, makeArgvShims, runCli, textSecretForms, tmp, type CliResult, type SecretForm } from './helpers.js';

const PASSPHRASE = 'Pp-Secret-Passphrase-8d41';
const ENV_PASSPHRASE = 'Env-Secret-Passphrase-3c97';
const ADMIN_PASSWORD = 'Adm1n-Secret-Pw-77f2';
/** With characters a URL must percent-encode: the cfg holds the encoded form, which must not show either. */
const INI_DB_PASSWORD = 'Ini-Db@Secret/Pw:5e0a%';
const WRONG_DB_PASSWORD = 'Wrong-Db-Secret-Pw-19c3';
const KEY = randomBytes(96);
const inst = buildInstallation({ seed: 17, tokens: 6, auditRows: 12, encKey: KEY });

const root = tmp('lmt-secrets-');
const work = join(root, 'work');
const shimLog = join(root, 'argv.log');
const shims = makeArgvShims(join(root, 'shims'), shimLog);
const drops: (() => Promise<void>)[] = [];
let mysqlUrl = '';
let pgUrl = '';
let forms: SecretForm[] = [];
/** Every run of the suite, for the argv and output checks at the end. */
const runs: { label: string; r: CliResult }[] = [];

/**
 * A LinOTP 2 database whose every encrypted value is encrypted with KEY: the fixture's three sample
 * tokens and sample config secrets carry ciphertexts of the §7 sample key, so they are removed.
 */
async function fixtureDb(engine: 'mysql' | 'postgres' | 'sqlite'): Promise<string> {
  const t = await createTestDatabase(engine);
  drops.push(t.drop);
  const db = await openDatabase(t.url);
  const q = db.dialect.quoteIdent;
  try {
    await writeInstallation(db, inst);
    const sampleTokens = SAMPLE_TOKENS.map((r) => Number(r.LinOtpTokenId));
    const marks = sampleTokens.map(() => '?').join(', ');
    await db.execute(`DELETE FROM ${q('TokenRealm')} WHERE ${q('token_id')} IN (${marks})`, sampleTokens);
    await db.execute(`DELETE FROM ${q('Token')} WHERE ${q('LinOtpTokenId')} IN (${marks})`, sampleTokens);
    const keys = Object.keys(SAMPLE_CONFIG_SECRETS);
    await db.execute(`DELETE FROM ${q('Config')} WHERE ${q('Key')} IN (${keys.map(() => '?').join(', ')})`, keys);
  } finally {
    await db.close();
  }
  return t.url;
}

/** Runs the CLI with the argv shims first in PATH and checks its output for every secret at once. */
async function cli(label: string, args: string[], opts: { env?: Record<string, string>; input?: string; expectCode?: number | number[] } = {}): Promise<CliResult> {
  const r = await runCli(args, { cwd: work, env: opts.env, input: opts.input, pathPrefix: shims, timeoutMs: 120_000 });
  runs.push({ label, r });
  expect([opts.expectCode ?? 0].flat(), `${label}: exit ${r.code}: ${r.stderr}`).toContain(r.code);
  expect(leaks(r.stdout, forms), `${label}: secret on stdout`).toEqual([]);
  expect(leaks(r.stderr, forms), `${label}: secret on stderr`).toEqual([]);
  return r;
}

const modeOf = (p: string) => statSync(p).mode & 0o777;

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)]));
}

/** The members of a tar.gz (our archives are small). */
function tarMembers(file: string): Map<string, Buffer> {
  const raw = gunzipSync(readFileSync(file));
  const out = new Map<string, Buffer>();
  for (let at = 0; at + 512 <= raw.length; ) {
    const h = raw.subarray(at, at + 512);
    if (h.every((b) => b === 0)) break;
    const name = h.subarray(0, 100).toString('utf8').replace(/\0.*$/s, '');
    const size = parseInt(h.subarray(124, 136).toString('latin1').replace(/\0.*$/s, '').trim() || '0', 8);
    out.set(name, raw.subarray(at + 512, at + 512 + size));
    at += 512 + Math.ceil(size / 512) * 512;
  }
  return out;
}

beforeAll(async () => {
  await ensureBuilt();
  mkdirSync(work, { recursive: true });
  mysqlUrl = (await serverAvailable('mysql')) ? await fixtureDb('mysql') : '';
  pgUrl = (await serverAvailable('postgres')) ? await fixtureDb('postgres') : '';
  const dbPasswords = [mysqlUrl, pgUrl].filter(Boolean).map((u) => parseDbUrl(u).password!);
  forms = [
    ...textSecretForms('backup passphrase', PASSPHRASE),
    ...textSecretForms('env passphrase', ENV_PASSPHRASE),
    ...textSecretForms('admin password', ADMIN_PASSWORD),
    ...textSecretForms('ini database password', INI_DB_PASSWORD),
    ...textSecretForms('wrong database password', WRONG_DB_PASSWORD),
    ...dbPasswords.flatMap((p, i) => textSecretForms(`database password ${i}`, p)),
    ...keySecretForms('encKey', KEY),
  ];
  writeFileSync(join(work, 'encKey'), KEY);
  writeFileSync(join(work, 'pass.txt'), PASSPHRASE + '\n');
  writeFileSync(join(work, 'admin-pw.txt'), ADMIN_PASSWORD + '\n');
}, 120_000);

afterAll(async () => {
  for (const d of drops) await d().catch(() => undefined);
});

describe('the leak detector', () => {
  it('sees a key printed as the paper form, in hex, base64 or raw, and a password percent-encoded', async () => {
    const dir = join(root, 'detector');
    mkdirSync(dir);
    // --dump prints the paper form on purpose: the detector must flag exactly that kind of output
    const r = await runCli(['init', 'enc-key', '--enc-key', 'encKey', '--dump'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const key = readFileSync(join(dir, 'encKey'));
    expect(leaks(r.stdout, keySecretForms('k', key)).length).toBeGreaterThan(0);
    for (const text of [key.toString('hex'), key.toString('hex').toUpperCase(), key.toString('base64')]) expect(leaks(`x ${text} y`, keySecretForms('k', key)).length).toBeGreaterThan(0);
    expect(leaks(Buffer.concat([Buffer.from('x'), key.subarray(40, 50)]), keySecretForms('k', key)).length).toBeGreaterThan(0);
    expect(leaks('mysql://u:p%40ss%2Fw0rd@h/db', textSecretForms('pw', 'p@ss/w0rd'))).toEqual(['pw (percent-encoded)']);
    expect(leaks('nothing to see', [...keySecretForms('k', key), ...textSecretForms('pw', 'p@ss/w0rd')])).toEqual([]);
  });
});

describe('secrets never leak', () => {
  let archive = '';

  it('backup create: passphrase from a file, from LINOTP_MIGRATE_PASSPHRASE; archive 0600 with only the encrypted key in it', async () => {
    const source = mysqlUrl || (await fixtureDb('sqlite'));
    await cli('backup create (file)', ['-v', 'backup', 'create', '--database-uri', source, '--enc-key', 'encKey', '--passphrase-file', 'pass.txt', '--out', 'backups']);
    const second = pgUrl || source;
    await cli('backup create (env)', ['-v', '--json', 'backup', 'create', '--database-uri', second, '--enc-key', 'encKey', '--out', 'backups-env'], { env: { LINOTP_MIGRATE_PASSPHRASE: ENV_PASSPHRASE } });
    for (const dir of ['backups', 'backups-env']) {
      const files = readdirSync(join(work, dir));
      expect(files, 'nothing but the archive is left in the output directory').toEqual([expect.stringMatching(/^linotp_backup_\d{10}\.tar\.gz$/)]);
      const file = join(work, dir, files[0]);
      expect(modeOf(file), `${file} mode`).toBe(0o600);
      const members = tarMembers(file);
      expect([...members.keys()]).toEqual(expect.arrayContaining(['manifest.json', 'encKey.gpg']));
      for (const [name, data] of members) expect(leaks(data, forms), `${dir}/${name}`).toEqual([]);
    }
    archive = join(work, 'backups', readdirSync(join(work, 'backups'))[0]);
  }, 120_000);

  it('backup verify --passphrase-file (-v, --json)', async () => {
    await cli('backup verify', ['-v', 'backup', 'verify', '--file', archive, '--passphrase-file', 'pass.txt']);
    const r = await cli('backup verify --json', ['-v', '--json', 'backup', 'verify', '--file', archive, '--passphrase-file', 'pass.txt']);
    expect(JSON.parse(r.stdout)).toBeTruthy();
  }, 60_000);

  it('backup restore --install-enc-key writes the key with mode 0440 and says nothing of it', async () => {
    const target = pgUrl || (await createTestDatabase('sqlite').then((t) => (drops.push(t.drop), t.url)));
    mkdirSync(join(work, 'etc'), { recursive: true });
    await cli('backup restore', ['-v', 'backup', 'restore', '--file', archive, '--passphrase-file', 'pass.txt', '--install-enc-key', '--enc-key', 'etc/encKey', '--database-uri', target, '--yes']);
    expect(readFileSync(join(work, 'etc', 'encKey')).equals(KEY)).toBe(true);
    expect(modeOf(join(work, 'etc', 'encKey'))).toBe(0o440);
    expect(readdirSync(join(work, 'etc')), 'no temporary key file left behind').toEqual(['encKey']);
  }, 120_000);

  it('init enc-key: a generated key is written 0440 and never printed', async () => {
    mkdirSync(join(work, 'newkey'), { recursive: true });
    const r = await runCli(['-v', 'init', 'enc-key', '--enc-key', 'newkey/encKey'], { cwd: work, pathPrefix: shims });
    runs.push({ label: 'init enc-key', r });
    expect(r.code, r.stderr).toBe(0);
    const generated = readFileSync(join(work, 'newkey', 'encKey'));
    expect(generated.length).toBe(96);
    expect(modeOf(join(work, 'newkey', 'encKey'))).toBe(0o440);
    const own = keySecretForms('generated encKey', generated);
    expect(leaks(r.stdout + r.stderr, own)).toEqual([]);
    expect(leaks(r.stdout + r.stderr, forms)).toEqual([]);
    expect(readdirSync(join(work, 'newkey'))).toEqual(['encKey']);
  });

  it('local-admins add and password (stdin): the password is stored only as a sha512_crypt hash', async () => {
    const t = await createTestDatabase('sqlite');
    drops.push(t.drop);
    await cli('restore for admins', ['-q', 'backup', 'restore', '--file', archive, '--passphrase-file', 'pass.txt', '--database-uri', t.url, '--yes']);
    await cli('init database', ['-q', 'init', 'database', '--database-uri', t.url, '--enc-key', 'encKey', '--yes']);
    await cli('local-admins add', ['-v', 'local-admins', 'add', 'secadmin', '--database-uri', t.url, '--email', 'sec@example.com']);
    await cli('local-admins password', ['-v', 'local-admins', 'password', 'secadmin', '--password', '-', '--database-uri', t.url], { input: ADMIN_PASSWORD + '\n' });
    await cli('local-admins list', ['-v', '--json', 'local-admins', 'list', '--long', '--database-uri', t.url]);
    const db = await openDatabase(t.url);
    try {
      const rows = await db.query(`SELECT ${db.dialect.quoteIdent('password')} AS p FROM ${db.dialect.quoteIdent('imported_user')} WHERE ${db.dialect.quoteIdent('username')} = ?`, ['secadmin']);
      expect(String(rows[0].p)).toMatch(/^\$6\$rounds=656000\$/);
      expect(leaks(String(rows[0].p), forms)).toEqual([]);
    } finally {
      await db.close();
    }
  }, 120_000);

  it('rehearse: report.json, report.md and junit.xml hold no secret', async () => {
    const target = pgUrl ? (await createTestDatabase('postgres').then((t) => (drops.push(t.drop), t.url))) : undefined;
    const args = ['-v', 'rehearse', '--backup', archive, '--passphrase-file', 'pass.txt', '--admin', 'admin', '--admin-password-file', 'admin-pw.txt', '--report-dir', 'reports'];
    if (target) args.push('--target-db', target);
    const r = await runCli(args, { cwd: work, pathPrefix: shims, timeoutMs: 120_000 });
    runs.push({ label: 'rehearse', r });
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(leaks(r.stdout + r.stderr, forms)).toEqual([]);
    const reports = readdirSync(join(work, 'reports')).sort();
    expect(reports).toEqual(['junit.xml', 'report.json', 'report.md']);
    for (const f of reports) expect(leaks(readFileSync(join(work, 'reports', f)), forms), f).toEqual([]);
    // the reports do name the target, masked (so the masking, not an absent URL, is what is tested)
    if (target) expect(readFileSync(join(work, 'reports', 'report.json'), 'utf8')).toMatch(/postgresql:\/\/\w+:\*\*\*@127\.0\.0\.1:5432\//);
  }, 120_000);

  it('config convert: the ini\'s database password goes only into linotp.cfg (mode 0640)', async () => {
    const ini = readFileSync(new URL('../../fixtures/demo/linotp.ini', import.meta.url), 'utf8').replace(/^sqlalchemy\.url = .*$/m, () => `sqlalchemy.url = mysql://linotp:${INI_DB_PASSWORD}@localhost/LinOTP2`);
    expect(ini).toContain(INI_DB_PASSWORD);
    writeFileSync(join(work, 'linotp.ini'), ini);
    await cli('config convert --dry-run', ['-v', 'config', 'convert', '--ini', 'linotp.ini', '--dry-run']);
    await cli('config convert --dry-run --json', ['-v', '--json', 'config', 'convert', '--ini', 'linotp.ini', '--dry-run']);
    await cli('config convert', ['-v', 'config', 'convert', '--ini', 'linotp.ini', '--out', 'linotp3']);
    const cfg = join(work, 'linotp3', 'linotp.cfg');
    expect(readFileSync(cfg, 'utf8')).toContain(`DATABASE_URI = 'mysql+mysqldb://linotp:${encodeURIComponent(INI_DB_PASSWORD)}@localhost/LinOTP2'`);
    expect(modeOf(cfg)).toBe(0o640);
    expect(readdirSync(join(work, 'linotp3'))).toEqual(['linotp.cfg']);
    // reading it back shows the setting with the password masked
    await cli('config show', ['-v', 'config', 'show'], { env: { LINOTP_CFG: cfg } });
  });

  it('verify and fix-db-encoding with a password in the URI (-v, --json)', async () => {
    const url = mysqlUrl || pgUrl;
    if (!url) return;
    // exit 0, or 3 where a fixture value does not decrypt: either way the report is printed
    const r = await cli('verify', ['-v', '--json', 'verify', '--database-uri', url, '--enc-key', 'encKey'], { expectCode: [0, 3] });
    expect(JSON.parse(r.stdout)).toHaveProperty('ok');
    await cli('fix-db-encoding --dry-run', ['-v', 'admin', 'fix-db-encoding', '--database-uri', url, '--dry-run']);
  }, 60_000);

  it('a wrong password in the URI: the error masks it (with -v as well)', async () => {
    const target = mysqlUrl ? 'mysql://linotp_migrate_test:' + WRONG_DB_PASSWORD + '@127.0.0.1:3306/test' : 'postgresql://linotp:' + WRONG_DB_PASSWORD + '@127.0.0.1:1/linotp';
    for (const v of [[], ['-v']]) {
      const r = await cli('wrong credentials', [...v, 'verify', '--database-uri', target, '--enc-key', 'encKey'], { expectCode: 1 });
      expect(r.stderr).toMatch(/cannot connect to (mysql|postgresql):\/\/\w+:\*\*\*@/);
    }
  });

  it('no process the CLI started got a secret in its argv', () => {
    const log = readFileSync(shimLog);
    expect(leaks(log, forms)).toEqual([]);
    // what was started, for the record (nothing today: the CLI talks to the servers itself and encrypts with openpgp)
    const tools = log.toString('utf8').split('\n').filter(Boolean).map((l) => l.split('\0')[0]);
    expect(tools.every((t) => ['gpg', 'gpg2', 'mysql', 'mariadb', 'mariadb-dump', 'mysqldump', 'pg_dump', 'pg_restore', 'psql', 'sqlite3', 'openssl', 'sh', 'bash'].includes(t))).toBe(true);
    expect(runs.length).toBeGreaterThanOrEqual(15);
  });

  it('no other file left in the working directory holds a secret', () => {
    const onPurpose = new Set(['encKey', 'pass.txt', 'admin-pw.txt', 'linotp.ini', 'etc/encKey', 'newkey/encKey', 'linotp3/linotp.cfg']);
    const others = filesUnder(work).filter((f) => !onPurpose.has(relative(work, f)) && !/\.tar\.gz$/.test(f));
    for (const f of others) expect(leaks(readFileSync(f), forms), relative(work, f)).toEqual([]);
  });
});
