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

it.skipIf(!process.env.LMT_AUDIT_BENCH)('verify-signatures throughput [sqlite]', async () => {
  const { generateKeyPairSync } = await import('node:crypto');
  const { checkLinotp2Signatures, signLinotp2Row } = await import('../../src/audit/signatures.js');
  const k = generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
  const t = await createTestDatabase('sqlite');
  const db = await openDatabase(t.url);
  try {
    await createLinotp2AuditTable(db);
    const rows = [];
    for (let i = 1; i <= 5000; i++) {
      const r = auditRow(i, `2024-05-02 10:00:${pad(i % 60)}.${pad(i, 6)}`);
      r.signature = signLinotp2Row(r, k.privateKey);
      if (i % 10 === 0) r.info = 'tampered'; // invalid rows cost every variant
      rows.push(r);
    }
    await insertAuditRows(db, rows);
    const t0 = Date.now();
    const res = await checkLinotp2Signatures(db, k.publicKey);
    const ms = Date.now() - t0;
    console.log(`[sqlite] verify-signatures: 5000 rows (10% tampered) in ${ms} ms (${Math.round(5_000_000 / ms)} rows/s)`);
    expect(res.invalid).toBe(500);
  } finally {
    await db.close();
    await t.drop();
  }
}, 600_000);
