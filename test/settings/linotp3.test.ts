import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadLinotp3Settings, expandCfgEntry } from '../../src/settings/linotp3.js';
import { resolveInstallation, requireDatabaseUri, requireEncKeyPath } from '../../src/settings/resolve.js';
import { InputError, UsageError } from '../../src/errors.js';

let dir: string;
let appRoot: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'linotp3-'));
  appRoot = path.join(dir, 'app', 'linotp');
  mkdirSync(appRoot, { recursive: true });
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const write = (rel: string, text: string) => {
  const p = path.join(dir, rel);
  mkdirSync(path.dirname(p), { recursive: true });
  writeFileSync(p, text);
  return p;
};

describe('LINOTP_CFG file list', () => {
  it('applies files in order, expands directories and globs sorted, later wins', () => {
    write('share/linotp.cfg', "ROOT_DIR = '/etc/linotp'\nLOG_LEVEL = 'INFO'\n");
    write('etc/linotp.cfg', "LOG_LEVEL = 'ERROR'\n");
    write('etc/conf.d/50-b.cfg', "LOG_LEVEL = 'DEBUG'\nCACHE_DIR = 'c50'\n");
    write('etc/conf.d/01-a.cfg', "DATABASE_URI = 'mysql://u:p@h/d'\nCACHE_DIR = 'c01'\n");
    write('etc/conf.d/ignored.txt', 'garbage(');
    const s = loadLinotp3Settings({ LINOTP_CFG: `${dir}/share/linotp.cfg:${dir}/etc/linotp.cfg:-${dir}/etc/conf.d` }, { appRoot });
    expect(s.files.map((f) => path.relative(dir, f.path))).toEqual(['share/linotp.cfg', 'etc/linotp.cfg', 'etc/conf.d/01-a.cfg', 'etc/conf.d/50-b.cfg']);
    expect(s.resolved('LOG_LEVEL')).toMatchObject({ value: 'DEBUG', kind: 'file', source: `${dir}/etc/conf.d/50-b.cfg:1` });
    expect(s.get('CACHE_DIR')).toBe('/etc/linotp/./c50');
    expect(s.get('SECRET_FILE')).toBe('/etc/linotp/./encKey');
    expect(s.resolved('SECRET_FILE')?.kind).toBe('default');
    expect(s.warnings).toEqual([]);
  });

  it('set-but-empty loads nothing; relative entries are below the app root; missing files warn unless optional', () => {
    expect(loadLinotp3Settings({ LINOTP_CFG: '' }, { appRoot }).files).toEqual([]);
    writeFileSync(path.join(appRoot, 'my.cfg'), "LOG_LEVEL = 'ERROR'\n");
    const s = loadLinotp3Settings({ LINOTP_CFG: 'my.cfg:nothere.cfg:-alsonot.cfg' }, { appRoot });
    expect(s.get('LOG_LEVEL')).toBe('ERROR');
    expect(s.files.map((f) => f.status)).toEqual(['loaded', 'missing', 'missing']);
    expect(s.warnings).toEqual([`configuration from ${appRoot}/nothere.cfg failed (check location and permissions)`]);
    expect(s.get('ROOT_DIR')).toBe(appRoot);
  });

  it('an empty entry means the app root directory (*.cfg there)', () => {
    writeFileSync(path.join(appRoot, 'z.cfg'), "LOG_LEVEL = 'CRITICAL'\n");
    expect(loadLinotp3Settings({ LINOTP_CFG: 'a.cfg:' }, { appRoot }).get('LOG_LEVEL')).toBe('CRITICAL');
  });

  it('uses <app root>/linotp-cfg-default when LINOTP_CFG is unset', () => {
    write('x/only.cfg', "LOG_LEVEL = 'ERROR'\n");
    writeFileSync(path.join(appRoot, 'linotp-cfg-default'), `${dir}/x/only.cfg\n`);
    const s = loadLinotp3Settings({}, { appRoot });
    expect(s.cfgListSource).toBe('linotp-cfg-default');
    expect(s.get('LOG_LEVEL')).toBe('ERROR');
  });

  it('globs in the last component, with Python fnmatch rules (hidden files match too)', () => {
    for (const n of ['b.cfg', 'a.cfg', '.h.cfg', 'c.conf', '[x].cfg']) write(`g/${n}`, '');
    expect(expandCfgEntry(`${dir}/g/*.cfg`, appRoot).map((p) => path.basename(p))).toEqual(['.h.cfg', '[x].cfg', 'a.cfg', 'b.cfg']);
    expect(expandCfgEntry(`${dir}/g/[!a].cfg`, appRoot).map((p) => path.basename(p))).toEqual(['b.cfg']);
    expect(expandCfgEntry(`${dir}/g/none*.cfg`, appRoot)).toEqual([`${dir}/g/none*.cfg`]);
    symlinkSync(path.join(dir, 'g'), path.join(dir, 'link'));
    expect(expandCfgEntry(`${dir}/link/a.cfg`, appRoot)).toEqual([`${dir}/g/a.cfg`]);
  });

  it('env LINOTP_<NAME> beats files and is converted; unknown LINOTP_* are ignored', () => {
    write('c/l.cfg', "LOG_FILE_MAX_LENGTH = 5\nSESSION_COOKIE_SECURE = False\n");
    const s = loadLinotp3Settings(
      { LINOTP_CFG: `${dir}/c/l.cfg`, LINOTP_LOG_FILE_MAX_LENGTH: '77', LINOTP_SESSION_COOKIE_SECURE: 'yes', LINOTP_CONFIG: 'production', LINOTP_FOO: 'x', LINOTP_ROOT_DIR: '/data' },
      { appRoot },
    );
    expect(s.resolved('LOG_FILE_MAX_LENGTH')).toMatchObject({ value: 77, source: 'env LINOTP_LOG_FILE_MAX_LENGTH' });
    expect(s.get('SESSION_COOKIE_SECURE')).toBe(true);
    expect(s.values.has('FOO')).toBe(false);
    expect(loadLinotp3Settings({ LINOTP_CFG: '', LINOTP_LOGFILE_DIR: '/x' }, { appRoot }).warnings).toEqual([
      'LinOTP 3.4 ignores LINOTP_LOGFILE_DIR (a LinOTP 3.0/3.1 setting); use LINOTP_LOG_FILE_DIR',
    ]);
    expect(s.get('SECRET_FILE')).toBe('/data/./encKey');
  });

  it('refuses values LinOTP would refuse, naming file:line or the variable', () => {
    write('c/bad.cfg', "\nLOG_LEVEL = 'WARN'\n");
    expect(() => loadLinotp3Settings({ LINOTP_CFG: `${dir}/c/bad.cfg` }, { appRoot })).toThrow(new RegExp(`${dir}/c/bad.cfg:2: LOG_LEVEL is "WARN"`));
    expect(() => loadLinotp3Settings({ LINOTP_CFG: '', LINOTP_LOG_FILE_MAX_VERSIONS: 'ten' }, { appRoot })).toThrow(/LINOTP_LOG_FILE_MAX_VERSIONS/);
    write('c/code.cfg', "import os\nDATABASE_URI = os.environ['X']\n");
    expect(() => loadLinotp3Settings({ LINOTP_CFG: `${dir}/c/code.cfg` }, { appRoot })).toThrow(InputError);
  });

  it('warns about names of other LinOTP versions', () => {
    write('c/old.cfg', "LOGFILE_DIR = '/var/log/linotp'\n");
    const s = loadLinotp3Settings({ LINOTP_CFG: `${dir}/c/old.cfg` }, { appRoot });
    expect(s.warnings[0]).toMatch(/old\.cfg:1: LOGFILE_DIR exists only in LinOTP 3\.0\/3\.1; LinOTP 3\.4 ignores it; use LOG_FILE_DIR/);
  });
});

describe('resolveInstallation precedence', () => {
  const ini = () => write('etc/linotp2/linotp.ini', '[DEFAULT]\nlinotpSecretFile = %(here)s/encKey\n[app:main]\nsqlalchemy.url = mysql://u:p%w@h/LinOTP2\n');

  it('--ini only: the ini values, with file:line', () => {
    const iniPath = ini();
    const r = resolveInstallation({ ini: 'etc/linotp2/linotp.ini' }, { LINOTP_CFG: '' }, dir, { appRoot });
    expect(r.databaseUri).toEqual({ value: 'mysql://u:p%w@h/LinOTP2', source: `${iniPath}:4` });
    expect(r.encKeyPath).toEqual({ value: `${dir}/etc/linotp2/encKey`, source: `${iniPath}:2` });
  });

  it('the schema defaults never beat --ini', () => {
    ini();
    write('share/linotp.cfg', "ROOT_DIR = '/etc/linotp'\n");
    const r = resolveInstallation({ ini: 'etc/linotp2/linotp.ini' }, { LINOTP_CFG: `${dir}/share/linotp.cfg` }, dir, { appRoot });
    expect(r.databaseUri?.value).toBe('mysql://u:p%w@h/LinOTP2');
    expect(r.encKeyPath?.value).toBe(`${dir}/etc/linotp2/encKey`);
  });

  it('cfg beats --ini; env beats cfg; flags beat env', () => {
    ini();
    const cfg = write('conf.d/01-debian-database.cfg', "DATABASE_URI = 'postgresql://a@b/c'\nSECRET_FILE = '/etc/linotp/encKey'\n");
    const env: NodeJS.ProcessEnv = { LINOTP_CFG: `${dir}/conf.d` };
    let r = resolveInstallation({ ini: 'etc/linotp2/linotp.ini' }, env, dir, { appRoot });
    expect(r.databaseUri).toEqual({ value: 'postgresql://a@b/c', source: `${cfg}:1` });
    expect(r.encKeyPath).toEqual({ value: '/etc/linotp/encKey', source: `${cfg}:2` });
    env.LINOTP_DATABASE_URI = 'sqlite:////tmp/x.db';
    env.LINOTP_SECRET_FILE = 'keys/encKey';
    env.LINOTP_ROOT_DIR = '/srv/linotp';
    r = resolveInstallation({ ini: 'etc/linotp2/linotp.ini' }, env, dir, { appRoot });
    expect(r.databaseUri).toEqual({ value: 'sqlite:////tmp/x.db', source: 'env LINOTP_DATABASE_URI' });
    expect(r.encKeyPath).toEqual({ value: '/srv/linotp/./keys/encKey', source: 'env LINOTP_SECRET_FILE' });
    r = resolveInstallation({ ini: 'etc/linotp2/linotp.ini', databaseUri: 'mysql://x@y/z', encKey: 'k/encKey' }, env, dir, { appRoot });
    expect(r.databaseUri).toEqual({ value: 'mysql://x@y/z', source: '--database-uri' });
    expect(r.encKeyPath).toEqual({ value: `${dir}/k/encKey`, source: '--enc-key' });
  });

  it('falls back to ROOT_DIR/./encKey only when ROOT_DIR was configured', () => {
    const cfg = write('share/linotp.cfg', "ROOT_DIR = '/etc/linotp'\n");
    const r = resolveInstallation({}, { LINOTP_CFG: cfg }, dir, { appRoot });
    expect(r.encKeyPath?.value).toBe('/etc/linotp/./encKey');
    expect(r.databaseUri).toBeUndefined();
    expect(() => requireDatabaseUri(r)).toThrow(UsageError);
    const none = resolveInstallation({}, { LINOTP_CFG: '' }, dir, { appRoot });
    expect(none.encKeyPath).toBeUndefined();
    try {
      requireEncKeyPath(none);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(UsageError);
      expect((err as UsageError).hint).toMatch(/--enc-key.*LINOTP_SECRET_FILE.*SECRET_FILE.*--ini/);
    }
  });

  it('an unreadable cfg file blocks guessing from lower sources, but not flags or env', () => {
    ini();
    const cfg = write('conf.d/01-debian-database.cfg', "DATABASE_URI = 'mysql://x:y@h/d'\n");
    const opts = { appRoot, readable: (f: string) => f !== cfg };
    const env = { LINOTP_CFG: `${dir}/conf.d` };
    const r = resolveInstallation({ ini: 'etc/linotp2/linotp.ini' }, env, dir, opts);
    expect(r.settings.files).toEqual([{ path: cfg, status: 'unreadable', optional: false }]);
    expect(r.databaseUri).toBeUndefined();
    expect(() => requireDatabaseUri(r)).toThrow(/database URL unknown: cannot read .*01-debian-database\.cfg/);
    expect(() => requireEncKeyPath(r)).toThrow(InputError);
    expect(r.warnings.join()).toMatch(/run as root or as the linotp user/);
    const withEnv = resolveInstallation({ ini: 'etc/linotp2/linotp.ini' }, { ...env, LINOTP_DATABASE_URI: 'sqlite:////a.db' }, dir, opts);
    expect(requireDatabaseUri(withEnv).source).toBe('env LINOTP_DATABASE_URI');
    const withFlags = resolveInstallation({ databaseUri: 'sqlite:////b.db', encKey: '/k' }, env, dir, opts);
    expect(requireEncKeyPath(withFlags).value).toBe('/k');
  });

  it('cfg files LinOTP-migrate cannot read as literals are fatal, unless both flags are given', () => {
    const cfg = write('c/code.cfg', "import os\nDATABASE_URI = os.environ['X']\n");
    expect(() => resolveInstallation({ databaseUri: 'sqlite:////b.db' }, { LINOTP_CFG: cfg }, dir, { appRoot })).toThrow(/code\.cfg:1: 'import' statements/);
    const r = resolveInstallation({ databaseUri: 'sqlite:////b.db', encKey: '/k' }, { LINOTP_CFG: cfg }, dir, { appRoot });
    expect(r.warnings[0]).toMatch(/LinOTP 3 settings ignored: .*code\.cfg:1/);
  });

  it('the ini follows PasteDeploy: [DEFAULT] beats [app:main] unless "set"', () => {
    write('p/linotp.ini', '[DEFAULT]\nsqlalchemy.url = sqlite:////default.db\nlinotpSecretFile = /d/encKey\n[app:main]\nsqlalchemy.url = sqlite:////app.db\nset linotpSecretFile = /s/encKey\n');
    const r = resolveInstallation({ ini: 'p/linotp.ini' }, { LINOTP_CFG: '' }, dir, { appRoot });
    expect(r.databaseUri?.value).toBe('sqlite:////default.db');
    expect(r.encKeyPath).toEqual({ value: '/s/encKey', source: `${dir}/p/linotp.ini:6` });
  });

  it('a missing --ini is an InputError', () => {
    expect(() => resolveInstallation({ ini: 'nope.ini' }, { LINOTP_CFG: '' }, dir, { appRoot })).toThrow(/cannot read ini file/);
  });
});
