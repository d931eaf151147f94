/**
 * LinOTP 3.2+ local administrators (branch-v3.4 `linotp/model/local_admin_user.py`,
 * linotp-cli.md §2.9/§3): rows of `imported_user` with `groupid = ADMIN_RESOLVER_NAME`,
 * `userid = username = NAME`, password a passlib sha512_crypt string or `*` (no login).
 * Rows of other groupids (users imported for other resolvers) are never read or written: every
 * statement carries `groupid = ?`.
 */
import type { Db, Row } from '../db/types.js';
import { DatabaseError, MigrateError, UsageError } from '../errors.js';
import { sha512Crypt } from '../crypto/sha512crypt.js';

export const ADMIN_FIELDS = ['phone', 'mobile', 'email', 'surname', 'givenname'] as const;
export type AdminField = (typeof ADMIN_FIELDS)[number];
export type AdminFields = Partial<Record<AdminField, string>>;

/** Column order of LinOTP's ImportedUserSchema (what `list --format` sees). */
export const ADMIN_COLUMNS = ['groupid', 'userid', 'username', 'phone', 'mobile', 'email', 'surname', 'givenname', 'password'] as const;
export type AdminRecord = Record<(typeof ADMIN_COLUMNS)[number], string | null>;

export interface AdminNames {
  /** ADMIN_RESOLVER_NAME (default LinOTP_local_admins). */
  resolver: string;
  /** ADMIN_REALM_NAME as configured; LinOTP lower-cases it. */
  realm: string;
}

/** Column widths of imported_user (Unicode(n) in LinOTP's schema). */
const WIDTH = { userid: 100, username: 255, phone: 100, mobile: 100, email: 100, surname: 100, givenname: 100 } as const;

/** LinOTP's own messages (DuplicateUserError / NoSuchUserError), exit 1. */
export class DuplicateAdminError extends MigrateError {
  constructor(name: string) {
    super(`User ${name} already exists`, { hint: 'change it with `local-admins modify` or `local-admins password`' });
  }
}
export class NoSuchAdminError extends MigrateError {
  constructor(name: string) {
    super(`User ${name} does not exist`, { hint: 'list the local admins with `linotp-migrate local-admins list`' });
  }
}

/** Account names: LinOTP accepts anything; we refuse what can't be typed at a login prompt or doesn't fit. */
export function validateAccountName(name: string): void {
  if (name === '') throw new UsageError('the account name is empty');
  if (/[\s\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u.test(name)) {
    throw new UsageError(`the account name ${JSON.stringify(name)} contains whitespace or control characters`, 'use a name without spaces, tabs or invisible characters');
  }
  if ([...name].length > WIDTH.userid) throw new UsageError(`the account name has ${[...name].length} characters; imported_user.userid holds at most ${WIDTH.userid}`);
}

function validateFields(fields: AdminFields): void {
  for (const f of ADMIN_FIELDS) {
    const v = fields[f];
    if (v === undefined) continue;
    if (/[\p{Cc}]/u.test(v)) throw new UsageError(`--${f} contains control characters`);
    if ([...v].length > WIDTH[f]) throw new UsageError(`--${f} has ${[...v].length} characters; imported_user.${f} holds at most ${WIDTH[f]}`);
  }
}

interface Tables {
  importedUser: string;
  config: string;
  realm?: string;
}

/** Real table names (MySQL on a case-insensitive file system may report `config`). */
async function findTables(db: Db): Promise<Partial<Tables>> {
  const all = await db.listTables();
  const find = (n: string) => all.find((t) => t === n) ?? all.find((t) => t.toLowerCase() === n.toLowerCase());
  return { importedUser: find('imported_user'), config: find('Config'), realm: find('Realm') };
}

const q = (db: Db, n: string) => db.dialect.quoteIdent(n);

async function configValue(db: Db, config: string, key: string): Promise<Row | undefined> {
  const rows = await db.query(`SELECT ${q(db, 'Value')} AS v, ${q(db, 'Type')} AS t FROM ${q(db, config)} WHERE ${q(db, 'Key')} = ?`, [key]);
  return rows[0];
}

/**
 * The admin resolver must exist: LinOTP 3.4 creates it in migration step 3.2.0.0. Writing admins
 * into a LinOTP 2 database would produce accounts nobody can use, so we stop and say why.
 */
export async function requireAdminSetup(db: Db, names: AdminNames): Promise<Tables> {
  const t = await findTables(db);
  const hint = 'upgrade the database to LinOTP 3 first: linotp-migrate init database';
  if (!t.config) throw new DatabaseError('this database has no Config table; it is not a LinOTP database', 'check --database-uri');
  const version = await configValue(db, t.config, 'linotp.sql_data_model_version');
  const at = version ? ` (data model version ${String(version.v)})` : '';
  if (!t.importedUser) throw new DatabaseError(`this database has no imported_user table${at}; it is not upgraded to LinOTP 3.2+`, hint);
  const table = await configValue(db, t.config, `linotp.sqlresolver.Table.${names.resolver}`);
  if (!table) {
    throw new DatabaseError(`the local admin resolver ${names.resolver} is not defined in this database${at}`, `${hint} (or give the resolver name LinOTP uses: --admin-resolver / ADMIN_RESOLVER_NAME)`);
  }
  return { importedUser: t.importedUser, config: t.config, realm: t.realm };
}

const COLS = ADMIN_COLUMNS.join(', ');

function toRecord(r: Row): AdminRecord {
  const out = {} as AdminRecord;
  for (const c of ADMIN_COLUMNS) out[c] = r[c] === null || r[c] === undefined ? null : String(r[c]);
  return out;
}

export async function listAdmins(db: Db, names: AdminNames): Promise<AdminRecord[]> {
  const t = await requireAdminSetup(db, names);
  const rows = await db.query(`SELECT ${COLS} FROM ${q(db, t.importedUser)} WHERE groupid = ? ORDER BY userid`, [names.resolver]);
  return rows.map(toRecord);
}

async function getAdmin(db: Db, table: string, names: AdminNames, name: string): Promise<AdminRecord | undefined> {
  const rows = await db.query(`SELECT ${COLS} FROM ${q(db, table)} WHERE groupid = ? AND userid = ?`, [names.resolver, name]);
  return rows[0] ? toRecord(rows[0]) : undefined;
}

/** The admin, or NoSuchAdminError (used before prompting for a password). */
export async function requireAdmin(db: Db, names: AdminNames, name: string): Promise<AdminRecord> {
  const t = await requireAdminSetup(db, names);
  const a = await getAdmin(db, t.importedUser, names, name);
  if (!a) throw new NoSuchAdminError(name);
  return a;
}

/**
 * LinOTP 3.4 creates imported_user with MySQL charset utf8 (3-byte utf8mb3), which cannot store
 * characters outside the Basic Multilingual Plane (emoji …); say so instead of a driver error.
 * Only the column charsets the adapter reports matter, so PostgreSQL/SQLite are never affected.
 */
async function checkStorable(db: Db, table: string, values: Record<string, string | undefined>): Promise<void> {
  const astral = Object.entries(values).filter(([, v]) => v !== undefined && /[\u{10000}-\u{10FFFF}]/u.test(v));
  if (!astral.length) return;
  const cols = new Map((await db.listColumns(table)).map((c) => [c.name.toLowerCase(), c.charset]));
  for (const [col] of astral) {
    const cs = cols.get(col);
    if (cs && cs !== 'utf8mb4') {
      throw new UsageError(`${col === 'userid' ? 'the account name' : `--${col}`} contains characters outside the Basic Multilingual Plane (e.g. emoji), which imported_user.${col} (charset ${cs}) cannot store`, 'leave them out');
    }
  }
}

/** A change of the admin accounts: in a transaction, under the database's one lock (Db.withLock). */
function lockedTransaction<T>(db: Db, verb: string, fn: (tx: Db) => Promise<T>): Promise<T> {
  return db.withLock(`local-admins ${verb}`, () => db.transaction(fn));
}

/** `add`: password `*` until `password` is run (LinOTP's `add_user(password="")`). */
export async function addAdmin(db: Db, names: AdminNames, name: string, fields: AdminFields = {}): Promise<AdminRecord> {
  validateAccountName(name);
  validateFields(fields);
  const t = await requireAdminSetup(db, names);
  await checkStorable(db, t.importedUser, { userid: name, ...fields });
  const rec: AdminRecord = {
    groupid: names.resolver,
    userid: name,
    username: name,
    phone: fields.phone ?? '',
    mobile: fields.mobile ?? '',
    email: fields.email ?? '',
    surname: fields.surname ?? '',
    givenname: fields.givenname ?? '',
    password: '*',
  };
  await lockedTransaction(db, 'add', async (tx) => {
    if (await getAdmin(tx, t.importedUser, names, name)) throw new DuplicateAdminError(name);
    try {
      await tx.execute(`INSERT INTO ${q(tx, t.importedUser)} (${COLS}) VALUES (${ADMIN_COLUMNS.map(() => '?').join(', ')})`, ADMIN_COLUMNS.map((c) => rec[c]));
    } catch (e) {
      // A concurrent add between our check and the insert hits the primary key, as in LinOTP.
      if (e instanceof DatabaseError && /duplicate|unique|primary/i.test(e.message)) throw new DuplicateAdminError(name);
      throw e;
    }
  });
  return rec;
}

/** `modify`: only the given fields change; no fields = no-op (as LinOTP). Returns the changed field names. */
export async function modifyAdmin(db: Db, names: AdminNames, name: string, fields: AdminFields): Promise<{ changed: AdminField[] }> {
  validateFields(fields);
  const t = await requireAdminSetup(db, names);
  await checkStorable(db, t.importedUser, fields);
  const given = ADMIN_FIELDS.filter((f) => fields[f] !== undefined);
  return lockedTransaction(db, 'modify', async (tx) => {
    const cur = await getAdmin(tx, t.importedUser, names, name);
    if (!cur) throw new NoSuchAdminError(name);
    if (!given.length) return { changed: [] };
    await tx.execute(
      `UPDATE ${q(tx, t.importedUser)} SET ${given.map((f) => `${f} = ?`).join(', ')} WHERE groupid = ? AND userid = ?`,
      [...given.map((f) => fields[f]!), names.resolver, name],
    );
    return { changed: given.filter((f) => cur[f] !== fields[f]) };
  });
}

/** Hashes (sha512_crypt, 656000 rounds, as passlib) and stores the password. */
export async function setAdminPassword(db: Db, names: AdminNames, name: string, password: string): Promise<void> {
  const t = await requireAdminSetup(db, names);
  if (!(await getAdmin(db, t.importedUser, names, name))) throw new NoSuchAdminError(name);
  const hash = sha512Crypt(password);
  await lockedTransaction(db, 'password', async (tx) => {
    if (!(await getAdmin(tx, t.importedUser, names, name))) throw new NoSuchAdminError(name);
    await tx.execute(`UPDATE ${q(tx, t.importedUser)} SET password = ? WHERE groupid = ? AND userid = ?`, [hash, names.resolver, name]);
  });
}

export async function removeAdmin(db: Db, names: AdminNames, name: string): Promise<void> {
  const t = await requireAdminSetup(db, names);
  await lockedTransaction(db, 'remove', async (tx) => {
    if (!(await getAdmin(tx, t.importedUser, names, name))) throw new NoSuchAdminError(name);
    await tx.execute(`DELETE FROM ${q(tx, t.importedUser)} WHERE groupid = ? AND userid = ?`, [names.resolver, name]);
  });
}

/** Whether the admin realm's resolver list names the admin resolver (else nobody can log in with these accounts). */
export async function isAdminResolverEnabled(db: Db, names: AdminNames): Promise<boolean> {
  const t = await requireAdminSetup(db, names);
  const cur = await configValue(db, t.config, `linotp.useridresolver.group.${names.realm.toLowerCase()}`);
  const list = cur?.v === null || cur?.v === undefined ? '' : String(cur.v);
  return list.split(',').some((n) => n.trim() === RESOLVER_SPEC(names.resolver));
}

export interface EnableResult {
  action: 'unchanged' | 'added';
  key: string;
  value: string;
  /** The Realm row of the admin realm is missing (LinOTP's enable doesn't create it either). */
  realmRowMissing: boolean;
}

const RESOLVER_SPEC = (resolver: string) => `useridresolver.SQLIdResolver.IdResolver.${resolver}`;

/**
 * `enable`: make sure the admin resolver is in the admin realm's resolver list
 * (`linotp.useridresolver.group.<realm lower>`), prepending it when missing — LinOTP puts it first
 * so broken resolvers after it don't hide the local admins. Like LinOTP, the Realm row is not
 * created; we report when it is missing.
 */
export async function enableAdminResolver(db: Db, names: AdminNames): Promise<EnableResult> {
  const t = await requireAdminSetup(db, names);
  const realm = names.realm.toLowerCase();
  const key = `linotp.useridresolver.group.${realm}`;
  const spec = RESOLVER_SPEC(names.resolver);
  const realmRowMissing = t.realm ? (await db.query(`SELECT id FROM ${q(db, t.realm)} WHERE name = ?`, [realm])).length === 0 : true;
  return lockedTransaction(db, 'enable', async (tx) => {
    const cur = await configValue(tx, t.config, key);
    const list = cur?.v === null || cur?.v === undefined ? '' : String(cur.v);
    if (list && list.split(',').some((n) => n.trim() === spec)) return { action: 'unchanged', key, value: list, realmRowMissing };
    const value = list ? `${spec},${list}` : spec;
    if (value.length > 1994) throw new MigrateError(`the resolver list ${key} would exceed one Config row (${value.length} characters)`, { hint: "shorten the realm's resolver list in LinOTP first" });
    const K = q(tx, 'Key'), V = q(tx, 'Value'), T = q(tx, 'Type'), D = q(tx, 'Description');
    if (cur) await tx.execute(`UPDATE ${q(tx, t.config)} SET ${V} = ?, ${T} = ?, ${D} = ? WHERE ${K} = ?`, [value, 'text', 'None', key]);
    else await tx.execute(`INSERT INTO ${q(tx, t.config)} (${K}, ${V}, ${T}, ${D}) VALUES (?, ?, ?, ?)`, [key, value, 'text', 'None']);
    return { action: 'added', key, value, realmRowMissing };
  });
}
