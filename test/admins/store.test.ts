import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addAdmin,
  DuplicateAdminError,
  enableAdminResolver,
  isAdminResolverEnabled,
  listAdmins,
  modifyAdmin,
  removeAdmin,
  requireAdmin,
  setAdminPassword,
  validateAccountName,
  type AdminNames,
} from '../../src/admins/store.js';
import { verifySha512Crypt } from '../../src/crypto/sha512crypt.js';
import { DatabaseError, UsageError } from '../../src/errors.js';
import { describeEngines } from '../helpers/db.js';
import { adminDatabase, OTHER_USERS, RESOLVER, type AdminDb } from './setup.js';

const names: AdminNames = { resolver: RESOLVER, realm: 'LinOTP_Admins' };

describeEngines('local admins store', (engine) => {
  let a: AdminDb;
  let before: unknown;
  beforeAll(async () => {
    a = await adminDatabase(engine);
    before = await a.otherRows();
  });
  afterAll(async () => {
    await a?.close();
  });

  it('add stores password "*" and the fields; duplicates fail with LinOTP\'s message', async () => {
    await addAdmin(a.db, names, 'admin', { givenname: 'Ada', surname: 'Lovelace', email: 'ada@example.com' });
    await addAdmin(a.db, names, 'zoë');
    const list = await listAdmins(a.db, names);
    expect(list).toEqual([
      { groupid: RESOLVER, userid: 'admin', username: 'admin', phone: '', mobile: '', email: 'ada@example.com', surname: 'Lovelace', givenname: 'Ada', password: '*' },
      { groupid: RESOLVER, userid: 'zoë', username: 'zoë', phone: '', mobile: '', email: '', surname: '', givenname: '', password: '*' },
    ]);
    await expect(addAdmin(a.db, names, 'admin')).rejects.toThrow(DuplicateAdminError);
    await expect(addAdmin(a.db, names, 'admin')).rejects.toThrow(/^User admin already exists$/);
    await expect(addAdmin(a.db, names, 'admin')).rejects.toMatchObject({ exitCode: 1 });
  });

  it('modify changes only the given fields; "" clears; unknown user fails', async () => {
    expect(await modifyAdmin(a.db, names, 'admin', { mobile: '+49 1', email: '' })).toEqual({ changed: ['mobile', 'email'] });
    expect(await modifyAdmin(a.db, names, 'admin', {})).toEqual({ changed: [] });
    const rec = await requireAdmin(a.db, names, 'admin');
    expect(rec).toMatchObject({ mobile: '+49 1', email: '', givenname: 'Ada', surname: 'Lovelace', password: '*' });
    await expect(modifyAdmin(a.db, names, 'nobody', { email: 'x' })).rejects.toThrow('User nobody does not exist');
    await expect(modifyAdmin(a.db, names, 'admin', { email: 'x'.repeat(101) })).rejects.toThrow(UsageError);
  });

  it('password stores a passlib-compatible sha512_crypt hash', async () => {
    await setAdminPassword(a.db, names, 'admin', 'Correct-Horse-9');
    const rec = await requireAdmin(a.db, names, 'admin');
    expect(rec.password).toMatch(/^\$6\$rounds=656000\$[./0-9A-Za-z]{16}\$[./0-9A-Za-z]{86}$/);
    expect(verifySha512Crypt('Correct-Horse-9', rec.password!)).toBe(true);
    await expect(setAdminPassword(a.db, names, 'nobody', 'whatever-123')).rejects.toThrow('User nobody does not exist');
  });

  it('enable prepends the resolver when missing, is idempotent, keeps other resolvers', async () => {
    const key = 'linotp.useridresolver.group.linotp_admins';
    const spec = `useridresolver.SQLIdResolver.IdResolver.${RESOLVER}`;
    expect(await enableAdminResolver(a.db, names)).toMatchObject({ action: 'unchanged', key, value: spec, realmRowMissing: false });
    const q = (n: string) => a.db.dialect.quoteIdent(n);
    await a.db.execute(`UPDATE ${q('Config')} SET ${q('Value')} = ? WHERE ${q('Key')} = ?`, ['useridresolver.LDAPIdResolver.IdResolver.corp', key]);
    expect(await enableAdminResolver(a.db, names)).toMatchObject({ action: 'added', value: `${spec},useridresolver.LDAPIdResolver.IdResolver.corp` });
    expect(await a.config(key)).toBe(`${spec},useridresolver.LDAPIdResolver.IdResolver.corp`);
    expect((await enableAdminResolver(a.db, names)).action).toBe('unchanged');
    expect(await isAdminResolverEnabled(a.db, names)).toBe(true);
    await a.db.execute(`DELETE FROM ${q('Config')} WHERE ${q('Key')} = ?`, [key]);
    expect(await isAdminResolverEnabled(a.db, names)).toBe(false);
    expect(await enableAdminResolver(a.db, names)).toMatchObject({ action: 'added', value: spec });
    expect(await a.config(key)).toBe(spec);
  });

  it('characters outside the BMP: refused clearly where imported_user is utf8mb3 (MySQL, as LinOTP creates it), stored elsewhere', async () => {
    const add = addAdmin(a.db, names, 'emoji😀');
    if (engine === 'mysql') {
      await expect(add).rejects.toThrow('the account name contains characters outside the Basic Multilingual Plane (e.g. emoji), which imported_user.userid (charset utf8mb3) cannot store');
      await expect(modifyAdmin(a.db, names, 'admin', { surname: '🙂' })).rejects.toThrow(UsageError);
    } else {
      await add;
      await removeAdmin(a.db, names, 'emoji😀');
    }
  });

  it('remove deletes only that admin', async () => {
    await removeAdmin(a.db, names, 'zoë');
    await expect(removeAdmin(a.db, names, 'zoë')).rejects.toThrow('User zoë does not exist');
    expect((await listAdmins(a.db, names)).map((r) => r.username)).toEqual(['admin']);
  });

  it('never touched imported users of other resolvers (even one named admin)', async () => {
    expect(await a.otherRows()).toEqual(before);
    expect((before as unknown[]).length).toBe(OTHER_USERS.length);
  });
});

describeEngines('local admins on a database that is not upgraded', (engine) => {
  it('names the missing resolver and points to init database', async () => {
    const a = await adminDatabase(engine, { withResolver: false, withRealmRow: false });
    try {
      const err = await addAdmin(a.db, names, 'admin').catch((e) => e);
      expect(err).toBeInstanceOf(DatabaseError);
      expect(err.message).toBe('the local admin resolver LinOTP_local_admins is not defined in this database (data model version 3.2.3.0)');
      expect(err.hint).toMatch(/linotp-migrate init database/);
      await expect(listAdmins(a.db, { ...names, resolver: 'Other' })).rejects.toThrow(/resolver Other is not defined/);
      await a.db.execute('DROP TABLE imported_user');
      await expect(listAdmins(a.db, names)).rejects.toThrow(/has no imported_user table \(data model version 3.2.3.0\); it is not upgraded to LinOTP 3.2\+/);
    } finally {
      await a.close();
    }
  });
});

describe('account names', () => {
  it.each([
    ['', 'the account name is empty'],
    ['two words', 'contains whitespace or control characters'],
    ['tab\there', 'contains whitespace'],
    ['nl\n', 'contains whitespace'],
    ['zero\u200bwidth', 'control characters'],
    ['x'.repeat(101), 'holds at most 100'],
  ])('rejects %j', (name, msg) => {
    expect(() => validateAccountName(name)).toThrow(msg);
  });
  it('accepts ordinary and non-ASCII names', () => {
    for (const n of ['admin', 'ada.lovelace@example.com', 'jürgen', 'x'.repeat(100)]) expect(() => validateAccountName(n)).not.toThrow();
  });
});
