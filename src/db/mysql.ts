/**
 * MySQL / MariaDB adapter (mysql2). Text protocol with client-side escaping, connection charset
 * utf8mb4 (a superset of the utf8mb3 and latin1 that LinOTP 2 databases use, so the server
 * converts every column losslessly), DATETIME/TIMESTAMP as the strings the server sends
 * (`dateStrings`), never through JS Date. Integers beyond 2^53 come back as strings.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import mysql from 'mysql2/promise';
import type { Pool, PoolConnection, PoolOptions } from 'mysql2/promise';
import { DatabaseError } from '../errors.js';
import { assertWritable, type ClusterInfo } from './cluster.js';
import { chunkRows, plainSuffix, connectError, LockDepth, DATABASE_LOCK, lockHeldError, naiveDateString, statementError, substitutePlaceholders, type OpenOptions } from './common.js';
import { dumpColumn, RowFormatter, streamFormatted } from './mysql-dump.js';
import { galeraInfo, LOCK_TABLE, withGaleraLock, writeSetBatch } from './mysql-galera.js';
import { GarbageBudget } from './reclaim.js';
import type { ColumnInfo, Db, DumpedRows, DumpOptions, DbUrl, Dialect, IndexInfo, Row, SqlValue, StreamOptions, TransactionOptions } from './types.js';

/** One per process: every connection's big statements leave their garbage in the same heap (reclaim.ts). */
const statementGarbage = new GarbageBudget();

const SOCKETS = ['/run/mysqld/mysqld.sock', '/var/run/mysqld/mysqld.sock', '/tmp/mysql.sock'];

export const dialect: Dialect = {
  quoteIdent: (name) => '`' + name.replace(/`/g, '``') + '`',
  rawBytes: (col) => `CAST(${col} AS BINARY)`,
  endsWith: (col, suffix) => `${col} LIKE BINARY '%${plainSuffix(suffix)}'`,
};

function poolOptions(url: DbUrl, opts: OpenOptions): PoolOptions {
  const o: PoolOptions = {
    user: url.user,
    password: url.password,
    database: url.database || undefined,
    charset: 'utf8mb4',
    dateStrings: true,
    supportBigNumbers: true,
    bigNumberStrings: false,
    decimalNumbers: false,
    multipleStatements: false,
    // Statements arrive formatted (formatSql): mysql2 must not scan megabytes of dump text for `?` again.
    queryFormat: (sql: string, values?: unknown[]) => (values && values.length ? mysql.format(sql, values as any[]) : sql),
    connectTimeout: opts.connectTimeoutMs ?? 10_000,
    connectionLimit: opts.poolSize ?? 8,
    maxIdle: 2,
    enableKeepAlive: true,
  };
  const socket = url.params.unix_socket;
  if (socket) {
    o.socketPath = socket;
  } else if (!url.host || url.host === 'localhost') {
    // libmysqlclient (MySQLdb, which LinOTP uses) talks to "localhost" through the unix socket.
    const found = SOCKETS.find((s) => existsSync(s));
    if (found) o.socketPath = found;
    else o.host = 'localhost';
  } else {
    o.host = url.host;
  }
  if (!o.socketPath) o.port = url.port ?? 3306;
  const ca = url.params.ssl_ca ?? url.params['ssl-ca'];
  const cert = url.params.ssl_cert ?? url.params['ssl-cert'];
  const key = url.params.ssl_key ?? url.params['ssl-key'];
  if (ca || cert || key || url.params.ssl === 'true') {
    o.ssl = {
      ca: ca ? readFileSync(ca, 'utf8') : undefined,
      cert: cert ? readFileSync(cert, 'utf8') : undefined,
      key: key ? readFileSync(key, 'utf8') : undefined,
      rejectUnauthorized: Boolean(ca),
    };
  }
  return o;
}

function toParam(v: SqlValue): unknown {
  if (v instanceof Date) return naiveDateString(v);
  if (typeof v === 'bigint') return mysql.raw(v.toString());
  return v;
}

/** Inlines parameters with mysql2's escaping (text protocol), only at `?` outside quotes and comments. */
export function formatSql(sql: string, params: SqlValue[] = []): string {
  return substitutePlaceholders(sql, 'mysql', params.length, (i) => mysql.escape(toParam(params[i]) as any));
}

type Runner = Pool | PoolConnection;

export class MysqlDb implements Db {
  readonly engine = 'mysql' as const;
  readonly dialect = dialect;

  constructor(
    readonly url: DbUrl,
    private readonly pool: Pool,
    /** Set when this Db is bound to one connection (a transaction). */
    private readonly conn?: PoolConnection,
    private maxPacket = 16 * 1024 * 1024,
    /** Galera write-set bounds for one statement (empty on a single server), read at open. */
    private writeSet: { maxRows?: number; maxBytes?: number } = {},
  ) {}

  private get runner(): Runner {
    return this.conn ?? this.pool;
  }

  async init(): Promise<void> {
    const c = await this.pool.getConnection();
    try {
      const [rows] = await c.query('SELECT @@max_allowed_packet AS p');
      this.maxPacket = Number((rows as any[])[0].p) || this.maxPacket;
      this.writeSet = writeSetBatch(await galeraInfo(c));
    } finally {
      c.release();
    }
  }

  async query<T extends Row = Row>(sql: string, params: SqlValue[] = []): Promise<T[]> {
    const text = formatSql(sql, params);
    try {
      const [rows] = await this.runner.query(text);
      return Array.isArray(rows) ? (rows as T[]) : [];
    } catch (err) {
      throw statementError(err, sql, this.url);
    }
  }

  async execute(sql: string, params: SqlValue[] = []): Promise<number> {
    const text = formatSql(sql, params);
    try {
      const [res] = await this.runner.query(text);
      return Array.isArray(res) ? res.length : ((res as { affectedRows?: number }).affectedRows ?? 0);
    } catch (err) {
      throw statementError(err, sql, this.url);
    }
  }

  async *stream(sql: string, params: SqlValue[] = [], opts: StreamOptions = {}): AsyncIterable<Row[]> {
    const batchSize = Math.max(1, opts.batchSize ?? 1000);
    const text = formatSql(sql, params);
    const own = this.conn ? undefined : await this.pool.getConnection();
    const pc = (this.conn ?? own)!;
    // The streaming protocol lives on the callback ("core") connection.
    const rs = (pc as any).connection.query(text).stream({ highWaterMark: batchSize });
    let finished = false;
    let batch: Row[] = [];
    try {
      for await (const row of rs) {
        batch.push(row as Row);
        if (batch.length >= batchSize) {
          yield batch;
          batch = [];
        }
      }
      finished = true;
      if (batch.length) yield batch;
    } catch (err) {
      finished = true;
      if (own) own.destroy();
      throw statementError(err, sql, this.url);
    } finally {
      if (!finished) {
        // The consumer stopped early: the rest of the result set is still on the wire.
        if (own) own.destroy();
        else {
          rs.resume();
          await new Promise<void>((res) => (rs.readableEnded || rs.destroyed ? res() : rs.once('close', res).once('end', res)));
        }
      } else if (own) {
        own.release();
      }
    }
  }

  async insertMany(table: string, columns: string[], rows: SqlValue[][]): Promise<number> {
    if (rows.length === 0) return 0;
    const head = `INSERT INTO ${dialect.quoteIdent(table)} (${columns.map(dialect.quoteIdent).join(', ')}) VALUES `;
    // max_allowed_packet bounds one statement; keep well below it (escaping can grow data).
    // On Galera each statement (autocommitted) is one write set: stay under its limits too.
    const maxBytes = Math.max(16 * 1024, Math.min(this.maxPacket / 2, 8 * 1024 * 1024, this.writeSet.maxBytes ?? Infinity) - head.length);
    const maxRows = Math.min(5000, this.writeSet.maxRows ?? Infinity);
    let total = 0;
    for (const chunk of chunkRows(rows, columns.length, { maxBytes, maxRows })) {
      const values = chunk.map((r) => '(' + r.map((v) => mysql.escape(toParam(v) as any)).join(',') + ')').join(',');
      statementGarbage.add(values.length);
      try {
        const [res] = await this.runner.query(head + values);
        total += (res as { affectedRows: number }).affectedRows;
      } catch (err) {
        throw statementError(err, head, this.url);
      }
    }
    return total;
  }

  /**
   * One `(…)` tuple per row, formatted in JS from a plain SELECT as the server's QUOTE()/HEX()
   * would (src/db/mysql-dump.ts); non-UTF-8 (latin1) columns are converted to utf8mb4 by the server.
   */
  async *dumpRows(table: string, columns: string[], orderBy: string[], opts: DumpOptions = {}): AsyncIterable<DumpedRows> {
    const q = dialect.quoteIdent;
    const info = new Map((opts.columnInfo ?? (await this.listColumns(table))).map((c) => [c.name, c]));
    const cols = columns.map((c) => dumpColumn(q(c), info.get(c)?.dataType ?? 'varchar', info.get(c)?.charset));
    const order = orderBy.length ? ` ORDER BY ${orderBy.map(q).join(', ')}` : '';
    const sql = `SELECT ${cols.map((c) => c.expr).join(', ')} FROM ${q(table)}${order}`;
    const own = this.conn ? undefined : await this.pool.getConnection();
    const pc = (this.conn ?? own)!;
    const fmt = new RowFormatter(
      cols.map((c) => c.kind),
      table,
    );
    let finished = false;
    try {
      // The streaming protocol lives on the callback ("core") connection.
      yield* streamFormatted((pc as any).connection, sql, fmt, Math.max(1, opts.batchSize ?? 1000), !own, Boolean(opts.reuseBatches));
      finished = true;
    } catch (err) {
      throw statementError(err, sql, this.url);
    } finally {
      // A pooled connection left mid-result (an error, or the consumer stopped) is not reused.
      if (own && finished) own.release();
      else if (own) own.destroy();
    }
  }

  async loadRows(table: string, columns: string[] | null, text: Buffer): Promise<number> {
    const head = `INSERT INTO ${dialect.quoteIdent(table)} ${columns ? `(${columns.map(dialect.quoteIdent).join(', ')}) ` : ''}VALUES `;
    statementGarbage.add(text.length);
    try {
      const [res] = await this.runner.query(head + text.toString('utf8'));
      return (res as { affectedRows: number }).affectedRows;
    } catch (err) {
      throw statementError(err, head, this.url);
    }
  }

  async withConnection<T>(fn: (c: Db) => Promise<T>): Promise<T> {
    const c = await this.pool.getConnection();
    const d = new MysqlDb(this.url, this.pool, c, this.maxPacket, this.writeSet);
    try {
      const result = await fn(d);
      c.release();
      return result;
    } catch (err) {
      // left in whatever session state the failure found it: not reused
      c.destroy();
      throw err;
    }
  }

  async transaction<T>(fn: (tx: Db) => Promise<T>, opts: TransactionOptions = {}): Promise<T> {
    if (this.conn) return fn(this);
    const c = await this.pool.getConnection();
    const tx = new MysqlDb(this.url, this.pool, c, this.maxPacket, this.writeSet);
    try {
      if (opts.snapshot) {
        await c.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ');
        await c.query('START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY');
      } else {
        if (opts.readCommitted) await c.query('SET TRANSACTION ISOLATION LEVEL READ COMMITTED');
        await c.query('START TRANSACTION');
      }
      const result = await fn(tx);
      await c.query('COMMIT');
      c.release();
      return result;
    } catch (err) {
      try {
        await c.query('ROLLBACK');
        c.release();
      } catch {
        c.destroy();
      }
      throw err;
    }
  }

  async cluster(): Promise<ClusterInfo> {
    return galeraInfo(this.runner);
  }

  /** Re-entrant on this handle (src/db/common.ts LockDepth). */
  private readonly lockDepth = new LockDepth();

  /**
   * GET_LOCK on this server; on a Galera node (which must be Synced) also the cluster-wide lock
   * row of src/db/mysql-galera.ts, since GET_LOCK does not reach the other nodes.
   */
  async withLock<T>(purpose: string, fn: () => Promise<T>): Promise<T> {
    if (this.lockDepth.held) return this.lockDepth.inside(fn);
    const lockName = mysqlLockName(this.url.database);
    const c = this.conn ?? (await this.pool.getConnection());
    try {
      const info = await galeraInfo(c);
      assertWritable(this.url, info);
      const [rows] = await c.query('SELECT GET_LOCK(?, 0) AS got', [lockName]);
      const got = (rows as any[])[0].got;
      if (Number(got) !== 1) {
        const [who] = await c.query(
          'SELECT p.ID AS id, p.USER AS user, p.HOST AS host, p.TIME AS secs FROM information_schema.PROCESSLIST p WHERE p.ID = IS_USED_LOCK(?)',
          [lockName],
        );
        const h = (who as any[])[0];
        const holder = h ? `connection ${h.id} of ${h.user}@${String(h.host).replace(/:\d+$/, '')}, for ${h.secs}s` : 'held by another connection';
        throw lockHeldError(purpose, this.url, holder);
      }
      try {
        return info.kind === 'galera' ? await withGaleraLock(this.pool, this.url, info, purpose, lockName, () => this.lockDepth.inside(fn)) : await this.lockDepth.inside(fn);
      } finally {
        await c.query('SELECT RELEASE_LOCK(?)', [lockName]).catch(() => undefined);
      }
    } finally {
      if (!this.conn) (c as PoolConnection).release();
    }
  }


  /** The Galera lock table (this tool's own, src/db/mysql-galera.ts) is not listed: no command backs it up, restores or checks it. */
  async listTables(): Promise<string[]> {
    const rows = await this.query<{ n: string }>(
      "SELECT TABLE_NAME AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE' AND TABLE_NAME <> ? ORDER BY TABLE_NAME",
      [LOCK_TABLE],
    );
    return rows.map((r) => r.n);
  }

  async listColumns(table: string): Promise<ColumnInfo[]> {
    const rows = await this.query<any>(
      `SELECT COLUMN_NAME AS name, DATA_TYPE AS type, IS_NULLABLE AS nullable, CHARACTER_MAXIMUM_LENGTH AS len, CHARACTER_SET_NAME AS cs
         FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION`,
      [table],
    );
    return rows.map((r) => {
      const c: ColumnInfo = { name: r.name, dataType: String(r.type).toLowerCase(), nullable: r.nullable === 'YES' };
      if (r.len !== null && r.len !== undefined) c.maxLength = Number(r.len);
      if (r.cs) c.charset = normalizeCharset(r.cs);
      return c;
    });
  }

  /** Secondary indexes and unique constraints (the primary key is not listed). */
  async listIndexes(table: string): Promise<IndexInfo[]> {
    const rows = await this.query<any>(
      `SELECT INDEX_NAME AS name, COLUMN_NAME AS col, NON_UNIQUE AS nu FROM information_schema.STATISTICS
        WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND INDEX_NAME <> 'PRIMARY' ORDER BY INDEX_NAME, SEQ_IN_INDEX`,
      [table],
    );
    const byName = new Map<string, IndexInfo>();
    for (const r of rows) {
      let ix = byName.get(r.name);
      if (!ix) byName.set(r.name, (ix = { name: r.name, columns: [], unique: Number(r.nu) === 0 }));
      ix.columns.push(r.col);
    }
    return [...byName.values()];
  }

  async tableCharsets(): Promise<Record<string, string>> {
    const rows = await this.query<any>(
      `SELECT t.TABLE_NAME AS n, t.TABLE_COLLATION AS coll, c.CHARACTER_SET_NAME AS cs
         FROM information_schema.TABLES t
         LEFT JOIN information_schema.COLLATION_CHARACTER_SET_APPLICABILITY c ON c.COLLATION_NAME = t.TABLE_COLLATION
        WHERE t.TABLE_SCHEMA = DATABASE() AND t.TABLE_TYPE = 'BASE TABLE'`,
    );
    const out: Record<string, string> = {};
    for (const r of rows) {
      if (!r.coll) continue;
      out[r.n] = normalizeCharset(r.cs ?? String(r.coll).split('_')[0]);
    }
    return out;
  }

  async serverVersion(): Promise<string> {
    const rows = await this.query<{ v: string }>('SELECT VERSION() AS v');
    return rows[0].v;
  }

  async close(): Promise<void> {
    if (this.conn) return; // a transaction handle: its owner releases the connection
    await this.pool.end();
  }
}

/** `utf8` is an alias of `utf8mb3` (MariaDB < 10.6 reports the alias). */
function normalizeCharset(cs: string): string {
  const lower = cs.toLowerCase();
  return lower === 'utf8' ? 'utf8mb3' : lower;
}

/**
 * The GET_LOCK name of a database's one lock (DATABASE_LOCK). GET_LOCK names are server-wide and at
 * most 64 characters: the database is part of it, hashed when long.
 */
export function mysqlLockName(database: string): string {
  const full = `${DATABASE_LOCK}:${database}`;
  if (full.length <= 64) return full;
  return full.slice(0, 47) + ':' + createHash('sha256').update(full).digest('hex').slice(0, 16);
}

export async function open(url: DbUrl, opts: OpenOptions = {}): Promise<Db> {
  let pool: Pool;
  try {
    pool = mysql.createPool(poolOptions(url, opts));
  } catch (err) {
    throw connectError(url, err);
  }
  // The tool escapes on the client with backslashes; a server-wide NO_BACKSLASH_ESCAPES would break that.
  pool.pool.on('connection', (c: any) => {
    c.query("SET SESSION sql_mode = TRIM(BOTH ',' FROM REPLACE(CONCAT(',', @@SESSION.sql_mode, ','), ',NO_BACKSLASH_ESCAPES,', ','))", () => undefined);
  });
  const db = new MysqlDb(url, pool);
  try {
    await db.init();
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw connectError(url, err);
  }
  return db;
}
