import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import {
  parseCfg, toPythonLiteral, PyBytes, PyDict, PyFloat, PyTuple, pyFloatRepr, type PyValue,
} from '../../src/settings/pyliteral.js';
import { InputError } from '../../src/errors.js';
import { runPython } from './python.js';

type Tagged = unknown;

/** python3: for each source, the literal value of every `NAME = …` (tagged) or {error}. */
const PY_EVAL = String.raw`
import sys, json, ast, warnings
warnings.simplefilter('ignore')
def enc(v):
    if v is None: return ['None']
    if isinstance(v, bool): return ['bool', v]
    if isinstance(v, int): return ['int', str(v)]
    if isinstance(v, float): return ['float', repr(v)]
    if isinstance(v, str): return ['str', [ord(c) for c in v]]
    if isinstance(v, bytes): return ['bytes', v.hex()]
    if isinstance(v, list): return ['list', [enc(x) for x in v]]
    if isinstance(v, tuple): return ['tuple', [enc(x) for x in v]]
    if isinstance(v, dict): return ['dict', [[enc(k), enc(x)] for k, x in v.items()]]
    raise TypeError(type(v))
out = []
for src in json.load(sys.stdin):
    try:
        tree = ast.parse(src)
        res = []
        for node in tree.body:
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                res.append([node.targets[0].id, enc(ast.literal_eval(node.value))])
            elif not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)):
                raise ValueError('not a literal assignment')
        out.append({'ok': res})
    except Exception as e:
        out.append({'error': type(e).__name__})
print(json.dumps(out))
`;

function enc(v: PyValue): Tagged {
  if (v === null) return ['None'];
  if (typeof v === 'boolean') return ['bool', v];
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) return ['float', pyFloatRepr(v)];
    return ['int', String(v)];
  }
  if (typeof v === 'bigint') return ['int', v.toString()];
  if (typeof v === 'string') return ['str', Array.from(v, (c) => c.codePointAt(0))];
  if (v instanceof PyFloat) return ['float', pyFloatRepr(v.value)];
  if (v instanceof PyBytes) return ['bytes', Buffer.from(v.bytes).toString('hex')];
  if (v instanceof PyTuple) return ['tuple', v.items.map(enc)];
  if (Array.isArray(v)) return ['list', v.map(enc)];
  const entries = v instanceof PyDict ? v.entries : Object.entries(v);
  return ['dict', entries.map(([k, x]) => [enc(k), enc(x)])];
}

function tsEval(src: string): { ok: [string, Tagged][] } | { error: string } {
  try {
    return { ok: parseCfg(src, 'test.cfg').assignments.map((a) => [a.name, enc(a.value)]) };
  } catch (err) {
    if (!(err instanceof InputError)) throw err;
    return { error: err.message };
  }
}

const pyValue: fc.Arbitrary<PyValue> = fc.letrec<{ v: PyValue }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.bigInt({ min: -(2n ** 80n), max: 2n ** 80n }),
    fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => new PyFloat(d)),
    fc.string({ unit: 'binary', maxLength: 20 }),
    fc.string({ unit: fc.constantFrom('\\', "'", '"', '\n', '\r', '\t', '\0', '\x7f', '\x85', '\u2028', '\ufeff', '#', '%', ';', '@', 'a', 'é', '😀'), maxLength: 20 }),
    fc.uint8Array({ maxLength: 10 }).map((b) => new PyBytes(b)),
    fc.array(tie('v'), { maxLength: 4 }),
    fc.array(tie('v'), { maxLength: 4 }).map((a) => new PyTuple(a)),
    fc.uniqueArray(fc.tuple(fc.string({ maxLength: 6 }), tie('v')), { maxLength: 4, selector: ([k]) => k }).map((e) => new PyDict(e)),
  ),
})).v;

describe('toPythonLiteral vs python3 ast.literal_eval', () => {
  it('every emitted file evaluates to the same values (fast-check, one python3 process)', () => {
    fc.assert(
      fc.property(fc.array(fc.array(pyValue, { minLength: 1, maxLength: 5 }), { minLength: 100, maxLength: 100 }), (files) => {
        const sources = files.map((vals) => vals.map((v, i) => `SETTING_${i} = ${toPythonLiteral(v)}\n`).join(''));
        const py = runPython<{ ok: [string, Tagged][] }[]>(PY_EVAL, sources);
        files.forEach((vals, f) => {
          const expected = vals.map((v, i) => [`SETTING_${i}`, enc(v)]);
          expect(py[f], sources[f]).toEqual({ ok: expected });
          expect(tsEval(sources[f]), sources[f]).toEqual({ ok: expected });
        });
      }),
      { numRuns: 2, endOnFailure: true },
    );
  });

  it('writes the documented forms', () => {
    expect(toPythonLiteral("a'b\\c\n\r\t\x01\x7f\u2028é")).toBe("'a\\'b\\\\c\\n\\r\\t\\x01\\x7f\\u2028é'");
    expect(toPythonLiteral([true, false, null, 1, { a: [] }])).toBe("[True, False, None, 1, {'a': []}]");
    expect(toPythonLiteral(new PyTuple([1]))).toBe('(1,)');
    expect(pyFloatRepr(1e16)).toBe('1e+16');
    expect(pyFloatRepr(1e-5)).toBe('1e-05');
    expect(pyFloatRepr(0.0001)).toBe('0.0001');
    expect(pyFloatRepr(123.0)).toBe('123.0');
  });
});

const READER_CASES = [
  "A = 'x'\nB = \"y\"\nC = '''multi\nline'''\nD = \"\"\"q\"\"\"\n",
  "A = r'\\d\\n' R'\\'' \nB = rb'\\x00' Br'\\n'\n",
  "A = b'\\x00\\777\\n' B'abc'\n",
  "A = u'\\u00e9\\U0001F600\\x41\\101\\7\\a\\b\\f\\v\\q\\\n'\n",
  "A = 'con' \"cat\" '''enation'''\nB = ('a'\n     'b')\n",
  "A = [1, 2,\n     3,  # comment\n]\nB = (1,)\nC = ()\nD = (1)\nE = {'a': 1, 'b': [True, None], 'a': 3}\nF = {}\n",
  'A = 1_000\nB = 0x_FF\nC = 0o17\nD = 0b101\nE = -5\nF = +3\nG = 1.5e-3\nH = .5\nI = 5.\nJ = 00\nK = 123456789012345678901234567890\nL = -0.0\n',
  'A = 1, 2\nB = 3,\n',
  "A = 1; B = 2;\nlower = 'ignored but parsed'\n",
  '"""docstring"""\n# comment\n\nA = \\\n  5\n',
  "A = {1: 'a', True: 'b', 1.0: 'c', (1, 2): 'd'}\n",
  "# -*- coding: utf-8 -*-\nDATABASE_URI = 'mysql://u:p%40ss#;@h/db'\n",
  "A = '\\N{DASH}'\n",
  "A = b'é'\n",
  "A = 'x' b'y'\n",
  "A = f'{x}'\n",
  'A = 1 + 2\n',
  'A = foo\n',
  'A = foo()\n',
  'import os\n',
  'A = os.environ["X"]\n',
  "A = {'a', 'b'}\n",
  '  A = 1\n',
  'A = 1j\n',
  'A = 017\n',
  "A = 'unterminated\n",
  'A = [1, 2\n',
  'A = B = 1\n',
  'A = [x for x in y]\n',
  'if True:\n    A = 1\n',
  'A = --1\n',
  'A = -"s"\n',
];

describe('parseCfg vs python3', () => {
  it('hand-written literals: same values, and errors where Python fails or is not a literal', () => {
    const py = runPython<({ ok: [string, Tagged][] } | { error: string })[]>(PY_EVAL, READER_CASES);
    READER_CASES.forEach((src, i) => {
      const ts = tsEval(src);
      if ('ok' in ts) expect(py[i], src).toEqual(ts);
      else if ('ok' in py[i]) {
        // we refuse more than literal_eval only for \N{…}
        expect(src, `${src} -> ${ts.error}`).toMatch(/\\N\{/);
      }
    });
    // spot checks of what we accept
    READER_CASES.slice(0, 12).forEach((s) => expect(tsEval(s), s).toHaveProperty('ok'));
    READER_CASES.slice(12).forEach((s) => expect(tsEval(s), s).toHaveProperty('error'));
  });

  it('generated string literals (prefixes, quotes, escapes) agree with python3', () => {
    const piece = fc.constantFrom('a', 'é', '😀', ' ', '"', "'", '\\', '\\\\', "\\'", '\\"', '\\n', '\\x4', '\\x41', '\\u00e9', '\\u12',
      '\\U0001F600', '\\U00110000', '\\0', '\\18', '\\777', '\\a', '\\q', '\\\n', '\n', '#', '%', '{', '}');
    const lit = fc.tuple(
      fc.constantFrom('', 'r', 'R', 'b', 'B', 'u', 'U', 'br', 'Rb', 'rB'),
      fc.constantFrom("'", '"', "'''", '"""'),
      fc.array(piece, { maxLength: 8 }),
    ).map(([p, q, body]) => `${p}${q}${body.join('')}${q}`);
    fc.assert(
      fc.property(fc.array(fc.array(lit, { minLength: 1, maxLength: 3 }), { minLength: 100, maxLength: 100 }), (cases) => {
        const sources = cases.map((lits) => `VALUE = ${lits.join(' ')}\n`);
        const py = runPython<({ ok: [string, Tagged][] } | { error: string })[]>(PY_EVAL, sources);
        sources.forEach((src, i) => {
          const ts = tsEval(src);
          if ('ok' in py[i] && 'ok' in ts) expect(ts, src).toEqual(py[i]);
          else expect('ok' in ts, `${JSON.stringify(src)}: python ${JSON.stringify(py[i])}, ts ${JSON.stringify(ts)}`).toBe(false);
          if ('ok' in ts) expect('ok' in py[i], src).toBe(true);
        });
      }),
      { numRuns: 3, endOnFailure: true },
    );
  });

  it('keeps line numbers, takes only upper-case names, and names file:line in errors', () => {
    const cfg = parseCfg("# x\nROOT_DIR = '/etc/linotp'\nfoo = 1\nLOG_CONFIG = {\n  'version': 1,\n}\nROOT_DIR = '/srv'\n", '/etc/linotp/linotp.cfg');
    expect([...cfg.settings.keys()]).toEqual(['ROOT_DIR', 'LOG_CONFIG']);
    expect(cfg.settings.get('ROOT_DIR')).toMatchObject({ value: '/srv', line: 7 });
    expect(cfg.settings.get('LOG_CONFIG')?.line).toBe(4);
    expect(() => parseCfg('A = 1\nB = os.getenv("X")\n', '/x/a.cfg')).toThrow(/^\/x\/a\.cfg:2: /);
    expect(() => parseCfg("A = 'x'\nB = lower\n", '/x/a.cfg')).toThrow(/a\.cfg:2: 'lower' refers to a variable/);
    expect(() => parseCfg(Buffer.from([0x41, 0x3d, 0x27, 0xe9, 0x27]), '/x/a.cfg')).toThrow(/not valid utf-8/);
    expect(parseCfg(Buffer.from("# coding: latin-1\nA = '\xe9'\n", 'latin1'), '/x/a.cfg').settings.get('A')?.value).toBe('é');
  });
});

/** A deliberately messy Python printer: random spacing, comments and newlines inside brackets, trailing commas, other literal forms. */
function messy(v: PyValue, r: () => number): string {
  const ws = () => [' ', '', '  ', '\t', ' # c\n ', '\n'][Math.floor(r() * 6)];
  const trail = () => (r() < 0.5 ? ',' : '');
  if (typeof v === 'string') {
    if (v.length > 1 && r() < 0.3) {
      const cut = 1 + Math.floor(r() * (v.length - 1));
      if (!/[\ud800-\udbff]$/.test(v.slice(0, cut))) return `(${strLit(v.slice(0, cut), r)}${ws()}${strLit(v.slice(cut), r)})`;
    }
    return strLit(v, r);
  }
  return messyOther(v, r, ws, trail);
}

function strLit(v: string, r: () => number): string {
  if (r() < 0.3 && !/["\\\n\r]|[^\x20-\x7e]/.test(v)) return `"${v}"`;
  if (r() < 0.2 && !/['\\\r]|[^\x20-\x7e\n]/.test(v) && !v.endsWith("'")) return `'''${v}'''`;
  return toPythonLiteral(v);
}

function messyOther(v: PyValue, r: () => number, ws: () => string, trail: () => string): string {
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && r() < 0.3) return r() < 0.5 ? `0x${v.toString(16)}` : `0o${v.toString(8)}`;
  if (typeof v === 'number' && Number.isInteger(v) && Math.abs(v) >= 1000 && r() < 0.3) return String(v).replace(/(\d)(?=(\d{3})+$)/g, '$1_');
  if (v instanceof PyTuple) {
    if (v.items.length === 0) return '()';
    return `(${ws()}${v.items.map((x) => messy(x, r)).join(`,${ws()}`)}${v.items.length === 1 ? ',' : trail()}${ws()})`;
  }
  if (Array.isArray(v)) return `[${ws()}${v.map((x) => messy(x, r)).join(`${ws()},${ws()}`)}${v.length ? trail() : ''}${ws()}]`;
  if (v instanceof PyDict) return `{${ws()}${v.entries.map(([k, x]) => `${messy(k, r)}${ws()}:${ws()}${messy(x, r)}`).join(`,${ws()}`)}${v.entries.length ? trail() : ''}${ws()}}`;
  return toPythonLiteral(v);
}

describe('parseCfg on messy but valid literal sources vs python3', () => {
  it('agrees on 100 generated files (one python3 process)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.array(pyValue, { minLength: 1, maxLength: 4 }), fc.integer()), { minLength: 100, maxLength: 100 }), (files) => {
        const sources = files.map(([vals, seed]) => {
          let x = seed >>> 0 || 1;
          const r = () => ((x = (x * 1664525 + 1013904223) >>> 0), x / 2 ** 32);
          return vals.map((v, i) => `${r() < 0.3 ? '# comment\n' : ''}NAME_${i} = ${messy(v, r)}${r() < 0.3 ? '  # trailing' : ''}\n`).join(r() < 0.2 ? '\n\n' : '');
        });
        const py = runPython<({ ok: [string, Tagged][] } | { error: string })[]>(PY_EVAL, sources);
        sources.forEach((src, i) => {
          expect(py[i], src).toHaveProperty('ok');
          expect(tsEval(src), src).toEqual(py[i]);
        });
      }),
      { numRuns: 2, endOnFailure: true },
    );
  });
});
