/**
 * analyzeAccessLogs(files, opts) → ApiCheckReport. Streams each log line by line (gzip detected by
 * its magic bytes, not the name), so memory grows with the number of distinct endpoints and
 * clients, never with the size of the logs.
 */
import { constants, createReadStream } from 'node:fs';
import { access, open, stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import { InputError, UsageError } from '../errors.js';
import { TargetResolver, prefixSegments } from './endpoint.js';
import { LineParser, type Layout, type LogFormat } from './parse.js';
import type { ApiCheckReport, FileSummary, Finding, MalformedSample } from './report.js';
import { classify, VERDICTS, type Classification } from './rules.js';

export interface AnalyzeOptions {
  format?: LogFormat;
  /** Strip exactly this URL prefix (e.g. `/linotp`); without it, prefixes are detected. */
  prefix?: string;
  /** Clients listed per finding (default 3). */
  topClients?: number;
  /** Malformed lines quoted in the report (default 5). */
  maxSamples?: number;
  /** Called as compressed/plain bytes are read, for a progress bar. */
  onProgress?: (bytesRead: number, bytesTotal: number) => void;
  /** Called when a file needs a warning (e.g. a truncated gzip). */
  onWarning?: (message: string) => void;
}

interface Group {
  endpoint: string;
  method: string;
  count: number;
  clients: Map<string, number>;
  first: number;
  last: number;
  statuses: Map<number, number>;
  cls: Classification;
}

/** Query values may be passwords and OTPs (`/validate/check?pass=…`): never quote them. */
/** A quoted log line must not drive the terminal: control characters (ESC, CR, C1 …) are shown as \\xNN. */
export function printable(text: string): string {
  return text.replace(/[\x00-\x1f\x7f-\x9f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

export function maskQueryValues(text: string): string {
  return text.replace(/([?&][^=&\s"]*=)[^&\s"]*/g, '$1***');
}

async function checkReadable(path: string): Promise<{ size: number; gzip: boolean }> {
  let st: Awaited<ReturnType<typeof stat>>;
  try {
    st = await stat(path);
  } catch (err) {
    throw readError(path, err);
  }
  if (st.isDirectory()) throw new InputError(`access log is a directory: ${path}`, 'pass the log files themselves, e.g. --access-log /var/log/apache2/access.log*');
  if (!st.isFile()) {
    // A pipe (`--access-log <(ssh web1 cat access.log)`): opening it to peek would eat its first bytes,
    // so only the name can say gzip; `<(zcat …)` is the usual way anyway.
    try {
      await access(path, constants.R_OK);
    } catch (err) {
      throw readError(path, err);
    }
    return { size: 0, gzip: path.endsWith('.gz') };
  }
  try {
    const fh = await open(path, 'r');
    try {
      const buf = Buffer.alloc(2);
      const { bytesRead } = await fh.read(buf, 0, 2, 0);
      return { size: st.size, gzip: bytesRead === 2 && buf[0] === 0x1f && buf[1] === 0x8b };
    } finally {
      await fh.close();
    }
  } catch (err) {
    throw readError(path, err);
  }
}

function readError(path: string, err: unknown): InputError {
  const code = (err as NodeJS.ErrnoException)?.code;
  if (code === 'ENOENT') return new InputError(`access log not found: ${path}`, 'check the path; rotated logs are often access.log.1, access.log.2.gz …', err);
  if (code === 'EACCES' || code === 'EPERM') return new InputError(`cannot read access log ${path}: permission denied`, 'run as a user that may read the web server logs (often group adm)', err);
  return new InputError(`cannot read access log ${path}: ${(err as Error)?.message ?? String(err)}`, undefined, err);
}

export async function analyzeAccessLogs(files: string[], opts: AnalyzeOptions = {}): Promise<ApiCheckReport> {
  if (files.length === 0) throw new UsageError('no access log given', 'pass one or more files with --access-log FILE…');
  const format = opts.format ?? 'auto';
  const topClients = opts.topClients ?? 3;
  const maxSamples = opts.maxSamples ?? 5;
  const resolver = new TargetResolver(prefixSegments(opts.prefix));

  // Every file is checked before any is read, so a typo fails in a second, not after an hour.
  const meta = [];
  for (const f of files) meta.push({ path: f, ...(await checkReadable(f)) });
  const bytesTotal = meta.reduce((n, m) => n + m.size, 0);
  let bytesRead = 0;

  const groups = new Map<string, Map<string, Group>>(); // endpoint → method → group
  const prefixes = new Map<string, number>();
  const samples: MalformedSample[] = [];
  const notApi = { noRequest: 0, invalidRequest: 0, staticFiles: 0, unknownPath: 0, outsidePrefix: 0 };
  let first = Infinity;
  let last = -Infinity;
  const summaries: FileSummary[] = [];

  for (const m of meta) {
    const stats: FileSummary = {
      path: m.path, compressed: m.gzip, bytes: m.size, lines: 0, blank: 0, malformed: 0, requests: 0, apiCalls: 0,
      layouts: { common: 0, combined: 0, vhost_combined: 0 }, truncated: false,
    };
    summaries.push(stats);
    const parser = new LineParser(format);

    const onLine = (line: string) => {
      stats.lines++;
      const c0 = line.charCodeAt(0);
      if (line.length === 0 || ((c0 === 32 || c0 === 9) && line.trim() === '')) {
        stats.blank++;
        return;
      }
      const p = parser.parse(line);
      if (p.kind === 'malformed') {
        stats.malformed++;
        if (samples.length < maxSamples) {
          samples.push({ file: m.path, line: stats.lines, reason: p.reason, text: printable(maskQueryValues(line.length > 200 ? line.slice(0, 200) + '…' : line)) });
        }
        return;
      }
      stats.layouts[p.layout as Layout]++;
      if (p.time < first) first = p.time;
      if (p.time > last) last = p.time;
      if (p.kind !== 'request') {
        notApi[p.kind]++;
        return;
      }
      stats.requests++;
      const t = resolver.resolve(p.target);
      if (t.kind !== 'api') {
        if (t.kind === 'static') notApi.staticFiles++;
        else notApi[t.kind]++;
        return;
      }
      stats.apiCalls++;
      prefixes.set(t.prefix, (prefixes.get(t.prefix) ?? 0) + 1);
      let byMethod = groups.get(t.endpoint);
      if (!byMethod) groups.set(t.endpoint, (byMethod = new Map()));
      let g = byMethod.get(p.method);
      if (!g) {
        g = { endpoint: t.endpoint, method: p.method, count: 0, clients: new Map(), first: p.time, last: p.time, statuses: new Map(), cls: classify(t.endpoint, p.method) };
        byMethod.set(p.method, g);
      }
      g.count++;
      g.clients.set(p.client, (g.clients.get(p.client) ?? 0) + 1);
      g.statuses.set(p.status, (g.statuses.get(p.status) ?? 0) + 1);
      if (p.time < g.first) g.first = p.time;
      if (p.time > g.last) g.last = p.time;
    };

    await readLines(m.path, m.gzip, onLine, (n) => {
      bytesRead += n;
      opts.onProgress?.(bytesRead, bytesTotal);
    }).catch((err) => {
      if (err instanceof TruncatedGzip) {
        stats.truncated = true;
        opts.onWarning?.(`${m.path}: the gzip data ends early (${err.message}); counted the ${stats.lines} lines before that`);
        return;
      }
      throw err;
    });
    if (stats.malformed > 0 && stats.malformed === stats.lines - stats.blank) {
      opts.onWarning?.(`${m.path}: none of its ${stats.malformed} lines is an access-log line of the accepted layouts — is it an access log (Apache common/combined, nginx combined)?`);
    }
  }

  const findings = [...groups.values()].flatMap((byMethod) => [...byMethod.values()]).map((g) => toFinding(g, topClients));
  findings.sort((a, b) => VERDICTS.indexOf(a.verdict) - VERDICTS.indexOf(b.verdict) || b.count - a.count
    || cmp(a.endpoint, b.endpoint) || cmp(a.method, b.method));
  const summary = Object.fromEntries(VERDICTS.map((v) => [v, { calls: 0, findings: 0 }])) as ApiCheckReport['summary'];
  for (const f of findings) {
    summary[f.verdict].calls += f.count;
    summary[f.verdict].findings++;
  }
  const sum = (k: 'lines' | 'blank' | 'malformed' | 'requests' | 'apiCalls') => summaries.reduce((n, s) => n + s[k], 0);
  return {
    options: { format, prefix: opts.prefix ?? null },
    files: summaries,
    lines: sum('lines'),
    blank: sum('blank'),
    malformed: { count: sum('malformed'), samples },
    requests: sum('requests'),
    apiCalls: sum('apiCalls'),
    notApi,
    prefixes: [...prefixes].map(([p, calls]) => ({ prefix: p, calls })).sort((a, b) => b.calls - a.calls || cmp(a.prefix, b.prefix)),
    firstSeen: Number.isFinite(first) ? new Date(first).toISOString() : null,
    lastSeen: Number.isFinite(last) ? new Date(last).toISOString() : null,
    findings,
    summary,
  };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function toFinding(g: Group, top: number): Finding {
  const clients = [...g.clients].sort((a, b) => b[1] - a[1] || cmp(a[0], b[0])).slice(0, top).map(([address, count]) => ({ address, count }));
  const statuses: Record<string, number> = {};
  for (const [s, n] of [...g.statuses].sort((a, b) => a[0] - b[0])) statuses[String(s)] = n;
  let { verdict, reason } = g.cls;
  // A URL LinOTP 3 has no route for, which LinOTP 2 answered with 404 every time as well (scanners probing
  // /admin/whatever, a typo in a script), fails today already: the upgrade changes nothing for it.
  if (verdict === 'rejected' && g.cls.missing && g.statuses.size === 1 && g.statuses.has(404)) {
    verdict = 'ok';
    reason = `LinOTP 2 answered 404 to every one of these calls too, so nothing changes (${reason})`;
  }
  return {
    endpoint: g.endpoint, method: g.method, verdict, count: g.count, clients, distinctClients: g.clients.size,
    firstSeen: new Date(g.first).toISOString(), lastSeen: new Date(g.last).toISOString(), statuses, reason, source: g.cls.source,
  };
}

class TruncatedGzip extends Error {}

function readLines(path: string, gzip: boolean, onLine: (line: string) => void, onBytes: (n: number) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const raw = createReadStream(path, { highWaterMark: 1 << 18 });
    raw.on('data', (chunk) => onBytes(chunk.length));
    let failed = false;
    const fail = (err: unknown) => {
      if (failed) return;
      failed = true;
      raw.destroy();
      rl.close();
      reject(err);
    };
    raw.on('error', (err) => fail(readError(path, err)));
    let input: NodeJS.ReadableStream = raw;
    if (gzip) {
      const gunzip = createGunzip();
      gunzip.on('error', (err: NodeJS.ErrnoException) => {
        // A gzip cut short is common (copied mid-rotation); anything else means it is not gzip data.
        if (err.code === 'Z_BUF_ERROR' || /unexpected end/i.test(err.message)) fail(new TruncatedGzip(err.message));
        else fail(new InputError(`cannot decompress access log ${path}: ${err.message}`, 'is it a complete .gz file? try `gzip -t` on it'));
      });
      input = raw.pipe(gunzip);
    }
    const rl = createInterface({ input, crlfDelay: Infinity });
    // readline re-emits its input's errors; they are handled above, on the stream itself.
    rl.on('error', () => {});
    rl.on('line', onLine);
    rl.on('close', () => {
      if (!failed) resolve();
    });
  });
}
