/**
 * Real test databases on the local servers (never mocks).
 * - MariaDB: root through the unix socket creates a test user once (for 'localhost' and '127.0.0.1')
 *   with rights on every `lmt\_%` database, then one `lmt_<random>` database per call with the
 *   requested charset; the URL returned connects over TCP as the test user.
 * - PostgreSQL: the postgres superuser (socket, or 127.0.0.1) creates a login role and a database
 *   owned by it per call.
 * - SQLite: a file in a fresh temporary directory.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe } from 'vitest';
import { openDatabase } from '../../src/db/index.js';
import type { Db } from '../../src/db/types.js';

export type TestEngine = 'mysql' | 'postgres' | 'sqlite';
export const ALL_ENGINES: TestEngine[] = ['mysql', 'postgres', 'sqlite'];

const MYSQL_SOCKET = ['/run/mysqld/mysqld.sock', '/var/run/mysqld/mysqld.sock'].find((p) => existsSync(p));
const PG_SOCKET_DIR = ['/var/run/postgresql', '/run/postgresql'].find((p) => existsSync(`${p}/.s.PGSQL.5432`));

export const MYSQL_TEST_USER = 'linotp_migrate_test';
export const MYSQL_TEST_PASSWORD = 'lmt-Test-pw-42';

function mysqlAdminUrl(): string {
  return MYSQL_SOCKET ? `mysql://root@localhost/?unix_socket=${MYSQL_SOCKET}` : 'mysql://root@127.0.0.1:3306/';
}

function pgAdminUrl(database = 'postgres'): string {
  return PG_SOCKET_DIR ? `postgresql://postgres@/${database}?host=${PG_SOCKET_DIR}` : `postgresql://postgres@127.0.0.1:5432/${database}`;
}

/** Opens a superuser connection for test setup (also usable by tests that need one). */
export async function openAdmin(engine: 'mysql' | 'postgres', timeoutMs = 10_000): Promise<Db> {
  return openDatabase(engine === 'mysql' ? mysqlAdminUrl() : pgAdminUrl(), { connectTimeoutMs: timeoutMs, poolSize: 2 });
}

async function withAdmin<T>(engine: 'mysql' | 'postgres', fn: (db: Db) => Promise<T>): Promise<T> {
  const db = await openAdmin(engine);
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

let mysqlUserReady: Promise<void> | undefined;

function ensureMysqlUser(admin: Db): Promise<void> {
  mysqlUserReady ??= (async () => {
    for (const host of ['localhost', '127.0.0.1']) {
      await admin.execute(`CREATE USER IF NOT EXISTS '${MYSQL_TEST_USER}'@'${host}' IDENTIFIED BY '${MYSQL_TEST_PASSWORD}'`);
      await admin.execute(`GRANT ALL PRIVILEGES ON \`lmt\\_%\`.* TO '${MYSQL_TEST_USER}'@'${host}'`);
    }
  })();
  return mysqlUserReady;
}

function uniqueName(): string {
  return `lmt_${process.pid}_${randomBytes(4).toString('hex')}`;
}

const MYSQL_CHARSET: Record<string, string> = {
  utf8mb4: 'CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci',
  utf8: 'CHARACTER SET utf8mb3 COLLATE utf8mb3_general_ci',
  latin1: 'CHARACTER SET latin1 COLLATE latin1_swedish_ci',
};

/** Creates a uniquely named empty database owned by a test user, returns its URL (SQLAlchemy form) and a drop(). */
export async function createTestDatabase(
  engine: TestEngine,
  opts: { charset?: 'utf8' | 'latin1' | 'utf8mb4' } = {},
): Promise<{ url: string; name: string; drop(): Promise<void> }> {
  const name = uniqueName();
  if (engine === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'lmt-sqlite-'));
    const file = join(dir, `${name}.db`);
    const db = await openDatabase(`sqlite:///${file}`, { create: true });
    await db.close();
    return { url: `sqlite:///${file}`, name, drop: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  if (engine === 'mysql') {
    await withAdmin('mysql', async (admin) => {
      await ensureMysqlUser(admin);
      await admin.execute(`CREATE DATABASE \`${name}\` ${MYSQL_CHARSET[opts.charset ?? 'utf8mb4']}`);
    });
    return {
      url: `mysql://${MYSQL_TEST_USER}:${MYSQL_TEST_PASSWORD}@127.0.0.1:3306/${name}`,
      name,
      drop: () => withAdmin('mysql', async (admin) => void (await admin.execute(`DROP DATABASE IF EXISTS \`${name}\``))),
    };
  }
  const password = randomBytes(9).toString('base64url');
  await withAdmin('postgres', async (admin) => {
    await admin.execute(`CREATE ROLE ${name} LOGIN PASSWORD '${password}'`);
    await admin.execute(`CREATE DATABASE ${name} OWNER ${name} ENCODING 'UTF8' TEMPLATE template0`);
  });
  return {
    url: `postgresql://${name}:${password}@127.0.0.1:5432/${name}`,
    name,
    drop: () =>
      withAdmin('postgres', async (admin) => {
        await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = ? AND pid <> pg_backend_pid()', [name]);
        // FORCE (PostgreSQL 13+): a just-closed connection may still be exiting.
        await admin.execute(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await admin.execute(`DROP ROLE IF EXISTS ${name}`);
      }),
  };
}

const availability = new Map<TestEngine, Promise<boolean>>();

/** true when the server answers; when it does not and CI is set, throws (so the suite fails). */
export function serverAvailable(engine: TestEngine): Promise<boolean> {
  if (engine === 'sqlite') return Promise.resolve(true);
  let p = availability.get(engine);
  if (!p) {
    p = (async () => {
      try {
        const db = await openAdmin(engine, 3000);
        await db.close();
        return true;
      } catch {
        return false;
      }
    })();
    availability.set(engine, p);
  }
  return p.then((ok) => {
    if (!ok && process.env.CI) {
      throw new Error(`the ${engine === 'mysql' ? 'MariaDB/MySQL' : 'PostgreSQL'} test server is not available (CI is set, so this is a failure)`);
    }
    return ok;
  });
}

/** describe-block helper: runs the block for each engine, skipping absent servers outside CI. */
export function describeEngines(name: string, fn: (engine: TestEngine) => void, engines: TestEngine[] = ALL_ENGINES): void {
  for (const engine of engines) {
    describe(`${name} [${engine}]`, async () => {
      if (await serverAvailable(engine)) fn(engine);
      else describe.skip(`${engine} server not available`, () => fn(engine));
    });
  }
}

/**
 * A fresh test database for the tests of one describe block: created (and filled by `fill`) in
 * beforeAll, closed and dropped in afterAll. Read `handle.db` / `handle.url` inside the tests.
 */
export function useTestDatabase(
  engine: TestEngine,
  opts: { charset?: 'utf8' | 'latin1' | 'utf8mb4' } = {},
  fill?: (db: Db) => Promise<void>,
): { db: Db; url: string } {
  const handle = {} as { db: Db; url: string };
  let drop: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    const t = await createTestDatabase(engine, opts);
    drop = t.drop;
    handle.url = t.url;
    handle.db = await openDatabase(t.url);
    if (fill) await fill(handle.db);
  });
  afterAll(async () => {
    await handle.db?.close();
    await drop?.();
  });
  return handle;
}
