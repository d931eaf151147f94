// The access-log line parser: formats, escapes, timestamps with offsets, and what counts as malformed.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LineParser, parseLogTime, unescapeLogString } from '../../src/apicheck/parse.js';
import { formatLogTime } from './genlog.js';

const apache = new LineParser('apache');
const nginx = new LineParser('nginx');
const auto = new LineParser('auto');

describe('parseLogTime', () => {
  it.each([
    ['10/Oct/2000:13:55:36 -0700', '2000-10-10T20:55:36.000Z'],
    ['01/Jan/2025:00:30:00 +0100', '2024-12-31T23:30:00.000Z'],
    ['31/Dec/2024:23:59:59 -0930', '2025-01-01T09:29:59.000Z'],
    ['29/Feb/2024:12:00:00 +0530', '2024-02-29T06:30:00.000Z'],
    ['01/Mar/2025:00:00:00 +0000', '2025-03-01T00:00:00.000Z'],
    ['30/Jun/2015:23:59:60 +0000', '2015-07-01T00:00:00.000Z'], // a leap second as Apache would print it
  ])('%s → %s', (text, iso) => {
    expect(new Date(parseLogTime(text)).toISOString()).toBe(iso);
  });

  it.each([
    '29/Feb/2025:12:00:00 +0000', '31/Apr/2025:12:00:00 +0000', '00/Jan/2025:12:00:00 +0000', '10/Foo/2025:12:00:00 +0000',
    '10/Oct/2025:24:00:00 +0000', '10/Oct/2025:12:60:00 +0000', '10/Oct/2025:12:00:00 0000', '10/Oct/2025:12:00:00 +00:00',
    '10/Oct/2025:12:00:00', '2025-10-10T12:00:00Z', '1/Oct/2025:12:00:00 +0000 ',
  ])('rejects %s', (text) => {
    expect(parseLogTime(text)).toBeNaN();
  });

  it('agrees with Date for any instant and offset', () => {
    fc.assert(fc.property(fc.integer({ min: Date.UTC(1990, 0, 1) / 1000, max: Date.UTC(2090, 0, 1) / 1000 }), fc.integer({ min: -14 * 60, max: 14 * 60 }), (sec, off) => {
      expect(parseLogTime(formatLogTime(sec * 1000, off))).toBe(sec * 1000);
    }), { numRuns: 2000 });
  });
});

describe('LineParser', () => {
  it('Apache combined', () => {
    const p = apache.parse('192.0.2.10 - alice [10/Oct/2025:13:55:36 +0200] "GET /validate/check?user=a&pass=b HTTP/1.1" 200 2326 "http://x/" "Mozilla/5.0 \\"q\\""');
    expect(p).toEqual({ kind: 'request', client: '192.0.2.10', time: Date.UTC(2025, 9, 10, 11, 55, 36), method: 'GET', target: '/validate/check?user=a&pass=b', status: 200, layout: 'combined' });
  });

  it('Apache common, with "-" bytes and IPv6 client', () => {
    expect(apache.parse('2001:db8::1 - - [10/Oct/2025:13:55:36 +0000] "POST /admin/init HTTP/1.0" 200 -')).toMatchObject({ kind: 'request', client: '2001:db8::1', method: 'POST', layout: 'common' });
  });

  it('an X-Forwarded-For list in place of %h: the first address is the client', () => {
    expect(apache.parse('203.0.113.5, 10.0.0.2 - - [10/Oct/2025:13:55:36 +0000] "GET /admin/show HTTP/1.1" 200 5 "-" "curl"')).toMatchObject({ kind: 'request', client: '203.0.113.5' });
  });

  it('Apache vhost_combined', () => {
    expect(apache.parse('linotp.example.com:443 192.0.2.1 - - [10/Oct/2025:13:55:36 +0000] "GET /admin/show HTTP/1.1" 200 5 "-" "curl"'))
      .toMatchObject({ kind: 'request', client: '192.0.2.1', layout: 'vhost_combined', target: '/admin/show' });
  });

  it('nginx combined with \\x22 escapes and extra trailing fields', () => {
    const line = '198.51.100.7 - - [10/Oct/2025:13:55:36 -0500] "GET /admin/init?d=\\x22x\\x22 HTTP/1.1" 405 0 "-" "a \\x22b\\x22" "rt=0.002"';
    expect(nginx.parse(line)).toMatchObject({ kind: 'request', client: '198.51.100.7', target: '/admin/init?d="x"', status: 405, time: Date.UTC(2025, 9, 10, 18, 55, 36) });
    expect(auto.parse(line)).toMatchObject({ kind: 'request', target: '/admin/init?d="x"' });
  });

  it('a request field with an escaped quote does not end early (Apache)', () => {
    expect(apache.parse('10.0.0.1 - - [10/Oct/2025:13:55:36 +0000] "GET /admin/show?x=\\"a b\\" HTTP/1.1" 400 5')).toMatchObject({ kind: 'invalidRequest', status: 400 });
    expect(apache.parse('10.0.0.1 - - [10/Oct/2025:13:55:36 +0000] "GET /admin/show?x=\\"ab\\" HTTP/1.1" 200 5')).toMatchObject({ kind: 'request', target: '/admin/show?x="ab"' });
  });

  it('HTTP/0.9 style requests, HEAD and OPTIONS', () => {
    expect(auto.parse('10.0.0.1 - - [10/Oct/2025:13:55:36 +0000] "GET /validate/check" 200 5')).toMatchObject({ method: 'GET', target: '/validate/check' });
    expect(auto.parse('10.0.0.1 - - [10/Oct/2025:13:55:36 +0000] "HEAD /admin/remove HTTP/1.1" 200 5')).toMatchObject({ method: 'HEAD' });
    expect(auto.parse('10.0.0.1 - - [10/Oct/2025:13:55:36 +0000] "OPTIONS * HTTP/1.1" 200 5')).toMatchObject({ method: 'OPTIONS', target: '*' });
  });

  it('"-" requests (timeouts) and binary garbage are well-formed lines without a request', () => {
    expect(auto.parse('10.0.0.1 - - [10/Oct/2025:13:55:36 +0000] "-" 408 -')).toMatchObject({ kind: 'noRequest', status: 408 });
    expect(auto.parse('10.0.0.1 - - [10/Oct/2025:13:55:36 +0000] "\\x16\\x03\\x01\\x02" 400 226 "-" "-"')).toMatchObject({ kind: 'invalidRequest' });
    expect(auto.parse('10.0.0.1 - - [10/Oct/2025:13:55:36 +0000] "GET" 400 226')).toMatchObject({ kind: 'invalidRequest' });
  });

  it.each([
    ['', 'no [timestamp] field'],
    ['garbage', 'no [timestamp] field'],
    ['10.0.0.1 [10/Oct/2025:13:55:36 +0000] "GET / HTTP/1.1" 200 5', 'expected "host ident user" before the timestamp'],
    ['10.0.0.1 - - [10/Oct/2025:13:55:36 +0000 "GET / HTTP/1.1" 200 5', 'unterminated [timestamp]'],
    ['10.0.0.1 - - [10/Oct/2025:13:55:36 +0000] GET / HTTP/1.1 200 5', 'no quoted request after the timestamp'],
    ['10.0.0.1 - - [10/Oct/2025:13:55:36 +0000] "GET / HTTP/1.1 200 5', 'unterminated request field'],
    ['10.0.0.1 - - [10/Oct/2025:13:55:36 +0000] "GET / HTTP/1.1"', 'no status after the request'],
    ['10.0.0.1 - - [10/Oct/2025:13:55:36 +0000] "GET / HTTP/1.1" 200', 'no byte count after the status'],
    ['10.0.0.1 - - [10/Oct/2025:13:55:36 +0000] "GET / HTTP/1.1" 20 5', 'invalid status code'],
    ['10.0.0.1 - - [10/Oct/2025:13:55:36 +0000] "GET / HTTP/1.1" 200 5x', 'invalid byte count'],
    ['10.0.0.1 - - [10/Oct/2025:13:55:36 +0000] "GET / HTTP/1.1" 200 5 trailing', 'unexpected text after the byte count'],
    ['10.0.0.1 - - [32/Oct/2025:13:55:36 +0000] "GET / HTTP/1.1" 200 5', 'invalid timestamp'],
    ['- - - [10/Oct/2025:13:55:36 +0000] "GET / HTTP/1.1" 200 5', 'no client address'],
  ])('malformed: %j', (line, reason) => {
    expect(auto.parse(line)).toEqual({ kind: 'malformed', reason });
  });

  it('--format nginx refuses Apache common and vhost lines', () => {
    expect(nginx.parse('10.0.0.1 - - [10/Oct/2025:13:55:36 +0000] "GET / HTTP/1.1" 200 5')).toMatchObject({ kind: 'malformed', reason: 'not nginx "combined" format (looks like common)' });
  });

  it('never throws, whatever the line', () => {
    fc.assert(fc.property(fc.string({ maxLength: 300 }), (s) => {
      for (const p of [auto, apache, nginx]) expect(['request', 'noRequest', 'invalidRequest', 'malformed']).toContain(p.parse(s).kind);
    }), { numRuns: 3000 });
  });

  it('unescapes Apache escapes; escaped bytes are UTF-8', () => {
    expect(unescapeLogString('a\\"b\\\\c\\x41\\n')).toBe('a"b\\cA\n');
    expect(unescapeLogString('/z\\xc3\\xbcrich/\\xe2\\x82\\xac')).toBe('/zürich/€');
    expect(unescapeLogString('ü\\x41')).toBe('üA');
    expect(unescapeLogString('\\xff\\x41')).toBe('\uFFFDA');
    expect(unescapeLogString('\\\\x41')).toBe('\\x41'); // an escaped backslash, then text
  });

  it('nginx escapes: only \\xHH', () => {
    expect(unescapeLogString('a\\x22b\\x5C', true)).toBe('a"b\\');
    expect(unescapeLogString('a\\nb', true)).toBe('a\\nb');
  });

  it('a UTF-8 path escaped in the log reaches the resolver decoded', () => {
    expect(apache.parse('10.0.0.1 - - [10/Oct/2025:13:55:36 +0000] "GET /z\\xc3\\xbcrich/validate/check HTTP/1.1" 200 5')).toMatchObject({ target: '/zürich/validate/check' });
  });
});
