/**
 * The one small interface every engine adapter implements (src/db/mysql.ts, postgres.ts, sqlite.ts).
 * Commands and domain code use only this; they never branch on the engine. Where SQL differs
 * between engines, the adapter's `dialect` supplies the fragment.
 */


export type Engine = 'mysql' | 'postgres' | 'sqlite';

/** A parsed SQLAlchemy-style database URL (src/db/url.ts). */
export interface DbUrl {
  engine: Engine;
  /** The scheme as written, e.g. `mysql+pymysql`, `postgresql+psycopg2`, `sqlite`. */
  scheme: string;
  user?: string;
  password?: string;
  host?: string;
  port?: number;
  /** Database name; for SQLite the file path (absolute or relative to cwd), or `:memory:`. */
  database: string;
  /** Query parameters (`charset`, `unix_socket`, `sslmode` …), decoded. */
  params: Record<string, string>;
}

/** Values that travel as query parameters and come back in rows. */
export type SqlValue = string | number | bigint | boolean | null | Buffer | Date;
export type Row = Record<string, SqlValue>;

export interface ColumnInfo {
  name: string;
  /** The engine's type name as reported by introspection, lower case (e.g. `varchar`, `int`, `character varying`). */
  dataType: string;
  nullable: boolean;
  /** Declared character length for text columns, when known. */
  maxLength?: number;
  /** MySQL only: the column's character set (e.g. `latin1`, `utf8mb3`, `utf8mb4`). */
  charset?: string;
}

export interface LoadOptions {
  /**
   * PostgreSQL: the table was created in the current transaction, so its rows may be written
   * already frozen (COPY … FREEZE): faster, and no later pass sets their hint bits. Ignored elsewhere.
   */
  createdInTransaction?: boolean;
}

/**
 * Rows of one table sent as one statement over many writes (PostgreSQL: one COPY … FROM STDIN left
 * open), so the server never waits for the next batch's round trip.
 */
export interface RowStream {
  /** Sends more rows in the engine's dump text; resolves once the connection can take more (bounded memory). */
  write(text: Buffer): Promise<void>;
  /** Ends the statement; resolves with the rows the server stored. */
  end(): Promise<number>;
  /** Abandons the statement (it fails; the caller rolls its transaction back). Never throws. */
  abort(): Promise<void>;
}

export interface IndexInfo {
  name: string;
  columns: string[];
  unique: boolean;
}

export interface Dialect {
  /** Quote an identifier (`Config` → `` `Config` `` / `"Config"`). */
  quoteIdent(name: string): string;
  /** SQL expression giving the raw stored bytes of a text column (MySQL: CAST(x AS BINARY)). */
  rawBytes(columnExpr: string): string;
  /**
   * SQL condition: `columnExpr` ends with `suffix`, compared byte for byte (no collation: MySQL's
   * `LIKE BINARY` is also about three times faster than its case-insensitive LIKE over an audit
   * table). NULL stays NULL. `suffix` is a plain literal without quotes, `%` or `_`.
   */
  endsWith(columnExpr: string, suffix: string): string;
}

export interface StreamOptions {
  /** Rows per yielded batch (default 1000). Memory stays bounded by this. */
  batchSize?: number;
}

/** Options of Db.dumpRows. */
export interface DumpOptions extends StreamOptions {
  /**
   * The consumer is done with a batch (and copied what it keeps) when it asks for the next one, so
   * the batch's buffers may be reused.
   */
  reuseBatches?: boolean;
  /** The table's columns as listColumns gave them in this transaction: not read again (MySQL). */
  columnInfo?: ColumnInfo[];
}

/** A batch from Db.dumpRows. */
export interface DumpedRows {
  rows: number;
  /** PostgreSQL: blocks of whole COPY lines; MySQL/SQLite: one tuple per element. */
  chunks: Buffer[];
  /**
   * MySQL: the same tuples in one buffer, each followed by `\n` (the text the row checksum hashes),
   * so a consumer needs no copy; tuple i starts at `starts[i]` and ends before the next one's `\n`.
   * The `\n` bytes are no part of any chunk: the consumer may overwrite them (src/backup/create.ts
   * writes `,` and `;` there).
   */
  lines?: { text: Buffer; starts: number[] };
}

export interface TransactionOptions {
  /**
   * A read-only transaction that sees one consistent snapshot of all tables from its start
   * (backups): MySQL START TRANSACTION WITH CONSISTENT SNAPSHOT, PostgreSQL REPEATABLE READ
   * READ ONLY, SQLite a deferred read transaction.
   */
  snapshot?: boolean;
  /**
   * MySQL: READ COMMITTED for this transaction (no gap locks), so that statements over adjacent
   * key ranges on other connections do not wait for each other. PostgreSQL's default; ignored by SQLite.
   */
  readCommitted?: boolean;
}

export interface Db {
  readonly engine: Engine;
  readonly url: DbUrl;
  readonly dialect: Dialect;

  /** Runs one statement with `?` placeholders (the adapter translates them) and returns its rows (empty for DML/DDL). */
  query<T extends Row = Row>(sql: string, params?: SqlValue[]): Promise<T[]>;
  /** Runs one statement and returns the number of affected rows. */
  execute(sql: string, params?: SqlValue[]): Promise<number>;
  /**
   * Streams the rows of a SELECT in batches with bounded memory (server-side cursor / streaming protocol).
   * While a stream is being consumed, run other statements on a different Db or transaction, not on
   * the one streaming (on MySQL and SQLite its connection is busy with the stream).
   */
  stream(sql: string, params?: SqlValue[], opts?: StreamOptions): AsyncIterable<Row[]>;
  /**
   * Streams the rows of `table` (ordered by `orderBy`) in the text a dump of this engine carries:
   * PostgreSQL COPY text lines (each with its `\n`), MySQL/SQLite VALUES tuples `(…,…)`. The server formats the values (COPY TO STDOUT, quote()), or
   * for MySQL sends their bytes as it converts them and JS adds QUOTE()'s quotes and escapes (src/db/mysql-dump.ts), so a backup
   * does not decode and re-encode every value in JS.
   */
  dumpRows(table: string, columns: string[], orderBy: string[], opts?: DumpOptions): AsyncIterable<DumpedRows>;
  /**
   * Loads rows given in this engine's dump text, unparsed (what mysqldump/pg_dump/dumpRows write):
   * PostgreSQL COPY text lines, MySQL/SQLite a VALUES list of tuples. `columns` null = the
   * table's column order. The fast path of same-engine restores. Returns the rows inserted.
   */
  loadRows(table: string, columns: string[] | null, text: Buffer, opts?: LoadOptions): Promise<number>;
  /**
   * PostgreSQL only, inside a transaction: loadRows as one statement over many writes (see RowStream).
   * Absent where every batch is a statement of its own.
   */
  openLoad?(table: string, columns: string[] | null, opts?: LoadOptions): Promise<RowStream>;
  /**
   * MySQL/MariaDB only: runs `fn` on one more pooled connection of its own, in autocommit mode (a
   * restore loads its shadow tables over several at once). Absent where a restore is one transaction.
   */
  withConnection?<T>(fn: (c: Db) => Promise<T>): Promise<T>;
  /** Inserts many rows efficiently (multi-row INSERTs in chunks). Returns the number inserted. */
  insertMany(table: string, columns: string[], rows: SqlValue[][]): Promise<number>;
  /**
   * Runs `fn` in a transaction on one connection; commits when it resolves, rolls back when it throws.
   * The `tx` handle must be used for the statements that belong to the transaction.
   * (MySQL DDL commits implicitly — callers design for that.)
   */
  transaction<T>(fn: (tx: Db) => Promise<T>, opts?: TransactionOptions): Promise<T>;
  /**
   * Holds the database's one lock (DATABASE_LOCK in src/db/common.ts) while `fn` runs: every
   * mutating command takes it, whatever it does, so no two of them interleave on one database
   * (MySQL GET_LOCK named after the database, PostgreSQL an advisory lock, SQLite a lock file next
   * to the database). Re-entrant on the same handle. Fails fast with a DatabaseError naming
   * `purpose` (the refused command) and the holder when another run holds it.
   */
  withLock<T>(purpose: string, fn: () => Promise<T>): Promise<T>;
  /**
   * Where this server stands in a replicated setup (src/db/cluster.ts): a Galera node and its
   * state and write-set limits, a PostgreSQL standby (and its primary) or primary, or single.
   * withLock refuses a standby and a Galera node that is not Synced before anything else.
   */
  cluster(): Promise<ClusterInfo>;

  /** Base table names in the database (PostgreSQL: in the one schema of LinOTP's tables, src/db/pg-schema.ts), as stored (case preserved). */
  listTables(): Promise<string[]>;
  listColumns(table: string): Promise<ColumnInfo[]>;
  listIndexes(table: string): Promise<IndexInfo[]>;
  /** MySQL: table → default charset of the table (`latin1`, `utf8mb3`, `utf8mb4` …). Other engines: `{}`. */
  tableCharsets(): Promise<Record<string, string>>;
  /** e.g. `10.11.6-MariaDB-0+deb12u1`, `15.14`, `3.46.1`. */
  serverVersion(): Promise<string>;
  close(): Promise<void>;
}

/** Where a server stands in a replicated setup (detected in src/db/cluster.ts). */
export type ClusterInfo =
  | { kind: 'single' }
  | {
      kind: 'galera';
      /** wsrep_cluster_size */
      size: number;
      /** wsrep_local_state_comment: Synced, Donor/Desynced, Joining, Joined, Initialized … */
      state: string;
      ready: boolean;
      /** wsrep_cluster_status: Primary (has quorum) or non-Primary. */
      status: string;
      /** wsrep_incoming_addresses: the members' client addresses `host:port` (may hold `AUTO`). */
      nodes: string[];
      /** wsrep_node_name */
      nodeName: string;
      /** wsrep_gcomm_uuid: this node's member id (new on every restart). */
      nodeId: string;
      /** wsrep_max_ws_rows (0 = unlimited) and wsrep_max_ws_size (bytes): the write-set limits. */
      maxWsRows: number;
      maxWsSize: number;
    }
  | { kind: 'pg-primary'; standbys: string[] }
  | { kind: 'pg-standby'; primaryHost?: string; primaryPort?: number };
