/**
 * What a database server is inside a replicated setup, as the adapters detect it (Db.cluster()),
 * and the refusals that follow from it. No driver is imported here.
 * - MariaDB Galera: `wsrep_on` + a loaded provider; only a node whose `wsrep_local_state_comment`
 *   is `Synced` (and `wsrep_ready` ON) takes changes from this tool — a Joiner/Donor/Desynced node
 *   lags or is about to be overwritten by a state transfer.
 * - PostgreSQL: `pg_is_in_recovery()` is true on a hot standby, which is read-only: every mutating
 *   command stops before its first change, naming the primary from `primary_conninfo` when the
 *   role may read it (superuser or pg_read_all_settings).
 */
import { DatabaseError } from '../errors.js';
import type { ClusterInfo, Db, DbUrl } from './types.js';
import { describeDbUrl } from './url.js';

export type { ClusterInfo } from './types.js';

/** `host=db1 port=5432 user=rep …` (libpq keyword/value, or a URI) → host and port. */
export function parsePrimaryConninfo(conninfo: string | undefined): { host?: string; port?: number } {
  if (!conninfo) return {};
  const uri = /^postgres(?:ql)?:\/\/(?:[^@/]*@)?([^/:?,]+)(?::(\d+))?/.exec(conninfo.trim());
  if (uri) return { host: decodeURIComponent(uri[1]), port: uri[2] ? Number(uri[2]) : undefined };
  const out: { host?: string; port?: number } = {};
  const re = /(\w+)\s*=\s*(?:'((?:[^'\\]|\\.)*)'|(\S+))/g;
  for (let m; (m = re.exec(conninfo)); ) {
    const value = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3];
    if (m[1] === 'host' || (m[1] === 'hostaddr' && !out.host)) out.host = value;
    if (m[1] === 'port') out.port = Number(value) || undefined;
  }
  return out;
}

/** The refusal of a PostgreSQL standby (exit 1). */
export function standbyError(url: DbUrl, info: Extract<ClusterInfo, { kind: 'pg-standby' }>): DatabaseError {
  const primary = info.primaryHost ? `${info.primaryHost}${info.primaryPort ? ':' + info.primaryPort : ''}` : undefined;
  return new DatabaseError(
    `${describeDbUrl(url)} is a PostgreSQL standby (in recovery, read-only); nothing was changed`,
    primary
      ? `point the database URI at the primary, ${primary} (the standby's primary_conninfo)`
      : 'point the database URI at the primary (the standby\'s primary_conninfo names it; this role may not read it)',
  );
}

/** The refusal of a Galera node that is not Synced or has no quorum (exit 1). */
export function galeraNodeError(url: DbUrl, info: Extract<ClusterInfo, { kind: 'galera' }>): DatabaseError | undefined {
  if (info.status !== 'Primary') {
    return new DatabaseError(
      `the Galera node ${info.nodeName || describeDbUrl(url)} is not part of the primary component (wsrep_cluster_status ${info.status}); nothing was changed`,
      'connect to a node of the cluster that has quorum, or restore quorum first',
    );
  }
  if (info.state !== 'Synced' || !info.ready) {
    return new DatabaseError(
      `the Galera node ${info.nodeName || describeDbUrl(url)} is ${info.state}${info.ready ? '' : ' and not ready'}, not Synced; nothing was changed`,
      'wait until the node is Synced (SHOW STATUS LIKE \'wsrep_local_state_comment\') or connect to another node',
    );
  }
  return undefined;
}

/**
 * Rows one write transaction may change on this server: on Galera half of wsrep_max_ws_rows (one
 * transaction is one write set, refused whole above the limit); elsewhere unbounded.
 */
export function writeSetRows(info: ClusterInfo): number {
  return info.kind === 'galera' && info.maxWsRows > 0 ? Math.max(1, Math.floor(info.maxWsRows / 2)) : Infinity;
}

/** Throws when this server must not take changes from the tool (a standby, a Galera node not Synced). */
export function assertWritable(url: DbUrl, info: ClusterInfo): void {
  if (info.kind === 'pg-standby') throw standbyError(url, info);
  if (info.kind === 'galera') {
    const e = galeraNodeError(url, info);
    if (e) throw e;
  }
}

/**
 * On a Galera node: which of `tables` use an engine Galera does not replicate (MyISAM, Aria …).
 * Their rows already differ between the nodes, so changing them in place cannot be made right
 * (an ALTER … ENGINE=InnoDB runs on every node against each node's own rows); the way out is a
 * backup from the node that has the data and `backup restore`, which creates InnoDB tables.
 * Elsewhere: none.
 */
export async function unreplicatedTables(db: Db, tables: string[]): Promise<{ table: string; engine: string }[]> {
  if (db.engine !== 'mysql' || (await db.cluster()).kind !== 'galera') return [];
  const rows = await db.query<{ n: string; e: string | null }>("SELECT TABLE_NAME AS n, ENGINE AS e FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE'");
  const wanted = new Set(tables.map((t) => t.toLowerCase()));
  return rows.filter((r) => wanted.has(r.n.toLowerCase()) && r.e && r.e.toLowerCase() !== 'innodb').map((r) => ({ table: r.n, engine: String(r.e) }));
}

export function unreplicatedMessage(list: { table: string; engine: string }[]): string {
  return `${list.map((x) => `${x.table} (${x.engine})`).join(', ')} ${list.length === 1 ? 'is' : 'are'} not InnoDB: Galera does not replicate ${list.length === 1 ? 'its' : 'their'} rows, so the nodes already differ`;
}

export const UNREPLICATED_HINT =
  'make a backup through the node that has the data (linotp-migrate backup create) and restore it (backup restore creates every LinOTP table as InnoDB), then run this again';
