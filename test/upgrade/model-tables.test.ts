/**
 * Issue 21 item 6: after `init database` the table and column set is what LinOTP 3.4's own `init database`
 * creates, on every engine, whatever the target held before (empty, a restored LinOTP 2.12 database, one
 * with LinOTP 2's cloud-mode admin_users). The reference was produced by the real LinOTP 3.4
 * (fixtures/linotp-3.4-init-database.txt); the schema model must equal it.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { EncKey } from '../../src/crypto/enckey.js';
import { openDatabase } from '../../src/db/index.js';
import type { Db } from '../../src/db/types.js';
import { SAMPLE_ENC_KEY } from '../../src/fixtures/sample.js';
import { createTableStatements } from '../../src/schema/ddl.js';
import { getTable, LINOTP_2_12, LINOTP_3_4 } from '../../src/schema/tables.js';
import { createsAdminUsers, enabledControllerModules } from '../../src/settings/model-tables.js';
import { applyUpgrade } from '../../src/upgrade/apply.js';
import { createTestDatabase, describeEngines } from '../helpers/db.js';
import { loadSample212 } from './sample-db.js';

const KEY = new EncKey(SAMPLE_ENC_KEY, 'sample key');
const REFERENCE = readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures/linotp-3.4-init-database.txt'), 'utf8')
  .split('\n')
  .filter((l) => l && !l.startsWith('#'))
  .sort();
const settings = (v: Record<string, string>) => ({ get: (n: string) => v[n] });

async function tableColumns(dbs: Db[]): Promise<string[]> {
  const out: string[] = [];
  for (const db of dbs) for (const t of await db.listTables()) for (const c of await db.listColumns(t)) out.push(`${t}|${c.name}`);
  return out.sort();
}

describe('which optional tables LinOTP 3.4 creates', () => {
  it('the schema model (every table, audit included) is exactly what the real LinOTP 3.4 init database created', () => {
    const model = LINOTP_3_4.tables.flatMap((t) => t.columns.map((c) => `${t.name}|${c.name}`)).sort();
    expect(model).toEqual(REFERENCE);
  });

  it('admin_users follows the tools controller (setup_controllers set arithmetic) or ADMIN_USERNAME + ADMIN_PASSWORD', () => {
    expect(createsAdminUsers(settings({}))).toBe(true);
    expect(createsAdminUsers(settings({ ENABLE_CONTROLLERS: 'ALL', DISABLE_CONTROLLERS: 'gettoken' }))).toBe(true);
    // what config convert writes for a LinOTP 2 with linotp.tools = False (checked with the real LinOTP 3.4)
    expect(createsAdminUsers(settings({ ENABLE_CONTROLLERS: 'ALL', DISABLE_CONTROLLERS: 'gettoken tools' }))).toBe(false);
    expect(createsAdminUsers(settings({ ENABLE_CONTROLLERS: 'validate admin' }))).toBe(false);
    expect(createsAdminUsers(settings({ ENABLE_CONTROLLERS: 'validate tools:/t', DISABLE_CONTROLLERS: 'tools' }))).toBe(true);
    expect(createsAdminUsers(settings({ DISABLE_CONTROLLERS: 'tools', ADMIN_USERNAME: 'a', ADMIN_PASSWORD: '$6$x' }))).toBe(true);
    expect(createsAdminUsers(settings({ DISABLE_CONTROLLERS: 'tools', ADMIN_USERNAME: 'a' }))).toBe(false);
    expect([...enabledControllerModules('ALL', 'gettoken')].sort()).toEqual(
      ['admin', 'audit', 'auditlog', 'auth', 'maintenance', 'manage', 'monitoring', 'realms', 'reporting', 'resolvers', 'selfservice', 'system', 'tokens', 'tools', 'userservice', 'validate'],
    );
  });
});

describeEngines('init database: the table and column set of LinOTP 3.4', (engine) => {
  async function withDb(fn: (db: Db, audit: Db | undefined) => Promise<void>) {
    const t = await createTestDatabase(engine, { charset: 'utf8' });
    // SQLite: LinOTP 3.4 keeps the audit table in the sibling file <db>_audit (init database does the same).
    const a = engine === 'sqlite' ? await createTestDatabase('sqlite') : undefined;
    const db = await openDatabase(t.url);
    const audit = a ? await openDatabase(a.url) : undefined;
    try {
      await fn(db, audit);
    } finally {
      await audit?.close();
      await db.close();
      await a?.drop();
      await t.drop();
    }
  }

  it('an empty database', () =>
    withDb(async (db, audit) => {
      await applyUpgrade(db, { auditDb: audit });
      expect(await tableColumns(audit ? [db, audit] : [db])).toEqual(REFERENCE);
    }));

  it('a restored LinOTP 2.12 database (no admin_users in it): admin_users is created, ocra stays as LinOTP leaves it', () =>
    withDb(async (db, audit) => {
      await loadSample212(db);
      await applyUpgrade(db, { encKey: KEY, auditDb: audit });
      const got = (await tableColumns(audit ? [db, audit] : [db])).filter((l) => !l.startsWith('ocra|'));
      // SQLite: the 2.12 audit table moved to <file>_audit (item 5), so nothing is doubled.
      expect(got).toEqual(REFERENCE);
    }));

  it('a LinOTP 2.12 database with cloud-mode admin_users keeps it; tools disabled: no admin_users is created', () =>
    withDb(async (db, audit) => {
      await db.transaction(async (tx) => {
        for (const sql of createTableStatements(getTable(LINOTP_2_12, 'Config'), engine)) await tx.execute(sql);
        for (const sql of createTableStatements(getTable(LINOTP_2_12, 'admin_users'), engine)) await tx.execute(sql);
      });
      await applyUpgrade(db, { auditDb: audit, createAdminUsers: false });
      expect((await db.listTables()).map((t) => t.toLowerCase())).toContain('admin_users');
      const t2 = await createTestDatabase(engine);
      const db2 = await openDatabase(t2.url);
      try {
        await applyUpgrade(db2, { auditDb: audit, createAdminUsers: false });
        expect((await db2.listTables()).map((t) => t.toLowerCase())).not.toContain('admin_users');
      } finally {
        await db2.close();
        await t2.drop();
      }
    }));
});
