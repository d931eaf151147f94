import { describe, it, expect } from 'vitest';
import { convertDbUrl, maskUrl } from '../../src/config/dburl.js';
import { rebasePath, mapLogLevel } from '../../src/config/types.js';
import { planControllers } from '../../src/config/controllers.js';

describe('database URL conversion', () => {
  it('uses the drivers LinOTP 3 ships with and keeps parameters', () => {
    expect(convertDbUrl('postgres://u:p@h:5433/linotp', []).value).toBe('postgresql://u:p@h:5433/linotp');
    expect(convertDbUrl('postgresql+psycopg2://u@h/l', []).value).toBe('postgresql+psycopg2://u@h/l');
    expect(convertDbUrl('mariadb://u:p@h/l', []).value).toBe('mysql+mysqldb://u:p@h/l');
    const py = convertDbUrl('mysql+pymysql://u:p@h/l?charset=utf8&unix_socket=/run/mysqld/mysqld.sock', []);
    expect(py.value).toBe('mysql+mysqldb://u:p@h/l?charset=utf8&unix_socket=/run/mysqld/mysqld.sock');
    expect(py.notes.join()).toMatch(/pymysql/);
    expect(convertDbUrl('mysql://u:p@[::1]:3306/l', []).value).toBe('mysql+mysqldb://u:p@[::1]:3306/l');
  });

  it('moves absolute SQLite files with --rebase and flags relative ones', () => {
    expect(convertDbUrl('sqlite:////etc/linotp2/token.db', [['/etc/linotp2', '/etc/linotp']]).value).toBe('sqlite:////etc/linotp/token.db');
    expect(convertDbUrl('sqlite:///token.db', []).relativeSqlite).toBe(true);
  });

  it('masks passwords, also in URLs it cannot parse', () => {
    expect(maskUrl('mysql://u:se#cret@h/l')).toBe('mysql://u:***@h/l');
    expect(maskUrl('oracle://u:secret@h/l')).not.toContain('secret');
  });
});

describe('helpers', () => {
  it('rebases whole path components, longest prefix first', () => {
    const r: [string, string][] = [['/etc/linotp2', '/etc/linotp'], ['/etc/linotp2/keys', '/srv/keys']];
    expect(rebasePath('/etc/linotp2/encKey', r).path).toBe('/etc/linotp/encKey');
    expect(rebasePath('/etc/linotp2/keys/encKey', r).path).toBe('/srv/keys/encKey');
    expect(rebasePath('/etc/linotp22/encKey', r)).toEqual({ path: '/etc/linotp22/encKey', rebased: false });
  });

  it('maps log levels to names LinOTP 3 accepts', () => {
    expect(['WARN', 'warn', 'FATAL', 'NOTSET', 'info', 'CRITICAL', 'TRACE', '10'].map(mapLogLevel)).toEqual(['WARNING', 'WARNING', 'CRITICAL', 'DEBUG', 'INFO', 'CRITICAL', null, null]);
  });

  it('plans controllers per version', () => {
    const v2default = new Set(['manage', 'selfservice', 'userservice', 'monitoring', 'reporting', 'validate', 'ocra', 'openid', 'u2f', 'tools']);
    expect(planControllers(v2default, '3.4').settings).toEqual([['ENABLE_CONTROLLERS', 'ALL u2f'], ['DISABLE_CONTROLLERS', 'gettoken maintenance']]);
    expect(planControllers(new Set(['validate']), '3.4').settings[1][1]).toBe('admin audit auth gettoken maintenance manage monitoring reporting selfservice system tools userservice tokens:/api/v2/tokens realms:/api/v2/realms resolvers:/api/v2/resolvers auditlog:/api/v2/auditlog');
    expect(planControllers(new Set(['validate', 'helpdesk']), '3.0')).toMatchObject({ settings: [['CONTROLLERS', 'validate helpdesk']], lost: [] });
    expect(planControllers(new Set(['validate', 'helpdesk', 'ocra']), '3.2')).toMatchObject({ settings: [['CONTROLLERS', 'validate']], lost: ['helpdesk', 'ocra'] });
  });
});

describe('HSM settings', () => {
  it('are flagged with a suggested HSM_PKCS11_CONFIG, password masked', async () => {
    const { parseIni } = await import('../../src/settings/ini.js');
    const { convertIni } = await import('../../src/config/convert.js');
    const ini = parseIni('[DEFAULT]\nlinotpActiveSecurityModule = lunasa\nlinotpSecurity.lunasa.module = linotp.lib.security.pkcs11.Pkcs11SecurityModule\nlinotpSecurity.lunasa.library = libCryptoki2_64.so\nlinotpSecurity.lunasa.password = 6SNq-L9WL\nlinotpSecurity.lunasa.slotid = 1\nlinotpSecurity.lunasa.defaultHandle = 22\n', '/etc/linotp2/linotp.ini');
    const c = convertIni(ini, { target: '3.4', rebase: [] });
    const row = c.rows.find((r) => r.key === 'linotpActiveSecurityModule')!;
    expect(row.status).toBe('needs-attention');
    expect(row.reason).toContain("HSM_PKCS11_CONFIG = {'module': 'linotp.lib.security.pkcs11.Pkcs11SecurityModule', 'library': 'libCryptoki2_64.so', 'password': '***', 'slotid': 1, 'defaultHandle': 22}");
    expect(JSON.stringify(c)).not.toContain('6SNq');
    expect(c.rows.filter((r) => r.key.startsWith('linotpSecurity.')).every((r) => r.status === 'needs-attention')).toBe(true);
  });
});

describe('% in ini values, as LinOTP 2 (Python 2) read them', () => {
  it('keeps % and %% as written unless the value uses %(name)s, and says so', async () => {
    const { parseIni } = await import('../../src/settings/ini.js');
    const { convertIni } = await import('../../src/config/convert.js');
    const ini = parseIni('[DEFAULT]\nlinotpSecretFile = %(here)s/enc%%Key\n[app:main]\nsqlalchemy.url = mysql://u:a%b%%c@h/d\n', '/etc/linotp2/linotp.ini');
    const c = convertIni(ini, { target: '3.4', rebase: [] });
    const get = (n: string) => c.settings.find((s) => s.name === n)?.value;
    expect(get('DATABASE_URI')).toBe('mysql+mysqldb://u:a%25b%25%25c@h/d');
    expect(get('SECRET_FILE')).toBe('/etc/linotp2/enc%Key');
    expect(c.warnings.join('\n')).toMatch(/\[app:main\] sqlalchemy\.url \(line 4\): read as LinOTP 2 \(Python 2\) did; .*'%' stays as written/);
    expect(c.warnings.join('\n')).not.toContain('a%b');
  });
});
