/**
 * LinOTP 3.2+ local administration (linotp-cli.md §2.9, linotp-schema.md §3.2 step 3.2.0.0): the admin
 * resolver `LinOTP_local_admins` (Config `linotp.sqlresolver.*.<name>` over imported_user) and the
 * admin realm `linotp_admins` (Realm row + `linotp.useridresolver.group.linotp_admins`). An admin
 * added with `linotp local-admins add` has the password `*` (no login) until one is set.
 */
import type { Db } from '../db/types.js';
import type { CheckResult } from './types.js';

export const ADMIN_RESOLVER_NAME = 'LinOTP_local_admins';
export const ADMIN_REALM_NAME = 'linotp_admins';

export interface AdminNames {
  /** ADMIN_RESOLVER_NAME (default LinOTP_local_admins). */
  resolver: string;
  /** ADMIN_REALM_NAME (default linotp_admins; LinOTP lower-cases it). */
  realm: string;
}

export const DEFAULT_ADMIN_NAMES: AdminNames = { resolver: ADMIN_RESOLVER_NAME, realm: ADMIN_REALM_NAME };

export async function checkAdminRealm(db: Db, names: { config: string; realm?: string }, admin: AdminNames = DEFAULT_ADMIN_NAMES): Promise<CheckResult> {
  const resolverName = admin.resolver;
  const realmName = admin.realm.toLowerCase();
  const q = (n: string) => db.dialect.quoteIdent(n);
  const base = { id: 'admin-realm', title: 'admin resolver and realm' };
  const resolverRows = await db.query(`SELECT ${q('Key')} AS k FROM ${q(names.config)} WHERE ${q('Key')} LIKE ?`, [`linotp.sqlresolver.%.${resolverName}`]);
  const groupKey = `linotp.useridresolver.group.${realmName}`;
  const group = await db.query(`SELECT ${q('Value')} AS v FROM ${q(names.config)} WHERE ${q('Key')} = ?`, [groupKey]);
  const realm = names.realm ? await db.query(`SELECT id FROM ${q(names.realm)} WHERE name = ?`, [realmName]) : [];
  const missing: string[] = [];
  if (!resolverRows.some((r) => String(r.k).endsWith(`.${resolverName}`))) missing.push(`resolver ${resolverName} (Config linotp.sqlresolver.*.${resolverName})`);
  if (!group.length || !String(group[0].v ?? '').includes(resolverName)) missing.push(`realm mapping ${groupKey}`);
  if (!realm.length) missing.push(`Realm row ${realmName}`);
  if (!missing.length) return { ...base, status: 'pass', summary: `resolver ${resolverName} and realm ${realmName} exist` };
  return {
    ...base,
    status: 'fail',
    summary: `${missing.length} part(s) of the local admin setup missing`,
    failed: missing.length,
    items: missing,
    hint: 'LinOTP 3.4 creates them in migration step 3.2.0.0 (`linotp-migrate init database`); without them nobody can log in to the management UI',
  };
}

export async function checkLocalAdmins(db: Db, importedUser: string | undefined, admin: AdminNames = DEFAULT_ADMIN_NAMES): Promise<CheckResult> {
  const resolverName = admin.resolver;
  const base = { id: 'local-admins', title: 'local admins with a password' };
  if (!importedUser) return { ...base, status: 'warn', summary: 'no imported_user table: there are no local admins', hint: 'create one with `linotp local-admins add` and set its password' };
  const q = (n: string) => db.dialect.quoteIdent(n);
  const rows = await db.query(`SELECT username, password FROM ${q(importedUser)} WHERE groupid = ?`, [resolverName]);
  const noPassword = rows.filter((r) => r.password === null || r.password === '*' || r.password === '').map((r) => String(r.username));
  if (!rows.length) return { ...base, status: 'warn', summary: 'no local admins exist', checked: 0, hint: 'create one with `linotp local-admins add NAME` and `linotp local-admins password NAME`' };
  if (!noPassword.length) return { ...base, status: 'pass', summary: `${rows.length} local admin(s), all with a password`, checked: rows.length, failed: 0 };
  return {
    ...base,
    status: 'warn',
    summary: `${noPassword.length} of ${rows.length} local admin(s) still have the password "*" and cannot log in`,
    checked: rows.length,
    failed: noPassword.length,
    items: noPassword,
    hint: 'set a password with `linotp local-admins password NAME`',
  };
}
