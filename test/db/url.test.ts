import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MigrateError, redactSecrets, UsageError } from '../../src/errors.js';
import { describeDbUrl, formatDbUrl, parseDbUrl, quote, unquote } from '../../src/db/url.js';

/** Like toMatchObject, but `undefined` in `expected` means the property is absent or undefined. */
function expectUrl(actual: object, expected: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(expected)) expect((actual as Record<string, unknown>)[k], k).toEqual(v);
}

describe('parseDbUrl', () => {
  const cases: [string, Record<string, unknown>][] = [
    ['mysql://linotp2:1234@localhost/LinOTP2', { engine: 'mysql', scheme: 'mysql', user: 'linotp2', password: '1234', host: 'localhost', database: 'LinOTP2' }],
    ['mysql+mysqldb://u:p@db.example.com:3307/LinOTP', { engine: 'mysql', scheme: 'mysql+mysqldb', host: 'db.example.com', port: 3307, database: 'LinOTP' }],
    ['mysql+pymysql://u:p@h/d?charset=utf8', { engine: 'mysql', scheme: 'mysql+pymysql', params: { charset: 'utf8' } }],
    ['mariadb://u:p@h/d', { engine: 'mysql', scheme: 'mariadb' }],
    ['mariadb+mariadbconnector://u:p@h/d', { engine: 'mysql', scheme: 'mariadb+mariadbconnector' }],
    ['postgres://u:p@h/d', { engine: 'postgres', scheme: 'postgres', port: undefined }],
    ['postgresql://u:p@h:5433/d?sslmode=require', { engine: 'postgres', port: 5433, params: { sslmode: 'require' } }],
    ['postgresql+psycopg2://u@/linotp?host=/var/run/postgresql', { engine: 'postgres', user: 'u', password: undefined, host: undefined, database: 'linotp', params: { host: '/var/run/postgresql' } }],
    ['mysql://u:p@localhost/LinOTP2?unix_socket=/run/mysqld/mysqld.sock&charset=utf8mb4', { params: { unix_socket: '/run/mysqld/mysqld.sock', charset: 'utf8mb4' } }],
    ['mysql://u:p@[::1]:3306/d', { host: '::1', port: 3306 }],
    ['postgresql://u:p@[2001:db8::5]/d', { host: '2001:db8::5', port: undefined }],
    ['mysql://h/d', { user: undefined, password: undefined, host: 'h', database: 'd' }],
    ['mysql://u@h/d', { user: 'u', password: undefined }],
    ['mysql://u:@h/d', { user: 'u', password: '' }],
    ['mysql://:p@h/d', { user: undefined, password: 'p' }],
    ['mysql://u:p@h', { host: 'h', database: '' }],
    ['sqlite:///token.sqlite', { engine: 'sqlite', database: 'token.sqlite' }],
    ['sqlite:///rel/dir/token.db', { engine: 'sqlite', database: 'rel/dir/token.db' }],
    ['sqlite:////etc/linotp2/token.db', { engine: 'sqlite', database: '/etc/linotp2/token.db' }],
    ['sqlite://', { engine: 'sqlite', database: ':memory:' }],
    ['sqlite:///:memory:', { engine: 'sqlite', database: ':memory:' }],
    ['sqlite+pysqlite:////tmp/x.db?mode=ro', { engine: 'sqlite', scheme: 'sqlite+pysqlite', database: '/tmp/x.db', params: { mode: 'ro' } }],
  ];
  for (const [text, expected] of cases) {
    it(`parses ${text}`, () => {
      expectUrl(parseDbUrl(text), expected);
    });
  }

  const passwords = ['p@ss', 'a:b', 'a/b', 'x#y', 'sem;colon', '100%', 'what?', 'all@:/#;%?&=+ $', 'ünïcødé€', '%41', ''];
  for (const pw of passwords) {
    it(`round-trips the password ${JSON.stringify(pw)} through formatDbUrl`, () => {
      const url = parseDbUrl(`mysql://user@db:3306/LinOTP2`);
      url.password = pw;
      url.user = 'us:er@x';
      const text = formatDbUrl(url);
      expect(text).toMatch(/^mysql:\/\/us%3Aer%40x:[A-Za-z0-9%._~-]*@db:3306\/LinOTP2$/);
      const back = parseDbUrl(text);
      expect(back.password).toBe(pw);
      expect(back.user).toBe('us:er@x');
      expect(back.host).toBe('db');
    });
  }

  it('decodes percent-encoded user and password like Python unquote', () => {
    const u = parseDbUrl('mysql://li%6Eotp:p%40ss%3Aw%2Frd%25@db/LinOTP2');
    expect(u.user).toBe('linotp');
    expect(u.password).toBe('p@ss:w/rd%');
    // Invalid escapes stay as they are, as with urllib.parse.unquote.
    expect(parseDbUrl('mysql://u:100%zz@h/d').password).toBe('100%zz');
    expect(parseDbUrl('mysql://u:%C3%BC@h/d').password).toBe('ü');
  });

  it('reads unencoded special characters the way LinOTP 2 (SQLAlchemy 1.x) did', () => {
    expectUrl(parseDbUrl('mysql://linotp:p@ss@db/LinOTP2'), { user: 'linotp', password: 'p@ss', host: 'db', database: 'LinOTP2' });
    expectUrl(parseDbUrl('mysql://linotp:a/b@db/LinOTP2'), { password: 'a/b', host: 'db' });
    expectUrl(parseDbUrl('mysql://linotp:a#b;c@db/LinOTP2'), { password: 'a#b;c', host: 'db' });
    expectUrl(parseDbUrl('mysql://linotp:wh?at@db/LinOTP2'), { password: 'wh?at', host: 'db', database: 'LinOTP2' });
    expectUrl(parseDbUrl('mysql://linotp:pw@db/LinOTP2?unix_socket=/x@y'), { password: 'pw', host: 'db', params: { unix_socket: '/x@y' } });
    expectUrl(parseDbUrl('mysql://db/LinOTP2?unix_socket=/x@y'), { host: 'db', user: undefined, params: { unix_socket: '/x@y' } });
  });

  it('decodes query parameters like parse_qsl', () => {
    expect(parseDbUrl('postgresql://u:p@h/d?application_name=a+b%2Fc&sslmode=verify-full').params).toEqual({ application_name: 'a b/c', sslmode: 'verify-full' });
  });

  it('round-trips query parameters and sqlite paths', () => {
    for (const text of ['mysql://u:p@h:3306/d?charset=utf8&unix_socket=/run/mysqld/mysqld.sock', 'sqlite:////abs/token.db', 'sqlite:///rel.db', 'sqlite://', 'postgresql://u@[::1]:5432/d']) {
      expect(formatDbUrl(parseDbUrl(text))).toBe(text);
    }
  });

  it('can change the scheme when formatting', () => {
    expect(formatDbUrl(parseDbUrl('mysql://u:p@h/d'), { scheme: 'mysql+pymysql' })).toBe('mysql+pymysql://u:p@h/d');
  });

  it('masks the password for display', () => {
    expect(describeDbUrl(parseDbUrl('mysql://linotp:s3cr%40t@db/LinOTP2'))).toBe('mysql://linotp:***@db/LinOTP2');
    expect(describeDbUrl(parseDbUrl('mysql://linotp@db/LinOTP2'))).toBe('mysql://linotp@db/LinOTP2');
  });

  const badUrls: [string, RegExp][] = [
    ['oracle://scott:Tiger-Secret1@h/d', /unsupported database type "oracle"/],
    ['mysql:/u:Tiger-Secret1@h/d', /expected ":\/\/"/],
    ['just-a-name', /does not start with a scheme/],
    ['mysql://u:Tiger-Secret1@h:notaport/d', /port/],
    ['mysql://u:Tiger-Secret1@h:99999/d', /port/],
    ['mysql://u:Tiger/Sec?ret1@h/d', /port|host/],
    ['sqlite://host/file.db', /SQLite URL has no host/],
  ];
  for (const [text, re] of badUrls) {
    it(`rejects ${text.replace('Tiger-Secret1', '…')} with one line and no password`, () => {
      let err: unknown;
      try {
        parseDbUrl(text);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(UsageError);
      const m = err as MigrateError;
      expect(m.message).toMatch(re);
      expect(m.message).not.toContain('\n');
      expect(`${m.message} ${m.hint}`).not.toMatch(/Tiger|Secret|Sec\?ret/);
    });
  }

  it('quote/unquote are inverse for any string (property)', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary' }), (s) => {
      const wellFormed = Buffer.from(s, 'utf8').toString('utf8');
      expect(unquote(quote(wellFormed))).toBe(wellFormed);
    }));
  });

  it('any user/password/host/database round-trips through format and parse (property)', () => {
    const ident = fc.stringMatching(/^[A-Za-z0-9_]{1,12}$/);
    fc.assert(
      fc.property(fc.string(), fc.string(), ident, fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }), ident, (user, password, host, port, database) => {
        const url = { engine: 'postgres' as const, scheme: 'postgresql', user: user === '' ? undefined : user, password, host, port, database, params: {} };
        const back = parseDbUrl(formatDbUrl(url));
        expect(back).toEqual(Object.fromEntries(Object.entries(url).filter(([, v]) => v !== undefined)));
      }),
    );
  });
});

describe('a password given as ?password= (or MySQLdb ?passwd=)', () => {
  it('is taken as the password, as psycopg2 and MySQLdb take it, and never shown', () => {
    for (const [text, pw] of [
      ['postgresql://linotp@db/linotp?password=S3cr%26t', 'S3cr&t'],
      ['mysql://linotp@db/LinOTP?charset=utf8&passwd=Tiger', 'Tiger'],
      ['mysql+pymysql://linotp@db/LinOTP?password=Tiger&charset=utf8', 'Tiger'],
    ] as const) {
      const u = parseDbUrl(text);
      expect(u.password).toBe(pw);
      expect(u.params.password).toBeUndefined();
      expect(u.params.passwd).toBeUndefined();
      expect(describeDbUrl(u)).not.toContain(pw);
      expect(describeDbUrl(u)).toContain(':***@');
    }
  });

  it('refuses two different passwords', () => {
    expect(() => parseDbUrl('mysql://u:one@h/d?password=two')).toThrow(/two different passwords/);
    expect(parseDbUrl('mysql://u:same@h/d?password=same').password).toBe('same');
  });

  it('is masked in any text shown (error lines, -v traces)', () => {
    expect(redactSecrets('cannot open postgresql://u@h/d?sslmode=require&password=Tiger%21 now')).toBe('cannot open postgresql://u@h/d?sslmode=require&password=*** now');
    expect(redactSecrets('mysql://u@h/d?passwd=Tiger')).toBe('mysql://u@h/d?passwd=***');
    expect(redactSecrets('mysql://u:Tiger@h/d')).toBe('mysql://u:***@h/d');
  });
});
