// The pieces init database (--audit-timezone) and verify (--audit-public-key) call.
import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/index.js';
import type { Db } from '../../src/db/types.js';
import { applyAuditTimezone, auditChecks, planAuditTimezone } from '../../src/audit/integration.js';
import { signLinotp2Row } from '../../src/audit/signatures.js';
import { UsageError } from '../../src/errors.js';
import { createTestDatabase, describeEngines } from '../helpers/db.js';
import { auditRow, createLinotp2AuditTable, insertAuditRows } from './audit-fixture.js';

const key = generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });

describeEngines('audit integration', (engine) => {
  let db: Db;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    const t = await createTestDatabase(engine);
    drop = t.drop;
    db = await openDatabase(t.url);
  }, 60_000);

  afterAll(async () => {
    await db?.close();
    await drop?.();
  });

  it('skips cleanly without an audit table', async () => {
    expect(await planAuditTimezone(db)).toEqual({ warnings: [] });
    expect(await applyAuditTimezone(db, { timezone: 'Europe/Berlin' })).toEqual({ auditRowsConverted: 0 });
    expect((await auditChecks(db))[0]).toMatchObject({ id: 'audit-signatures', status: 'skip' });
  });

  it('plans, applies and checks', async () => {
    await createLinotp2AuditTable(db);
    const rows = [1, 2, 3, 4].map((id) => auditRow(id, `2024-10-27 0${id}:30:00.000000`));
    for (const r of rows.slice(0, 3)) r.signature = signLinotp2Row(r, key.privateKey);
    await insertAuditRows(db, rows);
    await db.execute("UPDATE audit SET info = 'x' WHERE id = 2");

    await expect(planAuditTimezone(db, { timezone: 'Europe/Berln' })).rejects.toThrow(UsageError);
    const noZone = await planAuditTimezone(db);
    expect(noZone.action).toBeUndefined();
    expect(noZone.warnings[0]).toMatch(/^4 audit rows carry LinOTP 2 local timestamps/);

    const checks = await auditChecks(db);
    expect(checks.map((c) => [c.id, c.status])).toEqual([['audit-timestamps', 'warn'], ['audit-signatures', 'warn']]);
    const withKey = await auditChecks(db, { publicKeyPem: key.publicKey });
    expect(withKey[1]).toMatchObject({ status: 'fail', checked: 3, failed: 1, items: ['audit id 2'] });

    const plan = await planAuditTimezone(db, { timezone: 'Europe/Berlin' });
    expect(plan.action?.effects).toEqual({ auditRowsToConvert: 4, auditRowsAlreadyUtc: 0, auditRowsUnparseable: 0, ambiguous: 1, nonexistent: 0 });
    expect(plan.warnings[0]).toMatch(/^3 audit rows to convert carry LinOTP 2 signatures/);
    expect(await applyAuditTimezone(db, { timezone: 'Europe/Berlin' })).toMatchObject({ auditRowsConverted: 4, ambiguous: 1 });
    // init holds its own lock: applying inside another withLock on the same database must work (SQLite: one lock file).
    await db.withLock('linotp-migrate init database', async () => {
      expect(await applyAuditTimezone(db, { timezone: 'Europe/Berlin' })).toMatchObject({ auditRowsConverted: 0 });
    });
    expect(await planAuditTimezone(db, { timezone: 'Europe/Berlin' })).toEqual({ warnings: [] });
    const after = await auditChecks(db, { publicKeyPem: key.publicKey });
    expect(after.map((c) => [c.id, c.status])).toEqual([['audit-timestamps', 'pass'], ['audit-signatures', 'pass']]);
  });
});
