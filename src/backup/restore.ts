/**
 * `backup restore`: plan (pure reading: the whole backup was parsed and checked by inspectDump, the
 * target is only looked at), then apply all or nothing:
 * - PostgreSQL and SQLite: one transaction (DDL included), so an error, a kill or a full disk
 *   leaves the target as it was;
 * - MySQL/MariaDB, whose DDL commits implicitly: every table is built and filled as a shadow
 *   `<name>__lm_new`, then all are swapped in with ONE `RENAME TABLE` (atomic), and the old ones
 *   dropped. A run killed before the RENAME leaves only shadows, which the next run removes.
 *   The rows go over `jobs` connections at once (lanes.ts); plain indexes are added after the
 *   rows (one sorted build each instead of a B-tree insert per row; docs/performance.md).
 * Same-engine restores build each table from the dump's parsed definition (ddlparse.ts → ddlgen.ts:
 * the dump's columns, types, keys and indexes, never its SQL text); cross-engine restores create
 * LinOTP's tables from the schema model for the dump's LinOTP version. Every batch's stored row
 * count must equal the dump's, and a dump whose Token table is empty does not replace a target
 * Token table with rows unless allowEmpty. Local administrators in the target
 * (imported_user rows of the admin resolver) survive; every restored table is emptied and refilled.
 */
import { createHash } from 'node:crypto';
import type { Db, Engine, RowStream, SqlValue } from '../db/types.js';
import { describeDbUrl } from '../db/url.js';
import { DatabaseError, InputError, InterruptedError } from '../errors.js';
import { createIndexSql, createTableSql } from '../schema/ddl.js';
import type { TableDef } from '../schema/tables.js';
import { describeModelVersion } from '../schema/version.js';
import { assertWritable, type ClusterInfo } from '../db/cluster.js';
import { ConversionError, convertValue, modelFor, tableDefFor } from './convert.js';
import { SHADOW_RE } from './create.js';
import { addIndexesSql, createTableFromDump, ddlStatementSql, type GenOptions } from './ddlgen.js';
import type { DumpIndex, DumpTableDef } from './ddldef.js';
import { readDump, type DumpEvent } from './dumpread.js';
import type { DumpInfo, IgnoredStatements } from './inspect.js';
import { replicatedEngine } from './galera.js';
import { jobsFor, Lanes, withExtraConnections } from '../db/lanes.js';
import { dumpWhere, type BackupSource } from './source.js';

export const DEFAULT_ADMIN_RESOLVER = 'LinOTP_local_admins';
export const LOCK_PURPOSE = 'backup restore';

export interface PlannedTable {
  /** Name in the dump. */
  source: string;
  /** Name in the target (the model's spelling for cross-engine restores). */
  target: string;
  rows: number;
  ddl: 'dump' | 'model';
  columns: string[];
  /** Model columns the dump does not have (older LinOTP): left out of the created table. */
  omitColumns: string[];
  /** The LinOTP model's definition (cross-engine restores create the table from it). */
  def?: TableDef;
  /** The dump's parsed definition (same-engine restores create the table from it). */
  dumpDef?: DumpTableDef;
  /** The target already has this table (it is replaced). */
  exists: boolean;
  /** Galera target, dump table of an engine Galera does not replicate (MyISAM, Aria …): created as InnoDB. */
  engineFrom?: string;
  /** Galera target, dump table without a primary key: replicated with a hidden key, its DELETEs certified slowly. */
  noPrimaryKey?: boolean;
}

/** What the plan reports of a replicated target; the write-set bounds of a Galera target. */
export type RestoreCluster =
  | { kind: 'single' | 'pg-primary' }
  | { kind: 'galera'; size: number; nodes: string[]; maxWsRows: number; maxWsSize: number };

export interface RestorePlan {
  target: string;
  targetEngine: Engine;
  dialect: Engine;
  sameEngine: boolean;
  modelVersion: string | null;
  tables: PlannedTable[];
  skipped: { table: string; rows: number; reason: string }[];
  /** Statements of the dump deliberately not restored (by kind, with the first line). */
  ignored: IgnoredStatements[];
  /** What the restore does differently from the dump's DDL (e.g. MyISAM tables created as InnoDB). */
  notes: string[];
  /** Target tables the backup does not contain: left as they are. */
  untouched: string[];
  adminResolver: string;
  preservedAdmins: number;
  /** Blocking problems: nothing is changed while there are any. */
  problems: string[];
  cluster: RestoreCluster;
}

export interface RestoreOptions {
  adminResolver?: string;
  /** Replace a target Token table that has rows by an empty one from the dump (a --no-data dump). */
  allowEmpty?: boolean;
  onTable?: (table: string, rows: number) => void;
  onRows?: (table: string, rows: number) => void;
  /** Called after each loaded batch (tests use it to interrupt a restore). */
  afterBatch?: (table: string) => void | Promise<void>;
  /**
   * Aborted (with the signal's name as reason) on SIGINT/SIGTERM: the restore stops at the next batch,
   * removes its shadow tables / rolls back, and fails with InterruptedError. Once the swap has been
   * sent it runs to the end (the target then holds the restored tables).
   */
  signal?: AbortSignal;
  /** MySQL/MariaDB: connections the rows are loaded over (default: the CPU count, at most MAX_JOBS of src/db/lanes.ts). */
  jobs?: number;
}

export interface RestoreResult {
  tables: { name: string; rows: number }[];
  /** What went wrong after the point of no return, with the target's state checked (e.g. a lost connection at the swap). */
  warnings: string[];
  preservedAdmins: number;
  seconds: number;
  rowsPerSecond: number;
}

function findCI(list: string[], name: string): string | undefined {
  return list.find((t) => t === name) ?? list.find((t) => t.toLowerCase() === name.toLowerCase());
}

export async function planRestore(db: Db, src: BackupSource, info: DumpInfo, opts: RestoreOptions = {}): Promise<RestorePlan> {
  // A standby, or a Galera node that is not Synced, is refused before anything else is looked at.
  const clusterInfo = await db.cluster();
  assertWritable(db.url, clusterInfo);
  const problems = [...info.problems];
  const version = describeModelVersion({ configTable: info.isLinotp, stored: info.modelVersion, touched: info.touched });
  if (info.isLinotp && (version.state === 'unknown' || version.state === 'newer')) problems.push(...version.notes);
  const sameEngine = db.engine === src.dialect;
  const model = modelFor(info.modelVersion);
  const targetTables = (await db.listTables()).filter((t) => !SHADOW_RE.test(t));
  const tables: PlannedTable[] = [];
  const skipped: RestorePlan['skipped'] = [];
  for (const t of info.tables) {
    const def = tableDefFor(model, t.name);
    if (sameEngine && t.def) {
      // Galera replicates only InnoDB: a MyISAM/Aria table of the dump is created as InnoDB (ddlgen) and reported.
      const engine = t.def.options.engine;
      const engineFrom = clusterInfo.kind === 'galera' && !replicatedEngine(engine) ? engine : undefined;
      const noPrimaryKey = clusterInfo.kind === 'galera' && !t.def.primaryKey;
      tables.push({ source: t.name, target: t.name, rows: t.rows, ddl: 'dump', columns: t.columns, omitColumns: [], def, dumpDef: t.def, exists: Boolean(findCI(targetTables, t.name)), ...(engineFrom ? { engineFrom } : {}), ...(noPrimaryKey ? { noPrimaryKey } : {}) });
      continue;
    }
    if (!def) {
      skipped.push({ table: t.name, rows: t.rows, reason: sameEngine ? 'the dump has no CREATE TABLE for it' : 'not a LinOTP table (restored only into the same engine)' });
      continue;
    }
    const known = new Set(def.columns.map((c) => c.name));
    const extra = t.columns.filter((c) => !known.has(c));
    if (extra.length) {
      problems.push(`table ${t.name} has columns LinOTP's ${model.name} model does not know (${extra.join(', ')}); a cross-engine restore would lose them`);
      continue;
    }
    const present = new Set(t.columns);
    tables.push({
      source: t.name,
      target: def.name,
      rows: t.rows,
      ddl: 'model',
      columns: t.columns,
      omitColumns: def.columns.filter((c) => !present.has(c.name)).map((c) => c.name),
      def,
      exists: Boolean(findCI(targetTables, def.name)),
    });
  }
  await checkEmptyToken(db, tables, targetTables, problems, opts);
  const planned = new Set(tables.map((t) => t.target.toLowerCase()));
  const untouched = targetTables.filter((t) => !planned.has(t.toLowerCase()));
  const adminResolver = opts.adminResolver ?? DEFAULT_ADMIN_RESOLVER;
  let preservedAdmins = 0;
  const iu = tables.find((t) => t.target.toLowerCase() === 'imported_user');
  const targetIu = findCI(targetTables, 'imported_user');
  if (iu && targetIu) {
    const q = db.dialect.quoteIdent;
    preservedAdmins = Number((await db.query(`SELECT COUNT(*) AS n FROM ${q(targetIu)} WHERE ${q('groupid')} = ?`, [adminResolver]))[0].n);
  }
  return {
    target: describeDbUrl(db.url),
    targetEngine: db.engine,
    dialect: src.dialect,
    sameEngine,
    modelVersion: info.modelVersion,
    tables,
    skipped,
    ignored: info.ignored,
    notes: info.notes,
    untouched,
    adminResolver,
    preservedAdmins,
    problems,
    cluster: restoreCluster(clusterInfo),
  };
}

function restoreCluster(c: ClusterInfo): RestoreCluster {
  if (c.kind === 'galera') return { kind: 'galera', size: c.size, nodes: c.nodes, maxWsRows: c.maxWsRows, maxWsSize: c.maxWsSize };
  return { kind: c.kind === 'pg-primary' ? 'pg-primary' : 'single' };
}

/**
 * Whether a dump's INSERT goes to a Galera server as it is: one autocommitted statement is one
 * write set, which must stay under wsrep_max_ws_rows / wsrep_max_ws_size (with room for the row
 * images and keys). Otherwise its rows are parsed and inserted in bounded chunks (insertMany).
 */
function fitsWriteSet(plan: RestorePlan, rows: () => number, bytes: number): boolean {
  const c = plan.cluster;
  if (c.kind !== 'galera') return true;
  if (c.maxWsSize > 0 && bytes * 4 > c.maxWsSize) return false;
  return !(c.maxWsRows > 0 && rows() * 2 > c.maxWsRows);
}

/**
 * A dump without rows for Token (mariadb-dump --no-data, pg_dump --schema-only) must not replace a
 * target's tokens with nothing, unless asked to.
 */
async function checkEmptyToken(db: Db, tables: PlannedTable[], targetTables: string[], problems: string[], opts: RestoreOptions): Promise<void> {
  const token = tables.find((t) => t.target.toLowerCase() === 'token');
  const current = findCI(targetTables, 'Token');
  if (!token || token.rows > 0 || !current || opts.allowEmpty) return;
  const n = Number((await db.query(`SELECT COUNT(*) AS n FROM ${db.dialect.quoteIdent(current)}`))[0].n);
  if (n > 0) problems.push(`the dump's ${token.source} table has no rows (a --no-data or --schema-only dump?), the target's ${current} has ${n}: restoring would delete every token; add --allow-empty if that is what you want`);
}

/** The dump, read again for loading, with its SHA-256 checked against the validation pass before anything is committed. */
function checkedDump(src: BackupSource): { stream: AsyncIterable<Buffer>; verify(): void } {
  if (!src.dumpSha256) throw new Error('internal: a restore without the validation pass (inspectDump)');
  const h = createHash('sha256');
  return {
    stream: (async function* () {
      for await (const c of src.openDump()) {
        h.update(c);
        yield c;
      }
    })(),
    verify() {
      if (h.digest('hex') !== src.dumpSha256) throw new InputError(`${src.path} changed while it was being restored`, 'nothing was changed; run the restore again on a file that is not being written');
    },
  };
}

interface LoadContext {
  db: Db;
  plan: RestorePlan;
  opts: RestoreOptions;
  /** Name the rows of a planned table go into (a shadow name on MySQL). */
  into(t: PlannedTable): string;
  /** Creates the table (or its shadow). */
  create(t: PlannedTable): Promise<void>;
  /** Same-engine DDL from the dump, rebuilt from its parsed form (indexes, constraints, sequences). */
  ddl(t: PlannedTable | undefined, ev: Extract<DumpEvent, { type: 'ddl' }>): Promise<void>;
  preserved: { columns: string[]; rows: SqlValue[][]; keys: Set<string> };
  /** More connections rows are loaded over besides `db` (MySQL --jobs; none where the restore is one transaction). */
  extra: Db[];
  /** Every table rows go into was created by this restore's transaction (PostgreSQL, SQLite). */
  createdInTransaction: boolean;
}

const adminKey = (groupid: unknown, userid: unknown) => `${String(groupid)}\u0000${String(userid)}`;

async function readPreservedAdmins(db: Db, plan: RestorePlan): Promise<LoadContext['preserved']> {
  const empty = { columns: [], rows: [], keys: new Set<string>() };
  if (!plan.preservedAdmins) return empty;
  const target = findCI(await db.listTables(), 'imported_user');
  if (!target) return empty;
  const q = db.dialect.quoteIdent;
  const rows = await db.query(`SELECT * FROM ${q(target)} WHERE ${q('groupid')} = ?`, [plan.adminResolver]);
  const columns = rows.length ? Object.keys(rows[0]) : [];
  return { columns, rows: rows.map((r) => columns.map((c) => r[c])), keys: new Set(rows.map((r) => adminKey(r.groupid, r.userid))) };
}

/** A table's rows streaming into one open statement (RowStream), and the check of what it stored. */
interface OpenLoad {
  /** Table and column list: another COPY of the table with other columns is a statement of its own. */
  key: string;
  sink: RowStream;
  sent: number;
  check: (stored: number) => void;
}

/** Walks the dump's events and loads the planned tables through `ctx`. */
async function load(ctx: LoadContext, src: BackupSource): Promise<Map<string, number>> {
  const byName = new Map(ctx.plan.tables.map((t) => [t.source, t]));
  const created = new Set<string>();
  const loaded = new Map<string, number>();
  /** Rows of each dump table read from the dump (compared with the validation pass at the end). */
  const read = new Map<string, number>();
  const dump = checkedDump(src);
  const where = dumpWhere(src);
  // Inserts in flight (one per connection) while the next batch is parsed: parsing and the server's work overlap.
  const lanes = new Lanes([ctx.db, ...ctx.extra]);
  /**
   * PostgreSQL: a table's rows go as ONE COPY left open over the dump's blocks (the server never
   * waits for a round trip between them); its stored count is checked when it ends.
   */
  let open: OpenLoad | undefined;
  const closeOpen = async () => {
    const o = open;
    open = undefined;
    if (o) o.check(await o.sink.end());
  };
  const settle = async () => {
    await closeOpen();
    await lanes.settle();
  };
  try {
    for await (const ev of readDump(dump.stream, src.dialect, where)) {
      throwIfInterrupted(ctx.opts);
      if (ev.type !== 'rows') await settle();
      if (ev.type === 'create') {
        const t = byName.get(ev.table);
        if (!t || created.has(t.source)) continue;
        created.add(t.source);
        ctx.opts.onTable?.(t.target, t.rows);
        await ctx.create(t);
      } else if (ev.type === 'rows') {
        const t = byName.get(ev.table);
        if (!t) continue;
        if (!created.has(t.source)) {
          created.add(t.source);
          ctx.opts.onTable?.(t.target, t.rows);
          await ctx.create(t);
        }
        const columns = ev.columns ?? t.columns;
        const keepAdmins = t.target.toLowerCase() === 'imported_user' && ctx.preserved.keys.size > 0;
        const candidate = t.ddl === 'dump' && !keepAdmins ? ev.passthrough() : null;
        // On Galera one INSERT is one write set: a statement over the cluster's limits is inserted in chunks instead.
        const text = candidate && fitsWriteSet(ctx.plan, () => ev.count(), candidate.length) ? candidate : null;
        read.set(t.source, (read.get(t.source) ?? 0) + ev.count());
        if (!loaded.has(t.target)) loaded.set(t.target, 0);
        /** The server must store every row sent: INSERT IGNORE-like losses or REPLACE-like doubles are errors. */
        const count = (line: number, sent: number, n: number) => {
          if (n !== sent) throw new InputError(`${where} line ${line}: ${n} of ${sent} rows of ${t.source} were stored`, 'nothing was changed; the dump holds duplicate keys or rows the target table cannot take');
          loaded.set(t.target, (loaded.get(t.target) ?? 0) + n);
        };
        const stored = (sent: number) => (n: number) => {
          count(ev.line, sent, n);
          ctx.opts.onRows?.(t.target, n);
        };
        if (text && ctx.db.openLoad && !ctx.extra.length) {
          // Same engine, the dump's own table, one connection: the text streams into one open statement.
          const key = `${t.source}\u0000${ev.columns?.join('\u0000') ?? ''}`;
          if (open && open.key !== key) await closeOpen();
          if (!open) {
            const sink = await ctx.db.openLoad(ctx.into(t), ev.columns, { createdInTransaction: ctx.createdInTransaction });
            const line = ev.line;
            const o: OpenLoad = { key, sink, sent: 0, check: (n) => count(line, o.sent, n) };
            open = o;
          }
          const n = ev.count();
          open.sent += n;
          await open.sink.write(text);
          ctx.opts.onRows?.(t.target, n);
        } else if (text) {
          // Same engine, the dump's own table: its checked text goes to the server as it is (as mariadb/psql would).
          await closeOpen(); // a statement queued behind an open COPY on its connection would wait for ever
          const n = ev.count();
          await lanes.submit((db) => db.loadRows(ctx.into(t), ev.columns, text, { createdInTransaction: ctx.createdInTransaction }).then(stored(n)));
        } else {
          let rows = ev.values();
          if (keepAdmins) {
            const g = columns.indexOf('groupid');
            const u = columns.indexOf('userid');
            rows = rows.filter((r) => !ctx.preserved.keys.has(adminKey(r[g], r[u])));
          }
          if (t.ddl === 'model') {
            const types = columns.map((c) => t.def!.columns.find((x) => x.name === c)!.type);
            try {
              rows = rows.map((r) => r.map((v, i) => convertValue(v, types[i])));
            } catch (e) {
              if (e instanceof ConversionError) throw new InputError(`${where} line ${ev.line}: a value of ${t.source} cannot be converted: ${e.message}`);
              throw e;
            }
          }
          if (rows.length) {
            await closeOpen();
            const r = rows;
            await lanes.submit((db) => db.insertMany(ctx.into(t), columns, r).then(stored(r.length)));
          }
        }
        await ctx.opts.afterBatch?.(t.target);
      } else if (ev.type === 'set' && ev.name === 'time_zone' && ctx.db.engine === 'mysql' && src.dialect === 'mysql') {
        // TIMESTAMP values in the dump are in this zone (mysqldump and our dumps: '+00:00'), on every connection.
        for (const db of lanes.dbs) await db.execute('SET SESSION time_zone = ?', [ev.value]);
      } else if (ev.type === 'ddl' && ctx.plan.sameEngine) {
        const t = ev.table ? byName.get(ev.table) : undefined;
        if (ev.table && (!t || t.ddl !== 'dump')) continue;
        await ctx.ddl(t, ev);
      }
    }
    await settle();
  } catch (err) {
    // batches still in flight finish (or fail) before the caller drops the shadows they write to
    await open?.sink.abort();
    await lanes.settle().catch(() => undefined);
    throw err;
  }
  dump.verify();
  for (const t of ctx.plan.tables) {
    const n = read.get(t.source) ?? 0;
    if (n !== t.rows) throw new InputError(`${where}: ${n} rows of ${t.source} were read for the restore, ${t.rows} when the backup was checked`, 'nothing was changed; run the restore again on a file that is not being written');
  }
  // Tables with neither CREATE nor rows in the dump cannot occur (planned tables come from the dump).
  if (ctx.preserved.rows.length) {
    const iu = ctx.plan.tables.find((t) => t.target.toLowerCase() === 'imported_user');
    if (iu) {
      const cols = ctx.preserved.columns.filter((c) => iu.columns.includes(c));
      const idx = cols.map((c) => ctx.preserved.columns.indexOf(c));
      await ctx.db.insertMany(ctx.into(iu), cols, ctx.preserved.rows.map((r) => idx.map((i) => r[i])));
    }
  }
  return loaded;
}

/**
 * Drops the tables the restore replaces in one statement, so foreign keys among them need no
 * CASCADE — and without CASCADE, a view or foreign key of another application on a LinOTP table
 * stops the restore (the transaction rolls back) instead of being dropped silently with it.
 */
async function dropReplacedPg(tx: Db, plan: RestorePlan): Promise<void> {
  const present = new Set(await tx.listTables());
  const names = plan.tables.map((t) => t.target).filter((t) => present.has(t));
  if (!names.length) return;
  try {
    await tx.execute(`DROP TABLE ${names.map((n) => tx.dialect.quoteIdent(n)).join(', ')}`);
  } catch (e) {
    const cause = (e as { cause?: { code?: string; detail?: string } }).cause;
    if (cause?.code !== '2BP01') throw e;
    const detail = String(cause.detail ?? '').split('\n')[0];
    throw new InputError(`other objects in ${plan.target} depend on the tables the restore replaces (${detail})`, 'nothing was changed; drop or move those objects first, or restore into an empty database');
  }
}

async function applyInTransaction(db: Db, src: BackupSource, plan: RestorePlan, opts: RestoreOptions): Promise<Map<string, number>> {
  const engine = db.engine;
  const q = db.dialect.quoteIdent;
  const drop = (name: string) => `DROP TABLE IF EXISTS ${q(name)}`;
  return db.transaction(async (tx) => {
    const preserved = await readPreservedAdmins(tx, plan);
    if (engine === 'postgres') {
      // A table's rows are one COPY (minutes for a large audit table): a statement_timeout set for
      // LinOTP's role or database must not cut it off, as pg_dump's own header says for psql.
      await tx.execute('SET LOCAL statement_timeout = 0');
      await tx.execute('SET LOCAL idle_in_transaction_session_timeout = 0');
      await dropReplacedPg(tx, plan);
    }
    const ctx: LoadContext = {
      db: tx,
      plan,
      opts,
      preserved,
      into: (t) => t.target,
      extra: [],
      createdInTransaction: true,
      async create(t) {
        await tx.execute(drop(t.target));
        if (t.ddl === 'dump') {
          await tx.execute(createTableFromDump(t.dumpDef!, engine));
        } else {
          const def = { ...t.def!, name: t.target };
          await tx.execute(createTableSql(def, engine, { omitColumns: t.omitColumns }));
          for (const s of createIndexSql(def, engine, { omitColumns: t.omitColumns })) await tx.execute(s);
        }
      },
      async ddl(_t, ev) {
        const { sql, params } = ddlStatementSql(ev.stmt, engine);
        // A sequence of the same name (a previous restore's, or LinOTP's own) is replaced, as pg_dump --clean would.
        if (ev.stmt.kind === 'sequence') await tx.execute(`DROP SEQUENCE IF EXISTS ${q(ev.stmt.name)} CASCADE`);
        if (params) await tx.query(sql, params);
        else await tx.execute(sql);
      },
    };
    const loaded = await load(ctx, src);
    if (engine === 'postgres') {
      // Cross-engine tables got SERIAL columns: move their sequences past the restored ids.
      for (const t of plan.tables.filter((x) => x.ddl === 'model')) {
        const pk = t.def!.columns.find((c) => c.autoincrement);
        if (!pk) continue;
        await tx.query(`SELECT setval(pg_get_serial_sequence(?, ?), COALESCE(MAX(${q(pk.name)}), 1), MAX(${q(pk.name)}) IS NOT NULL) FROM ${q(t.target)}`, [q(t.target), pk.name]);
      }
    }
    return loaded;
  });
}

/**
 * A plain (non-unique) index no foreign key of its table needs: built after the rows. Unique keys
 * stay in the CREATE TABLE (a duplicate fails at its row, as in the dump's own order), and so do
 * indexes a foreign key leans on (InnoDB would make one of its own meanwhile).
 */
function deferrable(i: DumpIndex, def: DumpTableDef): boolean {
  if (i.unique || i.fulltext) return false;
  return !def.foreignKeys.some((fk) => fk.columns.every((c, n) => i.columns[n]?.name === c));
}

const NEW = '__lm_new';
const OLD = '__lm_old';

/**
 * Names in a MySQL shadow table: the restored tables (and references to them) get the shadow name;
 * InnoDB's own foreign key names (`<t>_ibfk_N`, per database) are left to InnoDB, which names the
 * shadow's `<t>__lm_new_ibfk_N` and renames them back with RENAME TABLE; other names get a suffix.
 */
export function shadowNames(inSet: Set<string>): GenOptions {
  return {
    tableName: (n) => (inSet.has(n) ? n + NEW : n),
    fkName: (n) => (!n || /_ibfk_\d+$/.test(n) ? null : n + '__lm'),
  };
}

function throwIfInterrupted(opts: RestoreOptions): void {
  if (opts.signal?.aborted) throw new InterruptedError(opts.signal.reason as NodeJS.Signals, 'the restore stopped and cleaned up; nothing was changed');
}

/**
 * Which side of the swap the target is on, seen through a fresh connection after the one that sent
 * the RENAME failed (connection killed, server gone): 'new' when every restored table is in place
 * and no shadow is left, 'old' when every shadow is still there, otherwise 'unknown'.
 */
async function swapState(db: Db, plan: RestorePlan): Promise<'new' | 'old' | 'unknown'> {
  const tables = new Set(await db.listTables());
  if (plan.tables.every((t) => tables.has(t.target) && !tables.has(t.target + NEW))) return 'new';
  if (plan.tables.every((t) => tables.has(t.target + NEW))) return 'old';
  return 'unknown';
}

/**
 * MySQL: drops shadows (or the swapped-out old tables) that reference each other, on one connection
 * with foreign_key_checks off (MariaDB refuses a parent table even when its children go in the same
 * statement). Failures are left for the next run, which removes leftovers first.
 */
async function dropQuietly(db: Db, tables: string[]): Promise<void> {
  if (!tables.length) return;
  const list = tables.map((t) => db.dialect.quoteIdent(t)).join(', ');
  await db
    .transaction(async (tx) => {
      await tx.execute('SET SESSION foreign_key_checks = 0');
      try {
        await tx.execute(`DROP TABLE IF EXISTS ${list}`);
      } finally {
        await tx.execute('SET SESSION foreign_key_checks = 1');
      }
    })
    .catch(() => undefined);
}

async function applyMysqlShadow(db: Db, src: BackupSource, plan: RestorePlan, opts: RestoreOptions, warnings: string[]): Promise<Map<string, number>> {
  const swap: { sent: boolean; loaded?: Map<string, number> } = { sent: false };
  try {
    return await loadAndSwap(db, src, plan, opts, swap);
  } catch (err) {
    if (!swap.sent || err instanceof InterruptedError) throw err;
    // The swap was sent and its connection failed (KILL CONNECTION, server restart): the RENAME is
    // atomic, so the target is wholly NEW or wholly OLD — a fresh connection tells which.
    const reason = err instanceof Error ? err.message : String(err);
    const state = await swapState(db, plan).catch(() => 'unknown' as const);
    if (state === 'new') {
      await dropQuietly(db, plan.tables.map((t) => t.target + OLD));
      warnings.push(`the connection failed after the swap (${reason}); checked again: the target holds the restored tables`);
      return swap.loaded!;
    }
    if (state === 'old') {
      await dropQuietly(db, plan.tables.map((t) => t.target + NEW));
      throw new DatabaseError(`the restore's connection failed at the swap (${reason}); checked again: the target still holds its old tables, nothing was changed`, 'run the restore again');
    }
    throw new DatabaseError(
      `the restore's connection failed at the swap (${reason}), and the target could not be checked: it holds either the old or the restored tables`,
      `look at the tables of ${plan.target}: *${NEW} tables mean the old ones are still in place; run the restore again in either case`,
    );
  }
}

async function loadAndSwap(db: Db, src: BackupSource, plan: RestorePlan, opts: RestoreOptions, swap: { sent: boolean; loaded?: Map<string, number> }): Promise<Map<string, number>> {
  const q = db.dialect.quoteIdent;
  const inSet = new Set(plan.tables.map((t) => t.target));
  const names = shadowNames(inSet);
  // One connection for the whole load (session settings; the shadows are invisible to LinOTP).
  return db.transaction(async (tx) => {
    const saved = (await tx.query('SELECT @@SESSION.sql_mode AS m, @@SESSION.time_zone AS tz, @@SESSION.foreign_key_checks AS fk'))[0];
    const leftovers = (await tx.listTables()).filter((t) => SHADOW_RE.test(t));
    // The session of every connection the load uses, and how each is given back.
    const session = {
      async setup(c: Db) {
        await c.execute('SET SESSION foreign_key_checks = 0');
        // Strict: a value the target column cannot hold fails the restore instead of being cut
        // silently; NO_AUTO_VALUE_ON_ZERO keeps id 0 rows, as mysqldump's own header does.
        await c.execute("SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_AUTO_VALUE_ON_ZERO'");
      },
      async teardown(c: Db) {
        await c.execute('SET SESSION foreign_key_checks = ?', [Number(saved.fk)]);
        await c.execute('SET SESSION sql_mode = ?', [String(saved.m)]);
        await c.execute('SET SESSION time_zone = ?', [String(saved.tz)]);
      },
    };
    try {
      await session.setup(tx);
      for (const t of leftovers) await tx.execute(`DROP TABLE IF EXISTS ${q(t)}`);
      const preserved = await readPreservedAdmins(tx, plan);
      /** Plain indexes of the shadows, built after their rows (one sorted build instead of a B-tree insert per row). */
      const deferred: { table: string; indexes: DumpIndex[] }[] = [];
      const ctx: LoadContext = {
        db: tx,
        plan,
        opts,
        preserved,
        into: (t) => t.target + NEW,
        extra: [],
        createdInTransaction: false,
        async create(t) {
          if (t.ddl === 'dump') {
            const later = t.dumpDef!.indexes.filter((i) => deferrable(i, t.dumpDef!));
            if (later.length) deferred.push({ table: t.target + NEW, indexes: later });
            await tx.execute(createTableFromDump({ ...t.dumpDef!, indexes: t.dumpDef!.indexes.filter((i) => !later.includes(i)) }, 'mysql', names));
          } else {
            const def: TableDef = {
              ...t.def!,
              name: t.target + NEW,
              foreignKeys: t.def!.foreignKeys.map((fk) => ({ ...fk, refTable: inSet.has(fk.refTable) ? fk.refTable + NEW : fk.refTable })),
            };
            await tx.execute(createTableSql(def, 'mysql', { omitColumns: t.omitColumns, mysqlTable: 'utf8mb4' }));
            for (const s of createIndexSql(def, 'mysql', { omitColumns: t.omitColumns })) await tx.execute(s);
          }
        },
        async ddl(_t, ev) {
          // mysqldump writes every key inside CREATE TABLE; a separate CREATE INDEX goes to the shadow.
          await tx.execute(ddlStatementSql(ev.stmt, 'mysql', names).sql);
        },
      };
      // Galera: one connection (its write sets are bounded per statement, and certified in order).
      const jobs = plan.cluster.kind === 'galera' ? 1 : jobsFor(opts.jobs);
      const loaded = await withExtraConnections(tx, jobs - 1, session, (extra) => load({ ...ctx, extra }, src));
      for (const d of deferred) {
        throwIfInterrupted(opts);
        await tx.execute(addIndexesSql(d.table, d.indexes));
      }
      const current = await tx.listTables();
      const renames: string[] = [];
      for (const t of plan.tables) {
        if (current.includes(t.target)) renames.push(`${q(t.target)} TO ${q(t.target + OLD)}`);
        renames.push(`${q(t.target + NEW)} TO ${q(t.target)}`);
      }
      throwIfInterrupted(opts);
      // The one atomic step: every table is swapped at once, or none is.
      swap.sent = true;
      swap.loaded = loaded;
      await tx.execute(`RENAME TABLE ${renames.join(', ')}`);
      for (const t of plan.tables) await tx.execute(`DROP TABLE IF EXISTS ${q(t.target + OLD)}`);
      return loaded;
    } catch (err) {
      if (!swap.sent) await dropQuietly(tx, plan.tables.map((t) => t.target + NEW));
      throw err;
    } finally {
      await session.teardown(tx).catch(() => undefined);
    }
  });
}

/** Applies a plan that has no problems. Holds the restore lock on the target while it runs. */
export async function applyRestore(db: Db, src: BackupSource, plan: RestorePlan, opts: RestoreOptions = {}): Promise<RestoreResult> {
  if (plan.problems.length) throw new InputError(`the backup cannot be restored: ${plan.problems[0]}`, plan.problems.length > 1 ? `${plan.problems.length - 1} more problem(s); run backup verify for the full list` : undefined);
  if (!plan.tables.length) throw new InputError('the backup contains no table that can be restored into this database');
  const started = Date.now();
  const warnings: string[] = [];
  const loaded = await db.withLock(LOCK_PURPOSE, async () => {
    if (db.engine === 'mysql') return applyMysqlShadow(db, src, plan, opts, warnings);
    if (db.engine === 'sqlite') {
      // As sqlite3's .dump does: tables are dropped and recreated in any order.
      const fk = Number((await db.query('PRAGMA foreign_keys'))[0]?.foreign_keys ?? 0);
      await db.execute('PRAGMA foreign_keys = OFF');
      try {
        return await applyInTransaction(db, src, plan, opts);
      } finally {
        if (fk) await db.execute('PRAGMA foreign_keys = ON');
      }
    }
    return applyInTransaction(db, src, plan, opts);
  });
  const seconds = (Date.now() - started) / 1000;
  const tables = plan.tables.map((t) => ({ name: t.target, rows: loaded.get(t.target) ?? 0 }));
  const total = tables.reduce((a, t) => a + t.rows, 0);
  return { tables, warnings, preservedAdmins: plan.preservedAdmins, seconds, rowsPerSecond: seconds > 0 ? Math.round(total / seconds) : total };
}

