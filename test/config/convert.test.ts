import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { mkdtempSync, rmSync, statSync, writeFileSync, readFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { planConvert, applyConvert } from '../../src/config/plan.js';
import { evalCfgFiles } from './python.js';
import { findGroup } from '../../src/files/ownership.js';
import { UsageError } from '../../src/errors.js';

const FIX = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');
const EXAMPLE = path.join(path.dirname(fileURLToPath(import.meta.url)), '../settings/fixtures/linotp-2.12-example.ini');

let out: string;
beforeEach(() => {
  out = mkdtempSync(path.join(tmpdir(), 'cfg-out-'));
});
afterEach(() => rmSync(out, { recursive: true, force: true }));

function convert(ini: string, opts: { here?: string; rebase?: string[]; target?: string; split?: boolean } = {}) {
  const plan = planConvert({ ini, outDir: out, ...opts }, process.cwd());
  applyConvert(plan, false);
  const py = evalCfgFiles(plan.files.map((f) => f.path));
  const values = Object.assign({}, ...py.map((p) => p.values)) as Record<string, unknown>;
  const urls = Object.assign({}, ...py.map((p) => p.urls));
  return { plan, values, urls, py };
}

/** Every key written in the ini appears exactly once in the report. */
function expectEveryKeyReported(plan: ReturnType<typeof planConvert>, iniPath: string) {
  const text = readFileSync(iniPath, 'utf8');
  const keyLines = text.split('\n').map((l, i) => [l, i + 1] as const).filter(([l]) => /^[^\s#;[][^=:]*[=:]/.test(l));
  const reported = new Set(plan.conversion.rows.map((r) => r.line));
  for (const [l, n] of keyLines) expect(reported.has(n), `line ${n} '${l}' has no report row`).toBe(true);
  expect(plan.conversion.rows).toHaveLength(keyLines.length);
}

const CONTROLLERS_V2_DEFAULT = { ENABLE_CONTROLLERS: 'ALL u2f', DISABLE_CONTROLLERS: 'gettoken maintenance' };

describe('config convert: differential against python3 ast', () => {
  it('the LinOTP 2.12 production template (Debian upgrade with --rebase)', () => {
    const { plan, values, urls } = convert(EXAMPLE, { here: '/etc/linotp2', rebase: ['/etc/linotp2=/etc/linotp'] });
    expect(values).toEqual({
      DATABASE_URI: 'mysql+mysqldb://linotp2:1234@localhost/LinOTP2',
      AUDIT_DATABASE_URI: 'OFF',
      SECRET_FILE: '/etc/linotp/encKey',
      AUDIT_PRIVATE_KEY_FILE: '/etc/linotp/audit-private.pem',
      AUDIT_PUBLIC_KEY_FILE: '/etc/linotp/audit-public.pem',
      ...CONTROLLERS_V2_DEFAULT,
      RADIUS_NAS_IDENTIFIER: 'LinOTP',
      CUSTOM_TEMPLATES_DIR: '/etc/linotp/custom-templates',
      LOG_LEVEL: 'WARNING',
      LOG_FILE_LEVEL: 'WARNING',
      LOG_FILE_DIR: '/var/log/linotp',
      LOG_FILE_NAME: 'linotp.log',
      LOG_FILE_MAX_LENGTH: 10000000,
      LOG_FILE_MAX_VERSIONS: 4,
      LOG_FILE_LINE_FORMAT: '%(asctime)s %(levelname)-5.5s [%(name)s][%(funcName)s #%(lineno)d] %(message)s',
    });
    expect(urls.DATABASE_URI).toMatchObject({ username: 'linotp2', password: '1234', host: 'localhost', database: 'LinOTP2' });
    expectEveryKeyReported(plan, EXAMPLE);
    expect(plan.conversion.rows.find((r) => r.key === 'datefmt')?.status).toBe('needs-attention');
  });

  it('the same template for LinOTP 3.0 and 3.2 uses those versions\' names', () => {
    const v30 = convert(EXAMPLE, { here: '/etc/linotp2', target: '3.0' }).values;
    expect(v30).toMatchObject({ LOGGING_LEVEL: 'WARNING', LOGGING_FILE_LEVEL: 'WARNING', LOGFILE_DIR: '/var/log/linotp', LOGFILE_MAX_LENGTH: 10000000, LOGFILE_FILE_LINE_FORMAT: expect.any(String), SECRET_FILE: '/etc/linotp2/encKey', AUDIT_PRIVATE_KEY_FILE: '/etc/linotp2/private.pem' });
    expect(v30.CONTROLLERS).toBe('admin audit auth manage monitoring reporting selfservice system tools userservice validate u2f');
    expect(v30).not.toHaveProperty('ENABLE_CONTROLLERS');
    rmSync(out, { recursive: true, force: true });
    const v32 = convert(EXAMPLE, { here: '/etc/linotp2', target: '3.2' }).values;
    expect(v32).toMatchObject({ LOGGING_LEVEL: 'WARNING', LOGGING_FILE_LEVEL: 'WARNING', LOG_FILE_DIR: '/var/log/linotp', LOG_FILE_MAX_VERSIONS: 4, LOG_FILE_LINE_FORMAT: expect.any(String) });
    expect(v32).not.toHaveProperty('LOG_LEVEL');
  });

  it('the paster/SQLite development template', () => {
    const ini = path.join(FIX, 'paster.ini');
    const { plan, values } = convert(ini, { here: '/srv/linotp-dev' });
    expect(values).toEqual({
      DATABASE_URI: 'sqlite:////srv/linotp-dev/token.sqlite',
      AUDIT_DATABASE_URI: 'OFF',
      SECRET_FILE: '/srv/linotp-dev/dummy-encKey',
      AUDIT_PRIVATE_KEY_FILE: '/srv/linotp-dev/private.pem',
      AUDIT_PUBLIC_KEY_FILE: '/srv/linotp-dev/public.pem',
      ...CONTROLLERS_V2_DEFAULT,
      RADIUS_NAS_IDENTIFIER: 'LinOTP',
      CUSTOM_TEMPLATES_DIR: '/srv/linotp-dev/custom-templates',
      LOG_LEVEL: 'WARNING',
      LOG_FILE_LEVEL: 'WARNING',
      LOG_FILE_DIR: '/srv/linotp-dev',
      LOG_FILE_NAME: 'linotp.log',
      LOG_FILE_MAX_LENGTH: 10000000,
      LOG_FILE_MAX_VERSIONS: 4,
      LOG_FILE_LINE_FORMAT: '%(asctime)s %(levelname)-5.5s {%(thread)d} [%(name)s][%(funcName)s #%(lineno)d] %(message)s',
    });
    expectEveryKeyReported(plan, ini);
    const row = (k: string) => plan.conversion.rows.find((r) => r.key === k)!;
    expect(row('linotpAudit.sql.url')).toMatchObject({ status: 'dropped', reason: expect.stringMatching(/linotpAudit\.type is not set/) });
    expect(plan.conversion.rows.find((r) => r.section === 'formatter_generic' && r.key === 'class')?.status).toBe('needs-attention');
  });

  it('the Docker template (audit in the main database, console logging, three loggers)', () => {
    const ini = path.join(FIX, 'docker.ini');
    const { plan, values, urls } = convert(ini, { here: '/etc/linotp2' });
    expect(values).toEqual({
      DATABASE_URI: 'mysql+mysqldb://linotp:Pa%24%24w0rd@db:3306/LinOTP',
      AUDIT_DATABASE_URI: 'SHARED',
      SECRET_FILE: '/etc/linotp2/encKey',
      AUDIT_PRIVATE_KEY_FILE: '/etc/linotp2/private.pem',
      AUDIT_PUBLIC_KEY_FILE: '/etc/linotp2/public.pem',
      ENABLE_CONTROLLERS: 'ALL u2f',
      DISABLE_CONTROLLERS: 'gettoken',
      RADIUS_NAS_IDENTIFIER: 'LinOTP',
      CUSTOM_TEMPLATES_DIR: '/etc/linotp2/custom-templates',
      LOG_LEVEL: 'INFO',
      LOG_LEVEL_DB_CLIENT: 'ERROR',
      LOG_CONSOLE_LEVEL: 'DEBUG',
      LOG_CONSOLE_LINE_FORMAT: '%(asctime)s %(levelname)-5.5s [%(name)s][%(funcName)s #%(lineno)d] %(message)s',
    });
    expect(urls.DATABASE_URI).toMatchObject({ username: 'linotp', password: 'Pa$$w0rd', host: 'db', port: '3306', database: 'LinOTP' });
    expectEveryKeyReported(plan, ini);
  });

  it('an appliance-style file with a nasty password, split into Debian-style snippets', () => {
    const ini = path.join(FIX, 'appliance.ini');
    const { plan, values, urls, py } = convert(ini, { here: '/etc/linotp2', rebase: ['/etc/linotp2=/etc/linotp'], split: true });
    expect(plan.files.map((f) => f.name)).toEqual(['conf.d/01-migrated-database.cfg', 'conf.d/50-linotp2-migration.cfg']);
    expect(Object.keys(py[0].values)).toEqual(['DATABASE_URI']);
    expect(values).toEqual({
      DATABASE_URI: 'mysql+mysqldb://linotp:s3cr%23t%3Bp%40ss%25w%3Ard@localhost/LinOTP2?charset=utf8',
      AUDIT_DATABASE_URI: 'SHARED',
      SECRET_FILE: '/etc/linotp/encKey',
      AUDIT_PRIVATE_KEY_FILE: '/etc/linotp/audit-private.pem',
      AUDIT_PUBLIC_KEY_FILE: '/etc/linotp/audit-public.pem',
      ENABLE_CONTROLLERS: 'ALL',
      DISABLE_CONTROLLERS: 'gettoken maintenance selfservice tools',
      AUDIT_ERROR_ON_TRUNCATION: true,
      RADIUS_NAS_IDENTIFIER: 'appliance-01',
      TOKEN_MODULES: 'linotp.tokens.hmactoken linotp.tokens.totptoken linotp.tokens.spasstoken',
      CUSTOM_TEMPLATES_DIR: '/etc/linotp/custom-templates',
      LOG_LEVEL: 'WARNING',
      LOG_FILE_LEVEL: 'DEBUG',
      LOG_FILE_DIR: '/var/log/linotp',
      LOG_FILE_NAME: 'linotp.log',
      LOG_FILE_MAX_LENGTH: 0,
      LOG_FILE_LINE_FORMAT: '%(asctime)s %(levelname)s %(message)s',
    });
    expect(urls.DATABASE_URI).toMatchObject({ drivername: 'mysql+mysqldb', username: 'linotp', password: 's3cr#t;p@ss%w:rd', host: 'localhost', database: 'LinOTP2', query: { charset: 'utf8' } });
    expectEveryKeyReported(plan, ini);
    const row = (s: string, k: string) => plan.conversion.rows.find((r) => r.section === s && r.key === k)!;
    expect(row('app:main', 'radius.nas_identifier')).toMatchObject({ status: 'dropped', reason: expect.stringMatching(/PasteDeploy keeps the \[DEFAULT\] value/) });
    expect(row('app:main', 'service.u2f')).toMatchObject({ status: 'converted', reason: expect.stringMatching(/exactly 'True'/) });
    expect(row('app:main', 'service.helpdesk')).toMatchObject({ status: 'dropped', reason: expect.stringMatching(/does not exist in LinOTP 3\.4/) });
    expect(row('handler_syslog', 'class').status).toBe('needs-attention');
    expect(row('app:main', 'sqlalchemy.url').value).not.toContain('s3cr');
    for (const f of plan.files) expect(statSync(f.path).mode & 0o777).toBe(0o640);
  });
});

describe('config convert: nasty passwords (fast-check-style batch, one python3 process)', () => {
  it('LinOTP 3 (SQLAlchemy 1.3 URL rules) reads back every password exactly', () => {
    const char = fc.constantFrom('a', 'Z', '9', '#', ';', '%', '@', ':', '/', '?', '&', '=', '+', ' ', "'", '"', '\\', 'é', '€', '!', '$', '~', '[', ']');
    const password = fc.array(char, { minLength: 1, maxLength: 16 }).map((a) => a.join(''));
    const [passwords] = fc.sample(fc.array(password, { minLength: 100, maxLength: 100 }), { numRuns: 1, seed: Number(process.env.FC_SEED ?? 4711) });
    const cases = passwords.map((raw, i) => {
      // Half written percent-encoded (the correct form), half raw like Debian's postinst (no / ? % \\ there: ambiguous).
      const encoded = i % 2 === 0;
      const pw = encoded ? raw : raw.replace(/[/?%\\]/g, 'x');
      const inUrl = encoded ? encodeURIComponent(pw).replace(/[!'()*~]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase()) : pw;
      const dir = path.join(out, `c${i}`);
      mkdirSync(dir);
      writeFileSync(path.join(dir, 'linotp.ini'),
        `[DEFAULT]\nlinotpSecretFile = %(here)s/encKey\n[app:main]\nsqlalchemy.url = mysql://user:${inUrl}@db.example:3306/LinOTP2\nlinotpTokenModules = a,\n  b\n`);
      return { password: pw, dir };
    });
    const files = cases.map(({ dir }) => {
      const plan = planConvert({ ini: path.join(dir, 'linotp.ini'), outDir: dir }, process.cwd());
      applyConvert(plan, false);
      return plan.files[0].path;
    });
    const py = evalCfgFiles(files);
    cases.forEach((c, i) => {
      expect(py[i].urls.DATABASE_URI, JSON.stringify(c.password)).toMatchObject({ username: 'user', password: c.password, host: 'db.example', port: '3306', database: 'LinOTP2' });
      expect(py[i].values.TOKEN_MODULES).toBe('a b');
    });
  });
});

describe('config convert: writing', () => {
  it('never overwrites without --force, writes nothing with --dry-run, 0640 atomically', () => {
    const plan = planConvert({ ini: EXAMPLE, outDir: out }, process.cwd());
    applyConvert(plan, false);
    const file = path.join(out, 'linotp.cfg');
    expect(statSync(file).mode & 0o777).toBe(0o640);
    writeFileSync(file, '# mine\n');
    const again = planConvert({ ini: EXAMPLE, outDir: out }, process.cwd());
    expect(again.files[0].exists).toBe(true);
    expect(() => applyConvert(again, false)).toThrow(UsageError);
    expect(readFileSync(file, 'utf8')).toBe('# mine\n');
    applyConvert(again, true);
    expect(readFileSync(file, 'utf8')).toContain('DATABASE_URI = ');
    expect(statSync(file).mode & 0o777).toBe(0o640);
  });

  it('gives the files the group LinOTP runs as', () => {
    const plan = planConvert({ ini: EXAMPLE, outDir: out, group: 'daemon' }, process.cwd());
    expect(plan.owner?.group).toBe('daemon');
    applyConvert(plan, false);
    expect(statSync(plan.files[0].path).gid).toBe(findGroup('daemon')!.gid);
    expect(() => planConvert({ ini: EXAMPLE, outDir: out, group: 'no-such-group-x' }, process.cwd())).toThrow(/--group no-such-group-x: no such group/);
    const warnings = planConvert({ ini: EXAMPLE, outDir: path.join(out, 'fresh') }, process.cwd()).conversion.warnings.join();
    if (findGroup('linotp')) expect(warnings).not.toMatch(/no group linotp/);
    else expect(warnings).toMatch(/there is no group linotp here: .* gets group \w+; give --owner USER\[:GROUP\]/);
    // no such service group, whatever this machine has (LINOTP_MIGRATE_SERVICE_USER, docs/files.md)
    const none = planConvert({ ini: EXAMPLE, outDir: path.join(out, 'fresh'), env: { LINOTP_MIGRATE_SERVICE_USER: 'lmt-no-such-user' } }, process.cwd());
    expect(none.conversion.warnings.join()).toMatch(/there is no group lmt-no-such-user here: .* gets group \w+; give --owner USER\[:GROUP\]/);
    expect(() => planConvert({ ini: EXAMPLE, outDir: out, owner: 'lmt-no-such-user' }, process.cwd())).toThrow(/--owner: there is no user "lmt-no-such-user"/);
  });

  it('refuses output LinOTP 3 would refuse, writing nothing', () => {
    const ini = path.join(out, 'bad.ini');
    writeFileSync(ini, '[DEFAULT]\nlinotpAudit.sql.pool_recyle = -5\n[app:main]\nsqlalchemy.url = sqlite:////x.db\n');
    expect(() => planConvert({ ini, outDir: out, target: '3.0' }, process.cwd())).toThrow(/would not be accepted by LinOTP 3\.0: AUDIT_POOL_RECYCLE is -5 but must be at least 0/);
  });
});
