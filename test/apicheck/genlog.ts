/**
 * Generates access logs with known content for the api-check tests: the generator keeps its own
 * tally of what it wrote (computed independently of the parser), so the report must match exactly.
 */
export type GenFormat = 'apache-combined' | 'apache-common' | 'apache-vhost' | 'nginx';

export interface GenOptions {
  seed: number;
  lines: number;
  formats: GenFormat[];
  /** Prefixes put in front of LinOTP paths ('' = none). */
  prefixes?: string[];
  /** Offsets in minutes east of UTC used for the timestamps. */
  offsets?: number[];
  clients?: string[];
  /** Probability of a malformed line, a blank line, a non-API request. */
  malformedRate?: number;
  blankRate?: number;
  noiseRate?: number;
  start?: number;
}

export interface Expected {
  lines: number;
  blank: number;
  malformed: number;
  requests: number;
  apiCalls: number;
  notApi: { noRequest: number; invalidRequest: number; staticFiles: number; unknownPath: number; outsidePrefix: number };
  groups: Map<string, { endpoint: string; method: string; verdict: string; count: number; clients: Map<string, number>; first: number; last: number }>;
  prefixes: Map<string, number>;
  first: number;
  last: number;
}

/** A call as written in the log, and what api-check must make of it. */
interface Call {
  method: string;
  path: string;
  endpoint: string;
  verdict: 'rejected' | 'deprecated' | 'ok';
  /** What LinOTP 2 answered (default 200). */
  status?: number;
}

export const CALLS: Call[] = [
  { method: 'GET', path: '/validate/check?user=alice&pass=1234567890', endpoint: 'validate/check', verdict: 'deprecated' },
  { method: 'POST', path: '/validate/check', endpoint: 'validate/check', verdict: 'ok' },
  { method: 'GET', path: '/validate/simplecheck?user=bob&pass=secret', endpoint: 'validate/simplecheck', verdict: 'deprecated' },
  { method: 'GET', path: '/admin/init?type=hmac&serial=OATH0001&otpkey=3132', endpoint: 'admin/init', verdict: 'rejected' },
  { method: 'POST', path: '/admin/init', endpoint: 'admin/init', verdict: 'ok' },
  { method: 'GET', path: '/admin/show?serial=OATH0001', endpoint: 'admin/show', verdict: 'ok' },
  { method: 'POST', path: '/admin/show', endpoint: 'admin/show', verdict: 'deprecated' },
  { method: 'GET', path: '/admin/set%50in?serial=X&pin=1', endpoint: 'admin/setPin', verdict: 'rejected' },
  { method: 'HEAD', path: '/admin/remove?serial=X', endpoint: 'admin/remove', verdict: 'rejected' },
  { method: 'OPTIONS', path: '/admin/remove', endpoint: 'admin/remove', verdict: 'ok' },
  { method: 'PUT', path: '/admin/show', endpoint: 'admin/show', verdict: 'rejected' },
  { method: 'GET', path: '/system/setConfig?key=x&value=1', endpoint: 'system/setConfig', verdict: 'rejected' },
  { method: 'GET', path: '/system/getConfig', endpoint: 'system/getConfig', verdict: 'ok' },
  { method: 'POST', path: '/userservice/history', endpoint: 'userservice/history', verdict: 'deprecated' },
  { method: 'GET', path: '/userservice/history?page=1', endpoint: 'userservice/history', verdict: 'ok' },
  { method: 'GET', path: '/userservice/login?login=alice%40realm&password=x', endpoint: 'userservice/login', verdict: 'deprecated' },
  { method: 'POST', path: '/userservice/login', endpoint: 'userservice/login', verdict: 'ok' },
  { method: 'GET', path: '/userservice/enroll?type=hmac', endpoint: 'userservice/enroll', verdict: 'rejected' },
  { method: 'GET', path: '/ocra/checkstatus?transactionid=1', endpoint: 'ocra/checkstatus', verdict: 'rejected' },
  { method: 'GET', path: '/validate', endpoint: 'validate/', verdict: 'rejected' },
  { method: 'GET', path: '/manage/', endpoint: 'manage/', verdict: 'ok' },
  { method: 'GET', path: '/tools/setPassword', endpoint: 'tools/setPassword', verdict: 'rejected' },
  { method: 'POST', path: '/admin/getsession', endpoint: 'admin/getsession', verdict: 'rejected' },
  { method: 'GET', path: '/admin/config.php', endpoint: 'admin/config.php', verdict: 'ok', status: 404 },
  { method: 'GET', path: '/ocra/request', endpoint: 'ocra/request', verdict: 'ok', status: 404 },
  { method: 'GET', path: '/admin/init?x=1', endpoint: 'admin/init', verdict: 'rejected', status: 404 },
  { method: 'GET', path: '/validate/check%3Fuser=x', endpoint: 'validate/check?user=x', verdict: 'rejected' },
];

const NOISE = [
  { request: 'GET /manage/js/linotp.js HTTP/1.1', kind: 'staticFiles' },
  { request: 'GET /favicon.ico HTTP/1.1', kind: 'staticFiles' },
  { request: 'GET /server-status HTTP/1.1', kind: 'unknownPath' },
  { request: 'GET / HTTP/1.1', kind: 'unknownPath' },
  { request: '-', kind: 'noRequest' },
  { request: '\\x16\\x03\\x01\\x02\\x00', kind: 'invalidRequest' },
] as const;

const MALFORMED = [
  'this is not an access log line',
  '10.1.1.1 - - [31/Feb/2025:10:00:00 +0000] "GET /validate/check HTTP/1.1" 200 5',
  '10.1.1.1 - - [01/Mar/2025:10:00:00 +0000] "GET /validate/check HTTP/1.1',
  '10.1.1.1 - - [01/Mar/2025:10:00:00 +0000] "GET /validate/check HTTP/1.1" abc 5',
  '10.1.1.1 - - [01/Mar/2025:10:00:00] "GET /validate/check HTTP/1.1" 200 5',
  '[01/Mar/2025:10:00:00 +0000] "GET /admin/init HTTP/1.1" 200 5',
];

export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const MON = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const p2 = (n: number) => String(n).padStart(2, '0');

export function formatLogTime(utcMs: number, offsetMin: number): string {
  const d = new Date(utcMs + offsetMin * 60_000);
  const sign = offsetMin < 0 ? '-' : '+';
  const o = Math.abs(offsetMin);
  return `${p2(d.getUTCDate())}/${MON[d.getUTCMonth()]}/${d.getUTCFullYear()}:${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())} ${sign}${p2(Math.floor(o / 60))}${p2(o % 60)}`;
}

function emptyExpected(): Expected {
  return {
    lines: 0, blank: 0, malformed: 0, requests: 0, apiCalls: 0,
    notApi: { noRequest: 0, invalidRequest: 0, staticFiles: 0, unknownPath: 0, outsidePrefix: 0 },
    groups: new Map(), prefixes: new Map(), first: Infinity, last: -Infinity,
  };
}

/** Yields lines (without newline) and fills `expected` as it goes; `expected` may be shared across files. */
export function* generateLines(o: GenOptions, expected: Expected = emptyExpected()): Generator<string, Expected> {
  const rnd = mulberry32(o.seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
  const clients = o.clients ?? ['192.0.2.10', '192.0.2.11', '198.51.100.7', '2001:db8::1', '203.0.113.99'];
  const offsets = o.offsets ?? [0, 60, 120, -300, 330];
  const prefixes = o.prefixes ?? [''];
  let t = o.start ?? Date.UTC(2025, 2, 1, 0, 0, 0);
  for (let i = 0; i < o.lines; i++) {
    expected.lines++;
    t += Math.floor(rnd() * 4) * 1000; // log timestamps have whole seconds
    const r = rnd();
    if (r < (o.blankRate ?? 0)) {
      expected.blank++;
      yield '';
      continue;
    }
    if (r < (o.blankRate ?? 0) + (o.malformedRate ?? 0)) {
      expected.malformed++;
      yield pick(MALFORMED);
      continue;
    }
    const fmt = pick(o.formats);
    // Out-of-order instants happen when several servers' logs are merged: first/last must be min/max.
    const when = rnd() < 0.05 ? t - 3_600_000 : t;
    const ts = formatLogTime(when, pick(offsets));
    const client = pick(clients);
    let request: string;
    let status = 200;
    if (r < (o.blankRate ?? 0) + (o.malformedRate ?? 0) + (o.noiseRate ?? 0)) {
      const n = pick(NOISE);
      request = n.request;
      expected.notApi[n.kind]++;
      if (n.kind !== 'noRequest' && n.kind !== 'invalidRequest') expected.requests++;
      status = n.kind === 'noRequest' ? 408 : n.kind === 'invalidRequest' ? 400 : 404;
    } else {
      const call = pick(CALLS);
      const prefix = pick(prefixes);
      request = `${call.method} ${prefix}${call.path} HTTP/1.1`;
      status = call.status ?? 200;
      expected.requests++;
      expected.apiCalls++;
      expected.prefixes.set(prefix, (expected.prefixes.get(prefix) ?? 0) + 1);
      const key = `${call.method} ${call.endpoint}`;
      let g = expected.groups.get(key);
      if (!g) expected.groups.set(key, (g = { endpoint: call.endpoint, method: call.method, verdict: call.verdict, count: 0, clients: new Map(), first: Infinity, last: -Infinity }));
      g.count++;
      g.clients.set(client, (g.clients.get(client) ?? 0) + 1);
      g.first = Math.min(g.first, when);
      g.last = Math.max(g.last, when);
    }
    expected.first = Math.min(expected.first, when);
    expected.last = Math.max(expected.last, when);
    const ua = pick(['curl/8.5.0', 'Mozilla/5.0 (X11; Linux x86_64) "quoted"', 'pam_linotp/2.12', 'python-requests/2.31']);
    const user = pick(['-', 'admin']);
    const bytes = String(Math.floor(rnd() * 5000));
    if (fmt === 'apache-common') yield `${client} - ${user} [${ts}] "${request}" ${status} ${bytes === '0' ? '-' : bytes}`;
    else if (fmt === 'nginx') yield `${client} - ${user} [${ts}] "${request}" ${status} ${bytes} "-" "${ua.replace(/"/g, '\\x22')}"`;
    else {
      const line = `${client} - ${user} [${ts}] "${request}" ${status} ${bytes} "https://linotp.example.com/manage/" "${ua.replace(/"/g, '\\"')}"`;
      yield fmt === 'apache-vhost' ? `linotp.example.com:443 ${line}` : line;
    }
  }
  return expected;
}

/** All lines as one string (newline-terminated) plus the tally. */
export function generateLog(o: GenOptions, expected?: Expected): { text: string; expected: Expected } {
  const exp = expected ?? emptyExpected();
  const lines: string[] = [];
  const it = generateLines(o, exp);
  for (let r = it.next(); !r.done; r = it.next()) lines.push(r.value);
  return { text: lines.length ? lines.join('\n') + '\n' : '', expected: exp };
}

export { emptyExpected };
