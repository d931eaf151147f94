/**
 * Real clusters for the cluster tests (never mocks), private to one test run, data in temp dirs:
 * - a 3-node MariaDB Galera cluster (Debian's galera-4 + this MariaDB) on 127.0.0.1, SQL ports
 *   of its own (default 3311–3313), group ports 4567–4569, IST 4577–4579, SST (rsync) 4587–4589;
 *   node 1 bootstraps with --wsrep-new-cluster, nodes 2 and 3 join by rsync SST one after the other;
 * - a PostgreSQL primary (initdb) and a streaming hot standby (pg_basebackup -R) on 5441/5442.
 * The system MariaDB (3306) and PostgreSQL (5432) are never touched. Each start waits for the
 * cluster to be usable (Galera: every node Synced, size 3; PostgreSQL: the standby streaming) with
 * timeouts; stop() ends exactly the processes it started. Outside CI an unavailable cluster is a
 * skip with a reason; with CI set it is an error.
 * When run as root, the servers run as mysql / postgres (their data dirs are chowned).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../../src/db/index.js';
import type { Db } from '../../src/db/types.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const isRoot = process.getuid?.() === 0;
const GALERA_LIB = ['/usr/lib/galera/libgalera_smm.so', '/usr/lib/galera-4/libgalera_smm.so', '/usr/lib64/galera-4/libgalera_smm.so'].find((p) => existsSync(p));

function which(cmd: string, extra: string[] = []): string | undefined {
  for (const dir of [...extra, ...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/usr/bin']) {
    if (dir && existsSync(join(dir, cmd))) return join(dir, cmd);
  }
  return undefined;
}

function uidOf(user: string): { uid: number; gid: number } | undefined {
  try {
    const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith(user + ':'));
    if (!line) return undefined;
    const f = line.split(':');
    return { uid: Number(f[2]), gid: Number(f[3]) };
  } catch {
    return undefined;
  }
}

function chownTree(dir: string, user: string): void {
  const id = uidOf(user);
  if (!id) throw new Error(`user ${user} does not exist`);
  execFileSync('chown', ['-R', `${id.uid}:${id.gid}`, dir]);
  chownSync(dir, id.uid, id.gid);
}

async function portFree(port: number): Promise<boolean> {
  return new Promise((res) => {
    const s = createServer();
    s.once('error', () => res(false));
    s.listen(port, '127.0.0.1', () => s.close(() => res(true)));
  });
}

async function allFree(ports: number[]): Promise<boolean> {
  for (const p of ports) if (!(await portFree(p))) return false;
  return true;
}

/** A skip reason (outside CI) or an Error (CI set). */
export class ClusterUnavailable extends Error {}

function unavailable(reason: string): never {
  throw new ClusterUnavailable(reason);
}

/** The reason to skip the cluster tests (outside CI); with CI set the start-up error is rethrown (a failure). */
export function clusterSkip(err: unknown): string {
  if (process.env.CI) throw err;
  return err instanceof Error ? err.message : String(err);
}

// ---------------------------------------------------------------- Galera

export interface GaleraNode {
  name: string;
  port: number;
  socket: string;
  /** root over the node's unix socket. */
  adminUrl(database?: string): string;
  /** The test user over TCP (what the tool gets). */
  url(database: string): string;
  process?: ChildProcess;
}

export interface GaleraCluster {
  dir: string;
  nodes: GaleraNode[];
  user: string;
  password: string;
  /** Opens the admin connection of node i. */
  admin(i: number, database?: string): Promise<Db>;
  /** A new database on the cluster (created through node 1, replicated), granted to the test user. */
  createDatabase(charset?: string): Promise<{ name: string; drop(): Promise<void> }>;
  stop(): Promise<void>;
}

function galeraConfig(dir: string, i: number, p: { sql: number[]; gcomm: number[]; ist: number[]; sst: number[] }): string {
  const n = `n${i + 1}`;
  return [
    '[mariadbd]',
    `datadir=${join(dir, n)}`,
    `socket=${join(dir, n + '.sock')}`,
    `port=${p.sql[i]}`,
    'bind-address=127.0.0.1',
    ...(isRoot ? ['user=mysql'] : []),
    `pid-file=${join(dir, n + '.pid')}`,
    `log-error=${join(dir, n + '.err')}`,
    // small: 2 cores and other jobs share this machine
    'innodb_buffer_pool_size=64M',
    'innodb_log_file_size=16M',
    'innodb_flush_log_at_trx_commit=2',
    'max_connections=60',
    'performance_schema=OFF',
    'skip-name-resolve',
    'binlog_format=ROW',
    'default_storage_engine=InnoDB',
    'innodb_autoinc_lock_mode=2',
    'wsrep_on=ON',
    `wsrep_provider=${GALERA_LIB}`,
    'wsrep_cluster_name=lmt_test',
    `wsrep_cluster_address=gcomm://${p.gcomm.map((g) => `127.0.0.1:${g}`).join(',')}`,
    `wsrep_node_address=127.0.0.1:${p.gcomm[i]}`,
    `wsrep_node_incoming_address=127.0.0.1:${p.sql[i]}`,
    `wsrep_node_name=${n}`,
    `wsrep_provider_options=gmcast.listen_addr=tcp://127.0.0.1:${p.gcomm[i]};ist.recv_addr=127.0.0.1:${p.ist[i]};gcache.size=32M;pc.wait_prim_timeout=PT10S`,
    `wsrep_sst_receive_address=127.0.0.1:${p.sst[i]}`,
    'wsrep_sst_method=rsync',
    'wsrep_slave_threads=2',
    '',
  ].join('\n');
}

async function waitSynced(node: GaleraNode, size: number, timeoutMs: number, errFile: string): Promise<void> {
  const until = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < until) {
    if (node.process && node.process.exitCode !== null) break;
    try {
      const db = await openDatabase(node.adminUrl(), { connectTimeoutMs: 2000, poolSize: 1 });
      try {
        const rows = await db.query("SHOW STATUS WHERE Variable_name IN ('wsrep_local_state_comment', 'wsrep_cluster_size', 'wsrep_ready')");
        const st = Object.fromEntries(rows.map((r) => [String(r.Variable_name), String(r.Value)]));
        last = `${st.wsrep_local_state_comment}, size ${st.wsrep_cluster_size}`;
        if (st.wsrep_local_state_comment === 'Synced' && Number(st.wsrep_cluster_size) >= size && st.wsrep_ready === 'ON') return;
      } finally {
        await db.close();
      }
    } catch (e) {
      last = (e as Error).message;
    }
    await sleep(300);
  }
  const log = existsSync(errFile) ? readFileSync(errFile, 'utf8').split('\n').filter((l) => /ERROR|FATAL/.test(l)).slice(-3).join(' / ') : '';
  unavailable(`Galera node ${node.name} did not reach Synced in ${Math.round(timeoutMs / 1000)}s (${last})${log ? ': ' + log : ''}`);
}

/** Starts a private Galera cluster of `size` nodes (default 3); `timeoutMs` bounds the whole start-up. */
export async function startGalera(opts: { size?: number; basePort?: number; timeoutMs?: number } = {}): Promise<GaleraCluster> {
  const size = opts.size ?? 3;
  const deadline = Date.now() + (opts.timeoutMs ?? 180_000);
  const left = () => Math.max(1000, deadline - Date.now());
  const mariadbd = which('mariadbd', ['/usr/sbin']);
  const installDb = which('mariadb-install-db') ?? which('mysql_install_db');
  if (!GALERA_LIB) unavailable('galera-4 is not installed (no libgalera_smm.so); apt-get install galera-4');
  if (!mariadbd || !installDb) unavailable('mariadbd / mariadb-install-db not found');
  if (!which('rsync')) unavailable('rsync (the SST method) is not installed');
  if (isRoot && !uidOf('mysql')) unavailable('running as root but there is no mysql user to run mariadbd as');
  // Ports: the first free block of 3 from the base (another run may hold the default one).
  let base = opts.basePort ?? Number(process.env.LMT_GALERA_BASE_PORT ?? 3311);
  let p: { sql: number[]; gcomm: number[]; ist: number[]; sst: number[] } | undefined;
  for (let k = 0; k < 8; k++, base += 3) {
    const off = base - 3311;
    const cand = {
      sql: [...Array(size).keys()].map((i) => base + i),
      gcomm: [...Array(size).keys()].map((i) => 4567 + off + i),
      ist: [...Array(size).keys()].map((i) => 4577 + off + i + (off ? 20 : 0)),
      sst: [...Array(size).keys()].map((i) => 4587 + off + i + (off ? 40 : 0)),
    };
    if (await allFree([...cand.sql, ...cand.gcomm, ...cand.ist, ...cand.sst])) {
      p = cand;
      break;
    }
  }
  if (!p) unavailable('no free block of ports for a Galera test cluster');
  const dir = mkdtempSync(join(tmpdir(), 'lmt-galera-'));
  const nodes: GaleraNode[] = [];
  const user = 'lmt_galera';
  const password = randomBytes(9).toString('base64url');
  const cluster: GaleraCluster = {
    dir,
    nodes,
    user,
    password,
    admin: (i, database) => openDatabase(nodes[i].adminUrl(database), { poolSize: 2 }),
    async createDatabase(charset = 'utf8mb4') {
      const name = `lmt_${process.pid}_${randomBytes(4).toString('hex')}`;
      const db = await cluster.admin(0);
      try {
        await db.execute(`CREATE DATABASE \`${name}\` CHARACTER SET ${charset}`);
      } finally {
        await db.close();
      }
      return {
        name,
        drop: async () => {
          const a = await cluster.admin(0);
          try {
            await a.execute(`DROP DATABASE IF EXISTS \`${name}\``);
          } finally {
            await a.close();
          }
        },
      };
    },
    async stop() {
      await Promise.all(
        nodes.map(async (n) => {
          const pr = n.process;
          if (!pr || pr.exitCode !== null || pr.signalCode) return;
          const done = new Promise((r) => pr.once('exit', r));
          // The data is thrown away: a clean Galera leave takes ~10 s per node for nothing.
          pr.kill('SIGKILL');
          await done;
        }),
      );
      rmSync(dir, { recursive: true, force: true });
    },
  };
  const killAll = () => nodes.forEach((n) => n.process?.exitCode === null && n.process.kill('SIGKILL'));
  process.once('exit', killAll);
  try {
    // One system-table install, copied to every node (each then joins by SST anyway).
    const seed = join(dir, 'seed');
    mkdirSync(seed);
    if (isRoot) chownTree(dir, 'mysql');
    execFileSync(installDb, ['--no-defaults', `--datadir=${seed}`, ...(isRoot ? ['--user=mysql'] : []), '--auth-root-authentication-method=normal', '--skip-test-db'], { stdio: 'pipe' });
    for (let i = 0; i < size; i++) {
      const name = `n${i + 1}`;
      cpSync(seed, join(dir, name), { recursive: true });
      writeFileSync(join(dir, name + '.cnf'), galeraConfig(dir, i, p));
      const socket = join(dir, name + '.sock');
      const port = p.sql[i];
      nodes.push({
        name,
        port,
        socket,
        adminUrl: (database = '') => `mysql://root@localhost/${database}?unix_socket=${socket}`,
        url: (database) => `mysql://${user}:${password}@127.0.0.1:${port}/${database}`,
      });
    }
    if (isRoot) chownTree(dir, 'mysql');
    for (let i = 0; i < size; i++) {
      const n = nodes[i];
      const args = [`--defaults-file=${join(dir, n.name + '.cnf')}`, ...(i === 0 ? ['--wsrep-new-cluster'] : [])];
      n.process = spawn(mariadbd!, args, { stdio: 'ignore' });
      n.process.on('error', () => undefined);
      await waitSynced(n, i + 1, left(), join(dir, n.name + '.err'));
      if (i === 0) {
        const db = await cluster.admin(0);
        try {
          for (const host of ['localhost', '127.0.0.1']) {
            await db.execute(`CREATE USER '${user}'@'${host}' IDENTIFIED BY '${password}'`);
            await db.execute(`GRANT ALL PRIVILEGES ON \`lmt\\_%\`.* TO '${user}'@'${host}'`);
          }
        } finally {
          await db.close();
        }
      }
    }
    for (const n of nodes) await waitSynced(n, size, left(), join(dir, n.name + '.err'));
  } catch (e) {
    killAll();
    await sleep(500);
    rmSync(dir, { recursive: true, force: true });
    throw e instanceof ClusterUnavailable ? e : new ClusterUnavailable(`the Galera test cluster did not start: ${(e as Error).message}`);
  }
  return cluster;
}

// ---------------------------------------------------------------- PostgreSQL primary + standby

export interface PgPair {
  dir: string;
  primaryPort: number;
  standbyPort: number;
  /** The superuser over TCP on the primary / the standby. */
  primaryUrl(database?: string): string;
  standbyUrl(database?: string): string;
  /** Waits until the standby has replayed everything the primary has written so far. */
  caughtUp(timeoutMs?: number): Promise<void>;
  createDatabase(): Promise<{ name: string; drop(): Promise<void> }>;
  stop(): Promise<void>;
}

function pgBin(name: string): string | undefined {
  for (const v of ['17', '16', '15', '14', '13']) {
    const p = `/usr/lib/postgresql/${v}/bin/${name}`;
    if (existsSync(p)) return p;
  }
  return which(name);
}

/** Starts a private PostgreSQL primary and a streaming hot standby of it (never the system cluster). */
export async function startPgPair(opts: { timeoutMs?: number } = {}): Promise<PgPair> {
  const timeoutMs = opts.timeoutMs ?? 120_000;
  const initdb = pgBin('initdb');
  const postgres = pgBin('postgres');
  const basebackup = pgBin('pg_basebackup');
  if (!initdb || !postgres || !basebackup) unavailable('PostgreSQL server binaries (initdb, postgres, pg_basebackup) not found');
  if (isRoot && !uidOf('postgres')) unavailable('running as root but there is no postgres user to run the servers as');
  let primaryPort = 5441;
  while (!(await allFree([primaryPort, primaryPort + 1])) && primaryPort < 5480) primaryPort += 2;
  const standbyPort = primaryPort + 1;
  const dir = mkdtempSync(join(tmpdir(), 'lmt-pgpair-'));
  if (isRoot) chownTree(dir, 'postgres');
  // As root the servers run as postgres: spawned with its uid/gid directly (not through runuser/su,
  // which would stand between our signals and the postmaster).
  const pgId = isRoot ? uidOf('postgres') : undefined;
  const asPg = { ...(pgId ? { uid: pgId.uid, gid: pgId.gid } : {}), cwd: dir, env: { ...process.env, HOME: dir, PGPASSFILE: join(dir, '.pgpass') } };
  const run = (cmd: string, args: string[]) => {
    execFileSync(cmd, args, { stdio: 'pipe', ...asPg });
  };
  const procs: ChildProcess[] = [];
  const superuser = isRoot ? 'postgres' : userInfo().username;
  const url = (port: number) => (database = 'postgres') => `postgresql://${superuser}@127.0.0.1:${port}/${database}`;
  const startServer = (data: string, port: number) => {
    const args = ['-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'shared_buffers=32MB', '-c', 'max_connections=40', '-c', 'fsync=off'];
    const pr = spawn(postgres!, args, { stdio: ['ignore', 'ignore', 'pipe'], ...asPg });
    let log = '';
    pr.stderr!.on('data', (d) => (log = (log + d).slice(-4000)));
    pr.on('error', () => undefined);
    procs.push(pr);
    return { pr, log: () => log };
  };
  const waitReady = async (port: number, standby: boolean, log: () => string) => {
    const until = Date.now() + timeoutMs;
    let last = 'no answer';
    while (Date.now() < until) {
      try {
        const db = await openDatabase(url(port)(), { connectTimeoutMs: 2000, poolSize: 1 });
        try {
          if (!standby) return;
          const r = await db.query("SELECT pg_is_in_recovery() AS rec, (SELECT status FROM pg_stat_wal_receiver) AS st");
          last = `recovery ${r[0].rec}, receiver ${r[0].st}`;
          if (r[0].rec === true && r[0].st === 'streaming') return;
        } finally {
          await db.close();
        }
      } catch (e) {
        last = (e as Error).message;
      }
      await sleep(250);
    }
    unavailable(`PostgreSQL on port ${port} not ready in ${timeoutMs / 1000}s (${last}) ${log().split('\n').slice(-3).join(' / ')}`);
  };
  const stop = async () => {
    for (const pr of procs.slice().reverse()) {
      if (pr.exitCode !== null || pr.signalCode) continue;
      const done = new Promise((r) => pr.once('exit', r));
      // Immediate shutdown (the data is thrown away): the postmaster ends its children itself.
      pr.kill('SIGQUIT');
      const t = setTimeout(() => pr.kill('SIGKILL'), 10_000);
      await done;
      clearTimeout(t);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const killAll = () => procs.forEach((pr) => pr.exitCode === null && pr.kill('SIGKILL'));
  process.once('exit', killAll);
  try {
    const primary = join(dir, 'primary');
    run(initdb, ['-D', primary, '-U', superuser, '-A', 'trust', '-E', 'UTF8', '--locale=C.UTF-8', '--no-sync']);
    writeFileSync(join(primary, 'pg_hba.conf'), 'local all all trust\nhost all all 127.0.0.1/32 trust\nhost replication all 127.0.0.1/32 trust\n');
    const p = startServer(primary, primaryPort);
    await waitReady(primaryPort, false, p.log);
    const standby = join(dir, 'standby');
    run(basebackup, ['-h', '127.0.0.1', '-p', String(primaryPort), '-U', superuser, '-D', standby, '-R', '-X', 'stream', '--no-sync']);
    const s = startServer(standby, standbyPort);
    await waitReady(standbyPort, true, s.log);
  } catch (e) {
    killAll();
    await sleep(300);
    rmSync(dir, { recursive: true, force: true });
    throw e instanceof ClusterUnavailable ? e : new ClusterUnavailable(`the PostgreSQL primary/standby pair did not start: ${(e as Error).message}`);
  }
  const pair: PgPair = {
    dir,
    primaryPort,
    standbyPort,
    primaryUrl: url(primaryPort),
    standbyUrl: url(standbyPort),
    async caughtUp(ms = 30_000) {
      const p = await openDatabase(pair.primaryUrl(), { poolSize: 1 });
      const s = await openDatabase(pair.standbyUrl(), { poolSize: 1 });
      try {
        const lsn = String((await p.query('SELECT pg_current_wal_lsn()::text AS l'))[0].l);
        const until = Date.now() + ms;
        while (Date.now() < until) {
          const r = await s.query('SELECT pg_last_wal_replay_lsn() >= ?::pg_lsn AS ok', [lsn]);
          if (r[0].ok === true) return;
          await sleep(100);
        }
        throw new Error(`the standby did not replay up to ${lsn} in ${ms / 1000}s`);
      } finally {
        await p.close();
        await s.close();
      }
    },
    async createDatabase() {
      const name = `lmt_${process.pid}_${randomBytes(4).toString('hex')}`;
      const db = await openDatabase(pair.primaryUrl(), { poolSize: 1 });
      try {
        await db.execute(`CREATE DATABASE ${name} ENCODING 'UTF8' TEMPLATE template0`);
      } finally {
        await db.close();
      }
      return {
        name,
        drop: async () => {
          const a = await openDatabase(pair.primaryUrl(), { poolSize: 1 });
          try {
            await a.execute(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
          } finally {
            await a.close();
          }
        },
      };
    },
    stop,
  };
  return pair;
}
