/**
 * Reader for LinOTP 3 `.cfg` files restricted to Python literal assignments: `NAME = <literal>`
 * (str/bytes in every literal form incl. prefixes, triple quotes, escapes and adjacent-literal
 * concatenation; int/float; True/False/None; list/tuple/dict; comments; bracket and backslash
 * line continuation; `;` between statements). LinOTP executes these files; we never do. Anything
 * else — calls, names, operators, imports, f-strings — is an InputError naming file:line.
 *
 * Like Flask's `from_pyfile`, only names for which str.isupper() holds are settings; lower-case
 * assignments are accepted and ignored (they can only be used by expressions, which we refuse).
 * A bare string statement (a docstring) is accepted and ignored.
 */
import { InputError } from '../errors.js';
import { readSettingsFile } from './ini.js';
import { PyBytes, PyDict, PyFloat, PyTuple, type PyValue, isPyUpper } from './pyvalue.js';

export { toPythonLiteral, pyStrLiteral, pyFloatRepr, PyBytes, PyDict, PyFloat, PyTuple, toPlain, isPyUpper } from './pyvalue.js';
export type { PyValue } from './pyvalue.js';

export interface CfgAssignment {
  name: string;
  value: PyValue;
  /** 1-based line of the name. */
  line: number;
}

export interface CfgFile {
  file: string;
  /** Every assignment in source order (lower-case ones too). */
  assignments: CfgAssignment[];
  /** Final value of each UPPERCASE name (what Flask takes from the file). */
  settings: Map<string, CfgAssignment>;
}

type Tok =
  | { t: 'name'; v: string; line: number; col: number }
  | { t: 'num'; v: PyValue; line: number; col: number }
  | { t: 'str'; v: string; bytes: boolean; line: number; col: number }
  | { t: 'op'; v: string; line: number; col: number }
  | { t: 'nl'; line: number; col: number }
  | { t: 'end'; line: number; col: number };

const KEYWORDS = new Set(['import', 'from', 'def', 'class', 'if', 'elif', 'else', 'for', 'while', 'with', 'try', 'except',
  'finally', 'return', 'lambda', 'global', 'nonlocal', 'del', 'pass', 'raise', 'assert', 'yield', 'async', 'await',
  'and', 'or', 'not', 'in', 'is', 'break', 'continue']);
const ID_START = /[\p{L}\p{Nl}_\u1885\u1886\u2118\u212e\u309b\u309c]/u;
const ID_CONT = /[\p{L}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}_\u00b7\u0387\u1369-\u1371\u19da\u1885\u1886\u2118\u212e\u309b\u309c]/u;
const MAX_NESTING = 200;
const NUMBER_RE = /^(?:0[xX](?:_?[0-9a-fA-F])+|0[oO](?:_?[0-7])+|0[bB](?:_?[01])+|(?:\d(?:_?\d)*)?\.\d(?:_?\d)*(?:[eE][+-]?\d(?:_?\d)*)?|\d(?:_?\d)*\.?(?:[eE][+-]?\d(?:_?\d)*)?)([jJ])?/;

function decodeSource(input: Buffer | string, file: string): string {
  if (typeof input === 'string') return input;
  if (input.includes(0)) throw new InputError(`${file}: contains NUL bytes, not a LinOTP .cfg file`);
  let encoding = 'utf-8';
  const head = input.subarray(0, 400).toString('latin1').split(/\r\n|\r|\n/).slice(0, 2);
  for (const line of head) {
    const m = /^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)/.exec(line);
    if (m) {
      encoding = m[1].toLowerCase().replace(/_/g, '-');
      break;
    }
    if (!/^[ \t\f]*(#.*)?$/.test(line)) break;
  }
  const known: Record<string, string> = { 'utf-8': 'utf-8', utf8: 'utf-8', 'latin-1': 'latin1', latin1: 'latin1',
    'iso-8859-1': 'latin1', 'iso8859-1': 'latin1', ascii: 'ascii', 'us-ascii': 'ascii' };
  const enc = known[encoding] ?? (encoding.startsWith('utf-8-') ? 'utf-8' : undefined);
  if (!enc) throw new InputError(`${file}: unsupported source encoding '${encoding}'`, 'convert the file to UTF-8');
  try {
    if (enc === 'ascii' && input.some((b) => b > 0x7f)) throw new Error('non-ASCII byte');
    if (enc === 'latin1') return input.toString('latin1');
    return new TextDecoder('utf-8', { fatal: true }).decode(input);
  } catch (err) {
    throw new InputError(`${file}: not valid ${encoding}`, 'save the file as UTF-8', err);
  }
}

class Lexer {
  private pos = 0;
  private line = 1;
  private lineStart = 0;
  private depth = 0;
  private atLineStart = true;
  readonly toks: Tok[] = [];

  constructor(
    private readonly src: string,
    private readonly file: string,
  ) {}

  fail(msg: string, line = this.line, hint?: string): never {
    throw new InputError(`${this.file}:${line}: ${msg}`, hint ?? 'a LinOTP .cfg may only contain NAME = <literal> lines; LinOTP-migrate never executes it');
  }

  private newline(): void {
    this.line++;
    this.lineStart = this.pos;
  }

  run(): Tok[] {
    const s = this.src;
    while (this.pos < s.length) {
      const c = s[this.pos];
      const col = this.pos - this.lineStart;
      if (this.atLineStart && this.depth === 0) {
        // A logical line may not be indented unless it is blank or a comment.
        const m = /^[ \t\f]*/.exec(s.slice(this.pos, this.pos + 200))![0];
        const next = s[this.pos + m.length];
        if (m.length > 0 && next !== undefined && next !== '\n' && next !== '#' && !(next === '\\' && s[this.pos + m.length + 1] === '\n')) {
          this.fail('unexpected indentation');
        }
        this.pos += m.length;
        this.atLineStart = false;
        continue;
      }
      if (c === ' ' || c === '\t' || c === '\f') {
        this.pos++;
      } else if (c === '#') {
        while (this.pos < s.length && s[this.pos] !== '\n') this.pos++;
      } else if (c === '\n') {
        if (this.depth === 0 && this.toks.length && this.toks[this.toks.length - 1].t !== 'nl') this.toks.push({ t: 'nl', line: this.line, col });
        this.pos++;
        this.newline();
        if (this.depth === 0) this.atLineStart = true;
      } else if (c === '\\') {
        if (s[this.pos + 1] !== '\n') this.fail('unexpected character after line continuation');
        this.pos += 2;
        this.newline();
      } else if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(s[this.pos + 1] ?? ''))) {
        this.number(col);
      } else if (/['"]/.test(c) || (/[rRbBuUfF]/.test(c) && this.stringPrefix() !== undefined)) {
        this.string(col);
      } else if (ID_START.test(String.fromCodePoint(s.codePointAt(this.pos)!))) {
        let end = this.pos;
        while (end < s.length) {
          const ch = String.fromCodePoint(s.codePointAt(end)!);
          if (!ID_CONT.test(ch)) break;
          end += ch.length;
        }
        this.toks.push({ t: 'name', v: s.slice(this.pos, end).normalize('NFKC'), line: this.line, col });
        this.pos = end;
      } else if ('([{'.includes(c)) {
        // CPython's tokenizer stops at 200 levels (MAXLEVEL) too; the parser below recurses per level.
        if (++this.depth > MAX_NESTING) this.fail(`too many nested parentheses (more than ${MAX_NESTING} levels)`);
        this.toks.push({ t: 'op', v: c, line: this.line, col });
        this.pos++;
      } else if (')]}'.includes(c)) {
        if (this.depth === 0) this.fail(`unmatched '${c}'`);
        this.depth--;
        this.toks.push({ t: 'op', v: c, line: this.line, col });
        this.pos++;
      } else {
        const op = /^(\*\*=|\/\/=|>>=|<<=|:=|->|==|!=|<=|>=|\*\*|\/\/|<<|>>|[+\-*/%@&|^~<>]=?|[=,:;.])/.exec(s.slice(this.pos, this.pos + 3));
        if (!op) this.fail(`unexpected character ${JSON.stringify(c)}`);
        this.toks.push({ t: 'op', v: op![0], line: this.line, col });
        this.pos += op![0].length;
      }
    }
    if (this.depth > 0) this.fail('unclosed bracket at end of file');
    this.toks.push({ t: 'nl', line: this.line, col: 0 }, { t: 'end', line: this.line, col: 0 });
    return this.toks;
  }

  private stringPrefix(): string | undefined {
    const m = /^([rRbBuUfF]{1,2})['"]/.exec(this.src.slice(this.pos, this.pos + 3));
    if (!m) return undefined;
    const p = m[1].toLowerCase();
    return ['r', 'u', 'b', 'f', 'br', 'rb', 'fr', 'rf'].includes(p) ? p : undefined;
  }

  private number(col: number): void {
    const m = NUMBER_RE.exec(this.src.slice(this.pos, this.pos + 400));
    const text = m![0];
    const after = this.src[this.pos + text.length] ?? '';
    if (m![1]) this.fail('complex numbers are not supported');
    if (/[\p{L}\p{N}_]/u.test(after)) this.fail(`invalid number ${JSON.stringify(text + after)}`);
    const clean = text.replace(/_/g, '');
    let v: PyValue;
    if (/^0[xob]/i.test(clean)) v = toInt(BigInt(clean.toLowerCase()));
    else if (/[.eE]/.test(clean)) v = new PyFloat(Number(clean));
    else {
      if (/^0+[1-9]/.test(clean)) this.fail(`leading zeros in decimal integer ${text} are not allowed (use 0o for octal)`);
      v = toInt(BigInt(clean));
    }
    this.toks.push({ t: 'num', v, line: this.line, col });
    this.pos += text.length;
  }

  private string(col: number): void {
    const prefix = /^[rRbBuUfF]*/.exec(this.src.slice(this.pos, this.pos + 2))![0].toLowerCase();
    if (prefix.includes('f')) this.fail('f-strings are expressions and are not supported');
    const raw = prefix.includes('r');
    const bytes = prefix.includes('b');
    const startLine = this.line;
    this.pos += prefix.length;
    const q = this.src[this.pos];
    const triple = this.src.startsWith(q.repeat(3), this.pos);
    const close = triple ? q.repeat(3) : q;
    this.pos += close.length;
    let body = '';
    for (;;) {
      if (this.pos >= this.src.length) this.fail('unterminated string literal', startLine);
      const c = this.src[this.pos];
      if (this.src.startsWith(close, this.pos)) {
        this.pos += close.length;
        break;
      }
      if (c === '\n') {
        if (!triple) this.fail('unterminated string literal (newline inside quotes)', startLine);
        this.newline();
      }
      if (c === '\\' && this.pos + 1 < this.src.length) {
        if (this.src[this.pos + 1] === '\n') {
          body += '\\\n';
          this.pos += 2;
          this.newline();
          continue;
        }
        body += c + this.src[this.pos + 1];
        this.pos += 2;
        continue;
      }
      body += c;
      this.pos++;
    }
    const v = raw ? body : unescape(body, bytes, (m) => this.fail(m, startLine));
    if (bytes && /[^\x00-\x7f]/.test(body)) this.fail('bytes literals can only contain ASCII characters', startLine);
    this.toks.push({ t: 'str', v, bytes, line: startLine, col });
  }
}

const toInt = (b: bigint): number | bigint => (b >= BigInt(Number.MIN_SAFE_INTEGER) && b <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(b) : b);

const SIMPLE_ESCAPES: Record<string, string> = { '\n': '', '\\': '\\', "'": "'", '"': '"', a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };

/** Python escape processing; for bytes the result holds one char per byte (latin1). */
function unescape(body: string, bytes: boolean, fail: (msg: string) => never): string {
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c !== '\\') {
      out += c;
      continue;
    }
    const e = body[++i];
    if (e in SIMPLE_ESCAPES) {
      out += SIMPLE_ESCAPES[e];
    } else if (/[0-7]/.test(e)) {
      const oct = /^[0-7]{1,3}/.exec(body.slice(i, i + 3))![0];
      const n = parseInt(oct, 8);
      out += String.fromCharCode(bytes ? n & 0xff : n);
      i += oct.length - 1;
    } else if (e === 'x' || (!bytes && (e === 'u' || e === 'U'))) {
      const width = e === 'x' ? 2 : e === 'u' ? 4 : 8;
      const digits = body.slice(i + 1, i + 1 + width);
      if (!new RegExp(`^[0-9a-fA-F]{${width}}$`).test(digits)) fail(`truncated \\${e} escape`);
      const n = parseInt(digits, 16);
      if (n > 0x10ffff) fail(`illegal Unicode character \\${e}${digits}`);
      out += String.fromCodePoint(n);
      i += width;
    } else if (e === 'N' && !bytes) {
      fail('\\N{...} escapes are not supported; write the character itself or \\uXXXX');
    } else {
      out += '\\' + e; // unknown escapes stay as they are (Python only warns)
    }
  }
  return out;
}

class Parser {
  private i = 0;
  constructor(
    private readonly toks: Tok[],
    private readonly file: string,
  ) {}

  private peek(): Tok {
    return this.toks[this.i];
  }
  private isOp(v: string, tok = this.peek()): boolean {
    return tok.t === 'op' && tok.v === v;
  }
  private fail(tok: Tok, msg: string): never {
    throw new InputError(`${this.file}:${tok.line}: ${msg}`, 'a LinOTP .cfg may only contain NAME = <literal> lines; LinOTP-migrate never executes it');
  }
  private expectOp(v: string): void {
    const tok = this.peek();
    if (!this.isOp(v)) this.fail(tok, `expected '${v}' but found ${describe(tok)}`);
    this.i++;
  }

  statements(): CfgAssignment[] {
    const out: CfgAssignment[] = [];
    while (this.peek().t !== 'end') {
      const tok = this.peek();
      if (tok.t === 'nl' || this.isOp(';')) {
        this.i++;
        continue;
      }
      if (tok.t === 'name' && !['True', 'False', 'None'].includes(tok.v)) {
        if (KEYWORDS.has(tok.v)) this.fail(tok, `'${tok.v}' statements are not supported (the file is never executed)`);
        const next = this.toks[this.i + 1];
        if (!this.isOp('=', next)) this.fail(next, `only 'NAME = <literal>' is supported, found ${describe(next)} after ${tok.v}`);
        this.i += 2;
        const value = this.exprList();
        if (this.isOp('=')) this.fail(this.peek(), 'chained assignments (A = B = …) are not supported');
        out.push({ name: tok.v, value, line: tok.line });
      } else if (tok.t === 'str') {
        this.exprList(); // a docstring-like bare string: harmless, ignored
      } else {
        this.fail(tok, `unexpected ${describe(tok)} (expected NAME = <literal>)`);
      }
      const end = this.peek();
      if (end.t !== 'nl' && !this.isOp(';')) this.fail(end, `unexpected ${describe(end)} after the value (only literals are supported)`);
    }
    return out;
  }

  /** `a` or `a, b, …` (a tuple without parentheses). */
  private exprList(): PyValue {
    const first = this.value();
    if (!this.isOp(',')) return first;
    const items = [first];
    while (this.isOp(',')) {
      this.i++;
      const t = this.peek();
      if (t.t === 'nl' || this.isOp(';') || this.isOp('=')) break;
      items.push(this.value());
    }
    return new PyTuple(items);
  }

  private value(): PyValue {
    const tok = this.peek();
    if (tok.t === 'str') {
      let s = '';
      const bytes = tok.bytes;
      while (this.peek().t === 'str') {
        const t = this.peek() as Extract<Tok, { t: 'str' }>;
        if (t.bytes !== bytes) this.fail(t, 'cannot mix bytes and str literals');
        s += t.v;
        this.i++;
      }
      return bytes ? new PyBytes(Uint8Array.from(s, (ch) => ch.charCodeAt(0))) : s;
    }
    if (tok.t === 'num') {
      this.i++;
      return tok.v;
    }
    if (this.isOp('-') || this.isOp('+')) {
      const num = this.toks[this.i + 1];
      if (num.t !== 'num') this.fail(tok, `operator '${tok.t === 'op' ? tok.v : ''}' is only allowed before a number`);
      this.i += 2;
      const v = num.v;
      if (!this.isOp('-', tok)) return v;
      if (v instanceof PyFloat) return new PyFloat(-v.value);
      return typeof v === 'bigint' ? toInt(-v) : toInt(-BigInt(v as number));
    }
    if (tok.t === 'name') {
      this.i++;
      if (tok.v === 'True') return true;
      if (tok.v === 'False') return false;
      if (tok.v === 'None') return null;
      return this.fail(tok, `'${tok.v}' refers to a variable or function; only literal values are supported`);
    }
    if (this.isOp('[')) return this.sequence(']');
    if (this.isOp('(')) {
      const open = this.i;
      const items = this.sequence(')');
      // `(x)` is x; `(x,)` and `()` are tuples.
      const trailingComma = this.isOp(',', this.toks[this.i - 2]);
      if (items.length === 1 && !trailingComma && this.i - open > 2) return items[0];
      return new PyTuple(items);
    }
    if (this.isOp('{')) return this.dict();
    return this.fail(tok, `unexpected ${describe(tok)} (expected a literal value)`);
  }

  private sequence(close: string): PyValue[] {
    this.i++;
    const items: PyValue[] = [];
    while (!this.isOp(close)) {
      items.push(this.value());
      if (this.isOp(',')) this.i++;
      else if (!this.isOp(close)) this.fail(this.peek(), `expected ',' or '${close}' but found ${describe(this.peek())}`);
    }
    this.i++;
    return items;
  }

  private dict(): PyDict {
    const start = this.peek();
    this.i++;
    const entries: [PyValue, PyValue][] = [];
    const index = new Map<string, number>();
    while (!this.isOp('}')) {
      const keyTok = this.peek();
      const key = this.value();
      if (!this.isOp(':')) this.fail(this.peek(), this.isOp(',') || this.isOp('}') ? 'sets are not supported' : `expected ':' in dict but found ${describe(this.peek())}`);
      this.i++;
      const value = this.value();
      const h = hashKey(key, () => this.fail(keyTok, 'unhashable dict key (list or dict)'));
      const at = index.get(h);
      // Python keeps the first key's position and the last value.
      if (at === undefined) {
        index.set(h, entries.length);
        entries.push([key, value]);
      } else entries[at] = [entries[at][0], value];
      if (this.isOp(',')) this.i++;
      else if (!this.isOp('}')) this.fail(this.peek(), `expected ',' or '}' but found ${describe(this.peek())}`);
    }
    if (start.t !== 'op') this.fail(start, 'internal error');
    this.i++;
    return new PyDict(entries);
  }
}

/** Dict-key identity as Python sees it: 1 == 1.0 == True, tuples by content. */
function hashKey(k: PyValue, unhashable: () => never): string {
  if (k === null) return 'N';
  if (typeof k === 'boolean') return `n:${k ? 1 : 0}`;
  if (typeof k === 'number' || typeof k === 'bigint') return `n:${k}`;
  if (k instanceof PyFloat) return Number.isInteger(k.value) ? `n:${BigInt(k.value)}` : `f:${k.value}`;
  if (typeof k === 'string') return `s:${k}`;
  if (k instanceof PyBytes) return `b:${Buffer.from(k.bytes).toString('hex')}`;
  if (k instanceof PyTuple) return `t:(${k.items.map((x) => hashKey(x, unhashable)).join(',')})`;
  return unhashable();
}

function describe(tok: Tok): string {
  switch (tok.t) {
    case 'name':
      return `'${tok.v}'`;
    case 'op':
      return `'${tok.v}'`;
    case 'nl':
      return 'end of line';
    case 'end':
      return 'end of file';
    case 'num':
      return 'a number';
    default:
      return 'a string';
  }
}

/** Parses .cfg source. `file` names the origin in messages. */
export function parseCfg(input: Buffer | string, file: string): CfgFile {
  let src = decodeSource(input, file);
  if (src.startsWith('\ufeff')) src = src.slice(1);
  if (src.includes('\0')) throw new InputError(`${file}: contains NUL characters, not a LinOTP .cfg file`);
  src = src.replace(/\r\n?/g, '\n');
  const toks = new Lexer(src, file).run();
  const assignments = new Parser(toks, file).statements();
  const settings = new Map<string, CfgAssignment>();
  for (const a of assignments) if (isPyUpper(a.name)) settings.set(a.name, a);
  return { file, assignments, settings };
}

/** Reads and parses a .cfg file. */
export function readCfg(file: string): CfgFile {
  let buf: Buffer;
  try {
    buf = readSettingsFile(file, 'cfg file');
  } catch (err) {
    if (err instanceof InputError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new InputError(`cannot read ${file}: ${code ?? String(err)}`, code === 'EACCES' ? 'run as root or as the linotp user' : undefined, err);
  }
  return parseCfg(buf, file);
}
