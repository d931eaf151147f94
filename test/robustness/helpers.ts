/**
 * Shared pieces of the hostile-input and secrets suites:
 * - the built CLI spawned as a user's script would run it (stdin a pipe, not a terminal; NO_COLOR;
 *   no LINOTP_* variables of the machine leaking in), with its peak RSS measured by a preload;
 * - the rule an error output must follow (`checkErrorOutput`);
 * - per-table checksums of a database (ordered rows hashed), to prove a target was not touched;
 * - a small tar writer for archives no honest tool makes (`..` members, links);
 * - secret scanning: the forms a secret can leak in (raw, hex, base64, percent-encoded) and windows of
 *   key bytes, and a PATH of shim scripts that log the argv of every tool the CLI might spawn.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { openDatabase } from '../../src/db/index.js';
import type { SqlValue } from '../../src/db/types.js';
import { BIN, ROOT } from '../e2e/global-setup.js';

export { ROOT };

/** The built CLI; LMT_BIN runs the suites against another build (e.g. an older one, to show what a fix fixed). */
const CLI = process.env.LMT_BIN || BIN;

export function tmp(prefix = 'lmt-robust-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

// ---------------------------------------------------------------------------------------------
// Running the CLI

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  seconds: number;
  /** Peak resident set size of the CLI process in MB (from process.resourceUsage() at exit). */
  maxRssMb?: number;
}

export interface RunOptions {
  cwd?: string;
  env?: Record<string, string | undefined>;
  /** Written to stdin, which is then closed (stdin is a pipe, never a terminal). */
  input?: string;
  timeoutMs?: number;
  /** Directory whose scripts come first in PATH (argv-logging shims). */
  pathPrefix?: string;
}

let rssProbe: string | undefined;
/** A CommonJS preload writing the process's peak RSS (KB) to $LMT_RSS_OUT when it exits. */
function rssProbeFile(): string {
  if (!rssProbe) {
    rssProbe = join(tmp('lmt-rss-'), 'rss-probe.cjs');
    writeFileSync(rssProbe, "process.on('exit', () => { if (process.env.LMT_RSS_OUT) require('fs').writeFileSync(process.env.LMT_RSS_OUT, String(process.resourceUsage().maxRSS)); });\n");
  }
  return rssProbe;
}

/** The environment of a clean machine: this one's LINOTP_* settings must not steer the CLI. */
export function cleanEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('LINOTP_') && k !== 'NODE_OPTIONS') env[k] = v;
  // No LinOTP 3 cfg files of this machine (an empty LINOTP_CFG lists none).
  env.LINOTP_CFG = '';
  env.NO_COLOR = '1';
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

/** Spawns `node bin/linotp-migrate.js …args` and collects its output, exit status and peak RSS. */
export function runCli(args: string[], opts: RunOptions = {}): Promise<CliResult> {
  const rssOut = join(tmp('lmt-rss-out-'), 'rss');
  const env = cleanEnv({ ...opts.env, LMT_RSS_OUT: rssOut, NODE_OPTIONS: `--require ${rssProbeFile()}` });
  if (opts.pathPrefix) env.PATH = `${opts.pathPrefix}${delimiter}${env.PATH ?? ''}`;
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: opts.cwd ?? ROOT, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.stdin.on('error', () => undefined); // the CLI may exit before reading its input
    child.stdin.end(opts.input ?? '');
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      let maxRssMb: number | undefined;
      try {
        maxRssMb = Number(readFileSync(rssOut, 'utf8')) / 1024;
      } catch {
        maxRssMb = undefined;
      }
      resolve({ code, signal, stdout, stderr, seconds: (Date.now() - started) / 1000, maxRssMb });
    });
  });
}

// ---------------------------------------------------------------------------------------------
// The error output rule

/**
 * What a refused command may print on stderr (docs/exit-codes.md: "one line `error: …`, often followed
 * by `hint: …` with the fix"):
 * - exactly one line `error: <message>` (non-empty, at most ~1000 characters: it names the problem);
 * - optionally one line `hint: <fix>` directly after it, and nothing after that;
 * - before the error only status lines the command prints while it works and that the case allows
 *   (`reading <file> …` by default);
 * - nowhere a stack trace (`    at …`), an `Error:`/`TypeError:` class dump, or "unexpected failure"
 *   (the CLI's wording for an error nobody anticipated).
 * Returns the violations (empty when the output follows the rule).
 */
export function checkErrorOutput(stderr: string, allowedStatus: RegExp[] = [/^reading .+ …$/]): string[] {
  const problems: string[] = [];
  const lines = stderr.replace(/\n+$/, '').split('\n');
  if (stderr.trim() === '') return ['stderr is empty: the refusal says nothing'];
  const errorAt = lines.map((l, i) => (l.startsWith('error: ') ? i : -1)).filter((i) => i >= 0);
  if (errorAt.length !== 1) problems.push(`expected exactly one "error: " line, found ${errorAt.length}`);
  const at = errorAt[0] ?? -1;
  if (at >= 0) {
    if (lines[at].slice('error: '.length).trim() === '') problems.push('the error line is empty');
    if (lines[at].length > 1100) problems.push(`the error line is ${lines[at].length} characters long`);
    const rest = lines.slice(at + 1);
    if (rest.length > 1 || (rest.length === 1 && !/^hint: \S/.test(rest[0]))) problems.push(`after the error line only one "hint: " line may follow, found ${JSON.stringify(rest)}`);
    for (const l of lines.slice(0, at)) {
      if (!allowedStatus.some((re) => re.test(l))) problems.push(`unexpected line before the error: ${JSON.stringify(l.slice(0, 200))}`);
    }
  }
  for (const l of lines) {
    if (/^\s+at\s/.test(l)) problems.push(`stack trace line: ${JSON.stringify(l.slice(0, 200))}`);
    if (/^(?:[A-Z]\w*)?Error(?::| \[)/.test(l)) problems.push(`error class dump: ${JSON.stringify(l.slice(0, 200))}`);
    if (/unexpected failure|Maximum call stack|Cannot read propert|is not a function|undefined/.test(l)) problems.push(`unanticipated error: ${JSON.stringify(l.slice(0, 200))}`);
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// Table checksums

function cell(v: SqlValue | unknown): string {
  if (v === null || v === undefined) return '∅';
  if (Buffer.isBuffer(v)) return 'x' + v.toString('hex');
  if (v instanceof Date) return 'd' + v.toISOString();
  return typeof v + ':' + String(v);
}

/**
 * Every table of the database → SHA-256 over its column names and its rows (each row serialized,
 * the rows sorted, so no primary key is needed). Equal maps before and after = nothing changed.
 */
export async function tableChecksums(url: string): Promise<Record<string, string>> {
  const db = await openDatabase(url);
  try {
    const out: Record<string, string> = {};
    for (const table of (await db.listTables()).sort()) {
      const cols = (await db.listColumns(table)).map((c) => c.name);
      const rows = await db.query(`SELECT * FROM ${db.dialect.quoteIdent(table)}`);
      const lines = rows.map((r) => cols.map((c) => cell(r[c])).join('\u0001')).sort();
      out[table] = createHash('sha256').update(cols.join(',')).update('\n').update(lines.join('\n')).digest('hex').slice(0, 16) + `:${rows.length}`;
    }
    return out;
  } finally {
    await db.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Archives no honest tool makes

export interface TarMember {
  name: string;
  /** '0' file (default), '1' hard link, '2' symlink, '5' directory. */
  type?: '0' | '1' | '2' | '5' | 'L' | 'x';
  data?: Buffer | string;
  linkname?: string;
}

function header(m: TarMember, size: number): Buffer {
  const h = Buffer.alloc(512);
  h.write(m.name, 0, 100, 'utf8');
  h.write('0000644\0', 100, 'latin1');
  h.write('0000000\0', 108, 'latin1');
  h.write('0000000\0', 116, 'latin1');
  h.write(size.toString(8).padStart(11, '0') + '\0', 124, 'latin1');
  h.write('14700000000\0', 136, 'latin1');
  h.write('        ', 148, 'latin1');
  h.write(m.type ?? '0', 156, 'latin1');
  if (m.linkname) h.write(m.linkname, 157, 100, 'utf8');
  h.write('ustar\0', 257, 'latin1');
  h.write('00', 263, 'latin1');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'latin1');
  return h;
}

/**
 * A ~1 MB .tar.gz whose first header is a GNU long-name (`L`) or pax (`x`) header declaring `size`
 * bytes (1 GiB by default), followed by that many bytes: one 16 MiB block of 'a' compressed once
 * and repeated as gzip members (gzip readers join members into one stream), so the test never
 * holds more than 16 MiB. A reader that buffers such a header whole needs 1 GiB and minutes.
 */
export function extendedHeaderBomb(type: 'L' | 'x', size = 1 << 30): Buffer {
  const block = 16 << 20;
  if (size % block) throw new Error('size must be a multiple of 16 MiB');
  const head = gzipSync(header({ name: type === 'L' ? '././@LongLink' : 'PaxHeaders/linotp_backup.sql', type }, size));
  const member = gzipSync(Buffer.alloc(block, type === 'L' ? 'a' : '9'), { level: 9 });
  return Buffer.concat([head, ...Array.from({ length: size / block }, () => member)]);
}

/** A gzip-compressed ustar archive of exactly these members (names and link targets as given). */
export function tarGz(members: TarMember[]): Buffer {
  const parts: Buffer[] = [];
  for (const m of members) {
    const data = m.type && m.type !== '0' ? Buffer.alloc(0) : Buffer.from(m.data ?? '');
    parts.push(header(m, data.length), data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  parts.push(Buffer.alloc(1024));
  return gzipSync(Buffer.concat(parts));
}

// ---------------------------------------------------------------------------------------------
// Secrets

export interface SecretForm {
  label: string;
  needle: Buffer;
}

/** A text secret as it may leak: as typed, percent-encoded (URLs), base64 and hex of its bytes. */
export function textSecretForms(label: string, secret: string): SecretForm[] {
  const bytes = Buffer.from(secret, 'utf8');
  const forms = new Map<string, Buffer>([
    [label, bytes],
    [`${label} (percent-encoded)`, Buffer.from(encodeURIComponent(secret))],
    [`${label} (base64)`, Buffer.from(bytes.toString('base64'))],
    [`${label} (hex)`, Buffer.from(bytes.toString('hex'))],
  ]);
  return [...forms].filter(([, n], i, all) => all.findIndex(([, m]) => m.equals(n)) === i).map(([l, n]) => ({ label: l, needle: n }));
}

/**
 * Key bytes as they may leak: raw, hex (lower and upper case), base64 — whole, per 32-byte slot, and
 * every 8-byte window in raw and hex form (a paper form prints the key in chunks; 8 random bytes never
 * match by chance).
 */
export function keySecretForms(label: string, key: Buffer): SecretForm[] {
  const forms: SecretForm[] = [
    { label: `${label} (base64)`, needle: Buffer.from(key.toString('base64')) },
    { label: `${label} (base64url)`, needle: Buffer.from(key.toString('base64url')) },
  ];
  for (let s = 0; s + 32 <= key.length; s += 32) forms.push({ label: `${label} slot ${s / 32} (base64)`, needle: Buffer.from(key.subarray(s, s + 32).toString('base64')) });
  for (let i = 0; i + 8 <= key.length; i += 4) {
    const w = key.subarray(i, i + 8);
    forms.push({ label: `${label} bytes ${i}-${i + 7} (raw)`, needle: Buffer.from(w) });
    forms.push({ label: `${label} bytes ${i}-${i + 7} (hex)`, needle: Buffer.from(w.toString('hex')) });
    forms.push({ label: `${label} bytes ${i}-${i + 7} (HEX)`, needle: Buffer.from(w.toString('hex').toUpperCase()) });
  }
  return forms;
}

/** Labels of the forms found in `haystack` (empty = no leak). */
export function leaks(haystack: Buffer | string, forms: SecretForm[]): string[] {
  const hay = Buffer.isBuffer(haystack) ? haystack : Buffer.from(haystack, 'utf8');
  return forms.filter((f) => hay.includes(f.needle)).map((f) => f.label);
}

/** Tools the CLI might spawn; each shim logs its argv, then runs the real tool if there is one. */
export const SHIMMED_TOOLS = ['gpg', 'gpg2', 'mysql', 'mariadb', 'mariadb-dump', 'mysqldump', 'pg_dump', 'pg_restore', 'psql', 'sqlite3', 'openssl', 'sh', 'bash'];

/** Creates the shim directory; every invocation appends one line (tool and argv, NUL-separated) to `log`. */
export function makeArgvShims(dir: string, log: string): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(log, '');
  const realPath = (process.env.PATH ?? '').split(delimiter).filter((p) => p && p !== dir);
  for (const tool of SHIMMED_TOOLS) {
    const real = realPath.map((p) => join(p, tool)).find((p) => existsSync(p));
    const script = [
      '#!/bin/sh',
      `printf '%s' ${JSON.stringify(tool)} >> ${JSON.stringify(log)}`,
      `for a in "$@"; do printf '\\000%s' "$a" >> ${JSON.stringify(log)}; done`,
      `printf '\\n' >> ${JSON.stringify(log)}`,
      real ? `exec ${JSON.stringify(real)} "$@"` : 'exit 127',
      '',
    ].join('\n');
    writeFileSync(join(dir, tool), script);
    chmodSync(join(dir, tool), 0o755);
  }
  return dir;
}
