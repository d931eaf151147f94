// Throughput of `audit to-utc` on ~200k rows. Opt-in: LMT_AUDIT_BENCH=1 [LMT_AUDIT_BENCH_ENGINES=mysql,postgres,sqlite].
import { expect, it } from 'vitest';
import { openDatabase } from '../../src/db/index.js';
import { applyToUtc, planToUtc } from '../../src/audit/to-utc.js';
import { type TestEngine, createTestDatabase } from '../helpers/db.js';
import { auditRow, createLinotp2AuditTable, insertAuditRows } from './audit-fixture.js';

const ROWS = 200_000;
const engines = (process.env.LMT_AUDIT_BENCH_ENGINES ?? 'mysql,postgres,sqlite').split(',') as TestEngine[];

function pad(n: number, w = 2) {
  return String(n).padStart(w, '0');
}

for (const engine of engines) {
  it.skipIf(!process.env.LMT_AUDIT_BENCH)(`to-utc throughput on ${ROWS} rows [${engine}]`, async () => {
    const t = await createTestDatabase(engine);
    const db = await openDatabase(t.url);
    try {
      await createLinotp2AuditTable(db);
      const start = Date.UTC(2024, 0, 1);
      const rows = [];
      for (let i = 1; i <= ROWS; i++) {
        const d = new Date(start + i * 150_000); // a row every 2.5 minutes: a year of a busy server
        rows.push(auditRow(i, `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(i % 1_000_000, 6)}`, { signature: 'ab'.repeat(256) }));
      }
      let t0 = Date.now();
      await insertAuditRows(db, rows);
      const insertMs = Date.now() - t0;
      t0 = Date.now();
      const plan = await planToUtc(db, { timezone: 'Europe/Berlin' });
      const planMs = Date.now() - t0;
      const res = await applyToUtc(db, { timezone: 'Europe/Berlin' });
      t0 = Date.now();
      const again = await applyToUtc(db, { timezone: 'Europe/Berlin' });
      const againMs = Date.now() - t0;
      console.log(`[${engine}] insert ${insertMs} ms; plan ${planMs} ms (${Math.round((ROWS * 1000) / planMs)} rows/s); apply ${res.elapsedMs} ms (${res.rowsPerSecond} rows/s); rerun ${againMs} ms`);
      expect(plan.toConvert).toBe(ROWS);
      expect(res.converted).toBe(ROWS);
      expect(again.converted).toBe(0);
    } finally {
      await db.close();
      await t.drop();
    }
  }, 600_000);
}
