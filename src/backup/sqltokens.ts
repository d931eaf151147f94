/**
 * Tokens of one (comment-free) DDL statement of a dump, for the parsers in ddlparse.ts. Identifiers
 * come back unquoted; string literals with their escapes undone, in the statement's dialect
 * (MySQL backslash escapes; PostgreSQL standard strings and E''). Nothing here executes or trusts
 * anything: a token the parsers do not expect is a refusal.
 */
import type { Engine } from '../db/types.js';

export type TokenType = 'word' | 'ident' | 'string' | 'number' | 'punct';

export interface Token {
  type: TokenType;
  /** word: upper case; ident: the unquoted name; string: the decoded text; number/punct: as written. */
  value: string;
  /** word only: as written (an unquoted identifier keeps its spelling). */
  raw: string;
}

const ESC: Record<string, string> = { '0': '\0', n: '\n', r: '\r', t: '\t', b: '\b', Z: '\x1a' };

export class TokenError extends Error {}

export function tokenize(sql: string, dialect: Engine): Token[] {
  const out: Token[] = [];
  let i = 0;
  const n = sql.length;
  const quoted = (close: string, backslash: boolean): string => {
    let v = '';
    i++;
    for (;;) {
      if (i >= n) throw new TokenError('an unterminated quoted text');
      const c = sql[i];
      if (backslash && c === '\\') {
        const e = sql[i + 1] ?? '';
        v += ESC[e] ?? e;
        i += 2;
        continue;
      }
      if (c === close) {
        if (sql[i + 1] === close && close !== ']') {
          v += close;
          i += 2;
          continue;
        }
        i++;
        return v;
      }
      v += c;
      i++;
    }
  };
  while (i < n) {
    const c = sql[i];
    if (c === ' ' || c === '\n' || c === '\t' || c === '\r') {
      i++;
      continue;
    }
    if (c === "'") {
      out.push({ type: 'string', value: quoted("'", dialect === 'mysql'), raw: '' });
      continue;
    }
    if ((c === 'E' || c === 'e') && sql[i + 1] === "'" && dialect === 'postgres') {
      i++;
      out.push({ type: 'string', value: quoted("'", true), raw: '' });
      continue;
    }
    if (c === '`' && dialect !== 'postgres') {
      out.push({ type: 'ident', value: quoted('`', false), raw: '' });
      continue;
    }
    if (c === '"') {
      out.push({ type: 'ident', value: quoted('"', false), raw: '' });
      continue;
    }
    if (c === '[' && dialect === 'sqlite') {
      out.push({ type: 'ident', value: quoted(']', false), raw: '' });
      continue;
    }
    const num = /[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?(?![\w$])/y;
    num.lastIndex = i;
    const nm = (c >= '0' && c <= '9') || ((c === '-' || c === '+' || c === '.') && /[\d.]/.test(sql[i + 1] ?? '')) ? num.exec(sql) : null;
    if (nm) {
      out.push({ type: 'number', value: nm[0], raw: nm[0] });
      i += nm[0].length;
      continue;
    }
    const word = /[A-Za-z_\u0080-\uffff][\w$\u0080-\uffff]*/y;
    word.lastIndex = i;
    const wm = word.exec(sql);
    if (wm) {
      out.push({ type: 'word', value: wm[0].toUpperCase(), raw: wm[0] });
      i += wm[0].length;
      continue;
    }
    if (c === ':' && sql[i + 1] === ':') {
      out.push({ type: 'punct', value: '::', raw: '::' });
      i += 2;
      continue;
    }
    out.push({ type: 'punct', value: c, raw: c });
    i++;
  }
  return out;
}

/** A cursor over tokens with the small helpers the parsers need. */
export class Cursor {
  pos = 0;
  constructor(readonly tokens: Token[]) {}

  peek(k = 0): Token | undefined {
    return this.tokens[this.pos + k];
  }
  done(): boolean {
    return this.pos >= this.tokens.length;
  }
  next(): Token {
    const t = this.tokens[this.pos++];
    if (!t) throw new TokenError('the statement ends too early');
    return t;
  }
  /** Is the next token the keyword sequence `words` (consumed when it is)? */
  accept(...words: string[]): boolean {
    for (let k = 0; k < words.length; k++) {
      const t = this.tokens[this.pos + k];
      if (!t || t.type !== 'word' || t.value !== words[k]) return false;
    }
    this.pos += words.length;
    return true;
  }
  acceptPunct(p: string): boolean {
    const t = this.tokens[this.pos];
    if (t?.type === 'punct' && t.value === p) {
      this.pos++;
      return true;
    }
    return false;
  }
  expect(...words: string[]): void {
    if (!this.accept(...words)) throw new TokenError(`expected ${words.join(' ')} ${this.near()}`);
  }
  expectPunct(p: string): void {
    if (!this.acceptPunct(p)) throw new TokenError(`expected "${p}" ${this.near()}`);
  }
  /** An identifier: quoted, or an unquoted word (its spelling kept). */
  name(): string {
    const t = this.next();
    if (t.type === 'ident') return t.value;
    if (t.type === 'word') return t.raw;
    this.pos--;
    throw new TokenError(`expected a name ${this.near()}`);
  }
  /** `a` or `a.b` (or longer): the parts. */
  qualifiedName(): string[] {
    const parts = [this.name()];
    while (this.acceptPunct('.')) parts.push(this.name());
    return parts;
  }
  /** Describes where the cursor is, for messages. */
  near(): string {
    const t = this.tokens[this.pos];
    if (!t) return 'at the end of the statement';
    const shown = t.type === 'string' ? `'${t.value.slice(0, 20)}'` : t.type === 'ident' ? `"${t.value.slice(0, 30)}"` : (t.raw || t.value).slice(0, 30);
    return `near ${JSON.stringify(shown).slice(1, -1)}`;
  }
}
