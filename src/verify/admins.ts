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

export async function checkAdminRealm(db: Db, names: { config: string; realm?: string }): Promise<CheckResult> {
  const q = (n: string) => db.dialect.quoteIdent(n);
  const base = { id: 'admin-realm', title: 'admin resolver and realm' };
  const resolverRows = await db.query(`SELECT ${q('Key')} AS k FROM ${q(names.config)} WHERE ${q('Key')} LIKE ?`, [`linotp.sqlresolver.%.${ADMIN_RESOLVER_NAME}`]);
  const groupKey = `linotp.useridresolver.group.${ADMIN_REALM_NAME}`;
  const group = await db.query(`SELECT ${q('Value')} AS v FROM ${q(names.config)} WHERE ${q('Key')} = ?`, [groupKey]);
  const realm = names.realm ? await db.query(`SELECT id FROM ${q(names.realm)} WHERE name = ?`, [ADMIN_REALM_NAME]) : [];
  const missing: string[] = [];
  if (!resolverRows.some((r) => String(r.k).endsWith(`.${ADMIN_RESOLVER_NAME}`))) missing.push(`resolver ${ADMIN_RESOLVER_NAME} (Config linotp.sqlresolver.*.${ADMIN_RESOLVER_NAME})`);
  if (!group.length || !String(group[0].v ?? '').includes(ADMIN_RESOLVER_NAME)) missing.push(`realm mapping ${groupKey}`);
  if (!realm.length) missing.push(`Realm row ${ADMIN_REALM_NAME}`);
  if (!missing.length) return { ...base, status: 'pass', summary: `resolver ${ADMIN_RESOLVER_NAME} and realm ${ADMIN_REALM_NAME} exist` };
  return {
    ...base,
    status: 'fail',
    summary: `${missing.length} part(s) of the local admin setup missing`,
    failed: missing.length,
    items: missing,
    hint: 'LinOTP 3.4 creates them in migration step 3.2.0.0 (`linotp-migrate init database`); without them nobody can log in to the management UI',
  };
}

export async function checkLocalAdmins(db: Db, importedUser: string | undefined): Promise<CheckResult> {
  const base = { id: 'local-admins', title: 'local admins with a password' };
  if (!importedUser) return { ...base, status: 'warn', summary: 'no imported_user table: there are no local admins', hint: 'create one with `linotp local-admins add` and set its password' };
  const q = (n: string) => db.dialect.quoteIdent(n);
  const rows = await db.query(`SELECT username, password FROM ${q(importedUser)} WHERE groupid = ?`, [ADMIN_RESOLVER_NAME]);
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
