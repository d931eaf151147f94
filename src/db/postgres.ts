/**
 * PostgreSQL adapter (pg). `?` placeholders become `$n` outside literals, identifiers and comments.
 * Date/time values come back as the strings the server sends — the type parsers are set on this
 * adapter's pool only, never globally on the pg module. int8 comes back as a number when safe,
 * else as a string; bytea as a Buffer.
 */
import { existsSync, readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import pg from 'pg';
import type { PoolClient, PoolConfig } from 'pg';
import { DatabaseError } from '../errors.js';
import { assertWritable, parsePrimaryConninfo, type ClusterInfo } from './cluster.js';
import { pinSchemaOption, resolveLinotpSchema } from './pg-schema.js';
import { chunkRows, plainSuffix, connectError, LockDepth, DATABASE_LOCK, lockHeldError, naiveDateString, normalizeBigInt, statementError, substitutePlaceholders, type OpenOptions } from './common.js';
import type { ColumnInfo, Db, DumpedRows, DumpOptions, DbUrl, Dialect, IndexInfo, Row, SqlValue, StreamOptions, TransactionOptions, LoadOptions, RowStream } from './types.js';

const SOCKET_DIRS = ['/var/run/postgresql', '/run/postgresql', '/tmp'];

// date, time, timetz, timestamp, timestamptz, interval and their arrays: keep the server's text.
const TEXT_OIDS = new Set([1082, 1083, 1266, 1114, 1184, 1186, 1182, 1183, 1270, 1115, 1185, 1187]);
const INT8 = 20;

const types = {
  getTypeParser(oid: number, format?: string): any {
    if (TEXT_OIDS.has(oid)) return (v: string) => v;
    if (oid === INT8) return (v: string) => normalizeBigInt(BigInt(v));
    return (pg.types.getTypeParser as any)(oid, format);
  },
};

export const dialect: Dialect = {
  quoteIdent: (name) => '"' + name.replace(/"/g, '""') + '"',
  rawBytes: (col) => `convert_to(${col}, 'UTF8')`,
  endsWith: (col, suffix) => `${col} LIKE '%${plainSuffix(suffix)}'`,
};

export function toPgSql(sql: string, count: number): string {
  return substitutePlaceholders(sql, 'postgres', count, (i) => `$${i + 1}`);
}

const COPY_ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/** A value as a field of COPY's text format (`\\N` = NULL). */
export function copyField(v: SqlValue): string {
  if (v === null || v === undefined) return '\\N';
  if (typeof v === 'boolean') return v ? 't' : 'f';
  if (Buffer.isBuffer(v)) return '\\\\x' + v.toString('hex');
  const s = v instanceof Date ? naiveDateString(v) : String(v);
  if (s.includes('\0')) throw new DatabaseError('a text value contains a NUL character, which PostgreSQL cannot store');
  return s.replace(/[\\\t\n\r]/g, (c) => COPY_ESCAPES[c]);
}

/** Bytes a RowStream lets wait in the socket before write() waits for it to drain. */
const STREAM_HIGH_WATER = 4 << 20;

/**
 * A COPY … FROM STDIN run through pg's "submittable" interface (what pg-copy-streams does), left
 * open over many writes (RowStream): data goes to the socket as it comes,
 * write() waits only while more than STREAM_HIGH_WATER bytes are queued, and an error from the
 * server fails the next write and end().
 */
class CopyStream {
  readonly done: Promise<number>;
  private resolve!: (n: number) => void;
  private reject!: (e: Error) => void;
  private connection: any;
  private ready = false;
  private pending: Buffer[] = [];
  private ending: 'done' | 'fail' | undefined;
  private rows = 0;
  private error: Error | undefined;
  private finished = false;
  private waiters: (() => void)[] = [];
  constructor(readonly text: string) {
    this.done = new Promise((res, rej) => {
      this.resolve = res;
      this.reject = rej;
    });
    this.done.catch(() => undefined);
  }
  submit(connection: any): void {
    this.connection = connection;
    connection.query(this.text);
  }
  handleCopyInResponse(): void {
    this.ready = true;
    for (const b of this.pending) this.send(b);
    this.pending = [];
    if (this.ending) this.finish(this.ending);
    this.wakeAll();
  }
  private send(data: Buffer): void {
    for (let i = 0; i < data.length; i += 1 << 20) this.connection.sendCopyFromChunk(data.subarray(i, i + (1 << 20)));
  }
  private finish(how: 'done' | 'fail'): void {
    if (how === 'done') this.connection.endCopyFrom();
    else this.connection.sendCopyFail('the restore stopped');
  }
  private wakeAll(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
  private wait(): Promise<void> {
    return new Promise((res) => this.waiters.push(res));
  }
  async write(data: Buffer): Promise<void> {
    if (this.error) throw this.error;
    if (this.ending || this.finished) throw new Error('COPY stream already ended');
    if (!this.ready) {
      this.pending.push(data);
      while (!this.ready && !this.error && !this.finished) await this.wait();
    } else {
      this.send(data);
    }
    const stream = this.connection.stream;
    while (!this.error && !this.finished && stream.writableLength > STREAM_HIGH_WATER) {
      const drained = new Promise<void>((res) => stream.once('drain', res));
      await Promise.race([drained, this.wait()]);
    }
    if (this.error) throw this.error;
  }
  end(): Promise<number> {
    if (!this.ending && !this.error && !this.finished) {
      this.ending = 'done';
      if (this.ready) this.finish('done');
    }
    return this.done;
  }
  async abort(): Promise<void> {
    if (!this.ending && !this.error && !this.finished) {
      this.ending = 'fail';
      if (this.ready) this.finish('fail');
    }
    await this.done.catch(() => undefined);
  }
  handleCommandComplete(msg: { text?: string }): void {
    const m = /COPY (\d+)/.exec(msg.text ?? '');
    if (m) this.rows = Number(m[1]);
  }
  handleReadyForQuery(): void {
    this.finished = true;
    if (this.error) this.reject(this.error);
    else this.resolve(this.rows);
    this.wakeAll();
  }
  handleError(err: Error): void {
    this.error = err;
    this.reject(err);
    this.wakeAll();
  }
  handleEmptyQuery(): void {}
  handleRowDescription(): void {}
  handleDataRow(): void {}
  handleCopyData(): void {}
  handlePortalSuspended(): void {}
}

/** `data` as one COPY … FROM STDIN on `client`: a CopyStream written once and ended. */
async function copyIn(client: PoolClient, sql: string, data: Buffer): Promise<number> {
  const op = new CopyStream(sql);
  client.query(op as any);
  try {
    await op.write(data);
  } catch {
    // the server's error: end() rejects with it
  }
  return op.end();
}

/** The COPY … FROM STDIN statement of loadRows and openLoad. */
function copyFromSql(table: string, columns: string[] | null, opts: LoadOptions): string {
  return `COPY ${dialect.quoteIdent(table)}${columns ? ` (${columns.map(dialect.quoteIdent).join(', ')})` : ''} FROM STDIN${opts.createdInTransaction ? ' WITH (FREEZE)' : ''}`;
}

/**
 * A COPY … TO STDOUT: the server's own text format, one CopyData message per row. Memory is bounded
 * by pausing the socket while the consumer lags (as pg-copy-streams does).
 */
const BLOCK = 1 << 20;

class CopyOut {
  private queue: Buffer[] = [];
  private queuedRows = 0;
  private queued = 0;
  /** pg's parser reuses its buffer: every row is copied out into blocks of our own. */
  private block = Buffer.allocUnsafe(BLOCK);
  private readonly spare: Buffer<ArrayBuffer>[] = [];
  private used = 0;
  private rows = 0;
  private finished = false;
  private error: Error | undefined;
  private wake: (() => void) | undefined;
  private connection: any;
  private paused = false;
  /** Set when the consumer stopped early: the rest is read and dropped. */
  discard = false;
  constructor(readonly text: string) {}
  submit(connection: any): void {
    this.connection = connection;
    connection.query(this.text);
  }
  private notify(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }
  private seal(): void {
    if (!this.used) return;
    this.queue.push(this.block.subarray(0, this.used));
    this.queued += this.used;
    this.queuedRows += this.rows;
    this.block = this.spare.pop() ?? Buffer.allocUnsafe(BLOCK);
    this.used = 0;
    this.rows = 0;
  }
  /** Blocks of a batch the consumer is done with (DumpOptions.reuseBatches), to be filled again. */
  recycle(batch: DumpedRows): void {
    for (const c of batch.chunks) {
      if (c.byteOffset === 0 && c.buffer.byteLength === BLOCK && this.spare.length < 16) this.spare.push(Buffer.from(c.buffer as ArrayBuffer, 0, BLOCK));
    }
  }
  handleCopyData(msg: { chunk: Buffer }): void {
    if (this.discard) return;
    const c = msg.chunk;
    if (this.used + c.length > this.block.length) {
      this.seal();
      if (c.length > this.block.length) this.block = Buffer.allocUnsafe(c.length);
    }
    c.copy(this.block, this.used);
    this.used += c.length;
    this.rows++;
    if (this.used >= BLOCK - 512) {
      this.seal();
      if (this.queued > 8 * BLOCK && !this.paused) {
        this.paused = true;
        this.connection.stream.pause();
      }
      this.notify();
    }
  }
  handleCommandComplete(): void {
    this.seal();
    this.notify();
  }
  handleReadyForQuery(): void {
    this.finished = true;
    this.notify();
  }
  handleError(err: Error): void {
    this.error = err;
    this.notify();
  }
  handleCopyInResponse(): void {}
  handleEmptyQuery(): void {}
  handleRowDescription(): void {}
  handleDataRow(): void {}
  handlePortalSuspended(): void {}
  /** Waits for data, the end or an error; returns the blocks queued so far. */
  async next(): Promise<DumpedRows | null> {
    for (;;) {
      if (this.queue.length) {
        const out = { rows: this.queuedRows, chunks: this.queue };
        this.queue = [];
        this.queued = 0;
        this.queuedRows = 0;
        if (this.paused) {
          this.paused = false;
          this.connection.stream.resume();
        }
        return out;
      }
      if (this.finished) {
        if (this.error) throw this.error;
        return null;
      }
      await new Promise<void>((res) => (this.wake = res));
    }
  }
  /** After an early stop: drop what is left and wait until the connection is usable again. */
  async drain(): Promise<void> {
    this.discard = true;
    this.queue = [];
    if (this.paused) {
      this.paused = false;
      this.connection.stream.resume();
    }
    while (!this.finished) await new Promise<void>((res) => (this.wake = res));
  }
}

function toParam(v: SqlValue): unknown {
  if (typeof v === 'bigint') return v.toString();
  return v;
}

function osUser(): string | undefined {
  try {
    return userInfo().username;
  } catch {
    return undefined;
  }
}

function poolConfig(url: DbUrl, opts: OpenOptions): PoolConfig {
  const c: PoolConfig = {
    // libpq's default user: PGUSER, else the OS user (getpwuid), not node-postgres's $USER.
    user: url.user ?? process.env.PGUSER ?? osUser(),
    password: url.password,
    database: url.database || undefined,
    port: url.port ?? (url.params.port ? Number(url.params.port) : 5432),
    max: opts.poolSize ?? 8,
    connectionTimeoutMillis: opts.connectTimeoutMs ?? 10_000,
    idleTimeoutMillis: 10_000,
    application_name: 'linotp-migrate',
    // ISO date output whatever the server's default DateStyle, so timestamps read back as written.
    // libpq's `options` of the URL (e.g. -csearch_path=linotp, as psycopg2 passes it) come after ours.
    options: ['-c DateStyle=ISO,MDY', url.params.options].filter(Boolean).join(' '),
    types,
  };
  // libpq (psycopg2) uses the unix socket when no host is given; `?host=/dir` names a socket directory.
  const host = url.host ?? url.params.host;
  if (host) c.host = host;
  else c.host = SOCKET_DIRS.find((d) => existsSync(`${d}/.s.PGSQL.${c.port}`)) ?? 'localhost';
  const mode = url.params.sslmode;
  if (mode && mode !== 'disable' && mode !== 'allow' && mode !== 'prefer') {
    const verify = mode === 'verify-ca' || mode === 'verify-full';
    c.ssl = {
      rejectUnauthorized: verify,
      ca: url.params.sslrootcert ? readFileSync(url.params.sslrootcert, 'utf8') : undefined,
      cert: url.params.sslcert ? readFileSync(url.params.sslcert, 'utf8') : undefined,
      key: url.params.sslkey ? readFileSync(url.params.sslkey, 'utf8') : undefined,
      checkServerIdentity: mode === 'verify-full' ? undefined : () => undefined,
    };
  }
  return c;
}

let cursorSeq = 0;

export class PostgresDb implements Db {
  readonly engine = 'postgres' as const;
  readonly dialect = dialect;

  constructor(
    readonly url: DbUrl,
    private readonly pool: pg.Pool,
    private readonly client?: PoolClient,
  ) {}

  private get runner(): pg.Pool | PoolClient {
    return this.client ?? this.pool;
  }

  async query<T extends Row = Row>(sql: string, params: SqlValue[] = []): Promise<T[]> {
    const text = toPgSql(sql, params.length);
    try {
      const res = await this.runner.query(text, params.map(toParam));
      return (res.rows ?? []) as T[];
    } catch (err) {
      throw statementError(err, sql, this.url);
    }
  }

  async execute(sql: string, params: SqlValue[] = []): Promise<number> {
    const text = toPgSql(sql, params.length);
    try {
      const res = await this.runner.query(text, params.map(toParam));
      return res.rowCount ?? 0;
    } catch (err) {
      throw statementError(err, sql, this.url);
    }
  }

  /** A server-side cursor, fetched `batchSize` rows at a time (in its own transaction unless bound to one). */
  async *stream(sql: string, params: SqlValue[] = [], opts: StreamOptions = {}): AsyncIterable<Row[]> {
    const batchSize = Math.max(1, Math.floor(opts.batchSize ?? 1000));
    const text = toPgSql(sql, params.length);
    const client = this.client ?? (await this.pool.connect());
    const own = !this.client;
    const name = `lm_cursor_${++cursorSeq}`;
    let ok = false;
    try {
      if (own) await client.query('BEGIN READ ONLY');
      await client.query(`DECLARE ${name} NO SCROLL CURSOR FOR ${text}`, params.map(toParam));
      for (;;) {
        const res = await client.query(`FETCH ${batchSize} FROM ${name}`);
        if (res.rows.length === 0) break;
        yield res.rows as Row[];
        if (res.rows.length < batchSize) break;
      }
      await client.query(`CLOSE ${name}`);
      if (own) await client.query('COMMIT');
      ok = true;
    } catch (err) {
      throw statementError(err, sql, this.url);
    } finally {
      if (!ok) {
        // Error or early stop: the cursor (and our own transaction) must go.
        try {
          if (own) await client.query('ROLLBACK');
          else await client.query(`CLOSE ${name}`).catch(() => undefined);
        } catch {
          /* the client is released as broken below */
        }
      }
      if (own) client.release();
    }
  }

  /**
   * COPY … FROM STDIN (text format) in chunks of a few MB: the server's bulk path, several times
   * faster than multi-row INSERTs for large restores. Atomic per call like one statement.
   */
  async insertMany(table: string, columns: string[], rows: SqlValue[][]): Promise<number> {
    if (rows.length === 0) return 0;
    const text = `COPY ${dialect.quoteIdent(table)} (${columns.map(dialect.quoteIdent).join(', ')}) FROM STDIN`;
    const client = this.client ?? (await this.pool.connect());
    let total = 0;
    try {
      for (const chunk of chunkRows(rows, columns.length, { maxBytes: 8 * 1024 * 1024, maxRows: 20000 })) {
        const lines = chunk.map((r) => r.map(copyField).join('\t') + '\n').join('');
        total += await copyIn(client, text, Buffer.from(lines, 'utf8'));
      }
    } catch (err) {
      throw statementError(err, text, this.url);
    } finally {
      if (!this.client) client.release();
    }
    return total;
  }

  /** COPY (SELECT … ORDER BY …) TO STDOUT: exactly what pg_dump writes, with no value parsed in JS. */
  async *dumpRows(table: string, columns: string[], orderBy: string[], opts: DumpOptions = {}): AsyncIterable<DumpedRows> {
    const q = dialect.quoteIdent;
    const order = orderBy.length ? ` ORDER BY ${orderBy.map(q).join(', ')}` : '';
    const text = `COPY (SELECT ${columns.map(q).join(', ')} FROM ${q(table)}${order}) TO STDOUT`;
    const client = this.client ?? (await this.pool.connect());
    const op = new CopyOut(text);
    let done = false;
    try {
      client.query(op as any);
      for (;;) {
        let batch: DumpedRows | null;
        try {
          batch = await op.next();
        } catch (err) {
          done = true;
          throw statementError(err, text, this.url);
        }
        if (!batch) break;
        yield batch;
        if (opts.reuseBatches) op.recycle(batch);
      }
      done = true;
    } finally {
      if (!done) await op.drain().catch(() => undefined);
      if (!this.client) client.release();
    }
  }

  async loadRows(table: string, columns: string[] | null, text: Buffer, opts: LoadOptions = {}): Promise<number> {
    const sql = copyFromSql(table, columns, opts);
    const client = this.client ?? (await this.pool.connect());
    try {
      return await copyIn(client, sql, text);
    } catch (err) {
      throw statementError(err, sql, this.url);
    } finally {
      if (!this.client) client.release();
    }
  }

  async openLoad(table: string, columns: string[] | null, opts: LoadOptions = {}): Promise<RowStream> {
    if (!this.client) throw new Error('openLoad needs a transaction');
    const sql = copyFromSql(table, columns, opts);
    const op = new CopyStream(sql);
    this.client.query(op as any);
    const fail = (err: unknown) => statementError(err, sql, this.url);
    return {
      write: (text) => op.write(text).catch((e) => Promise.reject(fail(e))),
      end: () => op.end().catch((e) => Promise.reject(fail(e))),
      abort: () => op.abort(),
    };
  }

  async transaction<T>(fn: (tx: Db) => Promise<T>, opts: TransactionOptions = {}): Promise<T> {
    if (this.client) return fn(this);
    const client = await this.pool.connect();
    const tx = new PostgresDb(this.url, this.pool, client);
    let broken: Error | undefined;
    try {
      await client.query(opts.snapshot ? 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY' : 'BEGIN');
      const result = await fn(tx);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      try {
        await client.query('ROLLBACK');
      } catch (e) {
        broken = e as Error;
      }
      throw err;
    } finally {
      client.release(broken);
    }
  }

  /**
   * A hot standby (pg_is_in_recovery) with its primary from primary_conninfo (readable by a
   * superuser or pg_read_all_settings only; otherwise unnamed), or a primary with the standbys
   * that stream from it (pg_stat_replication: their addresses, visible to the same roles).
   */
  async cluster(): Promise<ClusterInfo> {
    const rec = await this.query<{ r: boolean }>('SELECT pg_is_in_recovery() AS r');
    if (rec[0].r) {
      let conninfo: string | undefined;
      try {
        conninfo = String((await this.query<{ c: string }>("SELECT setting AS c FROM pg_settings WHERE name = 'primary_conninfo'"))[0]?.c ?? '') || undefined;
      } catch {
        conninfo = undefined;
      }
      const { host, port } = parsePrimaryConninfo(conninfo);
      return { kind: 'pg-standby', primaryHost: host, primaryPort: port };
    }
    const st = await this.query<{ a: string | null; n: string | null }>('SELECT client_addr::text AS a, application_name AS n FROM pg_stat_replication').catch(() => []);
    if (!st.length) return { kind: 'single' };
    return { kind: 'pg-primary', standbys: st.map((r) => (r.a ? r.a.replace(/\/\d+$/, '') : r.n ?? 'unknown')) };
  }

  /** Re-entrant on this handle (src/db/common.ts LockDepth). */
  private readonly lockDepth = new LockDepth();

  /**
   * An advisory lock: per database by PostgreSQL's design, so the key is DATABASE_LOCK alone.
   * A standby is refused before anything else (nothing can be written there; its primary's
   * advisory lock is already the cluster's).
   */
  async withLock<T>(purpose: string, fn: () => Promise<T>): Promise<T> {
    if (this.lockDepth.held) return this.lockDepth.inside(fn);
    // A standby is refused before anything else (nothing can be written there).
    assertWritable(this.url, await this.cluster());
    const key = DATABASE_LOCK;
    const client = this.client ?? (await this.pool.connect());
    try {
      const res = await client.query('SELECT pg_try_advisory_lock(hashtext($1)) AS got', [key]);
      if (!res.rows[0].got) {
        const who = await client.query(
          `SELECT a.pid, a.usename, a.application_name, a.client_addr, a.backend_start
             FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
            WHERE l.locktype = 'advisory' AND l.granted AND l.objid = (hashtext($1)::bigint & 4294967295)::oid
              AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) LIMIT 1`,
          [key],
        );
        const h = who.rows[0];
        const holder = h
          ? `backend pid ${h.pid} of ${h.usename}${h.application_name ? ` (${h.application_name})` : ''}${h.client_addr ? ` from ${h.client_addr}` : ''}, since ${h.backend_start}`
          : 'held by another session';
        throw lockHeldError(purpose, this.url, holder);
      }
      try {
        return await this.lockDepth.inside(fn);
      } finally {
        await client.query('SELECT pg_advisory_unlock(hashtext($1))', [key]).catch(() => undefined);
      }
    } finally {
      if (!this.client) client.release();
    }
  }


  async listTables(): Promise<string[]> {
    const rows = await this.query<{ n: string }>(
      "SELECT table_name AS n FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name",
    );
    return rows.map((r) => r.n);
  }

  async listColumns(table: string): Promise<ColumnInfo[]> {
    const rows = await this.query<any>(
      `SELECT column_name AS name, data_type AS type, is_nullable AS nullable, character_maximum_length AS len
         FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ? ORDER BY ordinal_position`,
      [table],
    );
    return rows.map((r) => {
      const c: ColumnInfo = { name: r.name, dataType: String(r.type).toLowerCase(), nullable: r.nullable === 'YES' };
      if (r.len !== null && r.len !== undefined) c.maxLength = Number(r.len);
      return c;
    });
  }

  /** Indexes and unique constraints, columns in index order (the primary key is not listed). */
  async listIndexes(table: string): Promise<IndexInfo[]> {
    const rows = await this.query<any>(
      `SELECT i.relname AS name, ix.indisunique AS uniq, a.attname AS col, k.ord
         FROM pg_index ix
         JOIN pg_class t ON t.oid = ix.indrelid
         JOIN pg_namespace ns ON ns.oid = t.relnamespace
         JOIN pg_class i ON i.oid = ix.indexrelid
         CROSS JOIN LATERAL unnest(ix.indkey) WITH ORDINALITY AS k(attnum, ord)
         JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
        WHERE ns.nspname = current_schema() AND t.relname = ? AND NOT ix.indisprimary
        ORDER BY i.relname, k.ord`,
      [table],
    );
    const byName = new Map<string, IndexInfo>();
    for (const r of rows) {
      let ix = byName.get(r.name);
      if (!ix) byName.set(r.name, (ix = { name: r.name, columns: [], unique: Boolean(r.uniq) }));
      ix.columns.push(r.col);
    }
    return [...byName.values()];
  }

  async tableCharsets(): Promise<Record<string, string>> {
    return {};
  }

  async serverVersion(): Promise<string> {
    const rows = await this.query<{ v: string }>('SHOW server_version');
    return String(Object.values(rows[0])[0]).split(' ')[0];
  }

  async close(): Promise<void> {
    if (this.client) return;
    await this.pool.end();
  }
}

export async function open(url: DbUrl, opts: OpenOptions = {}): Promise<Db> {
  const config = poolConfig(url, opts);
  // One schema for LinOTP's tables (src/db/pg-schema.ts): resolved on a first connection with the
  // URL's own settings, then pinned in the startup options of every connection of the pool.
  const probe = new pg.Client(config);
  probe.on('error', () => undefined);
  try {
    await probe.connect();
  } catch (err) {
    await probe.end().catch(() => undefined);
    throw connectError(url, err);
  }
  let schema: string;
  try {
    schema = await resolveLinotpSchema(probe, url);
  } catch (err) {
    throw err instanceof DatabaseError ? err : connectError(url, err);
  } finally {
    await probe.end().catch(() => undefined);
  }
  const pool = new pg.Pool({ ...config, options: `${config.options} ${pinSchemaOption(schema)}` });
  // An idle client that loses its server must not crash the process; the next query reports it.
  pool.on('error', () => undefined);
  return new PostgresDb(url, pool);
}
