/**
 * A private FreeRADIUS 3.2 for tests: a raddb in a temporary directory holding only what the
 * converted configuration needs (Debian's `always` instances, `expr`, the files `radius convert`
 * wrote), run as `freeradius -f -d DIR -l stdout` on a loopback port of its own — never the system
 * service or 1812/1813. Plus a simplecheck server (HTTP or HTTPS, serving concurrently: rlm_rest's
 * pool keeps idle connections) that records each POST, and radclient.
 */
import { execFile, execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BIN, ROOT } from '../e2e/global-setup.js';

export const FIXTURES = path.join(ROOT, 'test', 'radius', 'fixtures');
export const haveFreeradius = existsSync('/usr/sbin/freeradius') && existsSync('/usr/bin/radclient') && existsSync('/usr/lib/freeradius/rlm_rest.so');
export const havePerlModule = existsSync('/usr/lib/freeradius/rlm_perl.so');

export function cli(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, json: () => JSON.parse(r.stdout) };
}

const made: string[] = [];
export const tmp = (prefix: string) => {
  const d = mkdtempSync(path.join(tmpdir(), `lm-radius-${prefix}-`));
  made.push(d);
  return d;
};
/** Removes the temporary directories this test file made (call in afterAll, after servers stopped). */
export const removeTmp = () => {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
};

/** A UDP port nobody listens on right now. */
export async function freeUdpPort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** A raddb directory around the files `radius convert` wrote into `out`. */
export function privateRaddb(out: string): string {
  const dir = tmp('raddb');
  for (const d of ['mods-enabled', 'sites-enabled', 'mods-config', 'log', 'run']) mkdirSync(path.join(dir, d), { recursive: true });
  writeFileSync(path.join(dir, 'dictionary'), '$INCLUDE /usr/share/freeradius/dictionary\n');
  writeFileSync(
    path.join(dir, 'radiusd.conf'),
    [
      'prefix = /usr',
      'exec_prefix = /usr',
      'sysconfdir = /etc',
      'localstatedir = /var',
      'sbindir = /usr/sbin',
      `logdir = ${dir}/log`,
      `raddbdir = ${dir}`,
      `radacctdir = ${dir}/log`,
      'name = freeradius',
      'confdir = ${raddbdir}',
      'modconfdir = ${confdir}/mods-config',
      'certdir = ${confdir}/certs',
      'cadir = ${confdir}/certs',
      `run_dir = ${dir}/run`,
      `db_dir = ${dir}`,
      'libdir = /usr/lib/freeradius',
      'pidfile = ${run_dir}/${name}.pid',
      'max_request_time = 30',
      'cleanup_delay = 5',
      'max_requests = 1024',
      'hostname_lookups = no',
      'log {\n\tdestination = stdout\n\tauth = no\n}',
      'security {\n\tallow_core_dumps = no\n\tmax_attributes = 200\n\treject_delay = 0\n\tstatus_server = no\n}',
      'thread pool {\n\tstart_servers = 2\n\tmax_servers = 4\n\tmin_spare_servers = 1\n\tmax_spare_servers = 3\n\tmax_requests_per_server = 0\n}',
      'modules {\n\t$INCLUDE mods-enabled/\n}',
      '$INCLUDE clients.conf',
      '$INCLUDE sites-enabled/',
      '',
    ].join('\n'),
  );
  // Debian enables these; the converted unlang uses ok/reject/fail/handled and %{urlquote:}.
  cpSync('/etc/freeradius/3.0/mods-available/always', path.join(dir, 'mods-enabled', 'always'));
  writeFileSync(path.join(dir, 'mods-enabled', 'expr'), 'expr {\n}\n');
  for (const f of readdirSync(path.join(out, 'mods-available'))) cpSync(path.join(out, 'mods-available', f), path.join(dir, 'mods-enabled', f));
  cpSync(path.join(out, 'sites-available', 'linotp'), path.join(dir, 'sites-enabled', 'linotp'));
  if (existsSync(path.join(out, 'mods-config'))) cpSync(path.join(out, 'mods-config'), path.join(dir, 'mods-config'), { recursive: true });
  cpSync(existsSync(path.join(out, 'clients.conf')) ? path.join(out, 'clients.conf') : path.join(FIXTURES, 'linotp2', 'clients.conf'), path.join(dir, 'clients.conf'));
  return dir;
}

/** `freeradius -XC`: the configuration loads (exit 0) or the error lines. */
export function checkConfig(raddb: string): { ok: boolean; output: string } {
  const r = spawnSync('/usr/sbin/freeradius', ['-XC', '-d', raddb], { encoding: 'utf8', timeout: 30_000 });
  return { ok: r.status === 0 && /Configuration appears to be OK/.test(r.stdout), output: (r.stdout + r.stderr).split('\n').filter((l) => /error|fail|warn/i.test(l)).join('\n') };
}

export class Radiusd {
  private proc?: ChildProcess;
  log = '';
  constructor(readonly raddb: string) {}

  async start(): Promise<void> {
    this.proc = spawn('/usr/sbin/freeradius', ['-f', '-d', this.raddb, '-l', 'stdout'], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc.stdout?.on('data', (d) => (this.log += d));
    this.proc.stderr?.on('data', (d) => (this.log += d));
    const deadline = Date.now() + 15_000;
    while (!/Ready to process requests/.test(this.log)) {
      if (this.proc.exitCode !== null || Date.now() > deadline) throw new Error(`freeradius did not start:\n${this.log}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async stop(): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null) return;
    await new Promise<void>((r) => {
      p.once('exit', () => r());
      p.kill('SIGTERM');
    });
  }
}

export interface RadiusReply {
  code: string;
  attrs: Record<string, string>;
  raw: string;
}

/** One Access-Request with radclient; attributes as `Name = value` text. */
export function radclient(port: number, attrs: string, secret = 'testing123'): Promise<RadiusReply> {
  return new Promise((resolve, reject) => {
    const p = execFile('/usr/bin/radclient', ['-x', '-r', '1', '-t', '5', `127.0.0.1:${port}`, 'auth', secret], { timeout: 15_000 }, (err, stdout) => {
      const m = /Received (Access-\w+)/.exec(stdout);
      if (!m) return reject(new Error(`no answer from radclient: ${err?.message ?? ''}\n${stdout}`));
      const after = stdout.slice(stdout.indexOf(m[0]));
      const out: Record<string, string> = {};
      for (const line of after.split('\n').slice(1)) {
        const a = /^\s+([\w-]+) = (.*)$/.exec(line);
        if (a) out[a[1]] = a[2].replace(/^"(.*)"$/, '$1');
      }
      resolve({ code: m[1], attrs: out, raw: stdout });
    });
    p.stdin?.end(attrs + '\n');
  });
}

export interface Post {
  path: string;
  fields: Record<string, string>;
  contentType?: string;
}

/** simplecheck's protocol: `:-)`, `:-(`, `:-( <transactionid> <message>`; decided by `answer`. */
export class SimplecheckServer {
  posts: Post[] = [];
  private server?: http.Server;
  port = 0;
  constructor(private readonly answer: (f: Record<string, string>) => string, private readonly tls?: { key: string; cert: string }) {}

  async start(): Promise<void> {
    const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        const fields = Object.fromEntries(new URLSearchParams(body));
        this.posts.push({ path: req.url ?? '', fields, contentType: req.headers['content-type'] });
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }); // what LinOTP 3 sends for simplecheck
        res.end(req.method === 'POST' ? this.answer(fields) : ':-(');
      });
    };
    this.server = this.tls ? https.createServer(this.tls, handler) : http.createServer(handler);
    await new Promise<void>((r) => this.server?.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections?.();
    await new Promise<void>((r) => this.server?.close(() => r()));
  }
}

/** A CA and a server certificate for 127.0.0.1/localhost signed by it (openssl). */
export function makeCa(dir: string, name: string): { caFile: string; key: string; cert: string } {
  const f = (n: string) => path.join(dir, `${name}-${n}`);
  const run = (args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  run(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('ca.key'), '-out', f('ca.pem'), '-days', '2', '-subj', `/CN=${name} test CA`]);
  run(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('server.key'), '-out', f('server.csr'), '-subj', '/CN=localhost']);
  writeFileSync(f('ext.cnf'), 'subjectAltName = IP:127.0.0.1, DNS:localhost\n');
  run(['x509', '-req', '-in', f('server.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f('server.pem'), '-days', '2', '-extfile', f('ext.cnf')]);
  return { caFile: f('ca.pem'), key: readFileSync(f('server.key'), 'utf8'), cert: readFileSync(f('server.pem'), 'utf8') };
}
