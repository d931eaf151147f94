/**
 * Pieces of the randomized crash-safety suite (crash.test.ts), usable by any kill test:
 * - a replayable seed (LMT_CRASH_SEED) and the kill delay drawn from it;
 * - template databases filled once and cloned per trial (PostgreSQL `CREATE DATABASE … TEMPLATE`,
 *   MySQL `SHOW CREATE TABLE` + `INSERT … SELECT` across databases), so every trial and the
 *   uninterrupted twin start from byte-identical data without re-generating the fixture;
 * - the built CLI spawned in its own process group, killed with SIGKILL after a delay, or — to reach
 *   the short windows between two commits that a delay almost never hits — right after a chosen
 *   commit point (a preload that numbers the driver's statements, KILL_HOOK);
 * - waiting until the server has ended the killed process's sessions (a statement in flight when the
 *   client died still finishes, and a lock it held is only released then);
 * - a state of LinOTP's tables (per-table digest of the ordered normalized rows, the table's
 *   columns and indexes, and its row keys) with the comparisons the suite asserts.
 */
import { tempDir } from '../helpers/tmp.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes, randomInt } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { groupConfigRows, type ConfigRow } from '../../src/crypto/chunks.js';
import type { EncKey } from '../../src/crypto/enckey.js';
import { decryptConfigValue, isEncryptedConfigType } from '../../src/crypto/values.js';
import { openDatabase } from '../../src/db/index.js';
import type { Db, Row } from '../../src/db/types.js';
import { rng } from '../../src/fixtures/prng.js';
import { findTable, LINOTP_2_12, LINOTP_3_4, primaryKeyColumns, type TableDef } from '../../src/schema/tables.js';
import { laggingSequences } from '../../src/upgrade/pg-sequences.js';
import { Tables } from '../../src/upgrade/sql.js';
import { createTestDatabase, openAdmin } from '../helpers/db.js';
import { BIN, ROOT } from '../e2e/global-setup.js';

export type ServerEngine = 'mysql' | 'postgres';

/** The built CLI; LMT_BIN runs the suite against another build (e.g. an older one, to check a finding). */
const CLI = process.env.LMT_BIN || BIN;

// ---------------------------------------------------------------------------------------------
// Seed and kill points

/** The suite's seed: LMT_CRASH_SEED replays a run; otherwise a new one each run (printed in test names). */
export function crashSeed(): number {
  const env = process.env.LMT_CRASH_SEED;
  if (env !== undefined && env !== '') {
    const n = Number(env);
    if (!Number.isInteger(n) || n < 0) throw new Error(`LMT_CRASH_SEED must be a non-negative integer, not ${JSON.stringify(env)}`);
    return n;
  }
  return randomInt(0, 2 ** 31);
}

/** Fraction of the uninterrupted duration at which a trial kills, uniform in [0.1, 1.0]. */
export function killFraction(seed: number, ...label: (string | number)[]): number {
  return 0.1 + 0.9 * (rng(seed, 'kill', ...label).next() / 0x1_0000_0000);
}

/** Uniform in [0, 1): which of the uninterrupted run's commit points a trial kills right after. */
export function commitFraction(seed: number, ...label: (string | number)[]): number {
  return rng(seed, 'commit', ...label).next() / 0x1_0000_0000;
}

// ---------------------------------------------------------------------------------------------
// Template databases

export interface ScratchDb {
  url: string;
  name: string;
  drop(): Promise<void>;
}

export interface Template extends ScratchDb {
  engine: ServerEngine;
  /** A new database holding exactly the template's tables and rows. */
  clone(): Promise<ScratchDb>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** createTestDatabase's URLs end in `/<database>` (no query). */
function withDatabase(url: string, name: string): string {
  return url.slice(0, url.lastIndexOf('/') + 1) + name;
}

async function withAdmin<T>(engine: ServerEngine, fn: (admin: Db) => Promise<T>): Promise<T> {
  const admin = await openAdmin(engine);
  try {
    return await fn(admin);
  } finally {
    await admin.close();
  }
}

/** Creates a test database, lets `fill` write it (then closes every connection), and returns it as a template. */
export async function makeTemplate(engine: ServerEngine, fill: (db: Db) => Promise<void>, opts: { charset?: 'utf8' | 'latin1' | 'utf8mb4' } = {}): Promise<Template> {
  const t = await createTestDatabase(engine, opts);
  const db = await openDatabase(t.url);
  try {
    await fill(db);
  } finally {
    await db.close();
  }
  const suffix = () => `lmt_${process.pid}_c${randomBytes(4).toString('hex')}`;
  if (engine === 'postgres') {
    // The role createTestDatabase made is named like the database; clones keep it as owner.
    return {
      ...t,
      engine,
      async drop() {
        await dropDatabase('postgres', t.name);
        await t.drop(); // the role
      },
      async clone() {
        const name = suffix();
        await withAdmin('postgres', async (admin) => {
          // CREATE DATABASE … TEMPLATE refuses while a backend of ours is still leaving the template.
          for (let i = 0; ; i++) {
            try {
              await admin.execute(`CREATE DATABASE ${name} TEMPLATE ${t.name} OWNER ${t.name}`);
              return;
            } catch (e) {
              if (i >= 50 || !/being accessed/.test(String((e as Error).message))) throw e;
              await sleep(100);
            }
          }
        });
        return { url: withDatabase(t.url, name), name, drop: () => dropDatabase('postgres', name) };
      },
    };
  }
  // MySQL: the template's DDL, read once, replayed in the clone; rows copied server-side, bytes as they are.
  const creates: { table: string; sql: string }[] = [];
  await withAdmin('mysql', async (admin) => {
    for (const r of await admin.query<{ n: string }>('SELECT TABLE_NAME AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME', [t.name])) {
      const [row] = await admin.query(`SHOW CREATE TABLE \`${t.name}\`.\`${r.n}\``);
      creates.push({ table: r.n, sql: String(row['Create Table']) });
    }
  });
  return {
    ...t,
    engine,
    async clone() {
      const c = await createTestDatabase('mysql', opts);
      const db = await openDatabase(c.url, { poolSize: 1 });
      try {
        await db.transaction(async (tx) => {
          await tx.execute('SET SESSION foreign_key_checks = 0');
          await tx.execute("SET SESSION sql_mode = 'NO_AUTO_VALUE_ON_ZERO'");
          for (const { table, sql } of creates) {
            await tx.execute(sql);
            await tx.execute(`INSERT INTO \`${table}\` SELECT * FROM \`${t.name}\`.\`${table}\``);
          }
        });
      } finally {
        await db.close();
      }
      return c;
    },
  };
}

async function dropDatabase(engine: ServerEngine, name: string): Promise<void> {
  await withAdmin(engine, async (admin) => {
    if (engine === 'mysql') {
      await admin.execute(`DROP DATABASE IF EXISTS \`${name}\``);
      return;
    }
    // FORCE terminates the sessions and waits for them; a backend of a pool just closed may still be leaving.
    await admin.execute(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  });
}

/**
 * Waits until no session is connected to database `name` any more. After a SIGKILL the server
 * finishes the statement in flight, notices the closed socket, rolls back and ends the session;
 * until then its locks (GET_LOCK, advisory locks) are held and its last statement may still commit.
 */
export async function waitSessionsGone(engine: ServerEngine, name: string, timeoutMs = 60_000): Promise<void> {
  await withAdmin(engine, async (admin) => {
    const sql =
      engine === 'mysql'
        ? 'SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE DB = ? AND ID <> CONNECTION_ID()'
        : "SELECT COUNT(*) AS n FROM pg_stat_activity WHERE datname = ? AND pid <> pg_backend_pid() AND backend_type = 'client backend'";
    const until = Date.now() + timeoutMs;
    for (;;) {
      const [{ n }] = await admin.query(sql, [name]);
      if (Number(n) === 0) return;
      if (Date.now() > until) throw new Error(`${n} session(s) of the killed process still connected to ${name} after ${timeoutMs} ms`);
      await sleep(50);
    }
  });
}

// ---------------------------------------------------------------------------------------------
// The CLI

/**
 * Preload (node --require) for kills at commit points. It wraps the driver's statement entry points
 * (mysql2 Connection query/execute, pg Client query — every statement the tool sends passes there),
 * numbers the statements and notes the commit points: a COMMIT, a write/DDL statement outside a
 * transaction (autocommit), and on MySQL every DDL statement (it commits implicitly, even inside
 * START TRANSACTION, and ends the transaction). Between two commit points every kill leaves
 * the same durable state, so the distinct crash states of a run are exactly "just after commit point
 * k" — including windows of a few statements that a random delay almost never hits.
 * With LMT_KILL_AT_STATEMENT=N the process group is SIGKILLed when statement N is about to be sent
 * (statements before it on the same connection have completed). LMT_COUNT_STATEMENTS_FILE receives
 * {statements, commits, texts} at exit (texts: each statement's first 160 characters, in order). Only the driver of LMT_HOOK_ENGINE is loaded (the tool loads it
 * anyway). Written to a temporary file at run time: test machinery, not part of the tool.
 */
const KILL_HOOK = `'use strict';
const { createRequire } = require('node:module');
const req = createRequire(process.env.LMT_HOOK_ROOT + '/package.json');
const killAt = Number(process.env.LMT_KILL_AT_STATEMENT || 0);
const countFile = process.env.LMT_COUNT_STATEMENTS_FILE;
const inTx = new WeakMap();
const commits = [];
const texts = [];
let n = 0;
const mysql = process.env.LMT_HOOK_ENGINE === 'mysql';
function note(conn, sql) {
  const s = String(sql).trimStart();
  // MySQL DDL commits implicitly, also inside START TRANSACTION, and ends the transaction.
  if (mysql && /^(CREATE|ALTER|DROP|RENAME|TRUNCATE)\\b/i.test(s)) { inTx.set(conn, false); commits.push(n); }
  else if (/^(START\\s+TRANSACTION|BEGIN)\\b/i.test(s)) inTx.set(conn, true);
  else if (/^COMMIT\\b/i.test(s)) { inTx.set(conn, false); commits.push(n); }
  else if (/^ROLLBACK\\b/i.test(s)) inTx.set(conn, false);
  else if (!inTx.get(conn) && !/^(SELECT|SHOW|SET|WITH|DECLARE|FETCH|CLOSE)\\b/i.test(s)) commits.push(n);
}
function patch(proto, names) {
  for (const m of names) {
    let p = proto;
    while (p && !Object.prototype.hasOwnProperty.call(p, m)) p = Object.getPrototypeOf(p);
    if (!p) throw new Error('kill hook: no method ' + m);
    const orig = p[m];
    p[m] = function (...args) {
      n++;
      if (n === killAt) process.kill(0, 'SIGKILL');
      const a = args[0];
      const sql = typeof a === 'string' ? a : (a && (a.sql || a.text)) || '';
      if (countFile) texts.push(String(sql).slice(0, 160));
      note(this, sql);
      return orig.apply(this, args);
    };
  }
}
if (mysql) patch(req('mysql2').Connection.prototype, ['query', 'execute']);
else patch(req('pg').Client.prototype, ['query']);
if (countFile) process.on('exit', () => require('node:fs').writeFileSync(countFile, JSON.stringify({ statements: n, commits, texts })));
`;

let hookFile: string | undefined;

function killHook(): string {
  if (!hookFile || !existsSync(hookFile)) {
    hookFile = join(tempDir('lmt-kill-hook-'), 'kill-hook.cjs');
    writeFileSync(hookFile, KILL_HOOK);
  }
  return hookFile;
}

/** How a spawned run is instrumented: counting its statements, or killing itself at statement N. */
export type Instrument = { engine: ServerEngine; countFile?: string; killAtStatement?: number };

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** The environment of every spawned run: no LinOTP settings from this machine, no colour. */
export function cliEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^LINOTP/.test(k)) env[k] = v;
  return { ...env, LINOTP_CFG: '', NO_COLOR: '1' };
}

/** Spawns `node bin/linotp-migrate.js …` in its own process group, stdin not a TTY. */
export function spawnCli(args: string[], instrument?: Instrument): { child: ChildProcess; done: Promise<CliRun> } {
  const started = Date.now();
  const env = cliEnv();
  const node = [CLI, ...args];
  if (instrument) {
    node.unshift('--require', killHook());
    Object.assign(env, { LMT_HOOK_ROOT: ROOT, LMT_HOOK_ENGINE: instrument.engine });
    if (instrument.countFile) env.LMT_COUNT_STATEMENTS_FILE = instrument.countFile;
    if (instrument.killAtStatement) env.LMT_KILL_AT_STATEMENT = String(instrument.killAtStatement);
  }
  const child = spawn(process.execPath, node, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const done = new Promise<CliRun>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr, ms: Date.now() - started }));
  });
  return { child, done };
}

/** SIGKILL to the whole process group (the CLI may have children, e.g. gpg). */
export function killGroup(child: ChildProcess): void {
  try {
    process.kill(-child.pid!, 'SIGKILL');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
  }
}

export async function runCli(args: string[], timeoutMs = 120_000, instrument?: Instrument): Promise<CliRun> {
  const { child, done } = spawnCli(args, instrument);
  const timer = setTimeout(() => killGroup(child), timeoutMs);
  try {
    return await done;
  } finally {
    clearTimeout(timer);
  }
}

/** Runs to completion counting the SQL statements sent and noting the commit points (see KILL_HOOK). */
export async function runCounted(args: string[], engine: ServerEngine): Promise<CliRun & { statements: number; commits: number[]; texts: string[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'lmt-count-'));
  const countFile = join(dir, 'count');
  try {
    const run = await runCli(args, 120_000, { engine, countFile });
    const counted = existsSync(countFile) ? JSON.parse(readFileSync(countFile, 'utf8')) : { statements: 0, commits: [], texts: [] };
    return { ...run, ...counted };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** stderr lines other than warnings (a successful run may warn, e.g. about audit times or a missing key). */
export function unexpectedStderr(stderr: string): string[] {
  return stderr.split('\n').filter((l) => l.trim() && !/^warning: /i.test(l));
}

// ---------------------------------------------------------------------------------------------
// State of LinOTP's tables

export interface StateOptions {
  /**
   * Encrypted Config entries are compared by plaintext and padding instead of bytes: init database
   * re-encrypts them with a new random IV (src/upgrade/reencrypt.ts, as LinOTP's 3.1.0.0 does),
   * so a run and its twin never write the same bytes. Chunked entries are reassembled first.
   */
  decryptConfigWith?: EncKey;
  /**
   * Auto-increment ids above these values are masked: they belong to rows the command inserts,
   * and an id drawn by a transaction the kill rolled back is never handed out again (InnoDB
   * AUTO_INCREMENT, PostgreSQL sequences), so the re-run's row may get a later id than the twin's.
   * Rows that existed before keep their ids compared exactly.
   */
  newIdsAbove?: Record<string, { column: string; max: number }>;
}

export interface TableState {
  name: string;
  rows: number;
  /** SHA-256 of the sorted normalized rows. */
  digest: string;
  /** Columns (name, type, nullability, charset) and indexes. */
  schema: string;
  /** Row identity (primary key, else the whole row) → occurrences. */
  keys: Map<string, number>;
}

export type DbState = Map<string, TableState>;

/** Tables this tool may leave behind as its own bookkeeping: restore's MySQL shadow tables (src/backup/restore.ts). */
const BOOKKEEPING_TABLE = /__lm_(new|old)$/;

function linotpDef(name: string): TableDef | undefined {
  return findTable(LINOTP_3_4, name) ?? findTable(LINOTP_2_12, name);
}

function norm(v: unknown): string {
  if (v === null || v === undefined) return '∅';
  if (Buffer.isBuffer(v)) return 'x' + v.toString('hex');
  if (v instanceof Date) return isNaN(v.getTime()) ? 'invalid-date' : v.toISOString();
  if (typeof v === 'boolean') return v ? 'T' : 'F';
  return JSON.stringify(String(v));
}

/** Config rows with every encrypted entry replaced by one logical row holding its plaintext. */
function decryptConfig(rows: Row[], key: EncKey): Row[] {
  const asConfig: ConfigRow[] = rows.map((r) => ({ key: String(r.Key), value: r.Value == null ? null : String(r.Value), type: r.Type == null ? null : String(r.Type), description: r.Description == null ? null : String(r.Description) }));
  const { entries } = groupConfigRows(asConfig);
  const replaced = new Set<string>();
  const logical: Row[] = [];
  for (const e of entries) {
    if (!isEncryptedConfigType(e.type) || !e.value) continue;
    const d = decryptConfigValue(key, e.value);
    if (!d.ok) continue;
    for (const k of e.rowKeys) replaced.add(k);
    logical.push({ Key: e.key, Value: `plaintext(${d.padding}, ${e.rowKeys.length} rows):${d.value}`, Type: e.type, Description: e.description });
  }
  return [...rows.filter((r) => !replaced.has(String(r.Key))), ...logical];
}

export async function captureState(url: string, opts: StateOptions = {}): Promise<DbState> {
  const db = await openDatabase(url, { poolSize: 1 });
  const state: DbState = new Map();
  try {
    const q = db.dialect.quoteIdent;
    const charsets = db.engine === 'mysql' ? await db.tableCharsets() : {};
    for (const table of (await db.listTables()).sort()) {
      const def = linotpDef(table);
      if (!def || BOOKKEEPING_TABLE.test(table)) continue;
      const cols = await db.listColumns(table);
      const idx = await db.listIndexes(table);
      const schema = [
        `charset=${charsets[table] ?? ''}`,
        ...cols.map((c) => `${c.name}:${c.dataType}:${c.nullable}:${c.maxLength ?? ''}:${c.charset ?? ''}`).sort(),
        ...idx.map((i) => `index ${i.name}(${i.columns.join(',')})${i.unique ? ' unique' : ''}`).sort(),
      ].join('\n');
      let rows = await db.query(`SELECT * FROM ${q(table)}`);
      if (def.name === 'Config' && opts.decryptConfigWith) rows = decryptConfig(rows, opts.decryptConfigWith);
      const masked = opts.newIdsAbove?.[def.name];
      const names = cols.map((c) => c.name).sort();
      const pk = primaryKeyColumns(def).filter((c) => names.includes(c));
      const lines: string[] = [];
      const keys = new Map<string, number>();
      for (const r of rows) {
        const row = masked && Number(r[masked.column]) > masked.max ? { ...r, [masked.column]: '(new id)' } : r;
        const line = names.map((c) => `${c}=${norm(row[c])}`).join('|');
        lines.push(line);
        const key = pk.length && !(masked && row[masked.column] === '(new id)') ? pk.map((c) => norm(row[c])).join('|') : line;
        keys.set(key, (keys.get(key) ?? 0) + 1);
      }
      lines.sort();
      const digest = createHash('sha256').update(lines.join('\n')).digest('hex');
      state.set(def.name, { name: table, rows: rows.length, digest, schema, keys });
    }
  } finally {
    await db.close();
  }
  return state;
}

export function sameState(a: DbState, b: DbState): boolean {
  return diffState(a, b).length === 0;
}

/** What differs, per table, in words (for assertion messages). */
export function diffState(actual: DbState, expected: DbState): string[] {
  const out: string[] = [];
  for (const name of new Set([...actual.keys(), ...expected.keys()])) {
    const a = actual.get(name);
    const e = expected.get(name);
    if (!a || !e) {
      out.push(`${name}: ${a ? 'present, expected absent' : 'absent, expected present'}`);
      continue;
    }
    if (a.schema !== e.schema) out.push(`${name}: columns/indexes differ`);
    if (a.digest !== e.digest) {
      const missing = [...e.keys.keys()].filter((k) => !a.keys.has(k));
      const extra = [...a.keys.keys()].filter((k) => !e.keys.has(k));
      const some = (ks: string[]) => (ks.length ? ` (${ks.slice(0, 3).join('; ')}${ks.length > 3 ? '; …' : ''})` : '');
      out.push(`${name}: rows differ: ${a.rows} rows, expected ${e.rows}; ${missing.length} keys missing${some(missing)}, ${extra.length} unexpected${some(extra)}; or values changed`);
    }
  }
  return out;
}

export interface IntegrityOptions {
  /** Every table keeps exactly its number of rows (fix-db-encoding only changes values). */
  sameCounts?: boolean;
  /** Row keys that are the tool's own bookkeeping and may exist in between (per table). */
  bookkeeping?: Record<string, string[]>;
}

/**
 * No row lost or duplicated in an intermediate state: no key twice; no key that neither the old nor
 * the new state has; every key both have is still there.
 */
export function rowProblems(mid: DbState, old: DbState, next: DbState, opts: IntegrityOptions = {}): string[] {
  const out: string[] = [];
  for (const name of new Set([...old.keys(), ...next.keys()])) {
    const o = old.get(name);
    const n = next.get(name);
    const m = mid.get(name);
    if (o && n && !m) {
      out.push(`${name}: table missing`);
      continue;
    }
    if (!m) continue;
    const allowed = new Set(opts.bookkeeping?.[name] ?? []);
    for (const [k, c] of m.keys) {
      if (c > 1) out.push(`${name}: row ${k} ${c} times`);
      if (!o?.keys.has(k) && !n?.keys.has(k) && ![...allowed].some((b) => k.includes(JSON.stringify(b)))) out.push(`${name}: row ${k} is in neither the old nor the new state`);
    }
    if (o && n) for (const k of o.keys.keys()) if (n.keys.has(k) && !m.keys.has(k)) out.push(`${name}: row ${k} lost`);
    if (opts.sameCounts && o && m.rows !== o.rows) out.push(`${name}: ${m.rows} rows, before ${o.rows}`);
  }
  return out;
}

/**
 * What a state must never have besides its rows: on PostgreSQL a SERIAL sequence behind its table's
 * ids (LinOTP's next insert would hit a duplicate key; setval is not transactional, so a kill could
 * leave one behind); after a completed run, the tool's bookkeeping tables.
 */
export async function otherProblems(url: string, opts: { completed: boolean }): Promise<string[]> {
  const db = await openDatabase(url, { poolSize: 1 });
  try {
    const out: string[] = [];
    if (opts.completed) for (const t of await db.listTables()) if (BOOKKEEPING_TABLE.test(t)) out.push(`table ${t} left behind`);
    for (const s of await laggingSequences(db, await Tables.load(db))) out.push(`${s.table}: sequence ${s.sequence} at ${s.lastValue}, below the highest id ${s.maxId}`);
    return out;
  } finally {
    await db.close();
  }
}
