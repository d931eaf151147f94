/**
 * `init database --audit-timezone`: LinOTP 2 local audit times become LinOTP 3's UTC form inside the
 * upgrade; without a zone they are only reported; a second run changes nothing.
 */
import { describe, expect, it } from 'vitest';
import { EncKey } from '../../src/crypto/enckey.js';
import { openDatabase } from '../../src/db/index.js';
import type { Db } from '../../src/db/types.js';
import { SAMPLE_ENC_KEY } from '../../src/fixtures/sample.js';
import { applyUpgrade } from '../../src/upgrade/apply.js';
import { planUpgrade } from '../../src/upgrade/plan.js';
import { createTestDatabase, describeEngines } from '../helpers/db.js';
import { loadSample212, snapshot } from './sample-db.js';

const KEY = new EncKey(SAMPLE_ENC_KEY, 'sample key');

async function timestamps(db: Db): Promise<string[]> {
  const q = (n: string) => db.dialect.quoteIdent(n);
  const rows = await db.query<{ ts: string }>(`SELECT ${q('timestamp')} AS ts FROM ${q('audit')} ORDER BY ${q('id')}`);
  return rows.map((r) => r.ts);
}

describeEngines('init database --audit-timezone', (engine) => {
  it('converts the sample audit rows from Europe/Berlin (CEST, +02:00) to UTC, once', async () => {
    const t = await createTestDatabase(engine, { charset: 'utf8' });
    const db = await openDatabase(t.url);
    try {
      await loadSample212(db);
      const without = await planUpgrade(db, { encKey: KEY });
      expect(without.actions.map((a) => a.id)).not.toContain('audit-to-utc');
      expect(without.warnings.join('\n')).toMatch(/4 audit rows carry LinOTP 2 local timestamps.*--audit-timezone/);

      const plan = await planUpgrade(db, { encKey: KEY, auditTimezone: 'Europe/Berlin' });
      expect(plan.actions.find((a) => a.id === 'audit-to-utc')?.effects.auditRowsToConvert).toBe(4);

      await applyUpgrade(db, { encKey: KEY, auditTimezone: 'Europe/Berlin' });
      expect(await timestamps(db)).toEqual([
        '2024-05-02T06:10:00.412+00:00',
        '2024-05-02T06:15:01.123+00:00',
        '2024-05-02T07:30:00.654+00:00',
        '2024-05-02T07:31:10.000+00:00',
      ]);
      const before = await snapshot(db);
      const again = await applyUpgrade(db, { encKey: KEY, auditTimezone: 'Europe/Berlin' });
      expect(again.upToDate).toBe(true);
      expect(await snapshot(db)).toBe(before);
    } finally {
      await db.close();
      await t.drop();
    }
  });
});
