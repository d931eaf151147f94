// A restore interrupted at its most delicate moments tells the truth and leaves no debris:
// - SIGINT / SIGTERM while rows load: the shadow tables are removed (or the transaction rolled
//   back) before the process exits 130 / 143, the target is as it was, the lock is free;
// - MariaDB: its connection KILLed at the RENAME (a real KILL CONNECTION from a second connection,
//   timed by a TCP relay that sees the statement go by): before the server ran it the target holds
//   OLD (exit 1, "nothing was changed"); after it ran it, the target holds NEW and the restore says so
//   (exit 0) — never "nothing was changed" over restored tables.
import { spawn } from 'node:child_process';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createBackup } from '../../src/backup/create.js';
import { openDatabase } from '../../src/db/index.js';
import type { Db } from '../../src/db/types.js';
import { formatDbUrl, parseDbUrl } from '../../src/db/url.js';
import { describeEngines, openAdmin } from '../helpers/db.js';
import { BIN, ensureBuilt, ROOT } from '../e2e/global-setup.js';
import { fixtureDb, freshDb, runBackup, tmp } from './helpers.js';

beforeAll(() => ensureBuilt(), 180_000);

function cli(args: string[]) {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  let stderr = '';
  let stdout = '';
  child.stderr.on('data', (d) => (stderr += d));
  child.stdout.on('data', (d) => (stdout += d));
  const done = new Promise<{ code: number | null; stderr: string; stdout: string }>((res) => child.on('close', (code) => res({ code, stderr, stdout })));
  return { child, done };
}

/** Rows are going into the target (MariaDB: into a shadow; PostgreSQL: a COPY/INSERT in flight; SQLite: a journal). */
async function loading(db: Db, url: string): Promise<boolean> {
  if (db.engine === 'mysql') {
    const r = await db.query("SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'audit__lm_new'");
    return Number(r[0].n) > 0 && Number((await db.query('SELECT COUNT(*) AS n FROM `audit__lm_new`'))[0].n) > 0;
  }
  if (db.engine === 'postgres') {
    const r = await db.query("SELECT COUNT(*) AS n FROM pg_stat_activity WHERE application_name = 'linotp-migrate' AND datname = current_database() AND (query LIKE 'INSERT INTO %audit%' OR query LIKE 'COPY %audit%') AND pid <> pg_backend_pid()");
    return Number(r[0].n) > 0;
  }
  const { existsSync } = await import('node:fs');
  const file = parseDbUrl(url).database;
  return existsSync(`${file}-journal`) || existsSync(`${file}-wal`);
}

async function snapshot(db: Db): Promise<unknown> {
  return (await createBackup(db, { outDir: tmp(), encKey: null })).manifest.tables;
}

describeEngines('backup restore interrupted by a signal', (engine) => {
  let small: Awaited<ReturnType<typeof fixtureDb>>;
  let bigFile: string;
  let big: Awaited<ReturnType<typeof fixtureDb>>;
  beforeAll(async () => {
    small = await fixtureDb(engine, { seed: 3, tokens: 5, auditRows: 10 });
    big = await fixtureDb(engine, { seed: 4, tokens: 40, auditRows: 30000 });
    bigFile = (await createBackup(big.db, { outDir: tmp(), encKey: null })).file;
  }, 120_000);
  afterAll(async () => {
    await small?.drop();
    await big?.drop();
  });

  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    it(`${signal} while loading: shadows removed, exit ${code}, target as it was, lock free`, async () => {
      const target = await freshDb(engine);
      try {
        const smallFile = (await createBackup(small.db, { outDir: tmp(), encKey: null })).file;
        expect((await runBackup('restore', { file: smallFile, databaseUri: target.url })).error).toBeUndefined();
        const before = await snapshot(target.db);
        const run = cli(['--yes', 'backup', 'restore', '--file', bigFile, '--database-uri', target.url]);
        let sent = false;
        for (let i = 0; i < 800 && run.child.exitCode === null; i++) {
          if (await loading(target.db, target.url)) {
            run.child.kill(signal);
            sent = true;
            break;
          }
          await new Promise((r) => setTimeout(r, 20));
        }
        const r = await run.done;
        expect(sent, `the restore ended before it could be interrupted: ${r.stderr}`).toBe(true);
        expect(r.code, r.stderr).toBe(code);
        expect(r.stderr).toMatch(new RegExp(`^error: interrupted by ${signal}: the restore stopped and cleaned up; nothing was changed$`, 'm'));
        expect((await target.db.listTables()).filter((t) => t.includes('__lm_'))).toEqual([]);
        expect(await snapshot(target.db)).toEqual(before);
        expect(await target.db.withLock('test', async () => 'free')).toBe('free');
      } finally {
        await target.drop();
      }
    }, 180_000);
  }
});

/**
 * A TCP relay to MariaDB that reads each server connection's id from its handshake and calls
 * `onRename` when a client sends RENAME TABLE — before forwarding it ('before') or when the server's
 * answer to it arrives, which is then held back ('after').
 */
function relay(port: number, when: 'before' | 'after', onRename: (connectionId: number) => Promise<void>): Promise<{ server: Server; port: number }> {
  const server = createServer((client: Socket) => {
    const upstream = connect(port, '127.0.0.1');
    let id = 0;
    let renameSent = false;
    let fired = false;
    const fire = async () => {
      fired = true;
      await onRename(id);
      client.destroy();
      upstream.destroy();
    };
    upstream.on('data', (b: Buffer) => {
      if (!id) id = b.readUInt32LE(b.indexOf(0, 5) + 1); // 4-byte header, protocol 10, version\0, then the id
      if (renameSent && !fired && when === 'after') return void fire();
      if (!fired) client.write(b);
    });
    client.on('data', (b: Buffer) => {
      if (!fired && b.includes('RENAME TABLE ')) {
        renameSent = true;
        if (when === 'before') return void fire();
      }
      if (!fired) upstream.write(b);
    });
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  return new Promise((res) => server.listen(0, '127.0.0.1', () => res({ server, port: (server.address() as any).port })));
}

describeEngines('backup restore whose connection is KILLed at the RENAME', () => {
  let source: Awaited<ReturnType<typeof fixtureDb>>;
  let file: string;
  let admin: Db;
  beforeAll(async () => {
    source = await fixtureDb('mysql', { seed: 5, tokens: 6, auditRows: 20 });
    file = (await createBackup(source.db, { outDir: tmp(), encKey: null })).file;
    admin = await openAdmin('mysql');
  }, 60_000);
  afterAll(async () => {
    await admin?.close();
    await source?.drop();
  });

  for (const when of ['before', 'after'] as const) {
    it(`KILL CONNECTION ${when} the server ran the RENAME: the report says what the target holds`, async () => {
      const target = await freshDb('mysql');
      const other = await fixtureDb('mysql', { seed: 6, tokens: 2, auditRows: 3 });
      let killed = 0;
      const { server, port } = await relay(parseDbUrl(target.url).port ?? 3306, when, async (id) => {
        killed = id;
        await admin.execute(`KILL CONNECTION ${Number(id)}`);
      });
      try {
        // the target starts with another backup's content (OLD)
        const otherFile = (await createBackup(other.db, { outDir: tmp(), encKey: null })).file;
        expect((await runBackup('restore', { file: otherFile, databaseUri: target.url })).error).toBeUndefined();
        const old = await snapshot(target.db);
        const viaRelay = formatDbUrl({ ...parseDbUrl(target.url), port });
        const r = await cli(['--yes', '--json', 'backup', 'restore', '--file', file, '--database-uri', viaRelay]).done;
        expect(killed, r.stderr).toBeGreaterThan(0);
        expect((await target.db.listTables()).filter((t) => t.includes('__lm_')), r.stderr).toEqual([]);
        if (when === 'before') {
          expect(r.code, r.stderr).toBe(1);
          expect(r.stderr).toMatch(/^error: the restore's connection failed at the swap \(.+\); checked again: the target still holds its old tables, nothing was changed$/m);
          expect(await snapshot(target.db)).toEqual(old);
        } else {
          expect(r.code, r.stderr).toBe(0);
          expect(r.stderr).toMatch(/^warning: the connection failed after the swap \(.+\); checked again: the target holds the restored tables$/m);
          expect(JSON.parse(r.stdout).applied).toBe(true);
          expect(await snapshot(target.db)).toEqual(await snapshot(source.db));
        }
      } finally {
        server.close();
        await other.drop();
        await target.drop();
      }
    }, 120_000);
  }
}, ['mysql']);
