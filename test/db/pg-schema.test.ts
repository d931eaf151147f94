// PostgreSQL: one schema for LinOTP's tables, resolved as LinOTP does and pinned on every
// connection. A role that owns a schema of its own name ("$user" comes first on the default
// search_path) is the case that went wrong: an unqualified DROP TABLE "audit" of a restore dropped
// that schema's (another application's) audit, and a cross-engine restore created LinOTP's tables
// there while verify looked in public.
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createBackup } from '../../src/backup/create.js';
import { openDatabase } from '../../src/db/index.js';
import type { Db } from '../../src/db/types.js';
import { parseDbUrl } from '../../src/db/url.js';
import { buildInstallation } from '../../src/fixtures/installation.js';
import { writeInstallation } from '../../src/fixtures/write.js';
import { fixtureDb, tmp } from '../backup/helpers.js';
import { createTestDatabase, describeEngines } from '../helpers/db.js';
import { BIN, ensureBuilt, ROOT } from '../e2e/global-setup.js';

beforeAll(() => ensureBuilt(), 180_000);

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, input: '' });
  return { code: r.status, stderr: r.stderr, stdout: r.stdout };
}

const tablesIn = async (db: Db, schema: string) =>
  (await db.query<{ n: string }>('SELECT table_name AS n FROM information_schema.tables WHERE table_schema = ? ORDER BY 1', [schema])).map((r) => r.n);

describeEngines('PostgreSQL: a role with a schema of its own name', () => {
  let backup: string;
  let source: Awaited<ReturnType<typeof fixtureDb>>;
  const drops: (() => Promise<void>)[] = [];
  beforeAll(async () => {
    source = await fixtureDb('sqlite', { tokens: 4, auditRows: 6 });
    backup = (await createBackup(source.db, { outDir: tmp(), encKey: null })).file;
  });
  afterAll(async () => {
    for (const d of drops) await d().catch(() => undefined);
    await source?.drop();
  });

  /** A database owned by role R with schema R; `linotpInPublic` writes LinOTP 2 into public first. */
  async function setup(linotpInPublic: boolean, other: 'audit' | 'wp_posts' | null) {
    const t = await createTestDatabase('postgres');
    drops.push(t.drop);
    const role = parseDbUrl(t.url).user!;
    const publicUrl = `${t.url}?options=-csearch_path%3Dpublic`;
    const db = await openDatabase(publicUrl);
    if (linotpInPublic) await writeInstallation(db, buildInstallation({ seed: 2, tokens: 3, auditRows: 4 }));
    await db.execute(`CREATE SCHEMA "${role}"`);
    if (other) {
      await db.execute(`CREATE TABLE "${role}"."${other}" (id INTEGER PRIMARY KEY, note VARCHAR(40))`);
      await db.execute(`INSERT INTO "${role}"."${other}" VALUES (1, 'not LinOTP''s'), (2, 'keep me')`);
    }
    return { url: t.url, role, db, close: () => db.close() };
  }

  it('refuses when an object of the same name comes earlier on the search_path, and touches nothing', async () => {
    const s = await setup(true, 'audit');
    try {
      for (const args of [
        ['backup', 'restore', '--file', backup, '--database-uri', s.url, '--yes'],
        ['verify', '--database-uri', s.url],
      ]) {
        const r = cli(args);
        expect(r.code, r.stderr).toBe(1);
        expect(r.stderr).toMatch(new RegExp(`^error: LinOTP's tables are in schema "public" of .*, but "${s.role}"\\."audit" of the same name come\\(s\\) first on the search_path: LinOTP would use those; nothing was changed$`, 'm'));
      }
      expect((await s.db.query(`SELECT COUNT(*) AS n FROM "${s.role}"."audit"`))[0].n).toBe(2);
    } finally {
      await s.close();
    }
  }, 60_000);

  it("LinOTP in public, another application's table in the role's schema: the restore works in public only", async () => {
    const s = await setup(true, 'wp_posts');
    try {
      const r = cli(['backup', 'restore', '--file', backup, '--database-uri', s.url, '--yes']);
      expect(r.code, r.stderr).toBe(0);
      expect(await tablesIn(s.db, s.role)).toEqual(['wp_posts']);
      expect(await tablesIn(s.db, 'public')).toEqual(expect.arrayContaining(['Config', 'Token', 'audit']));
      expect((await s.db.query('SELECT COUNT(*) AS n FROM public."Token"'))[0].n).toBe((await source.db.query('SELECT COUNT(*) AS n FROM "Token"'))[0].n);
      const v = cli(['backup', 'restore', '--file', backup, '--database-uri', s.url, '--plan', '--json']);
      expect(JSON.parse(v.stdout).tables.every((t: any) => t.replaces), v.stderr).toBe(true);
    } finally {
      await s.close();
    }
  }, 60_000);

  it('no LinOTP tables yet: they go where LinOTP would create them ("$user" first), and every command sees them there', async () => {
    const s = await setup(false, null);
    try {
      const r = cli(['backup', 'restore', '--file', backup, '--database-uri', s.url, '--yes']);
      expect(r.code, r.stderr + r.stdout).toBe(0);
      expect(await tablesIn(s.db, 'public')).toEqual([]);
      expect(await tablesIn(s.db, s.role)).toEqual(expect.arrayContaining(['Config', 'Token', 'audit']));
      const db = await openDatabase(s.url);
      try {
        expect(await db.listTables()).toEqual(expect.arrayContaining(['Config', 'Token']));
      } finally {
        await db.close();
      }
    } finally {
      await s.close();
    }
  }, 60_000);
}, ['postgres']);
