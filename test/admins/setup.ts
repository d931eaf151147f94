/** A LinOTP 3.4-shaped database with the admin resolver, and imported users of another resolver. */
import { openDatabase } from '../../src/db/index.js';
import type { Db, Row } from '../../src/db/types.js';
import { createTableStatements } from '../../src/schema/ddl.js';
import { getTable, LINOTP_3_4 } from '../../src/schema/tables.js';
import { adminRealmRow, adminResolverRows } from '../../src/upgrade/defaults.js';
import { createTestDatabase, type TestEngine } from '../helpers/db.js';

export const RESOLVER = 'LinOTP_local_admins';
export const OTHER_GROUP = 'corp_import';

/** Imported users of another resolver; one shares an admin's name on purpose. */
export const OTHER_USERS = [
  [OTHER_GROUP, 'admin', 'admin', '1', '2', 'other@example.com', 'Other', 'Admin', '$6$rounds=5000$abc$' + 'x'.repeat(86)],
  [OTHER_GROUP, 'jürgen', 'jürgen', '', '', 'j@example.com', 'Müller', 'Jürgen', '*'],
];

export async function adminDatabase(engine: TestEngine, opts: { withResolver?: boolean; withRealmRow?: boolean } = {}) {
  const tdb = await createTestDatabase(engine, { charset: 'utf8mb4' });
  const db = await openDatabase(tdb.url);
  for (const t of ['Config', 'Realm', 'imported_user']) {
    for (const sql of createTableStatements(getTable(LINOTP_3_4, t), engine)) await db.execute(sql);
  }
  const q = (n: string) => db.dialect.quoteIdent(n);
  const rows = [{ key: 'linotp.sql_data_model_version', value: '3.2.3.0', type: '', description: '' }];
  if (opts.withResolver !== false) rows.push(...adminResolverRows(RESOLVER), adminRealmRow('linotp_admins', RESOLVER));
  for (const r of rows) {
    await db.execute(`INSERT INTO ${q('Config')} (${q('Key')}, ${q('Value')}, ${q('Type')}, ${q('Description')}) VALUES (?, ?, ?, ?)`, [r.key, r.value, r.type, r.description]);
  }
  if (opts.withRealmRow !== false) await db.execute(`INSERT INTO ${q('Realm')} (id, name, ${q('default')}, ${q('option')}) VALUES (1, 'linotp_admins', ?, '')`, [false]);
  for (const u of OTHER_USERS) {
    await db.execute('INSERT INTO imported_user (groupid, userid, username, phone, mobile, email, surname, givenname, password) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)', u);
  }
  return {
    url: tdb.url,
    db,
    async otherRows(): Promise<Row[]> {
      return db.query('SELECT * FROM imported_user WHERE groupid <> ? ORDER BY groupid, userid', [RESOLVER]);
    },
    async config(key: string): Promise<string | undefined> {
      const r = await db.query(`SELECT ${q('Value')} AS v FROM ${q('Config')} WHERE ${q('Key')} = ?`, [key]);
      return r[0] ? String(r[0].v) : undefined;
    },
    async close() {
      await db.close();
      await tdb.drop();
    },
  };
}

export type AdminDb = Awaited<ReturnType<typeof adminDatabase>>;
export type { Db };
