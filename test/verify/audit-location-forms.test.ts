/** verify's audit-location check for every AUDIT_DATABASE_URI form (issue 21 item 5), on every engine. */
import { expect, it } from 'vitest';
import { auditLocation } from '../../src/audit/location.js';
import { openDatabase } from '../../src/db/index.js';
import { applyUpgrade } from '../../src/upgrade/apply.js';
import { auditLocationCheck } from '../../src/verify/audit-location.js';
import { createTestDatabase, describeEngines } from '../helpers/db.js';

const settings = (v?: string) => ({ resolved: (n: string) => (n === 'AUDIT_DATABASE_URI' && v !== undefined ? { value: v, source: 'x.cfg:1' } : undefined) });

describeEngines('audit-location check', (engine) => {
  it('SHARED, OFF and a separate URL', async () => {
    const m = await createTestDatabase(engine);
    const a = await createTestDatabase(engine);
    const main = await openDatabase(m.url);
    const audit = await openDatabase(a.url);
    try {
      // a LinOTP 3.4 database with its audit table (and one row) in the main database
      await applyUpgrade(main, {});
      const q = (c: string) => main.dialect.quoteIdent(c);
      await main.execute(`INSERT INTO audit (${q('timestamp')}, ${q('action')}) VALUES ('2026-01-01 00:00:00.000000', 'x')`);
      const shared = auditLocation(settings('SHARED'), m.url);
      if (engine === 'sqlite') {
        // SQLite + SHARED: LinOTP reads <file>_audit, which does not exist
        expect(await auditLocationCheck(main, shared, undefined)).toMatchObject({ status: 'fail', summary: expect.stringMatching(/^no audit table in the SQLite file .*_audit .*refuses to start, and the 1 audit rows in the main database are not read there/) });
      } else {
        expect(await auditLocationCheck(main, shared, undefined)).toMatchObject({ status: 'pass', summary: '1 audit rows in the main database (AUDIT_DATABASE_URI from x.cfg:1)' });
      }
      expect(await auditLocationCheck(main, auditLocation(settings('OFF'), m.url), undefined)).toMatchObject({ status: 'warn', summary: expect.stringContaining('shows none of the 1 audit rows') });
      const separate = auditLocation(settings(a.url), m.url);
      expect(await auditLocationCheck(main, separate, audit)).toMatchObject({ status: 'fail', summary: expect.stringContaining('no audit table in') });
      await applyUpgrade(main, { auditDb: audit }); // creates the table there and moves the row
      expect(await auditLocationCheck(main, separate, audit)).toMatchObject({ status: 'pass', summary: expect.stringMatching(/^1 audit rows in /) });
    } finally {
      await audit.close();
      await main.close();
      await a.drop();
      await m.drop();
    }
  });
});
