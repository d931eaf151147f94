/**
 * Python literal values in TypeScript, and the writer that turns them back into Python source
 * for LinOTP 3 `.cfg` files. LinOTP executes a .cfg (Flask `from_pyfile`), so the writer emits
 * literals only — nothing that could run code — and every output is checked against python3's
 * `ast.literal_eval` in the tests.
 *
 * Mapping: None↔null, bool↔boolean, int↔number (safe integers) or bigint, float↔PyFloat,
 * str↔string, bytes↔PyBytes, list↔array, tuple↔PyTuple, dict↔PyDict (any hashable keys, source
 * order) — the writer also accepts plain objects as dicts with string keys.
 */
export class PyFloat {
  constructor(readonly value: number) {}
}
export class PyBytes {
  constructor(readonly bytes: Uint8Array) {}
}
export class PyTuple {
  constructor(readonly items: PyValue[]) {}
}
export class PyDict {
  constructor(readonly entries: [PyValue, PyValue][]) {}
}
export type PyValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | PyFloat
  | PyBytes
  | PyTuple
  | PyDict
  | PyValue[]
  | { [key: string]: PyValue };

/** Python's repr() of a float: shortest round-trip digits, exponent form outside 1e-4 ≤ |x| < 1e16. */
export function pyFloatRepr(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const sign = x < 0 ? '-' : '';
  const [mant, expStr] = Math.abs(x).toExponential().split('e');
  const digits = mant.replace('.', '');
  const exp = Number(expStr);
  if (exp >= -4 && exp < 16) {
    if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
    const intPart = digits.slice(0, exp + 1).padEnd(exp + 1, '0');
    const frac = digits.slice(exp + 1);
    return `${sign}${intPart}.${frac || '0'}`;
  }
  const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
  return `${sign}${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
}

const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');
/** Python repr() escapes these: other (C*) and separator (Z*) code points, except the plain space. */
const NON_PRINTABLE = /[\p{C}\p{Z}]/u;

/** A Python str literal in single quotes that `ast.literal_eval` turns back into exactly `s`. */
export function pyStrLiteral(s: string): string {
  let out = "'";
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === '\\') out += '\\\\';
    else if (ch === "'") out += "\\'";
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch === ' ' || !NON_PRINTABLE.test(ch)) out += ch;
    else if (cp < 0x100) out += `\\x${hex(cp, 2)}`;
    else if (cp < 0x10000) out += `\\u${hex(cp, 4)}`;
    else out += `\\U${hex(cp, 8)}`;
  }
  return out + "'";
}

function pyBytesLiteral(b: Uint8Array): string {
  let out = "b'";
  for (const c of b) {
    if (c === 0x5c) out += '\\\\';
    else if (c === 0x27) out += "\\'";
    else if (c === 0x0a) out += '\\n';
    else if (c === 0x0d) out += '\\r';
    else if (c === 0x09) out += '\\t';
    else if (c >= 0x20 && c < 0x7f) out += String.fromCharCode(c);
    else out += `\\x${hex(c, 2)}`;
  }
  return out + "'";
}

/** Python source for a literal value (one line). Throws TypeError for values Python literals cannot express. */
export function toPythonLiteral(value: PyValue): string {
  if (value === null) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'string') return pyStrLiteral(value);
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') {
    if (Number.isSafeInteger(value)) return String(value);
    if (Number.isInteger(value)) throw new TypeError(`integer ${value} is not exact in JavaScript; pass a bigint`);
    return floatLiteral(value);
  }
  if (value instanceof PyFloat) return floatLiteral(value.value);
  if (value instanceof PyBytes) return pyBytesLiteral(value.bytes);
  if (value instanceof PyTuple) {
    const items = value.items.map(toPythonLiteral);
    return items.length === 1 ? `(${items[0]},)` : `(${items.join(', ')})`;
  }
  if (Array.isArray(value)) return `[${value.map(toPythonLiteral).join(', ')}]`;
  const entries = value instanceof PyDict ? value.entries : Object.entries(value);
  return `{${entries.map(([k, v]) => `${toPythonLiteral(k)}: ${toPythonLiteral(v)}`).join(', ')}}`;
}

function floatLiteral(x: number): string {
  if (!Number.isFinite(x)) throw new TypeError(`${x} has no Python literal`);
  return pyFloatRepr(x);
}

/** Python's str(): strings stay as they are, everything else as its literal (used for `*_DIR`/`*_FILE` coercion). */
export function pyStr(value: PyValue): string {
  if (typeof value === 'string') return value;
  if (value instanceof PyFloat) return pyFloatRepr(value.value);
  return toPythonLiteral(value);
}

/** Plain JavaScript form (dicts with str keys → objects, tuples → arrays, floats → numbers), e.g. for JSON output. */
export function toPlain(value: PyValue): unknown {
  if (value instanceof PyFloat) return value.value;
  if (value instanceof PyBytes) return Buffer.from(value.bytes).toString('latin1');
  if (value instanceof PyTuple) return value.items.map(toPlain);
  if (Array.isArray(value)) return value.map(toPlain);
  if (value instanceof PyDict) return Object.fromEntries(value.entries.map(([k, v]) => [String(toPlain(k)), toPlain(v)]));
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toPlain(v)]));
  return value;
}

/** Python's str.isupper(): at least one cased character and no lower/title case ones. Flask keeps such names. */
export function isPyUpper(name: string): boolean {
  return /\p{Lu}/u.test(name) && !/[\p{Ll}\p{Lt}]/u.test(name);
}
