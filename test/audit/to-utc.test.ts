import { afterAll, beforeAll, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/index.js';
import type { Db } from '../../src/db/types.js';
import { applyToUtc, countAuditTimestampForms, planToUtc } from '../../src/audit/to-utc.js';
import { UsageError } from '../../src/errors.js';
import { createTestDatabase, describeEngines } from '../helpers/db.js';
import { auditRow, createLinotp2AuditTable, insertAuditRows } from './audit-fixture.js';
import { pythonLocalTimes, pythonToUtc } from './zoneinfo-oracle.js';

const ZONE = 'Europe/Berlin';

/** Real instants around both 2024 Berlin DST changes, every 37.123457 s, written the LinOTP 2 way (local time). */
function generate() {
  const micros: number[] = [];
  for (const [from, to] of [[Date.UTC(2024, 2, 30, 22), Date.UTC(2024, 2, 31, 4)], [Date.UTC(2024, 9, 26, 22), Date.UTC(2024, 9, 27, 4)]]) {
    for (let us = from * 1000; us < to * 1000; us += 37_123_457) micros.push(us);
  }
  const local = pythonLocalTimes(ZONE, micros);
  const extra = ['2024-03-31 02:15:00.000000', '2024-03-31 02:59:59.999999', '2024-05-02T08:15:01.123+00:00', 'garbage', null, '2024-13-01 00:00:00.000000'];
  const values = [...local, ...extra];
  const rows = values.map((ts, i) => auditRow(i + 1, ts, { signature: i % 2 ? 'ab'.repeat(256) : '' }));
  const parseable = values.filter((v): v is string => v !== null && /^\d{4}-\d{2}-\d{2} /.test(v) && v !== '2024-13-01 00:00:00.000000');
  const utc0 = pythonToUtc(ZONE, parseable, 0);
  const utc1 = pythonToUtc(ZONE, parseable, 1);
  const oracle = new Map(parseable.map((v, i) => [v, utc0[i]]));
  const oracleLater = new Map(parseable.map((v, i) => [v, utc1[i]]));
  return { rows, micros, local, oracle, oracleLater };
}

const data = generate();

describeEngines('audit to-utc', (engine) => {
  let db: Db;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    const t = await createTestDatabase(engine);
    drop = t.drop;
    db = await openDatabase(t.url);
    await createLinotp2AuditTable(db);
    await insertAuditRows(db, data.rows);
  }, 60_000);

  afterAll(async () => {
    await db?.close();
    await drop?.();
  });

  it('plans without changing anything', async () => {
    const before = await db.query('SELECT COUNT(*) AS n FROM audit WHERE timestamp LIKE ?', ['%+00:00']);
    const plan = await planToUtc(db, { timezone: ZONE });
    expect(plan.total).toBe(data.rows.length);
    expect(await countAuditTimestampForms(db)).toEqual({ table: 'audit', total: data.rows.length, utc: 1, local: data.rows.length - 1 });
    expect(plan.alreadyUtc).toBe(1);
    expect(plan.unparseable).toBe(3);
    expect(plan.toConvert).toBe(data.rows.length - 4);
    expect(plan.nonexistent).toBe(2);
    // the repeated hour 02:00–03:00 on 27 October is passed twice: ~2 × 3600/37 rows
    expect(plan.ambiguous).toBeGreaterThan(190);
    expect(plan.signedToConvert).toBeGreaterThan(0);
    expect(plan.samples[0]).toEqual({ id: 1, before: data.local[0], after: data.oracle.get(data.local[0]) });
    expect(plan.unparseableSamples.map((s) => s.before)).toEqual(['garbage', null, '2024-13-01 00:00:00.000000']);
    const after = await db.query('SELECT COUNT(*) AS n FROM audit WHERE timestamp LIKE ?', ['%+00:00']);
    expect(after).toEqual(before);
  });

  it('rejects an unknown zone before touching the table', async () => {
    await expect(planToUtc(db, { timezone: 'Mars/Olympus_Mons' })).rejects.toThrow(UsageError);
  });

  it('converts to the exact UTC instants (python zoneinfo) and a second run changes nothing', async () => {
    // A run killed after its first page (900 rows: it ends inside the second pass of the repeated
    // hour): each row is in the old or new form, and the rerun finishes it with the same result.
    let pages = 0;
    const killer = { tick: () => { if (++pages === 1) throw new Error('killed'); } };
    await expect(applyToUtc(db, { timezone: ZONE, pageSize: 900, progress: killer })).rejects.toThrow('killed');
    const partial = await db.query('SELECT COUNT(*) AS n FROM audit WHERE timestamp LIKE ?', ['%+00:00']);
    expect(Number(partial[0].n)).toBe(901);

    const res = await applyToUtc(db, { timezone: ZONE, pageSize: 1000 });
    expect(res.converted).toBe(data.rows.length - 4 - 900);
    const rows = await db.query<{ id: number; timestamp: string | null }>('SELECT id, timestamp FROM audit ORDER BY id');
    let secondPass = 0;
    rows.forEach((r, i) => {
      const original = data.rows[i].timestamp as string | null;
      if (original === null || !data.oracle.has(original)) {
        expect(r.timestamp, `row ${r.id} left alone`).toBe(original);
        return;
      }
      // python zoneinfo gives the candidates (fold=0 / fold=1; equal outside the repeated hour) ...
      const candidates = [data.oracle.get(original), data.oracleLater.get(original)];
      if (i >= data.micros.length && original.startsWith('2024-03-31 02:')) candidates.splice(1); // gap: offset before the change
      expect(candidates, `row ${r.id} (${original})`).toContain(r.timestamp);
      if (r.timestamp !== candidates[0]) secondPass++;
      // ... and the row order picks the instant the row was really written at (ms truncated), also in the repeated hour.
      if (i < data.micros.length) {
        expect(r.timestamp, `row ${r.id} (${original})`).toBe(new Date(Math.floor(data.micros[i] / 1000)).toISOString().replace('Z', '+00:00'));
      }
    });
    expect(secondPass).toBeGreaterThan(90);

    const again = await applyToUtc(db, { timezone: ZONE });
    expect(again.converted).toBe(0);
    expect(again.toConvert).toBe(0);
    expect(again.alreadyUtc).toBe(data.rows.length - 3);
    expect(await countAuditTimestampForms(db)).toMatchObject({ utc: data.rows.length - 3, local: 3 });
    const rows2 = await db.query('SELECT id, timestamp FROM audit ORDER BY id');
    expect(rows2).toEqual(rows);
  });
});
