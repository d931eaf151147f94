/**
 * `verify --cluster` / `--node`: are the LinOTP tables the same on every node? Per table, a
 * SHA-256 over the rows in primary-key order as the server formats them for a dump (Db.dumpRows:
 * MySQL VALUES tuples, PostgreSQL COPY lines), with the row count. The nodes: a Galera cluster's
 * members from wsrep_incoming_addresses (with the credentials and database of the URI given), and
 * every --node (a URI, or host[:port] with those credentials; a PostgreSQL standby is only found
 * this way). Before reading, each node is given time to apply what the first one had committed
 * (Galera wsrep_last_committed, PostgreSQL replay LSN), so a healthy replica is not reported as
 * different because it lagged a moment. Run it while LinOTP is stopped: live writes differ too.
 */
import { createHash } from 'node:crypto';
import type { ClusterInfo } from '../db/cluster.js';
import { openDatabase } from '../db/index.js';
import type { Db, DbUrl } from '../db/types.js';
import { describeDbUrl, parseDbUrl } from '../db/url.js';
import { UsageError } from '../errors.js';
import { findTable, LINOTP_2_12, LINOTP_3_4, primaryKeyColumns } from '../schema/tables.js';
import type { CheckResult } from './types.js';

import type { ClusterReport, NodeSums } from './types.js';
export type { ClusterReport, NodeSums } from './types.js';

/** A --node value as a URL: a full URI (password taken from the main URI when it has none), or host[:port]. */
export function nodeUrl(main: DbUrl, value: string): DbUrl {
  if (value.includes('://')) {
    const u = parseDbUrl(value);
    if (u.engine !== main.engine) throw new UsageError(`--node ${describeDbUrl(u)} is ${u.engine}, the database is ${main.engine}`, 'give nodes of the same cluster');
    if (u.password === undefined && (u.user ?? main.user) === main.user) return { ...u, user: main.user, password: main.password, database: u.database || main.database };
    return { ...u, database: u.database || main.database };
  }
  const m = /^(?:\[([^\]]+)\]|([^:/\s[\]]+))(?::(\d+))?$/.exec(value.trim());
  if (!m) throw new UsageError(`--node ${value}: not a URI or host[:port]`, 'e.g. --node db2.example.org:3306 or --node postgresql://linotp@standby/linotp');
  const params = { ...main.params };
  delete params.unix_socket;
  delete params.host;
  return { ...main, host: m[1] ?? m[2], port: m[3] ? Number(m[3]) : main.port, params };
}

function sameServer(a: DbUrl, b: DbUrl): boolean {
  return (a.host ?? 'localhost') === (b.host ?? 'localhost') && (a.port ?? 0) === (b.port ?? 0);
}

/** The node URLs to compare against `db`: Galera members (unless `onlyGiven`) and the given ones. */
export function clusterNodes(db: Db, info: ClusterInfo, given: string[]): DbUrl[] {
  const out: DbUrl[] = [];
  const add = (u: DbUrl) => {
    if (!sameServer(u, db.url) && !out.some((x) => sameServer(x, u))) out.push(u);
  };
  if (info.kind === 'galera') {
    for (const addr of info.nodes) {
      if (/^AUTO$/i.test(addr) || !addr) continue;
      add(nodeUrl(db.url, addr));
    }
  }
  for (const g of given) add(nodeUrl(db.url, g));
  return out;
}

const position = {
  async of(db: Db): Promise<string | undefined> {
    if (db.engine === 'mysql') return (await db.query("SHOW STATUS LIKE 'wsrep_last_committed'"))[0]?.Value as string | undefined;
    if (db.engine === 'postgres') {
      const r = await db.query('SELECT CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END::text AS l');
      return String(r[0].l);
    }
    return undefined;
  },
  async reached(db: Db, target: string): Promise<boolean> {
    if (db.engine === 'mysql') {
      const v = (await db.query("SHOW STATUS LIKE 'wsrep_last_committed'"))[0]?.Value;
      return v === undefined || Number(v) >= Number(target);
    }
    if (db.engine === 'postgres') {
      const r = await db.query('SELECT COALESCE(CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END >= ?::pg_lsn, true) AS ok', [target]);
      return r[0].ok === true;
    }
    return true;
  },
};

async function caughtUp(db: Db, target: string | undefined, timeoutMs: number): Promise<boolean> {
  if (target === undefined) return true;
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (await position.reached(db, target)) return true;
    if (Date.now() > until) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** `<rows>:<sha256>` of every table of `db` (the Galera lock table excluded by listTables). */
export async function tableSums(db: Db): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const table of await db.listTables()) {
    const columns = (await db.listColumns(table)).map((c) => c.name);
    const def = findTable(LINOTP_3_4, table) ?? findTable(LINOTP_2_12, table);
    const order = def ? primaryKeyColumns(def) : columns;
    const h = createHash('sha256');
    let rows = 0;
    const nl = Buffer.from('\n');
    for await (const batch of db.dumpRows(table, columns, order.length ? order : columns, { batchSize: 5000 })) {
      rows += batch.rows;
      for (const c of batch.chunks) {
        h.update(c);
        if (db.engine !== 'postgres') h.update(nl);
      }
    }
    out[table] = `${rows}:${h.digest('hex')}`;
  }
  return out;
}

export async function compareNodes(db: Db, given: string[], opts: { timeoutMs?: number } = {}): Promise<ClusterReport> {
  const info = await db.cluster();
  const urls = clusterNodes(db, info, given);
  const target = await position.of(db);
  const nodes: NodeSums[] = [{ node: describeDbUrl(db.url), tables: await tableSums(db) }];
  for (const u of urls) {
    const entry: NodeSums = { node: describeDbUrl(u), tables: {} };
    let other: Db | undefined;
    try {
      other = await openDatabase(u, { poolSize: 2, connectTimeoutMs: 5000 });
      if (!(await caughtUp(other, target, opts.timeoutMs ?? 30_000))) entry.error = `did not catch up with ${nodes[0].node} within ${(opts.timeoutMs ?? 30_000) / 1000}s`;
      entry.tables = await tableSums(other);
    } catch (e) {
      entry.error = (e as Error).message;
    } finally {
      await other?.close().catch(() => undefined);
    }
    nodes.push(entry);
  }
  const names = new Set(nodes.flatMap((n) => Object.keys(n.tables)));
  const reachable = nodes.filter((n) => !n.error || Object.keys(n.tables).length);
  const different = [...names].filter((t) => new Set(reachable.map((n) => n.tables[t] ?? 'missing')).size > 1).sort();
  return { kind: info.kind, nodes, different };
}

export function clusterCheck(r: ClusterReport): CheckResult {
  const base = { id: 'cluster', title: 'same data on every node' };
  const unreachable = r.nodes.filter((n) => n.error);
  if (r.nodes.length < 2) {
    return { ...base, status: 'warn', summary: 'no other node to compare with', hint: r.kind === 'pg-primary' ? 'name the standbys with --node URI' : 'give the other nodes with --node' };
  }
  if (r.different.length) {
    const items = r.different.map((t) => `${t} (${r.nodes.map((n) => `${n.node.replace(/^\w+(\+\w+)?:\/\/([^@]*@)?/, '')}: ${(n.tables[t] ?? 'missing').split(':')[0]} rows`).join(', ')})`);
    return { ...base, status: 'fail', summary: `${r.different.length} table(s) differ between the ${r.nodes.length} nodes`, failed: r.different.length, items, hint: 'a node that differs must be rebuilt from the others (Galera: SST; PostgreSQL: a new base backup)' };
  }
  if (unreachable.length) {
    return { ...base, status: 'fail', summary: `${unreachable.length} of ${r.nodes.length} node(s) could not be compared`, failed: unreachable.length, items: unreachable.map((n) => `${n.node}: ${n.error}`), hint: 'check that every node is up and reachable with these credentials' };
  }
  const tables = Object.keys(r.nodes[0].tables).length;
  return { ...base, status: 'pass', summary: `${tables} tables identical on ${r.nodes.length} nodes (row counts and SHA-256)`, checked: tables, failed: 0 };
}
