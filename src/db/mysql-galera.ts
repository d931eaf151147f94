/**
 * MariaDB Galera pieces of the MySQL adapter: detection, and the cluster-wide lock.
 *
 * Why a lock row: GET_LOCK() is local to one node, so two runs through two nodes would not see
 * each other. The lock is a row in `linotp_migrate_lock` (InnoDB, replicated) in the target
 * database, inserted in its own autocommitted transaction. Galera certifies write sets in one
 * total order: of two runs inserting the same primary key through two nodes at the same moment,
 * exactly one commits, the other gets a certification conflict (or, a moment later, a duplicate
 * key). The holder refreshes a heartbeat every HEARTBEAT_MS; a row whose heartbeat is older than
 * STALE_SECONDS is from a dead run and is taken over with a conditional UPDATE (again certified,
 * so two takers cannot both win). A run killed on the same node is recognised at once: each run
 * also holds the node-local GET_LOCK, so when the row names this node (its gcomm member id) and
 * that GET_LOCK was free, its holder is gone.
 */
import { randomBytes } from 'node:crypto';
import type { Pool, PoolConnection } from 'mysql2/promise';
import { DatabaseError } from '../errors.js';
import { writeSetRows, type ClusterInfo } from './cluster.js';
import { lockHeldError, thisHost } from './common.js';
import type { DbUrl } from './types.js';

export const LOCK_TABLE = 'linotp_migrate_lock';
export const HEARTBEAT_MS = 5_000;
export const STALE_SECONDS = 60;

type Runner = Pick<PoolConnection, 'query'>;

/** Galera facts of the server behind `c`, or `single` (plain MariaDB/MySQL, or wsrep without a provider). */
export async function galeraInfo(c: Runner): Promise<ClusterInfo> {
  const [vars] = await c.query("SHOW VARIABLES WHERE Variable_name IN ('wsrep_on', 'wsrep_provider', 'wsrep_node_name', 'wsrep_max_ws_rows', 'wsrep_max_ws_size')");
  const v = Object.fromEntries((vars as any[]).map((r) => [String(r.Variable_name), String(r.Value)]));
  if (v.wsrep_on !== 'ON' || !v.wsrep_provider || v.wsrep_provider === 'none') return { kind: 'single' };
  const [status] = await c.query(
    "SHOW STATUS WHERE Variable_name IN ('wsrep_cluster_size', 'wsrep_local_state_comment', 'wsrep_ready', 'wsrep_cluster_status', 'wsrep_incoming_addresses', 'wsrep_gcomm_uuid')",
  );
  const s = Object.fromEntries((status as any[]).map((r) => [String(r.Variable_name), String(r.Value)]));
  return {
    kind: 'galera',
    size: Number(s.wsrep_cluster_size ?? 0),
    state: s.wsrep_local_state_comment ?? 'unknown',
    ready: s.wsrep_ready === 'ON',
    status: s.wsrep_cluster_status ?? 'unknown',
    nodes: (s.wsrep_incoming_addresses ?? '').split(',').map((x) => x.trim()).filter(Boolean),
    nodeName: v.wsrep_node_name ?? '',
    nodeId: s.wsrep_gcomm_uuid ?? '',
    maxWsRows: Number(v.wsrep_max_ws_rows ?? 0),
    maxWsSize: Number(v.wsrep_max_ws_size ?? 2147483647),
  };
}

const errno = (e: unknown): number | undefined => (e as { errno?: number })?.errno;
/** ER_LOCK_DEADLOCK: what a write set that lost certification reports. */
const CERTIFICATION_FAILED = 1213;
const DUPLICATE_KEY = 1062;

interface LockRow {
  holder: string;
  node_id: string;
  node_name: string | null;
  host: string | null;
  pid: number | null;
  age: number;
}

/**
 * Holds the cluster-wide lock (row key `key`, at most 64 characters; `purpose` names the command in refusals) while `fn` runs. The caller already holds the node-local
 * GET_LOCK of the same name (so a row of this node is a dead run's). Lock statements run on a
 * connection of their own, autocommitted, whatever transaction `fn` opens.
 */
export async function withGaleraLock<T>(pool: Pool, url: DbUrl, info: Extract<ClusterInfo, { kind: 'galera' }>, purpose: string, key: string, fn: () => Promise<T>): Promise<T> {
  const c = await pool.getConnection();
  const holder = randomBytes(12).toString('hex');
  let heartbeat: NodeJS.Timeout | undefined;
  let pending: Promise<unknown> = Promise.resolve();
  let held = false;
  try {
    // Reads wait until this node has applied everything committed before them, cluster-wide.
    await c.query('SET SESSION wsrep_sync_wait = 1');
    await c.query(
      `CREATE TABLE IF NOT EXISTS \`${LOCK_TABLE}\` (
         name VARCHAR(64) NOT NULL PRIMARY KEY, holder VARCHAR(32) NOT NULL, node_id VARCHAR(64) NOT NULL,
         node_name VARCHAR(128) NULL, host VARCHAR(255) NULL, pid INT NULL,
         acquired DATETIME NOT NULL, heartbeat DATETIME NOT NULL
       ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
    );
    const mine = [holder, info.nodeId, info.nodeName, thisHost, process.pid];
    try {
      await c.query(`INSERT INTO \`${LOCK_TABLE}\` (name, holder, node_id, node_name, host, pid, acquired, heartbeat) VALUES (?, ?, ?, ?, ?, ?, UTC_TIMESTAMP(), UTC_TIMESTAMP())`, [key, ...mine]);
      held = true;
    } catch (e) {
      if (errno(e) === CERTIFICATION_FAILED) throw lockHeldError(purpose, url, 'taken at the same moment through another Galera node');
      if (errno(e) !== DUPLICATE_KEY) throw e;
    }
    if (!held) {
      const [rows] = await c.query(
        `SELECT holder, node_id, node_name, host, pid, TIMESTAMPDIFF(SECOND, heartbeat, UTC_TIMESTAMP()) AS age FROM \`${LOCK_TABLE}\` WHERE name = ?`,
        [key],
      );
      const row = (rows as LockRow[])[0];
      const deadHere = row && row.node_id === info.nodeId;
      if (row && !deadHere && Number(row.age) <= STALE_SECONDS) {
        throw lockHeldError(
          purpose,
          url,
          `pid ${row.pid} on ${row.host} through Galera node ${row.node_name || row.node_id}, last heartbeat ${row.age}s ago; a run silent for ${STALE_SECONDS}s is taken over`,
        );
      }
      // A dead run's row (or none any more): take it over only if it is still that row.
      const [res] = row
        ? await c.query(
            `UPDATE \`${LOCK_TABLE}\` SET holder = ?, node_id = ?, node_name = ?, host = ?, pid = ?, acquired = UTC_TIMESTAMP(), heartbeat = UTC_TIMESTAMP() WHERE name = ? AND holder = ?`,
            [...mine, key, row.holder],
          ).catch((e) => {
            if (errno(e) === CERTIFICATION_FAILED) throw lockHeldError(purpose, url, 'taken over at the same moment through another Galera node');
            throw e;
          })
        : await c.query(`INSERT INTO \`${LOCK_TABLE}\` (name, holder, node_id, node_name, host, pid, acquired, heartbeat) VALUES (?, ?, ?, ?, ?, ?, UTC_TIMESTAMP(), UTC_TIMESTAMP())`, [key, ...mine]).catch((e) => {
            if (errno(e) === CERTIFICATION_FAILED || errno(e) === DUPLICATE_KEY) throw lockHeldError(purpose, url, 'taken at the same moment through another Galera node');
            throw e;
          });
      if ((res as { affectedRows: number }).affectedRows !== 1) throw lockHeldError(purpose, url, 'taken over by another run a moment ago');
      held = true;
    }
    heartbeat = setInterval(() => {
      pending = pending.then(() => c.query(`UPDATE \`${LOCK_TABLE}\` SET heartbeat = UTC_TIMESTAMP() WHERE name = ? AND holder = ?`, [key, holder]).catch(() => undefined));
    }, HEARTBEAT_MS);
    heartbeat.unref();
    return await fn();
  } finally {
    if (heartbeat) clearInterval(heartbeat);
    await pending;
    if (held) await c.query(`DELETE FROM \`${LOCK_TABLE}\` WHERE name = ? AND holder = ?`, [key, holder]).catch(() => undefined);
    c.release();
  }
}

/** The write-set limits as batch bounds: rows and bytes per statement, with room to spare. */
export function writeSetBatch(info: ClusterInfo): { maxRows?: number; maxBytes?: number } {
  if (info.kind !== 'galera') return {};
  const rows = writeSetRows(info);
  return {
    maxRows: Number.isFinite(rows) ? rows : undefined,
    // A write set carries each row image plus keys: budget a quarter of the limit for the SQL text.
    maxBytes: info.maxWsSize > 0 ? Math.max(16 * 1024, Math.floor(info.maxWsSize / 4)) : undefined,
  };
}

