/**
 * Enough of the FreeRADIUS 2/3 configuration grammar (src/main/conffile.c) to find modules, virtual
 * servers, Auth-Type sections and clients: sections `name [name2] {` … `}`, pairs `key op value`,
 * bare words (module references in processing sections), `$INCLUDE` lines (recorded, not followed:
 * the caller reads the directories it needs), unlang conditions `if (…) {` with quoted strings and
 * `/regex/` inside, `#` comments outside quotes, and `\` line continuations.
 * Anything else — an unbalanced brace, an unterminated string or condition — is an InputError naming
 * file and line: a tree we cannot read completely is not silently half-converted.
 */
import { InputError } from '../errors.js';

export interface ConfPair {
  kind: 'pair';
  key: string;
  op: string;
  /** Unquoted text of the value (escapes of double-quoted strings resolved). */
  value: string;
  /** `"`, `'`, `` ` `` or '' for a bare word. */
  quote: string;
  line: number;
}
export interface ConfWord {
  kind: 'word';
  name: string;
  line: number;
}
export interface ConfInclude {
  kind: 'include';
  path: string;
  optional: boolean;
  line: number;
}
export interface ConfSection {
  kind: 'section';
  name: string;
  /** The second name (`perl linotp {` → `linotp`; `Auth-Type scope1 {` → `scope1`), or a condition's text. */
  name2?: string;
  children: ConfItem[];
  line: number;
  /** Line of the closing brace. */
  endLine: number;
}
export type ConfItem = ConfPair | ConfWord | ConfInclude | ConfSection;

export interface ConfFile {
  file: string;
  items: ConfItem[];
}

const OPERATORS = [':=', '+=', '-=', '==', '!=', '>=', '<=', '=~', '!~', '=*', '!*', '=', '<', '>'];

interface Token {
  text: string;
  /** quote char for strings, '(' for a condition, '' for words/operators/braces. */
  quote: string;
  line: number;
  /** A newline ends the statement before this token. */
  newline: boolean;
  start: number;
  end: number;
}

class Lexer {
  private i = 0;
  private line = 1;
  private sawNewline = true;
  constructor(private readonly text: string, private readonly file: string) {}

  private fail(msg: string, line = this.line): never {
    throw new InputError(`${this.file}:${line}: ${msg}`, 'this is not a configuration FreeRADIUS reads; fix the file (radiusd -XC shows the same error) or give the right --freeradius directory');
  }

  get source(): string {
    return this.text;
  }

  next(): Token | undefined {
    const start = this.skip();
    if (start === undefined) return undefined;
    const tok = this.token();
    return { ...tok, start, end: this.i };
  }

  private skip(): number | undefined {
    const t = this.text;
    for (;;) {
      if (this.i >= t.length) return undefined;
      const c = t[this.i];
      if (c === '\n') {
        this.line++;
        this.i++;
        this.sawNewline = true;
      } else if (c === '\\' && (t[this.i + 1] === '\n' || (t[this.i + 1] === '\r' && t[this.i + 2] === '\n'))) {
        this.i += t[this.i + 1] === '\r' ? 3 : 2; // continuation: the statement goes on
        this.line++;
      } else if (c === ' ' || c === '\t' || c === '\r' || c === ',' || c === ';') {
        this.i++; // FreeRADIUS 2 allowed a trailing comma/semicolon after values
      } else if (c === '#') {
        while (this.i < t.length && t[this.i] !== '\n') this.i++;
      } else return this.i;
    }
  }

  private token(): Omit<Token, 'start' | 'end'> {
    const t = this.text;
    const newline = this.sawNewline;
    this.sawNewline = false;
    const line = this.line;
    const c = t[this.i];
    if (c === '{' || c === '}') {
      this.i++;
      return { text: c, quote: '', line, newline };
    }
    if (c === '"' || c === "'" || c === '`') return { text: this.quoted(c), quote: c, line, newline };
    if (c === '(') return { text: this.condition(), quote: '(', line, newline };
    for (const op of OPERATORS) {
      if (t.startsWith(op, this.i)) {
        this.i += op.length;
        return { text: op, quote: '', line, newline };
      }
    }
    const start = this.i;
    while (this.i < t.length && !/[\s{}#"'`(,;]/.test(t[this.i]) && !OPERATORS.some((op) => op !== '<' && op !== '>' && t.startsWith(op, this.i))) {
      if ((t[this.i] === '$' || t[this.i] === '%') && t[this.i + 1] === '{') this.reference();
      else this.i++;
    }
    if (this.i === start) this.fail(`unexpected character ${JSON.stringify(t[this.i])}`);
    return { text: t.slice(start, this.i), quote: '', line, newline };
  }

  /** `${confdir}`, `%{User-Name}` (nested) inside a bare word. */
  private reference(): void {
    let depth = 0;
    const line = this.line;
    for (this.i++; this.i < this.text.length; this.i++) {
      const c = this.text[this.i];
      if (c === '\n') this.fail('unterminated ${…} or %{…} reference', line);
      if (c === '{') depth++;
      else if (c === '}' && --depth === 0) {
        this.i++;
        return;
      }
    }
    this.fail('unterminated ${…} or %{…} reference', line);
  }

  private quoted(q: string): string {
    const startLine = this.line;
    let out = '';
    this.i++;
    for (;;) {
      if (this.i >= this.text.length) this.fail(`unterminated ${q}string`, startLine);
      const c = this.text[this.i];
      if (c === '\n') this.fail(`unterminated ${q}string (strings end on their line)`, startLine);
      if (c === '\\' && this.i + 1 < this.text.length) {
        const n = this.text[this.i + 1];
        out += q === '"' ? (n === 'n' ? '\n' : n === 't' ? '\t' : n === 'r' ? '\r' : n) : n === q || n === '\\' ? n : '\\' + n;
        this.i += 2;
        continue;
      }
      this.i++;
      if (c === q) return out;
      out += c;
    }
  }

  /** A parenthesised unlang condition, returned with its parentheses; quotes and /regex/ may hold any character. */
  private condition(): string {
    const startLine = this.line;
    const start = this.i;
    let depth = 0;
    let prevOp = '';
    while (this.i < this.text.length) {
      const c = this.text[this.i];
      if (c === '\n') this.line++;
      if (c === '"' || c === "'" || c === '`') {
        this.quoted(c);
        prevOp = '';
        continue;
      }
      if (c === '/' && (prevOp === '=~' || prevOp === '!~')) {
        this.i++;
        while (this.i < this.text.length && this.text[this.i] !== '/') {
          if (this.text[this.i] === '\n') this.fail('unterminated /regex/ in a condition', startLine);
          this.i += this.text[this.i] === '\\' ? 2 : 1;
        }
        this.i++;
        prevOp = '';
        continue;
      }
      if (this.text.startsWith('=~', this.i) || this.text.startsWith('!~', this.i)) {
        prevOp = this.text.slice(this.i, this.i + 2);
        this.i += 2;
        continue;
      }
      if (!/\s/.test(c)) prevOp = '';
      this.i++;
      if (c === '(') depth++;
      else if (c === ')' && --depth === 0) return this.text.slice(start, this.i);
    }
    this.fail('unterminated condition: a "(" is never closed', startLine);
  }
}

/** Parses one configuration file's text. */
export function parseConf(text: string, file: string): ConfFile {
  if (text.includes('\0')) throw new InputError(`${file}: binary data (NUL byte), not a FreeRADIUS configuration file`, 'give the FreeRADIUS configuration directory');
  const lex = new Lexer(text, file);
  const root: ConfSection = { kind: 'section', name: '', children: [], line: 0, endLine: 0 };
  const stack: ConfSection[] = [root];
  let pending: Token | undefined;
  const take = () => {
    const t = pending ?? lex.next();
    pending = undefined;
    return t;
  };
  const fail = (line: number, msg: string): never => {
    throw new InputError(`${file}:${line}: ${msg}`, 'this is not a configuration FreeRADIUS reads; fix the file (radiusd -XC shows the same error) or give the right --freeradius directory');
  };
  for (;;) {
    const first = take();
    if (!first) break;
    const top = stack[stack.length - 1];
    if (first.text === '}' && !first.quote) {
      if (stack.length === 1) fail(first.line, 'unexpected "}" (more closing than opening braces)');
      top.endLine = first.line;
      stack.pop();
      continue;
    }
    if (first.text === '{' && !first.quote) fail(first.line, 'a "{" without a section name');
    // The rest of the statement: tokens on the same line up to a brace.
    const rest: Token[] = [];
    for (;;) {
      const t = take();
      if (!t) break;
      if (t.newline || (t.text === '}' && !t.quote)) {
        pending = t;
        break;
      }
      rest.push(t);
      if (t.text === '{' && !t.quote) break;
    }
    const opensSection = rest.length > 0 && rest[rest.length - 1].text === '{' && !rest[rest.length - 1].quote;
    if (opensSection) {
      const args = rest.slice(0, -1);
      const sec: ConfSection = { kind: 'section', name: first.text, name2: args.length ? args.map((a) => a.text).join(' ') : undefined, children: [], line: first.line, endLine: 0 };
      top.children.push(sec);
      stack.push(sec);
      continue;
    }
    if (/^\$-?INCLUDE$/i.test(first.text)) {
      if (rest.length !== 1) fail(first.line, `${first.text} needs one path`);
      top.children.push({ kind: 'include', path: rest[0].text, optional: first.text.startsWith('$-'), line: first.line });
      continue;
    }
    if (rest.length === 0) {
      top.children.push({ kind: 'word', name: first.text, line: first.line });
      continue;
    }
    const op = rest[0];
    // The offending word is not quoted: it may be a secret (`secret testing123`).
    if (op.quote || !OPERATORS.includes(op.text)) fail(op.line, `expected an operator (= := …) after "${first.text}"`);
    const value = rest.slice(1);
    const quoted = value.length === 1 && value[0].quote !== '' && value[0].quote !== '(';
    top.children.push({
      kind: 'pair',
      key: first.text,
      op: op.text,
      // An unquoted value is the text as written (it may hold `=`, `:` …).
      value: quoted ? value[0].text : value.length ? lex.source.slice(value[0].start, value[value.length - 1].end) : '',
      quote: quoted ? value[0].quote : '',
      line: first.line,
    });
  }
  if (stack.length > 1) {
    const open = stack[stack.length - 1];
    fail(open.line, `section "${open.name}${open.name2 ? ' ' + open.name2 : ''}" is never closed (missing "}")`);
  }
  return { file, items: root.children };
}

/** Every section (depth first) satisfying `pred`, with its chain of enclosing sections. */
export function findSections(items: ConfItem[], pred: (s: ConfSection, parents: ConfSection[]) => boolean, parents: ConfSection[] = []): { section: ConfSection; parents: ConfSection[] }[] {
  const out: { section: ConfSection; parents: ConfSection[] }[] = [];
  for (const it of items) {
    if (it.kind !== 'section') continue;
    if (pred(it, parents)) out.push({ section: it, parents });
    out.push(...findSections(it.children, pred, [...parents, it]));
  }
  return out;
}

/** The last pair `key` directly inside a section (FreeRADIUS uses the first; duplicates are reported by the caller). */
export function pairOf(sec: ConfSection, key: string): ConfPair | undefined {
  return sec.children.find((c): c is ConfPair => c.kind === 'pair' && c.key === key);
}

/** Module references (bare words and nested group names) anywhere below a processing section. */
export function referencedNames(items: ConfItem[]): string[] {
  const out: string[] = [];
  for (const it of items) {
    if (it.kind === 'word') out.push(it.name);
    else if (it.kind === 'section') {
      // `perl { reject = 1 }` calls module perl with overridden actions; `if`/`Auth-Type` are groups.
      if (!it.name2 && !['if', 'elsif', 'else', 'update', 'group', 'redundant', 'load-balance', 'redundant-load-balance', 'switch', 'case', 'foreach', 'policy'].includes(it.name)) out.push(it.name);
      out.push(...referencedNames(it.children));
    }
  }
  return out;
}
