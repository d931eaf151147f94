import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import fc from 'fast-check';
import { mkdtempSync, writeFileSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readIni, parseIni, DEFAULT_SECTION } from '../../src/settings/ini.js';
import { InputError } from '../../src/errors.js';
import { runPython, runPython2, python2Available } from './python.js';

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');

/** configparser set up like PasteDeploy: defaults here/__file__, optionxform=str. */
const PY_DUMP = String.raw`
import sys, json, configparser
out = []
for c in json.load(sys.stdin):
    p = configparser.ConfigParser(defaults={'here': c['here'], '__file__': c['file']}, strict=c['strict'])
    p.optionxform = str
    try:
        with open(c['file'], encoding='utf-8') as f:
            p.read_file(f, c['file'])
    except configparser.Error as e:
        line = getattr(e, 'lineno', None)
        if line is None and getattr(e, 'errors', None):
            line = e.errors[0][0]
        out.append({'error': True, 'line': line})
        continue
    res = {}
    for s in ['DEFAULT'] + p.sections():
        d = {}
        for k, v in p.items(s, raw=True):
            try:
                iv = p.get(s, k)
            except configparser.Error as e:
                iv = {'error': True}
            d[k] = {'raw': v, 'value': iv}
        res[s] = d
    out.append({'sections': res})
print(json.dumps(out))
`;

type Dump = { error: true; line?: number | null } | { sections: Record<string, Record<string, { raw: string; value: string | { error: true } }>> };

function tsDump(file: string, here: string, strict: boolean): Dump {
  let ini;
  try {
    ini = readIni(file, { here, duplicates: strict ? 'error' : 'last' });
  } catch (err) {
    if (!(err instanceof InputError)) throw err;
    const m = /:(\d+): /.exec(err.message);
    return { error: true, line: m ? Number(m[1]) : null };
  }
  const sections: Record<string, Record<string, { raw: string; value: string | { error: true } }>> = {};
  for (const s of [DEFAULT_SECTION, ...ini.sectionNames()]) {
    const d: Record<string, { raw: string; value: string | { error: true } }> = {};
    for (const k of ini.keys(s)) {
      let value: string | { error: true };
      try {
        value = ini.get(s, k)!;
      } catch (err) {
        if (!(err instanceof InputError)) throw err;
        value = { error: true };
      }
      d[k] = { raw: ini.raw(s, k)!, value };
    }
    sections[s] = d;
  }
  return { sections };
}

let dir: string;
let counter = 0;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'ini-test-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function compareAll(texts: string[], strict = true, compareLines = true): void {
  const cases = texts.map((text) => {
    const file = path.join(dir, `case-${counter++}.ini`);
    writeFileSync(file, text, 'utf8');
    return { file, here: '/etc/linotp2', strict };
  });
  const py = runPython<Dump[]>(PY_DUMP, cases);
  if (process.env.INI_STATS) process.stderr.write(`python errors: ${py.filter((d) => 'error' in d).length} of ${py.length}\n`);
  cases.forEach((c, i) => {
    const ts = tsDump(c.file, c.here, c.strict);
    const expected = py[i];
    if ('error' in expected && !compareLines) delete expected.line;
    if ('error' in ts && !compareLines) delete ts.line;
    expect(ts, `case ${i}: ${JSON.stringify(texts[i])}`).toEqual(expected);
  });
}

const HAND_WRITTEN: string[] = [
  '[app:main]\nsqlalchemy.url = mysql://linotp:p#ss;word@db/LinOTP2\n',
  '[app:main]\nsqlalchemy.url = mysql://linotp:p%%w@rd@db/LinOTP2\n',
  '[app:main]\nsqlalchemy.url = mysql://linotp:p ;x#y@db/LinOTP2\n',
  '[app:main]\nsqlalchemy.url: postgres://u:a:b@h/d\nx=1=2\n',
  '[DEFAULT]\nlinotpTokenModules = a,\n    b,\n\n    c\n\n[app:main]\nk = %(linotpTokenModules)s\n',
  '[DEFAULT]\na = 1\n  # comment inside\n  b\n[s]\nA = %(a)s\n',
  '[DEFAULT]\nx = %(y)s\ny = %(x)s\n[s]\nz = %(x)s\n',
  '[DEFAULT]\nx = %(missing)s\n[s]\n',
  '[s]\nfmt = %(asctime)s %Y\n',
  '[s]\nbad = 100%\nok = 50%%\n',
  '[s]\nk = %(here)s/encKey\nhere = /other\nj = %(here)s\n',
  'no section\n',
  '[s]\njust a line\n',
  '[s]\n= value\n',
  '[s]\nk = 1\nk = 2\n',
  '[s]\n[s]\n',
  '[DEFAULT]\n[DEFAULT]\na=1\n',
  '[a]b]\nk=v\n[sec] trailing\nk=w\n',
  '[s]\r\nk = v\r\n  cont\r\n',
  '[s]\rk = v\r',
  '; c\n# d\n[s]\n  k = indented key\nm=\n  continued empty\n',
  '[s]\nk =    \t  spaced   \t\n',
  '[s]\nCase = 1\ncase = 2\n',
  '[s]\nk = a\n\n\n',
  '[s]\nk\t:\tv:w\n',
  '[s]\nk = é ü 𝄞 \u00a0x\u00a0\n',
  '[s]\nk = %(K)s\nK = up\n',
  '[DEFAULT]\nd = 1\n[s]\nd = 2\nr = %(d)s\n[t]\nr = %(d)s\n',
  '[s]\nchain = %(a)s\na = %(b)s\nb = %(c)s\nc = %(d)s\nd = %(e)s\ne = %(f)s\nf = %(g)s\ng = %(h)s\nh = %(i)s\ni = %(j)s\nj = %(k)s\nk = end%%\n',
  '[s]\nchain = %(b)s\nb = %(c)s\nc = %(d)s\nd = %(e)s\ne = %(f)s\nf = %(g)s\ng = %(h)s\nh = %(i)s\ni = %(j)s\nj = end%%\n',
  '[s]\nk = %(a\n',
  '[s]\nk = %()s\n',
];

describe('ini reader vs python3 configparser (PasteDeploy setup)', () => {
  it('hand-written edge cases', () => compareAll(HAND_WRITTEN));

  it('hand-written edge cases with strict=False (Python 2 style duplicates)', () => compareAll(HAND_WRITTEN, false));

  it('the LinOTP 2.12 example ini', () => {
    const text = readFileSync(path.join(FIXTURES, 'linotp-2.12-example.ini'), 'utf8');
    compareAll([text]);
  });

  it('generated inputs (fast-check, one python3 process per 100 inputs)', () => {
    const word = fc.constantFrom('a', 'A', 'b', 'here', 'x.y', 'k k', '__file__', 'é', 'sqlalchemy.url');
    const valuePart = fc.constantFrom('%(a)s', '%(here)s', '%(A)s', '%(b)s', '%%', '%', '#', ';', ' ;', '@', ':', '=',
      ' ', '\t', 'p@ss', 'x', '(', ')', 's', 'é', '\u00a0', '\u2028', '\x1c', '[', ']');
    const value = fc.array(valuePart, { maxLength: 6 }).map((a) => a.join(''));
    const indent = fc.constantFrom('', ' ', '  ', '\t');
    const line = fc.oneof(
      { weight: 4, arbitrary: fc.tuple(indent, word, fc.constantFrom('=', ':', ' = ', ' : ', '\t=\t'), value).map(([i, k, d, v]) => `${i}${k}${d}${v}`) },
      { weight: 2, arbitrary: fc.constantFrom('[DEFAULT]', '[app:main]', '[s]', '[a]b]', ' [s] x') },
      { weight: 2, arbitrary: fc.tuple(fc.constantFrom(' ', '    ', '\t'), value).map(([i, v]) => `${i}${v}`) },
      { weight: 1, arbitrary: fc.constantFrom('', '   ', '# c', '  ; c', ';', '#x = 1') },
    );
    const eol = fc.constantFrom('\n', '\r\n', '\r');
    const doc = fc
      .tuple(fc.constantFrom('[DEFAULT]', '[app:main]', ''), fc.array(fc.tuple(line, eol), { maxLength: 12 }))
      .map(([head, ls]) => (head ? head + '\n' : '') + ls.map(([l, e]) => l + e).join(''));
    fc.assert(
      fc.property(fc.array(doc, { minLength: 100, maxLength: 100 }), fc.boolean(), (docs, strict) => {
        compareAll(docs, strict, false);
      }),
      { numRuns: 2, endOnFailure: true },
    );
  });
});

describe('ini reader details', () => {
  it('keeps line numbers and reads the example ini', () => {
    const ini = readIni(path.join(FIXTURES, 'linotp-2.12-example.ini'), { here: '/etc/linotp2' });
    expect(ini.get('app:main', 'sqlalchemy.url')).toBe('mysql://linotp2:1234@localhost/LinOTP2');
    expect(ini.entry('app:main', 'sqlalchemy.url')?.line).toBe(53);
    expect(ini.get('app:main', 'linotpSecretFile')).toBe('/etc/linotp2/encKey');
    expect(ini.entry('app:main', 'linotpSecretFile')?.section).toBe('DEFAULT');
    expect(ini.raw('formatter_generic', 'datefmt')).toBe('%Y/%m/%d - %H:%M:%S');
    expect(() => ini.get('formatter_generic', 'datefmt')).toThrow(InputError);
    expect(ini.origin('app:main', 'sqlalchemy.url')).toMatch(/linotp-2\.12-example\.ini:53$/);
  });

  it('names file and line in errors', () => {
    expect(() => parseIni('[s]\nk = 1\nk = 2\n', '/x/linotp.ini')).toThrow(/\/x\/linotp\.ini:3: key 'k' set twice/);
    expect(() => parseIni('[s\n', '/x/linotp.ini')).toThrow(/linotp\.ini:1:/);
    const ini = parseIni('[s]\nk = %(a)s\na = %(k)s\n', '/x/linotp.ini');
    expect(() => ini.get('s', 'k')).toThrow(/linotp\.ini:2 \[s\] k: interpolation nested deeper/);
  });

  it('rejects binary garbage and invalid UTF-8 with the line', () => {
    expect(() => parseIni(Buffer.from('[s]\nk = \x00\x01\n', 'latin1'), '/x/enc')).toThrow(/enc:2: binary data/);
    expect(() => parseIni(Buffer.from([0x5b, 0x73, 0x5d, 0x0a, 0x6b, 0x3d, 0xe9, 0x0a]), '/x/l.ini')).toThrow(/l\.ini:2: not valid UTF-8/);
  });

  it('warns where Python 2 (LinOTP 2) read a value differently', () => {
    const ini = parseIni('[app:main]\nsqlalchemy.url = mysql://u:a ;b@h/d\n', '/x/l.ini');
    expect(ini.warnings.join()).toMatch(/l\.ini:2: \[app:main\] sqlalchemy\.url contains ' ;'/);
  });

  it('accepts a UTF-8 BOM', () => {
    expect(parseIni(Buffer.from('\ufeff[s]\nk=v\n'), '/x/l.ini').get('s', 'k')).toBe('v');
  });
});

const PY2_DUMP = String.raw`
import sys, json
from ConfigParser import ConfigParser
out = []
for c in json.load(sys.stdin):
    p = ConfigParser({'here': c['here'], '__file__': c['file']})
    p.optionxform = str
    p.read(c['file'])
    res = {}
    for s in ['DEFAULT'] + p.sections():
        d = {}
        keys = p.defaults().keys() if s == 'DEFAULT' else p.options(s)
        for k in keys:
            try:
                d[k] = p.get(s, k)
            except Exception as e:
                d[k] = {'error': True}
        res[s] = d
    out.append(res)
print(json.dumps(out))
`;

describe('getLinotp2 vs Python 2.7 ConfigParser (what LinOTP 2 ran on)', () => {
  const have2 = python2Available();
  it.skipIf(!have2)('agrees on Python 2 line rules: " ;" comments, indented comments, blank lines, ""', () => {
    const texts = [
      '[app:main]\nurl = mysql://u:a ;b@h/d\nx = a;b ;c\ny = ;z \nz = ""\n',
      '[DEFAULT]\nmods = a,\n    # b,\n\n    c\n[app:main]\nk = %(mods)s\n',
      '[app:main]\nk = v\n\n  cont\n;c\nm = 1\n',
    ];
    const cases = texts.map((text) => {
      const file = path.join(dir, `py2h-${counter++}.ini`);
      writeFileSync(file, text);
      return { file, here: '/etc/linotp2' };
    });
    const py = runPython2<Record<string, Record<string, string | { error: true }>>[]>(PY2_DUMP, cases);
    cases.forEach((c, i) => {
      const ini = readIni(c.file, { here: c.here });
      for (const [s, keys] of Object.entries(py[i])) {
        for (const [k, v] of Object.entries(keys)) expect(ini.getLinotp2(s, k), `${texts[i]} [${s}] ${k}`).toEqual(v);
      }
    });
  });

  it.skipIf(!have2)('agrees on % handling in 100 generated files', () => {
    const part = fc.constantFrom('%(a)s', '%(here)s', '%(b)s', '%(nope)s', '%%', '%', '%w', '%s', 'x', '@', '#', ';', '(', ')', 'p', '%(');
    const value = fc.array(part, { maxLength: 5 }).map((a) => a.join('').trim());
    const doc = fc.tuple(value, value, value, value).map(([a, b, c, d]) => `[DEFAULT]\na = ${a}\nb = ${b}\n[app:main]\nurl = ${c}\nb = ${d}\n`);
    fc.assert(
      fc.property(fc.array(doc, { minLength: 100, maxLength: 100 }), (docs) => {
        const cases = docs.map((text) => {
          const file = path.join(dir, `py2-${counter++}.ini`);
          writeFileSync(file, text);
          return { file, here: '/etc/linotp2' };
        });
        const py = runPython2<Record<string, Record<string, string | { error: true }>>[]>(PY2_DUMP, cases);
        cases.forEach((c, i) => {
          const ini = readIni(c.file, { here: c.here });
          for (const [s, keys] of Object.entries(py[i])) {
            for (const [k, v] of Object.entries(keys)) {
              let ts: string | { error: true };
              try {
                ts = ini.getLinotp2(s, k)!;
              } catch (err) {
                if (!(err instanceof InputError)) throw err;
                ts = { error: true };
              }
              // Python's %-formatting also accepts printf flags (e.g. '%#%'), giving mangled values; we refuse those —
              // in the value itself or in any value it interpolates (a = %#%(here)s, b = (%(a)s).
              const sources = [ini.raw(s, k), ...['a', 'b', 'url'].flatMap((n) => [ini.raw('DEFAULT', n), ini.raw(s, n)])];
              const mangled = typeof v === 'string' && typeof ts !== 'string' && sources.some((r) => /%[^%(]/.test(r ?? ''));
              if (!mangled) expect(ts, `${docs[i]} [${s}] ${k}`).toEqual(v);
            }
          }
        });
      }),
      { numRuns: 2, endOnFailure: true },
    );
  });
});
