/**
 * One access-log line → client, instant, method, target, status. Handles Apache `common`,
 * `combined` and `vhost_combined`, and nginx's default `combined` (same fields as Apache's).
 * Hand-written scanning instead of one big regex: it is several times faster on millions of lines
 * and lets each failure say what was wrong.
 */

export type LogFormat = 'auto' | 'apache' | 'nginx';
export const LOG_FORMATS: readonly LogFormat[] = ['auto', 'apache', 'nginx'];
export type Layout = 'common' | 'combined' | 'vhost_combined';

export interface LogRequest {
  kind: 'request';
  client: string;
  /** Epoch milliseconds (UTC; the line's own offset applied). */
  time: number;
  method: string;
  target: string;
  status: number;
  layout: Layout;
}

/** A well-formed line whose request field is not an HTTP request (`"-"` on timeouts, TLS bytes on port 80). */
export interface LogNonRequest {
  kind: 'noRequest' | 'invalidRequest';
  client: string;
  time: number;
  status: number;
  layout: Layout;
}

export interface LogMalformed {
  kind: 'malformed';
  reason: string;
}

export type ParsedLine = LogRequest | LogNonRequest | LogMalformed;

/** Month abbreviations keyed by their three character codes packed into one number (no string hashing per line). */
const MONTHS = new Map<number, number>(
  ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'].map((m, i) => [monthKey(m, 0), i]),
);

function monthKey(s: string, at: number): number {
  return (s.charCodeAt(at) << 16) | (s.charCodeAt(at + 1) << 8) | s.charCodeAt(at + 2);
}

function num(s: string, from: number, len: number): number {
  let v = 0;
  for (let i = from; i < from + len; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return NaN;
    v = v * 10 + d;
  }
  return v;
}

const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm; Date.UTC is slower per line). */
function daysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** `10/Oct/2000:13:55:36 -0700` → epoch ms in UTC, or NaN. */
export function parseLogTime(s: string): number {
  if (s.length !== 26 || s.charCodeAt(2) !== 47 || s.charCodeAt(6) !== 47 || s.charCodeAt(11) !== 58 || s.charCodeAt(14) !== 58
    || s.charCodeAt(17) !== 58 || s.charCodeAt(20) !== 32) return NaN;
  const day = num(s, 0, 2);
  const month = MONTHS.get(monthKey(s, 3));
  const year = num(s, 7, 4);
  const hour = num(s, 12, 2);
  const minute = num(s, 15, 2);
  const second = num(s, 18, 2);
  const sc = s.charCodeAt(21);
  const sign = sc === 43 ? 1 : sc === 45 ? -1 : 0;
  const oh = num(s, 22, 2);
  const om = num(s, 24, 2);
  if (month === undefined || !sign || !(hour <= 23) || !(minute <= 59) || !(second <= 60) || !(oh <= 23) || !(om <= 59) || Number.isNaN(year)) return NaN;
  // 31/Feb would roll over into March in Date.UTC; such a line is malformed, not a date in March.
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  if (!(day >= 1 && day <= (month === 1 && !leap ? 28 : DAYS_IN_MONTH[month]))) return NaN;
  return ((daysFromCivil(year, month + 1, day) * 24 + hour) * 60 + minute - sign * (oh * 60 + om)) * 60_000 + second * 1000;
}

/**
 * Undo the log's escaping: Apache writes `\"`, `\\` and `\xHH` (every byte outside printable ASCII);
 * nginx writes `\xHH` only (`nginx: true`). Escaped bytes are UTF-8, so `\xc3\xbc` becomes `ü`;
 * bytes that are not UTF-8 become U+FFFD (such requests are binary garbage anyway).
 */
export function unescapeLogString(s: string, nginx = false): string {
  if (!s.includes('\\')) return s;
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 92 && s[i + 1] === 'x' && /^[0-9A-Fa-f]{2}$/.test(s.slice(i + 2, i + 4))) {
      bytes.push(parseInt(s.slice(i + 2, i + 4), 16));
      i += 3;
    } else if (c === 92 && !nginx && i + 1 < s.length) {
      const e = s[++i];
      bytes.push(e === 'n' ? 10 : e === 't' ? 9 : e.charCodeAt(0));
    } else if (c < 128) {
      bytes.push(c);
    } else {
      const cp = s.codePointAt(i)!;
      if (cp > 0xffff) i++;
      bytes.push(...Buffer.from(String.fromCodePoint(cp), 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** Index of the quote closing a string that starts at `from`, skipping backslash escapes; -1 if none. */
function closingQuote(line: string, from: number): number {
  let i = from;
  for (;;) {
    const q = line.indexOf('"', i);
    if (q < 0) return -1;
    let backslashes = 0;
    for (let j = q - 1; j >= from && line.charCodeAt(j) === 92; j--) backslashes++;
    if (backslashes % 2 === 0) return q;
    i = q + 1;
  }
}

const VHOST = /^[A-Za-z0-9._-]+:\d+$/;

export class LineParser {
  private lastTimeText = '';
  private lastTime = NaN;

  constructor(private readonly format: LogFormat) {}

  parse(line: string): ParsedLine {
    const lb = line.indexOf(' [');
    if (lb <= 0) return { kind: 'malformed', reason: 'no [timestamp] field' };
    // "host ident user" before the timestamp, or "vhost:port host ident user" (vhost_combined).
    const sp1 = line.indexOf(' ');
    const sp2 = sp1 < lb ? line.indexOf(' ', sp1 + 1) : -1;
    if (sp1 <= 0 || sp2 < 0 || sp2 >= lb) return { kind: 'malformed', reason: 'expected "host ident user" before the timestamp' };
    let client: string;
    let layout: Layout = 'common';
    const sp3 = line.indexOf(' ', sp2 + 1);
    if (sp3 < lb && sp3 > 0 && VHOST.test(line.slice(0, sp1))) {
      client = line.slice(sp1 + 1, sp2);
      layout = 'vhost_combined';
    } else {
      client = line.slice(0, sp1); // more fields: a user name with spaces, or an X-Forwarded-For list
    }
    // `%{X-Forwarded-For}i` in place of %h logs "client, proxy1, proxy2": the first is the client.
    if (client.charCodeAt(client.length - 1) === 44) client = client.slice(0, -1);
    if (!client || client === '-') return { kind: 'malformed', reason: 'no client address' };

    const rb = line.indexOf(']', lb + 2);
    if (rb < 0) return { kind: 'malformed', reason: 'unterminated [timestamp]' };
    const timeText = line.slice(lb + 2, rb);
    // Busy servers log many requests per second; a Map cache costs more than it saves here.
    let time: number;
    if (timeText === this.lastTimeText) time = this.lastTime;
    else {
      time = parseLogTime(timeText);
      this.lastTimeText = timeText;
      this.lastTime = time;
    }
    if (Number.isNaN(time)) return { kind: 'malformed', reason: 'invalid timestamp' };

    if (line.charCodeAt(rb + 1) !== 32 || line.charCodeAt(rb + 2) !== 34) return { kind: 'malformed', reason: 'no quoted request after the timestamp' };
    const rq = closingQuote(line, rb + 3);
    if (rq < 0) return { kind: 'malformed', reason: 'unterminated request field' };

    // ` <status> <bytes>` then nothing (common) or ` "referer" "agent"` (combined; extra fields tolerated).
    if (line.charCodeAt(rq + 1) !== 32) return { kind: 'malformed', reason: 'no status after the request' };
    const s1 = line.indexOf(' ', rq + 2);
    if (s1 < 0) return { kind: 'malformed', reason: 'no byte count after the status' };
    const status = s1 - (rq + 2) === 3 ? num(line, rq + 2, 3) : NaN;
    if (Number.isNaN(status) || status < 100) return { kind: 'malformed', reason: 'invalid status code' };
    let s2 = line.indexOf(' ', s1 + 1);
    if (s2 < 0) s2 = line.length;
    if (!isByteCount(line, s1 + 1, s2)) return { kind: 'malformed', reason: 'invalid byte count' };
    if (s2 < line.length) {
      if (line.charCodeAt(s2 + 1) !== 34) return { kind: 'malformed', reason: 'unexpected text after the byte count' };
      if (layout === 'common') layout = 'combined';
    } else if (layout === 'vhost_combined') {
      return { kind: 'malformed', reason: 'vhost line without referer and user agent' };
    }
    if (this.format === 'nginx' && layout !== 'combined') return { kind: 'malformed', reason: `not nginx "combined" format (looks like ${layout})` };

    // Escapes are rare (binary garbage, odd paths): only then is the request copied and unescaped.
    const bs = line.indexOf('\\', rb + 3);
    if (bs >= 0 && bs < rq) {
      const request = unescapeLogString(line.slice(rb + 3, rq), this.format === 'nginx');
      return splitRequest(request, 0, request.length, client, time, status, layout);
    }
    return splitRequest(line, rb + 3, rq, client, time, status, layout);
  }
}

/** `METHOD SP target [SP HTTP/x.y]` inside `s[from, to)`. */
function splitRequest(s: string, from: number, to: number, client: string, time: number, status: number, layout: Layout): ParsedLine {
  if (to === from || (to === from + 1 && s.charCodeAt(from) === 45)) return { kind: 'noRequest', client, time, status, layout };
  const sp = s.indexOf(' ', from);
  if (sp <= from || sp >= to || !isToken(s, from, sp)) return { kind: 'invalidRequest', client, time, status, layout };
  let end = to;
  const lastSp = s.lastIndexOf(' ', to - 1);
  if (lastSp > sp && s.startsWith('HTTP/', lastSp + 1)) end = lastSp;
  // A target never contains a space; one that does is not a request LinOTP could have served.
  const inner = s.indexOf(' ', sp + 1);
  if (end === sp + 1 || (inner >= 0 && inner < end)) return { kind: 'invalidRequest', client, time, status, layout };
  return { kind: 'request', client, time, method: s.slice(from, sp), target: s.slice(sp + 1, end), status, layout };
}

/** A method name: a letter, then letters, digits, `-` or `_`. */
function isToken(s: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i) | 0x20; // lower-case letters
    const letter = c >= 97 && c <= 122;
    if (letter) continue;
    if (i === from) return false;
    const ch = s.charCodeAt(i);
    if (!((ch >= 48 && ch <= 57) || ch === 45 || ch === 95)) return false;
  }
  return true;
}


/** `-` or digits between `from` and `to`. */
function isByteCount(line: string, from: number, to: number): boolean {
  if (to === from + 1 && line.charCodeAt(from) === 45) return true;
  if (to <= from) return false;
  for (let i = from; i < to; i++) {
    const d = line.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return false;
  }
  return true;
}
