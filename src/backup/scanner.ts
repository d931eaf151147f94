/**
 * Splits a SQL dump into statements at the byte level, without ever holding more than one statement:
 * `;` ends a statement only outside string literals, quoted identifiers and comments, with each
 * dialect's rules (MySQL backslash escapes and `#`/`-- ` comments, `/*!…*\/` executable comments;
 * PostgreSQL E'' strings, nested block comments, $tag$ quoting; SQLite [ident]).
 * Client commands are returned as `meta` lines, never glued to the next statement: a statement that
 * starts with `\` (psql, mysql), with a mysql client command word (`source`, `system`, `delimiter`,
 * `use` …; see MYSQL_CLIENT_COMMANDS) or with `.` (sqlite3 dot commands) ends at its line's end, as
 * the client reads it. `DELIMITER x` changes what ends a statement, as the mysql client does
 * (mariadb-dump's triggers and routines). A `\` outside literals inside a statement (a client command
 * in the middle of a line) is flagged (`clientEscape`) for the classifier to refuse.
 * PostgreSQL COPY data is read line by line with `readCopyLine()` after the COPY statement.
 * Bytes stay bytes: literals are decoded later, so binary data in a dump survives.
 */
import type { Engine } from '../db/types.js';
import { InputError } from '../errors.js';

export interface ScannedStatement {
  kind: 'sql' | 'meta';
  /** Statement bytes without the terminating `;` (meta: the whole line without the newline). */
  bytes: Buffer;
  /** 1-based line where the statement starts (for messages). */
  line: number;
  /** A `\` outside literals and comments inside the statement: a client command, not SQL. */
  clientEscape?: boolean;
}

/**
 * The mysql/mariadb client's named commands (client/mysql.cc `commands[]`): recognised at the start
 * of a statement, they end at the line's end without a `;`.
 */
export const MYSQL_CLIENT_COMMANDS = new Set(['?', 'clear', 'connect', 'delimiter', 'edit', 'ego', 'exit', 'go', 'help', 'nopager', 'notee', 'nowarning', 'pager', 'print', 'prompt', 'quit', 'rehash', 'source', 'status', 'system', 'tee', 'use', 'charset', 'warnings', 'resetconnection', 'query_attributes', 'sandbox']);

const enum S {
  Normal,
  Single,
  Double,
  Backtick,
  Bracket,
  LineComment,
  BlockComment,
  Dollar,
}

const SEMI = 0x3b, NL = 0x0a, QUOTE = 0x27, DQUOTE = 0x22, BACKTICK = 0x60, BSL = 0x5c, DASH = 0x2d, HASH = 0x23, SLASH = 0x2f, STAR = 0x2a, DOLLAR = 0x24, LBRACK = 0x5b, RBRACK = 0x5d, BANG = 0x21;

/**
 * Bytes the statement scanner must look at one by one outside strings and comments once a statement
 * has begun (quotes, comment and dollar-quote starts, backslashes, newlines, the delimiter's first
 * byte); every other byte there only continues the statement. Numbers, commas and parentheses between
 * an extended INSERT's strings are a quarter of a mysqldump's bytes.
 */
function specialBytes(delimiter: Buffer): Uint8Array {
  const t = new Uint8Array(256);
  for (const b of [NL, QUOTE, DQUOTE, BACKTICK, BSL, DASH, HASH, SLASH, DOLLAR, LBRACK, delimiter[0]]) t[b] = 1;
  return t;
}

function isSpace(b: number): boolean {
  return b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d;
}
function isIdent(b: number): boolean {
  return (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || b === 0x5f || b >= 0x80;
}

/**
 * Largest statement accepted (mysqldump splits extended INSERTs at net_buffer_length, ~1 MB; the
 * server's max_allowed_packet is 16–64 MB by default). Bounds memory to about three times this.
 */
export const MAX_STATEMENT = 64 << 20;

export class SqlScanner {
  private buf: Buffer = Buffer.alloc(0);
  /** The allocation `buf` is the start of (see more()). */
  private store: Buffer = this.buf;
  private pos = 0;
  private eof = false;
  private readonly it: AsyncIterator<Buffer>;
  line = 1;
  /** Bytes consumed so far (for progress). */
  consumed = 0;
  /** What ends a statement (mysql `DELIMITER`); `;` unless a dump changes it. */
  private delimiter: Buffer = Buffer.from(';');
  private special = specialBytes(this.delimiter);
  /**
   * Positions in `buf` of the next backslash / newline at or after some earlier `pos` (-1 >>> 0 when
   * there is none: larger than any position); -1 = not known. Forgotten whenever `buf` changes.
   */
  private nextBackslash = -1;
  private nextNewline = -1;

  constructor(
    source: AsyncIterable<Buffer>,
    readonly dialect: Engine,
    private readonly where: string,
  ) {
    this.it = source[Symbol.asyncIterator]();
  }

  /**
   * Loads more input, keeping bytes from `keepFrom` on. Returns false at end of input.
   * `buf` is always `store.subarray(0, n)`: a statement growing over many chunks is appended into
   * spare capacity (doubling), so reading it costs time and memory linear in its size. Bytes before
   * `buf.length` are never overwritten: callers may still hold views of them.
   */
  private async more(keepFrom: number): Promise<boolean> {
    if (this.eof) return false;
    if (this.buf.length - keepFrom > MAX_STATEMENT) {
      // Memory stays bounded whatever the dump: one statement is held at a time, and it must be sane.
      throw new InputError(`${this.where}: a statement starting at line ${this.line} is larger than ${MAX_STATEMENT >> 20} MB`, 'this is not a dump mysqldump/mariadb-dump or pg_dump writes with their defaults (extended INSERTs are split at about 1 MB)');
    }
    const r = await this.it.next();
    if (r.done) {
      this.eof = true;
      return false;
    }
    const chunk = r.value;
    this.consumed += chunk.length;
    this.nextBackslash = -1;
    this.nextNewline = -1;
    const restLen = this.buf.length - keepFrom;
    if (restLen === 0) {
      this.store = chunk;
      this.buf = chunk;
    } else if (keepFrom === 0 && this.store.length - this.buf.length >= chunk.length) {
      chunk.copy(this.store, this.buf.length);
      this.buf = this.store.subarray(0, this.buf.length + chunk.length);
    } else {
      const need = restLen + chunk.length;
      const store = Buffer.allocUnsafe(keepFrom === 0 ? need * 2 : need);
      this.buf.copy(store, 0, keepFrom);
      chunk.copy(store, restLen);
      this.store = store;
      this.buf = store.subarray(0, need);
    }
    this.pos -= keepFrom;
    return true;
  }

  /** The next line (without `\n`), for COPY data; null at end of input. */
  async readCopyLine(): Promise<Buffer | null> {
    for (;;) {
      const nl = this.buf.indexOf(NL, this.pos);
      if (nl >= 0) {
        let end = nl;
        if (end > this.pos && this.buf[end - 1] === 0x0d) end--;
        const out = this.buf.subarray(this.pos, end);
        this.pos = nl + 1;
        this.line++;
        return out;
      }
      if (!(await this.more(this.pos))) {
        if (this.pos < this.buf.length) {
          const out = this.buf.subarray(this.pos);
          this.pos = this.buf.length;
          return out;
        }
        return null;
      }
    }
  }

  /**
   * Whole COPY data lines (each ending in its `\n`) from the current position, about `maxBytes` at a
   * time, up to the end marker line `\.`, which is consumed (`ended`). The bytes are returned as
   * they are, for checksumming and loading without parsing. null: the input ended without a marker.
   */
  async readCopyBlock(maxBytes: number): Promise<{ data: Buffer; lines: number; ended: boolean } | null> {
    for (;;) {
      const buf = this.buf;
      let p = this.pos;
      let lines = 0;
      while (p - this.pos < maxBytes) {
        const nl = buf.indexOf(NL, p);
        if (nl < 0) break;
        const len = nl - p;
        if (buf[p] === BSL && buf[p + 1] === 0x2e && (len === 2 || (len === 3 && buf[p + 2] === 0x0d))) {
          const data = buf.subarray(this.pos, p);
          this.pos = nl + 1;
          this.line += lines + 1;
          return { data, lines, ended: true };
        }
        lines++;
        p = nl + 1;
      }
      if (lines) {
        const data = buf.subarray(this.pos, p);
        this.pos = p;
        this.line += lines;
        return { data, lines, ended: false };
      }
      if (!(await this.more(this.pos))) {
        // A last line without its newline: only the end marker is acceptable there.
        const rest = this.buf.subarray(this.pos);
        if (rest.length === 2 && rest[0] === BSL && rest[1] === 0x2e) {
          this.pos = this.buf.length;
          return { data: rest.subarray(0, 0), lines: 0, ended: true };
        }
        return null;
      }
    }
  }

  /** `DELIMITER x` (mysql client): x, up to the first space, ends statements from now on. */
  private setDelimiter(line: Buffer): void {
    const arg = /^(?:delimiter|\\d)\s+(\S+)/i.exec(line.toString('latin1'))?.[1];
    if (!arg || arg.includes('\\') || /['"`]/.test(arg)) throw new InputError(`${this.where} line ${this.line - 1}: DELIMITER needs one delimiter without quotes or backslashes`, 'the dump is damaged');
    this.delimiter = Buffer.from(arg, 'latin1');
    this.special = specialBytes(this.delimiter);
  }

  async next(): Promise<ScannedStatement | null> {
    const d = this.dialect;
    let state = S.Normal;
    let depth = 0;
    let dollarTag: Buffer | undefined;
    let start = this.pos;
    let hasContent = false;
    let startLine = this.line;
    let escapes = false; // backslash escapes inside the current string
    let clientEscape = false;
    for (;;) {
      if (this.pos >= this.buf.length) {
        if (!(await this.more(start))) {
          start = Math.min(start, this.buf.length);
          if (state !== S.Normal && state !== S.LineComment) {
            throw new InputError(`${this.where} ends inside a ${state === S.BlockComment ? 'comment' : 'quoted string'} (statement starting at line ${startLine}): the dump is truncated`, 'make the dump again, or copy the complete file');
          }
          const rest = this.buf.subarray(start);
          this.pos = this.buf.length;
          if (hasContent) return { kind: 'sql', bytes: rest, line: startLine, clientEscape };
          return null;
        }
        start = 0;
      }
      const b = this.buf[this.pos];
      switch (state) {
        case S.Normal: {
          if (hasContent && this.special[b] === 0) {
            // Fast path: a run of bytes that only continue the statement (specialBytes).
            const buf = this.buf;
            const special = this.special;
            let p = this.pos + 1;
            while (p < buf.length && special[buf[p]] === 0) p++;
            this.pos = p;
            continue;
          }
          if (b === this.delimiter[0]) {
            const dl = this.delimiter.length;
            if (dl > 1 && this.pos + dl > this.buf.length && !this.eof) {
              if (await this.more(start)) start = 0;
              continue;
            }
            if (dl === 1 || this.buf.subarray(this.pos, this.pos + dl).equals(this.delimiter)) {
              const bytes = this.buf.subarray(start, this.pos);
              this.pos += dl;
              if (hasContent) return { kind: 'sql', bytes, line: startLine, clientEscape };
              start = this.pos;
              startLine = this.line;
              continue;
            }
          }
          if (b === NL) this.line++;
          if (!hasContent && isSpace(b)) {
            this.pos++;
            start = this.pos;
            startLine = this.line;
            continue;
          }
          if (!hasContent && (b === BSL || (d === 'sqlite' && b === 0x2e) || (d === 'mysql' && (isIdent(b) || b === 0x3f)))) {
            // a client command (psql/mysql `\…`, sqlite3 `.…`, mysql `source …`): the rest of the line
            while (this.pos + 40 > this.buf.length && !this.eof) if (await this.more(start)) start = 0;
            const word = /^[\w?]+/.exec(this.buf.toString('latin1', this.pos, this.pos + 40))?.[0].toLowerCase();
            if (b === BSL || b === 0x2e || (word !== undefined && MYSQL_CLIENT_COMMANDS.has(word))) {
              let nl = this.buf.indexOf(NL, this.pos);
              while (nl < 0 && (await this.more(start))) {
                start = 0;
                nl = this.buf.indexOf(NL, this.pos);
              }
              const end = nl < 0 ? this.buf.length : nl;
              const bytes = this.buf.subarray(this.pos, end);
              this.pos = nl < 0 ? end : end + 1;
              const line = this.line;
              this.line++;
              if (d === 'mysql' && (word === 'delimiter' || /^\\d\s/.test(bytes.toString('latin1', 0, 3)))) this.setDelimiter(bytes);
              return { kind: 'meta', bytes, line };
            }
          }
          if (b === BSL && (d === 'mysql' || d === 'postgres')) clientEscape = true;
          // two-byte lookahead for comment starts
          if ((b === DASH || b === SLASH || b === DOLLAR) && this.pos + 2 >= this.buf.length && !this.eof) {
            if (await this.more(start)) start = 0;
            continue;
          }
          const n1 = this.buf[this.pos + 1];
          if (b === DASH && n1 === DASH && (d !== 'mysql' || this.pos + 2 >= this.buf.length || isSpace(this.buf[this.pos + 2]))) {
            state = S.LineComment;
            this.pos += 2;
            continue;
          }
          if (b === HASH && d === 'mysql') {
            state = S.LineComment;
            this.pos++;
            continue;
          }
          if (b === SLASH && n1 === STAR) {
            // MySQL /*!…*/ and /*M!…*/ hold SQL: scanned as statement text, not skipped.
            const n2 = this.buf[this.pos + 2];
            // MariaDB's sandbox marker `/*M!999999\- …*/` holds the client command `\-` for new clients: a comment here.
            const sandbox = d === 'mysql' && this.buf.toString('latin1', this.pos, this.pos + 12) === '/*M!999999\\-';
            if (d === 'mysql' && !sandbox && (n2 === BANG || (n2 === 0x4d && this.buf[this.pos + 3] === BANG))) {
              hasContent = true;
              this.pos += 2;
              continue;
            }
            state = S.BlockComment;
            depth = 1;
            this.pos += 2;
            continue;
          }
          hasContent = true;
          if (b === QUOTE) {
            state = S.Single;
            const p = this.buf[this.pos - 1];
            const p2 = this.pos >= 2 ? this.buf[this.pos - 2] : 0x20;
            escapes = d === 'mysql' || (d === 'postgres' && (p === 0x45 || p === 0x65) && !isIdent(p2));
          } else if (b === DQUOTE) {
            state = S.Double;
            escapes = d === 'mysql';
          } else if (b === BACKTICK && d !== 'postgres') state = S.Backtick;
          else if (b === LBRACK && d === 'sqlite') state = S.Bracket;
          else if (b === DOLLAR && d === 'postgres' && !isIdent(this.buf[this.pos - 1] ?? 0x20)) {
            let end = this.pos + 1;
            for (;;) {
              while (end < this.buf.length && isIdent(this.buf[end]) && this.buf[end] < 0x80) end++;
              if (end < this.buf.length || this.eof) break;
              if (await this.more(start)) start = 0;
              end = this.pos + 1;
            }
            if (this.buf[end] === DOLLAR && !(this.buf[this.pos + 1] >= 0x30 && this.buf[this.pos + 1] <= 0x39)) {
              dollarTag = Buffer.from(this.buf.subarray(this.pos, end + 1));
              state = S.Dollar;
              this.pos = end + 1;
              continue;
            }
          }
          this.pos++;
          continue;
        }
        case S.Single:
        case S.Double:
        case S.Backtick:
        case S.Bracket: {
          const close = state === S.Single ? QUOTE : state === S.Double ? DQUOTE : state === S.Backtick ? BACKTICK : RBRACK;
          // Fast path: jump to the next quote or backslash (most dump bytes are inside strings). The
          // next backslash and newline are remembered until passed (no search to the end of the
          // buffer per string, no view allocated per string).
          if (b !== close && b !== BSL && b !== NL) {
            const buf = this.buf;
            const nq = buf.indexOf(close, this.pos);
            let next = nq < 0 ? buf.length : nq;
            if (escapes) {
              if (this.nextBackslash < this.pos) this.nextBackslash = buf.indexOf(BSL, this.pos) >>> 0;
              if (this.nextBackslash < next) next = this.nextBackslash;
            }
            if (this.nextNewline < this.pos) this.nextNewline = buf.indexOf(NL, this.pos) >>> 0;
            while (this.nextNewline < next) {
              this.line++;
              this.nextNewline = buf.indexOf(NL, this.nextNewline + 1) >>> 0;
            }
            this.pos = next;
            continue;
          }
          if (b === NL) this.line++;
          if (escapes && b === BSL && state !== S.Backtick) {
            if (this.pos + 1 >= this.buf.length && !this.eof) {
              if (await this.more(start)) start = 0;
              continue;
            }
            if (this.buf[this.pos + 1] === NL) this.line++;
            this.pos += 2;
            continue;
          }
          if (b === close) {
            if (close !== RBRACK) {
              if (this.pos + 1 >= this.buf.length && !this.eof) {
                if (await this.more(start)) start = 0;
                continue;
              }
              if (this.buf[this.pos + 1] === close) {
                this.pos += 2;
                continue;
              }
            }
            state = S.Normal;
          }
          this.pos++;
          continue;
        }
        case S.LineComment: {
          const nl = this.buf.indexOf(NL, this.pos);
          if (nl < 0) {
            this.pos = this.buf.length;
            continue;
          }
          this.pos = nl + 1;
          this.line++;
          state = S.Normal;
          if (!hasContent) {
            start = this.pos;
            startLine = this.line;
          }
          continue;
        }
        case S.BlockComment: {
          if (b === NL) this.line++;
          if (this.pos + 1 >= this.buf.length && !this.eof) {
            if (await this.more(start)) start = 0;
            continue;
          }
          if (b === STAR && this.buf[this.pos + 1] === SLASH) {
            depth--;
            this.pos += 2;
            if (depth === 0 || d !== 'postgres') {
              state = S.Normal;
              if (!hasContent) {
                start = this.pos;
                startLine = this.line;
              }
            }
            continue;
          }
          if (d === 'postgres' && b === SLASH && this.buf[this.pos + 1] === STAR) {
            depth++;
            this.pos += 2;
            continue;
          }
          this.pos++;
          continue;
        }
        case S.Dollar: {
          const i = this.buf.indexOf(dollarTag!, this.pos);
          if (i < 0) {
            // keep enough bytes for a tag split across chunks
            const keep = Math.max(this.pos, this.buf.length - dollarTag!.length);
            for (let k = this.pos; k < keep; k++) if (this.buf[k] === NL) this.line++;
            this.pos = keep;
            if (await this.more(start)) start = 0;
            continue;
          }
          for (let k = this.pos; k < i; k++) if (this.buf[k] === NL) this.line++;
          this.pos = i + dollarTag!.length;
          state = S.Normal;
          continue;
        }
      }
    }
  }
}
