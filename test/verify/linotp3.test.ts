/** verify on a LinOTP 3 database: admin resolver/realm and local admins without a password. */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/index.js';
import type { Db } from '../../src/db/types.js';
import { buildInstallation } from '../../src/fixtures/installation.js';
import { writeInstallation } from '../../src/fixtures/write.js';
import { runVerify } from '../../src/verify/index.js';
import { createTestDatabase, describeEngines } from '../helpers/db.js';

describeEngines('verify on LinOTP 3', (engine) => {
  let db: Db;
  let drop: () => Promise<void>;
  const inst = buildInstallation({ tokens: 5, auditRows: 2 });

  beforeAll(async () => {
    const t = await createTestDatabase(engine, { charset: 'utf8mb4' });
    drop = t.drop;
    db = await openDatabase(t.url);
    await writeInstallation(db, inst, { encoding: 'correct' });
    const q = db.dialect.quoteIdent;
    await db.execute(`UPDATE ${q('Config')} SET ${q('Value')} = ? WHERE ${q('Key')} = ?`, ['3.2.3.0', 'linotp.sql_data_model_version']);
  });
  afterAll(async () => {
    await db?.close();
    await drop?.();
  });

  it('fails when the admin resolver and realm are missing', async () => {
    const r = await runVerify(db, inst.encKey, { skipEncoding: true });
    expect(r.model.schema).toBe('3.4');
    expect(r.model.current).toBe(true);
    const admin = r.checks.find((c) => c.id === 'admin-realm')!;
    expect(admin.status).toBe('fail');
    expect(admin.items).toHaveLength(3);
    expect(r.ok).toBe(false);
  });

  it('passes with them, and names local admins whose password is still *', async () => {
    await db.insertMany('Config', ['Key', 'Value', 'Type', 'Description'], [
      ['linotp.sqlresolver.Table.LinOTP_local_admins', 'imported_user', 'text', ''],
      ['linotp.sqlresolver.Where.LinOTP_local_admins', "groupid = 'LinOTP_local_admins'", 'text', ''],
      ['linotp.useridresolver.group.linotp_admins', 'useridresolver.SQLIdResolver.IdResolver.LinOTP_local_admins', '', ''],
    ]);
    await db.insertMany('Realm', ['id', 'name', 'default', 'option'], [[3, 'linotp_admins', false, '']]);
    await db.insertMany('imported_user', ['groupid', 'userid', 'username', 'phone', 'mobile', 'email', 'surname', 'givenname', 'password'], [
      ['LinOTP_local_admins', 'admin', 'admin', '', '', '', '', '', '$6$abc$def'],
      ['LinOTP_local_admins', 'hélène', 'hélène', '', '', '', '', '', '*'],
    ]);
    const r = await runVerify(db, inst.encKey, { skipEncoding: true });
    expect(r.checks.find((c) => c.id === 'admin-realm')!.status).toBe('pass');
    expect(r.checks.find((c) => c.id === 'local-admins')).toMatchObject({ status: 'warn', failed: 1, items: ['hélène'] });
    expect(r.checks.find((c) => c.id === 'tables')!.status).toBe('pass');
    expect(r.ok).toBe(true);
  });
});
