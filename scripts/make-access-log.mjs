#!/usr/bin/env node
// Writes fixtures/demo/access.log: one day of a LinOTP 2 server's Apache `combined` access log, for the
// demo and `api-check`. Deterministic (seeded PRNG, fixed dates), so the committed file can be
// re-created byte for byte: `node scripts/make-access-log.mjs [OUT]` (default fixtures/demo/access.log).
// All credentials in it are made up.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const out = process.argv[2] ?? fileURLToPath(new URL('../fixtures/demo/access.log', import.meta.url));

let seed = 0x11a07e;
function rnd() {
  // mulberry32
  seed = (seed + 0x6d2b79f5) >>> 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const pick = (xs) => xs[Math.floor(rnd() * xs.length)];
const digits = (n) => Array.from({ length: n }, () => Math.floor(rnd() * 10)).join('');

const users = ['alice', 'bob', 'carol', 'dave', 'erin', 'hans%40z%C3%BCrich', 'j%C3%B8rgen'];
const browsers = ['192.168.10.21', '192.168.10.34', '192.168.10.57', '192.168.11.8'];
const UA = {
  radius: 'FreeRADIUS rlm_perl/LWP::UserAgent 6.67',
  vpn: 'Mozilla/4.0 (compatible; VPN-Gateway)',
  browser: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:115.0) Gecko/20100101 Firefox/115.0',
  script: 'python-requests/2.25.1',
  monitor: 'check_http/v2.3.3 (nagios-plugins 2.3.3)',
  curl: 'curl/7.74.0',
};

/** Each actor: how often it appears, and what it sends: [method, path, status, bytes]. */
const actors = [
  { weight: 38, client: '10.20.0.5', ua: UA.radius, make: () => ['GET', `/validate/check?user=${pick(users)}&pass=${digits(4)}${digits(6)}`, 200, 224] },
  { weight: 22, client: '10.20.0.7', ua: UA.vpn, make: () => ['POST', '/validate/check', 200, 224] },
  { weight: 3, client: '10.20.0.7', ua: UA.vpn, make: () => ['POST', '/validate/check_s', 200, 210] },
  { weight: 6, client: '10.30.1.2', ua: UA.monitor, make: () => ['GET', '/maintenance/check_status', 200, 312] },
  { weight: 5, client: '10.30.1.15', ua: UA.browser, make: () => pick([
    ['GET', '/manage/', 200, 18211], ['POST', '/admin/show', 200, 5421], ['POST', '/system/getConfig', 200, 2210],
    ['POST', '/system/getRealms', 200, 812], ['POST', '/admin/userlist', 200, 3311], ['GET', '/manage/style.css', 200, 9410],
    ['GET', '/js/linotp_utils.js', 200, 40122], ['POST', '/admin/init', 200, 401], ['POST', '/admin/assign', 200, 226],
  ]) },
  { weight: 5, client: '10.30.1.40', ua: UA.script, make: () => pick([
    ['GET', `/admin/init?type=hmac&serial=OATH${digits(4)}&otpkey=${digits(8)}&user=${pick(users)}`, 200, 401],
    ['GET', `/admin/assign?serial=OATH${digits(4)}&user=${pick(users)}`, 200, 226],
    ['GET', `/admin/remove?serial=OATH${digits(4)}`, 200, 226],
    ['GET', `/admin/show?user=${pick(users)}`, 200, 1533],
    ['GET', `/admin/setPin?serial=OATH${digits(4)}&userpin=${digits(4)}`, 200, 226],
  ]) },
  { weight: 1, client: '10.30.1.41', ua: UA.curl, make: () => pick([
    ['GET', '/system/setConfig?AutoResync=true', 200, 230], ['GET', '/system/getConfig?key=AutoResync', 200, 240],
  ]) },
  { weight: 9, client: () => pick(browsers), ua: UA.browser, make: () => pick([
    ['GET', `/userservice/login?login=${pick(users)}&password=${digits(8)}`, 200, 310],
    ['POST', '/userservice/login', 200, 310],
    ['POST', '/userservice/history', 200, 1902],
    ['POST', '/userservice/usertokenlist', 200, 2211],
    ['GET', '/userservice/context', 200, 1180],
    ['POST', '/userservice/enroll', 200, 640],
    ['GET', `/userservice/setpin?serial=OATH${digits(4)}&userpin=${digits(4)}`, 200, 226],
    ['POST', '/userservice/setpin', 200, 226],
    ['GET', '/selfservice/', 200, 8119],
  ]) },
];
const totalWeight = actors.reduce((n, a) => n + a.weight, 0);

const MON = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const p2 = (n) => String(n).padStart(2, '0');
/** The server runs in Europe/Berlin (CET in February): local time with a +0100 offset, as Apache writes it. */
function stamp(utcMs) {
  const d = new Date(utcMs + 3_600_000);
  return `${p2(d.getUTCDate())}/${MON[d.getUTCMonth()]}/${d.getUTCFullYear()}:${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())} +0100`;
}

const lines = [];
let t = Date.UTC(2026, 1, 16, 5, 0, 0); // 06:00 local
for (let i = 0; i < 400; i++) {
  t += 30_000 + Math.floor(rnd() * 150_000);
  let r = rnd() * totalWeight;
  const a = actors.find((x) => (r -= x.weight) < 0) ?? actors[0];
  const client = typeof a.client === 'function' ? a.client() : a.client;
  const [method, path, status, bytes] = a.make();
  const referer = a.ua === UA.browser ? 'https://linotp.example.com/manage/' : '-';
  lines.push(`${client} - - [${stamp(t)}] "${method} ${path} HTTP/1.1" ${status} ${bytes} "${referer}" "${a.ua}"`);
  // What real logs also hold: a port scanner speaking TLS to port 80, an idle connection timing out.
  if (i === 120) lines.push(`203.0.113.66 - - [${stamp(t + 1000)}] "\\x16\\x03\\x01\\x02\\x00\\x01" 400 226 "-" "-"`);
  if (i === 260) lines.push(`10.30.1.15 - - [${stamp(t + 2000)}] "-" 408 - "-" "-"`);
}
// The last line was cut off when the server was stopped for the upgrade window.
lines.push(`10.20.0.5 - - [${stamp(t + 4000)}] "GET /validate/check?user=alice&pass=1234`);
writeFileSync(out, lines.join('\n') + '\n');
process.stderr.write(`wrote ${out} (${lines.length} lines)\n`);
