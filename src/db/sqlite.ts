/**
 * SQLite adapter (better-sqlite3, synchronous underneath). Relative paths are relative to the
 * current directory; the journal mode of the file is left as it is (no WAL forced on LinOTP's file).
 * Integers are read with safeIntegers so values beyond 2^53 come back as exact strings.
 */
import { closeSync, existsSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { resolve } from 'node:path';
import Database from 'better-sqlite3';
import { DatabaseError } from '../errors.js';
import { chunkRows, plainSuffix, connectError, LockDepth, DATABASE_LOCK, lockHeldError, naiveDateString, normalizeBigInt, statementError, thisHost, type OpenOptions } from './common.js';
import type { ClusterInfo } from './cluster.js';
import type { ColumnInfo, Db, DumpedRows, DumpOptions, DbUrl, Dialect, IndexInfo, Row, SqlValue, StreamOptions, TransactionOptions } from './types.js';
import { describeDbUrl } from './url.js';

/** SQLITE_MAX_VARIABLE_NUMBER since SQLite 3.32. */
const MAX_VARIABLES = 32766;

export const dialect: Dialect = {
  quoteIdent: (name) => '"' + name.replace(/"/g, '""') + '"',
  rawBytes: (col) => `CAST(${col} AS BLOB)`,
  // SQLite's LIKE ignores ASCII case: compare the tail itself.
  endsWith: (col, suffix) => `substr(${col}, -${Buffer.byteLength(plainSuffix(suffix))}) = '${suffix}'`,
};

function toParam(v: SqlValue): unknown {
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (v instanceof Date) return naiveDateString(v);
  return v;
}

function fromRow(row: Record<string, unknown>): Row {
  for (const k in row) {
    const v = row[k];
    if (typeof v === 'bigint') row[k] = normalizeBigInt(v);
  }
  return row as Row;
}

/** In-process locks for `:memory:` databases (no file to put a lock file next to). */
const memoryLocks = new WeakSet<object>();

export class SqliteDb implements Db {
  readonly engine = 'sqlite' as const;
  readonly dialect = dialect;
  private readonly cache = new Map<string, Database.Statement>();
  private txQueue: Promise<unknown> = Promise.resolve();
  private inTx = false;

  constructor(
    readonly url: DbUrl,
    private readonly db: Database.Database,
    /** Absolute file path, or undefined for :memory:. */
    readonly file: string | undefined,
  ) {}

  private prepare(sql: string): Database.Statement {
    let st = this.cache.get(sql);
    if (!st) {
      st = this.db.prepare(sql);
      if (st.reader) st.safeIntegers(true);
      if (this.cache.size > 200) this.cache.delete(this.cache.keys().next().value!);
      this.cache.set(sql, st);
    }
    return st;
  }

  async query<T extends Row = Row>(sql: string, params: SqlValue[] = []): Promise<T[]> {
    try {
      const st = this.prepare(sql);
      if (!st.reader) {
        st.run(...params.map(toParam));
        return [];
      }
      return st.all(...params.map(toParam)).map((r) => fromRow(r as Record<string, unknown>)) as T[];
    } catch (err) {
      throw statementError(err, sql, this.url);
    }
  }

  async execute(sql: string, params: SqlValue[] = []): Promise<number> {
    try {
      const st = this.prepare(sql);
      if (st.reader) return st.all(...params.map(toParam)).length;
      return st.run(...params.map(toParam)).changes;
    } catch (err) {
      throw statementError(err, sql, this.url);
    }
  }

  /** stmt.iterate(): one row at a time from SQLite; the connection is busy until the loop ends. */
  async *stream(sql: string, params: SqlValue[] = [], opts: StreamOptions = {}): AsyncIterable<Row[]> {
    const batchSize = Math.max(1, opts.batchSize ?? 1000);
    let it: IterableIterator<unknown>;
    try {
      // A fresh statement: a cached one cannot be iterated twice at the same time.
      const st = this.db.prepare(sql);
      st.safeIntegers(true);
      it = st.iterate(...params.map(toParam)) as IterableIterator<unknown>;
    } catch (err) {
      throw statementError(err, sql, this.url);
    }
    let batch: Row[] = [];
    try {
      for (;;) {
        let next: IteratorResult<unknown>;
        try {
          next = it.next();
        } catch (err) {
          throw statementError(err, sql, this.url);
        }
        if (next.done) break;
        batch.push(fromRow(next.value as Record<string, unknown>));
        if (batch.length >= batchSize) {
          yield batch;
          batch = [];
        }
      }
      if (batch.length) yield batch;
    } finally {
      it.return?.();
    }
  }

  /**
   * quote() writes SQLite's own literals (what the sqlite3 shell's .dump writes) — except for text
   * holding a NUL character, which quote() (like the shell) silently cuts at the NUL: that text is
   * quoted with replace() and ||, which keep every byte (the literal then holds a raw NUL, as
   * the dump reader reads it; costs ~5% on a dump).
   */
  async *dumpRows(table: string, columns: string[], orderBy: string[], opts: DumpOptions = {}): AsyncIterable<DumpedRows> {
    const q = dialect.quoteIdent;
    const order = orderBy.length ? ` ORDER BY ${orderBy.map(q).join(', ')}` : '';
    const literal = (c: string) => `CASE WHEN typeof(${c}) = 'text' AND instr(CAST(${c} AS BLOB), X'00') > 0 THEN '''' || replace(${c}, '''', '''''') || '''' ELSE quote(${c}) END`;
    const sql = `SELECT CAST('(' || ${columns.map((c) => literal(q(c))).join(" || ',' || ")} || ')' AS BLOB) AS r FROM ${q(table)}${order}`;
    for await (const batch of this.stream(sql, [], opts)) yield { rows: batch.length, chunks: batch.map((r) => r.r as Buffer) };
  }

  async loadRows(table: string, columns: string[] | null, text: Buffer): Promise<number> {
    // A raw NUL stands only inside a quoted literal (dumpRows writes one for text holding NUL), and
    // SQLite's parser ends the statement at it: it is spliced in as '…'||char(0)||'…'.
    const values = text.includes(0) ? text.toString('utf8').replace(/\0/g, "'||char(0)||'") : text.toString('utf8');
    const sql = `INSERT INTO ${dialect.quoteIdent(table)} ${columns ? `(${columns.map(dialect.quoteIdent).join(', ')}) ` : ''}VALUES ${values}`;
    try {
      return this.db.prepare(sql).run().changes;
    } catch (err) {
      throw statementError(err, `INSERT INTO ${table}`, this.url);
    }
  }

  async insertMany(table: string, columns: string[], rows: SqlValue[][]): Promise<number> {
    if (rows.length === 0) return 0;
    const head = `INSERT INTO ${dialect.quoteIdent(table)} (${columns.map(dialect.quoteIdent).join(', ')}) VALUES `;
    const one = '(' + columns.map(() => '?').join(',') + ')';
    const run = () => {
      let total = 0;
      for (const chunk of chunkRows(rows, columns.length, { maxParams: MAX_VARIABLES, maxBytes: 32 * 1024 * 1024, maxRows: 500 })) {
        const st = this.prepare(head + Array(chunk.length).fill(one).join(','));
        total += st.run(...chunk.flat().map(toParam)).changes;
      }
      return total;
    };
    try {
      // Outside a transaction, one implicit transaction keeps it fast and all-or-nothing.
      return this.db.inTransaction ? run() : this.db.transaction(run).immediate();
    } catch (err) {
      throw statementError(err, head, this.url);
    }
  }

  async transaction<T>(fn: (tx: Db) => Promise<T>, opts: TransactionOptions = {}): Promise<T> {
    if (this.inTx) return fn(this);
    // One connection: transactions from concurrent async callers run one after the other.
    const prev = this.txQueue;
    let done!: () => void;
    this.txQueue = new Promise<void>((r) => (done = r));
    await prev.catch(() => undefined);
    try {
      // IMMEDIATE takes the write lock up front, so a concurrent writer cannot make us fail at COMMIT.
      this.db.exec(opts.snapshot ? 'BEGIN DEFERRED' : 'BEGIN IMMEDIATE');
      this.inTx = true;
      try {
        const result = await fn(this);
        this.db.exec('COMMIT');
        return result;
      } catch (err) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        throw err;
      } finally {
        this.inTx = false;
      }
    } catch (err) {
      throw err instanceof DatabaseError ? err : err instanceof Error && (err as any).code?.startsWith?.('SQLITE_') ? statementError(err, 'BEGIN/COMMIT', this.url) : err;
    } finally {
      done();
    }
  }

  async cluster(): Promise<ClusterInfo> {
    return { kind: 'single' };
  }

  /**
   * A lock file `<dbfile>.linotp-migrate.lock` made with O_EXCL, holding pid, host and start time.
   * Why not BEGIN IMMEDIATE: better-sqlite3 has one connection, and `fn` runs its own transactions
   * on it, so a held write transaction would swallow them. A lock file whose pid no longer runs on
   * this host is stale and is taken over.
   */
  async withLock<T>(purpose: string, fn: () => Promise<T>): Promise<T> {
    if (this.lockDepth.held) return this.lockDepth.inside(fn);
    if (!this.file) {
      if (memoryLocks.has(this.db)) throw lockHeldError(purpose, this.url, 'held by this process');
      memoryLocks.add(this.db);
      try {
        return await this.lockDepth.inside(fn);
      } finally {
        memoryLocks.delete(this.db);
      }
    }
    const lockFile = `${this.file}.${DATABASE_LOCK}.lock`;
    acquireLockFile(lockFile, purpose, this.url);
    try {
      return await this.lockDepth.inside(fn);
    } finally {
      try {
        unlinkSync(lockFile);
      } catch {
        /* already gone */
      }
    }
  }

  /** Re-entrant on this handle (src/db/common.ts LockDepth). */
  private readonly lockDepth = new LockDepth();


  async listTables(): Promise<string[]> {
    const rows = await this.query<{ name: string }>(
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name",
    );
    return rows.map((r) => r.name);
  }

  async listColumns(table: string): Promise<ColumnInfo[]> {
    const rows = await this.query<any>('SELECT name, type, "notnull" AS nn, pk FROM pragma_table_info(?) ORDER BY cid', [table]);
    return rows.map((r) => {
      const declared = String(r.type ?? '');
      const m = /^\s*([A-Za-z ]+?)\s*(?:\(\s*(\d+)\s*(?:,\s*\d+\s*)?\))?\s*$/.exec(declared);
      const c: ColumnInfo = {
        name: r.name,
        dataType: (m ? m[1] : declared).trim().toLowerCase(),
        // SQLite lets a non-INTEGER primary key hold NULL unless declared NOT NULL; report what is declared.
        nullable: Number(r.nn) === 0 && !(Number(r.pk) > 0 && /^integer$/i.test(declared.trim())),
      };
      if (m?.[2]) c.maxLength = Number(m[2]);
      return c;
    });
  }

  /** Indexes, including those behind UNIQUE constraints (the primary key is not listed). */
  async listIndexes(table: string): Promise<IndexInfo[]> {
    const list = await this.query<any>('SELECT name, "unique" AS u, origin FROM pragma_index_list(?)', [table]);
    const out: IndexInfo[] = [];
    for (const ix of list) {
      if (ix.origin === 'pk') continue;
      const cols = await this.query<any>('SELECT name FROM pragma_index_info(?) ORDER BY seqno', [ix.name]);
      out.push({ name: ix.name, columns: cols.map((c) => c.name), unique: Number(ix.u) === 1 });
    }
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async tableCharsets(): Promise<Record<string, string>> {
    return {};
  }

  async serverVersion(): Promise<string> {
    const rows = await this.query<{ v: string }>('SELECT sqlite_version() AS v');
    return rows[0].v;
  }

  async close(): Promise<void> {
    this.cache.clear();
    if (this.db.open) this.db.close();
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function acquireLockFile(lockFile: string, name: string, url: DbUrl): void {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lockFile, 'wx', 0o600);
      writeSync(fd, JSON.stringify({ pid: process.pid, host: thisHost, name, since: new Date().toISOString() }) + '\n');
      closeSync(fd);
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new DatabaseError(`cannot create the lock file ${lockFile}: ${(e as NodeJS.ErrnoException).code ?? e}`, 'check that the directory of the SQLite file is writable');
      }
    }
    let info: { pid?: number; host?: string; since?: string } = {};
    try {
      info = JSON.parse(readFileSync(lockFile, 'utf8'));
    } catch {
      /* half-written or unreadable: treated as held */
    }
    if (info.pid && info.host === thisHost && !processAlive(info.pid)) {
      try {
        unlinkSync(lockFile); // stale: its process is gone
      } catch {
        /* someone else removed it first */
      }
      continue;
    }
    const holder = info.pid ? `pid ${info.pid} on ${info.host ?? '?'} since ${info.since ?? '?'}` : `lock file ${lockFile}`;
    const err = lockHeldError(name, url, holder);
    throw new DatabaseError(err.message, `wait for that run to finish; if it is gone, remove ${lockFile}`);
  }
  throw lockHeldError(name, url, `lock file ${lockFile}`);
}

export async function open(url: DbUrl, opts: OpenOptions = {}): Promise<Db> {
  const memory = url.database === ':memory:' || url.database === '';
  const file = memory ? undefined : resolve(process.cwd(), url.database);
  if (file && !opts.create && !existsSync(file)) {
    throw new DatabaseError(`the SQLite database ${file} does not exist (from ${describeDbUrl(url)})`, 'check the path: sqlite:///relative/path is relative to the current directory, sqlite:////absolute/path is absolute');
  }
  try {
    const db = new Database(file ?? ':memory:', { fileMustExist: Boolean(file && !opts.create), timeout: opts.connectTimeoutMs ?? 5000 });
    if (url.params.mode === 'ro') db.pragma('query_only = ON');
    // SQLite opens any file lazily: read the header now, so a file that is not a database (or
    // cannot be read) is one clear error here rather than "file is not a database" in some query.
    if (file) checkReadable(db, file);
    return new SqliteDb(url, db, file);
  } catch (err) {
    if (err instanceof DatabaseError) throw err;
    if (file && (err as { code?: string }).code === 'SQLITE_CANTOPEN' && existsSync(file)) {
      throw new DatabaseError(`cannot open the SQLite database ${file}: no permission for this user`, 'run as its owner or as root, or give yourself read and write access to the file and its directory');
    }
    throw connectError(url, err);
  }
}

function checkReadable(db: Database.Database, file: string): void {
  try {
    db.pragma('schema_version');
  } catch (err) {
    db.close();
    const code = (err as { code?: string }).code;
    if (code === 'SQLITE_NOTADB') throw new DatabaseError(`${file} is not an SQLite database`, 'check the path in the sqlite:/// URL: it must name the LinOTP database file');
    if (code === 'SQLITE_CANTOPEN' || code === 'SQLITE_PERM' || code === 'SQLITE_READONLY') {
      throw new DatabaseError(`cannot open the SQLite database ${file} (${code})`, 'run as its owner or as root, or give yourself read and write access to the file and its directory');
    }
    throw err;
  }
}
