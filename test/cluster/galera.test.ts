/**
 * Every mutating command on a real 3-node MariaDB Galera cluster (test/helpers/cluster.ts), run
 * through the built CLI: a LinOTP 2 dump with MyISAM tables restored through node 1 is the same
 * on nodes 2 and 3 (InnoDB everywhere); fix-db-encoding and init database through other nodes,
 * then verify on node 3; two restores through two nodes exclude each other; a restore killed
 * with SIGKILL leaves every node as it was.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/index.js';
import { mysqlLockName } from '../../src/db/mysql.js';
import type { Db } from '../../src/db/types.js';
import { tableSums } from '../../src/verify/cluster.js';
import type { VerifyReport } from '../../src/verify/types.js';
import { clusterSkip, startGalera, type GaleraCluster } from '../helpers/cluster.js';
import { BIN, ensureBuilt, ROOT, runCli } from '../e2e/global-setup.js';

const run = runCli;

function runAsync(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((res) => {
    const c = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    c.stderr.on('data', (d) => (stderr += d));
    c.on('exit', (code) => res({ code, stderr }));
  });
}

/** The demo LinOTP 2 dump as MySQL ≤ 5.1 wrote it: Config, Token, audit and Realm in MyISAM. */
function myisamDump(dir: string): string {
  const text = readFileSync(join(ROOT, 'fixtures', 'demo', 'linotp2-mysql.sql'), 'utf8').replace(
    /(CREATE TABLE `(?:Config|Token|audit|Realm)` \([\s\S]*?)ENGINE=InnoDB/g,
    '$1ENGINE=MyISAM',
  );
  expect(text.match(/ENGINE=MyISAM/g)).toHaveLength(4);
  const file = join(dir, 'linotp2-myisam.sql');
  // and a table of another application without a primary key
  writeFileSync(file, text + '\nCREATE TABLE `site_notes` (`note` varchar(80)) ENGINE=MyISAM DEFAULT CHARSET=utf8mb3;\nINSERT INTO `site_notes` VALUES (\'first\'),(\'second\');\n');
  return file;
}

/** A LinOTP 2 dump with a large audit table (for the kill test): the demo dump plus generated rows. */
function bigDump(dir: string, rows: number): string {
  const base = readFileSync(join(ROOT, 'fixtures', 'demo', 'linotp2-mysql.sql'), 'utf8');
  const values: string[] = [];
  const out: string[] = [];
  for (let i = 0; i < rows; i++) {
    values.push(`(${100000 + i},'2016-03-0${1 + (i % 9)} 10:00:00.000000','${'ab'.repeat(64)}','validate/check','1','s${i}','HMAC','u${i % 500}','realm1','','detail ${i}','info','srv1','127.0.0.1','INFO',0)`);
    if (values.length === 2000) out.push(`INSERT INTO \`audit\` VALUES ${values.splice(0).join(',')};`);
  }
  if (values.length) out.push(`INSERT INTO \`audit\` VALUES ${values.join(',')};`);
  const at = base.indexOf('UNLOCK TABLES;', base.indexOf('INSERT INTO `audit`'));
  expect(at).toBeGreaterThan(0);
  const file = join(dir, 'linotp2-big.sql');
  writeFileSync(file, base.slice(0, at) + out.join('\n') + '\n' + base.slice(at));
  return file;
}

let cluster: GaleraCluster | undefined;
let skipReason = '';
const dir = mkdtempSync(join(tmpdir(), 'lmt-galera-test-'));

beforeAll(async () => {
  await ensureBuilt();
  try {
    cluster = await startGalera();
  } catch (e) {
    skipReason = clusterSkip(e);
  }
}, 240_000);

afterAll(async () => {
  await cluster?.stop();
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

async function sumsOnEveryNode(database: string): Promise<Record<string, string>[]> {
  const out: Record<string, string>[] = [];
  for (let i = 0; i < cluster!.nodes.length; i++) {
    // One connection, so the causality wait set here holds for the reads of tableSums too.
    const db = await openDatabase(cluster!.nodes[i].url(database), { poolSize: 1 });
    try {
      await db.execute('SET SESSION wsrep_sync_wait = 1');
      out.push(await tableSums(db));
    } finally {
      await db.close();
    }
  }
  return out;
}

async function onAdmin(i: number, fn: (db: Db) => Promise<void>): Promise<void> {
  const db = await cluster!.admin(i);
  try {
    await fn(db);
  } finally {
    await db.close();
  }
}

async function waitState(i: number, state: string): Promise<void> {
  for (let k = 0; k < 200; k++) {
    const db = await cluster!.admin(i);
    try {
      if ((await db.query("SHOW STATUS LIKE 'wsrep_local_state_comment'"))[0].Value === state) return;
    } finally {
      await db.close();
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`node ${i + 1} did not become ${state}`);
}

/** Loads a dump with the mariadb client (what an administrator would do by hand). */
function clientLoad(i: number, database: string, file: string) {
  return spawnSync('mariadb', [`--socket=${cluster!.nodes[i].socket}`, '-uroot', database], { input: readFileSync(file), encoding: 'utf8' });
}

describe('on a 3-node MariaDB Galera cluster', () => {
  it('restore of a LinOTP 2 dump with MyISAM tables through node 1: InnoDB and the same checksums on nodes 2 and 3', async (t) => {
    if (!cluster) return t.skip(skipReason);
    const { name, drop } = await cluster.createDatabase();
    try {
      const file = myisamDump(dir);
      const plan = run<any>(['--json', 'backup', 'restore', '--file', file, '--database-uri', cluster.nodes[0].url(name), '--plan']);
      expect(plan.code, plan.stderr).toBe(0);
      expect(plan.json.cluster).toMatchObject({ kind: 'galera', size: 3 });
      expect(plan.json.tables.filter((x: any) => x.engineFrom).map((x: any) => `${x.name}:${x.engineFrom}`).sort()).toEqual(['Config:MyISAM', 'Realm:MyISAM', 'Token:MyISAM', 'audit:MyISAM', 'site_notes:MyISAM']);
      expect(plan.json.tables.filter((x: any) => x.noPrimaryKey).map((x: any) => x.name)).toEqual(['site_notes']);
      const text = run(['backup', 'restore', '--file', file, '--database-uri', cluster.nodes[0].url(name), '--plan']);
      expect(text.stdout + text.stderr).toMatch(/created as InnoDB \(Galera replicates no other engine\): Config \(MyISAM in the dump\)/);
      expect(text.stdout + text.stderr).toMatch(/without a primary key .*: site_notes/);
      const r = run<any>(['--json', '--yes', 'backup', 'restore', '--file', file, '--database-uri', cluster.nodes[0].url(name)]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.json.restored.find((x: any) => x.name === 'Token').rows).toBe(23);

      const sums = await sumsOnEveryNode(name);
      expect(Object.keys(sums[0])).toHaveLength(11);
      expect(sums[0].site_notes.split(':')[0]).toBe('2');
      expect(Number(sums[0].Token.split(':')[0])).toBe(23);
      expect(sums[1]).toEqual(sums[0]);
      expect(sums[2]).toEqual(sums[0]);
      const n3 = await openDatabase(cluster.nodes[2].url(name));
      try {
        const engines = await n3.query("SELECT DISTINCT ENGINE AS e FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()");
        expect(engines.map((e) => e.e)).toEqual(['InnoDB']);
        expect((await n3.query('SELECT COUNT(*) AS n FROM `linotp_migrate_lock`'))[0].n).toBe(0);
      } finally {
        await n3.close();
      }
      // verify on node 2 finds the members itself and compares all three
      const v = run<VerifyReport>(['--json', 'verify', '--database-uri', cluster.nodes[1].url(name), '--skip-encoding']);
      expect(v.code, v.stderr).toBe(0);
      expect(v.json!.cluster!.nodes).toHaveLength(3);
      expect(v.json!.checks.find((c) => c.id === 'cluster')!.status).toBe('pass');
      // AUTO_INCREMENT is right on every node: new rows through each get ids past the restored ones, none twice
      const ids: number[] = [];
      for (const node of cluster.nodes) {
        const db = await openDatabase(node.url(name));
        try {
          await db.execute("INSERT INTO `audit` (`action`) VALUES ('after restore')");
          ids.push(Number((await db.query('SELECT LAST_INSERT_ID() AS id'))[0].id));
        } finally {
          await db.close();
        }
      }
      expect(Math.min(...ids)).toBeGreaterThan(44);
      expect(new Set(ids).size).toBe(3);
    } finally {
      await drop();
    }
  });

  it('fix-db-encoding through node 2 and init database through node 1, then verify on node 3 passes every LinOTP check', async (t) => {
    if (!cluster) return t.skip(skipReason);
    const { name, drop } = await cluster.createDatabase();
    try {
      const file = myisamDump(dir);
      expect(run(['--yes', 'backup', 'restore', '--file', file, '--database-uri', cluster.nodes[0].url(name)]).code).toBe(0);
      const fix = run<any>(['--json', '--yes', 'admin', 'fix-db-encoding', '--database-uri', cluster.nodes[1].url(name)]);
      expect(fix.code, fix.stderr).toBe(0);
      expect(fix.json.totals.repairedValues).toBeGreaterThan(40);
      const init = run<any>(['--json', '--yes', 'init', 'database', '--database-uri', cluster.nodes[0].url(name), '--enc-key', 'fixtures/demo/encKey']);
      expect(init.code, init.stderr).toBe(0);
      const v = run<VerifyReport>(['--json', 'verify', '--database-uri', cluster.nodes[2].url(name), '--enc-key', 'fixtures/demo/encKey']);
      expect(v.code, v.stderr).toBe(0);
      expect(v.json!.model.stored).toBe('3.2.3.0');
      expect(v.json!.key.verdict).toBe('matches');
      expect(v.json!.encoding.suspicious).toBe(0);
      expect(v.json!.checks.find((c) => c.id === 'cluster')!.summary).toMatch(/identical on 3 nodes/);
    } finally {
      await drop();
    }
  });

  it('two restores started through nodes 1 and 2 at once: one is refused by the cluster-wide lock', async (t) => {
    if (!cluster) return t.skip(skipReason);
    const { name, drop } = await cluster.createDatabase();
    try {
      const file = bigDump(dir, 20000);
      const [a, b] = await Promise.all([
        runAsync(['--yes', 'backup', 'restore', '--file', file, '--database-uri', cluster.nodes[0].url(name)]),
        runAsync(['--yes', 'backup', 'restore', '--file', file, '--database-uri', cluster.nodes[1].url(name)]),
      ]);
      const codes = [a.code, b.code].sort();
      expect(codes, a.stderr + b.stderr).toEqual([0, 1]);
      const refused = a.code === 1 ? a : b;
      expect(refused.stderr).toMatch(/^error: backup restore refused: another linotp-migrate run holds the lock of .*; nothing was changed$/m);
      expect(refused.stderr).not.toMatch(/\n\s+at /); // no stack trace
      const sums = await sumsOnEveryNode(name);
      expect(Number(sums[0].audit.split(':')[0])).toBe(20044);
      expect(sums[1]).toEqual(sums[0]);
      expect(sums[2]).toEqual(sums[0]);
    } finally {
      await drop();
    }
  });

  it('a restore killed with SIGKILL mid-load leaves every node with the old tables; the next run through the same node goes through', async (t) => {
    if (!cluster) return t.skip(skipReason);
    const { name, drop } = await cluster.createDatabase();
    try {
      const url1 = cluster.nodes[0].url(name);
      expect(run(['--yes', 'backup', 'restore', '--file', myisamDump(dir), '--database-uri', url1]).code).toBe(0);
      const before = await sumsOnEveryNode(name);
      const file = bigDump(dir, 60000);
      const child = spawn(process.execPath, [BIN, '--yes', 'backup', 'restore', '--file', file, '--database-uri', url1], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr!.on('data', (d) => (stderr += d));
      const exited = new Promise((r) => child.on('exit', r));
      const watcher: Db = await openDatabase(cluster.nodes[2].url(name));
      let killed = false;
      try {
        for (let i = 0; i < 1200 && child.exitCode === null; i++) {
          const r = await watcher.query("SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'audit__lm_new'");
          if (Number(r[0].n) && Number((await watcher.query('SELECT COUNT(*) AS n FROM `audit__lm_new`'))[0].n) > 0) {
            child.kill('SIGKILL');
            killed = true;
            break;
          }
          await new Promise((r) => setTimeout(r, 20));
        }
      } finally {
        await watcher.close();
      }
      await exited;
      expect(killed, `the restore finished before it could be killed: ${stderr}`).toBe(true);
      // The tables are the old ones on every node; the dead run's shadows (<table>__lm_new, invisible to LinOTP) are there too.
      const after = await sumsOnEveryNode(name);
      const tablesOnly = (s: Record<string, string>) => Object.fromEntries(Object.entries(s).filter(([k]) => !k.includes('__lm_')));
      for (const node of after) expect(tablesOnly(node)).toEqual(before[0]);
      // The shadows exist on every node; their row counts may differ for a moment (a write set of the
      // killed run still being applied) — the next run drops them, and LinOTP never reads them.
      for (const node of after.slice(1)) expect(Object.keys(node).sort()).toEqual(Object.keys(after[0]).sort());
      expect(before[1]).toEqual(before[0]);
      // the dead run's lock row names node 1, whose GET_LOCK is free: taken over at once
      const again = run<any>(['--json', '--yes', 'backup', 'restore', '--file', file, '--database-uri', url1]);
      expect(again.code, again.stderr).toBe(0);
      const done = await sumsOnEveryNode(name);
      expect(Number(done[0].audit.split(':')[0])).toBe(60044);
      expect(done[2]).toEqual(done[0]);
      expect(Object.keys(done[0]).filter((x) => x.includes('__lm_'))).toEqual([]);
    } finally {
      await drop();
    }
  }, 120_000);

  it('a node that is not Synced (Donor/Desynced) is refused before anything changes', async (t) => {
    if (!cluster) return t.skip(skipReason);
    const { name, drop } = await cluster.createDatabase();
    try {
      await onAdmin(2, async (db) => void (await db.execute('SET GLOBAL wsrep_desync = ON')));
      await waitState(2, 'Donor/Desynced');
      for (const args of [
        ['backup', 'restore', '--file', myisamDump(dir), '--database-uri', cluster.nodes[2].url(name)],
        ['init', 'database', '--database-uri', cluster.nodes[2].url(name), '--enc-key', 'fixtures/demo/encKey'],
      ]) {
        const r = run(['--yes', ...args]);
        expect(r.code, r.stderr).toBe(1);
        expect(r.stderr).toMatch(/^error: the Galera node n3 is Donor\/Desynced, not Synced; nothing was changed$/m);
      }
      const db = await openDatabase(cluster.nodes[0].url(name));
      try {
        expect(await db.listTables()).toEqual([]);
      } finally {
        await db.close();
      }
    } finally {
      await onAdmin(2, async (db) => void (await db.execute('SET GLOBAL wsrep_desync = OFF')));
      await waitState(2, 'Synced');
      await drop();
    }
  });

  it('MyISAM LinOTP tables already on the cluster (loaded by hand): fix-db-encoding and init database refuse, naming the way out', async (t) => {
    if (!cluster) return t.skip(skipReason);
    const { name, drop } = await cluster.createDatabase();
    try {
      const load = clientLoad(0, name, myisamDump(dir));
      expect(load.status, load.stderr).toBe(0);
      const url = cluster.nodes[0].url(name);
      const fix = run(['--yes', 'admin', 'fix-db-encoding', '--database-uri', url]);
      expect(fix.code, fix.stderr).toBe(1);
      expect(fix.stderr).toMatch(/^error: Config \(MyISAM\), Token \(MyISAM\), audit \(MyISAM\), Realm \(MyISAM\) are not InnoDB: Galera does not replicate their rows/m);
      expect(fix.stderr).toMatch(/^hint: make a backup through the node that has the data/m);
      const init = run(['--yes', 'init', 'database', '--database-uri', url, '--enc-key', 'fixtures/demo/encKey']);
      expect(init.code, init.stderr).toBe(1);
      expect(init.stderr).toMatch(/are not InnoDB: Galera does not replicate their rows/);
      // verify sees what the administrator did: the MyISAM rows are on node 1 only
      const v = run<VerifyReport>(['--json', 'verify', '--database-uri', url, '--skip-encoding']);
      expect(v.code).toBe(3);
      expect(v.json!.cluster!.different).toEqual(expect.arrayContaining(['Config', 'Token', 'audit', 'Realm']));
    } finally {
      await drop();
    }
  });

  it('wsrep_max_ws_rows set low: mariadb < dump fails on the 2000-row INSERTs, the restore and audit to-utc stay under it', async (t) => {
    if (!cluster) return t.skip(skipReason);
    const a = await cluster.createDatabase();
    const b = await cluster.createDatabase();
    try {
      await onAdmin(0, async (db) => void (await db.execute('SET GLOBAL wsrep_max_ws_rows = 1000')));
      const file = bigDump(dir, 5000);
      const load = clientLoad(0, a.name, file);
      expect(load.status).not.toBe(0);
      expect(load.stderr).toMatch(/wsrep_max_ws_rows|Maximum writeset size exceeded|ERROR/i);
      const r = run<any>(['--json', '--yes', 'backup', 'restore', '--file', file, '--database-uri', cluster.nodes[0].url(b.name)]);
      expect(r.code, r.stderr).toBe(0);
      const sums = await sumsOnEveryNode(b.name);
      expect(Number(sums[0].audit.split(':')[0])).toBe(5044);
      expect(sums[2]).toEqual(sums[0]);
      // audit to-utc changes every row: its pages stay under the limit too
      const utc = run<any>(['--json', '--yes', 'audit', 'to-utc', '--timezone', 'Europe/Berlin', '--database-uri', cluster.nodes[0].url(b.name)]);
      expect(utc.code, utc.stderr).toBe(0);
      const after = await sumsOnEveryNode(b.name);
      expect(after[0].audit).not.toBe(sums[0].audit);
      expect(after[1]).toEqual(after[0]);
      expect(after[2]).toEqual(after[0]);
    } finally {
      await onAdmin(0, async (db) => void (await db.execute('SET GLOBAL wsrep_max_ws_rows = 0')));
      await a.drop();
      await b.drop();
    }
  });

  it('the lock row of a run through another node: refused while its heartbeat is fresh, taken over once it is stale', async (t) => {
    if (!cluster) return t.skip(skipReason);
    const { name, drop } = await cluster.createDatabase();
    try {
      const file = myisamDump(dir);
      const url2 = cluster.nodes[1].url(name);
      expect(run(['-q', '--yes', 'backup', 'restore', '--file', file, '--database-uri', url2]).code).toBe(0);
      const key = mysqlLockName(name);
      const plant = (ageSeconds: number) =>
        onAdmin(0, async (db) => {
          await db.execute(`DELETE FROM \`${name}\`.linotp_migrate_lock`);
          await db.execute(
            `INSERT INTO \`${name}\`.linotp_migrate_lock (name, holder, node_id, node_name, host, pid, acquired, heartbeat)
             VALUES (?, 'f00d', 'another-member', 'n9', 'elsewhere', 4242, UTC_TIMESTAMP() - INTERVAL ? SECOND, UTC_TIMESTAMP() - INTERVAL ? SECOND)`,
            [key, ageSeconds, ageSeconds],
          );
        });
      await plant(3);
      const refused = run(['--yes', 'backup', 'restore', '--file', file, '--database-uri', url2]);
      expect(refused.code, refused.stderr).toBe(1);
      expect(refused.stderr).toMatch(/^error: backup restore refused: another linotp-migrate run holds the lock of .* \(pid 4242 on elsewhere through Galera node n9, last heartbeat [34]s ago; a run silent for 60s is taken over\); nothing was changed$/m);
      await plant(120);
      const taken = run(['--yes', 'backup', 'restore', '--file', file, '--database-uri', url2]);
      expect(taken.code, taken.stderr).toBe(0);
      await onAdmin(2, async (db) => {
        await db.execute('SET SESSION wsrep_sync_wait = 1');
        expect((await db.query(`SELECT COUNT(*) AS n FROM \`${name}\`.linotp_migrate_lock`))[0].n).toBe(0);
      });
    } finally {
      await drop();
    }
  });

  it('init database whose re-encryption step exceeds wsrep_max_ws_rows is refused before any change, naming the setting', async (t) => {
    if (!cluster) return t.skip(skipReason);
    const { name, drop } = await cluster.createDatabase();
    try {
      const url = cluster.nodes[0].url(name);
      expect(run(['-q', '--yes', 'backup', 'restore', '--file', myisamDump(dir), '--database-uri', url]).code).toBe(0);
      const before = await sumsOnEveryNode(name);
      await onAdmin(0, async (db) => void (await db.execute('SET GLOBAL wsrep_max_ws_rows = 20')));
      const r = run(['--yes', 'init', 'database', '--database-uri', url, '--enc-key', 'fixtures/demo/encKey']);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toMatch(/step 3\.1\.0\.0 re-encrypts 30 values in one transaction, more rows than this Galera node's wsrep_max_ws_rows \(20\)/);
      expect(r.stderr).toMatch(/SET GLOBAL wsrep_max_ws_rows = 0 on n1/);
      expect(await sumsOnEveryNode(name)).toEqual(before);
    } finally {
      await onAdmin(0, async (db) => void (await db.execute('SET GLOBAL wsrep_max_ws_rows = 0')));
      await drop();
    }
  });
});
