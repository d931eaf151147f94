/**
 * On MySQL the repair is executed by the server's CONVERT(CAST(CONVERT(col USING latin1) AS BINARY)
 * USING utf8mb4) for exactly the values the JS rule selected; on PostgreSQL/SQLite the JS result is
 * written. Either way the stored result must equal the JS decision for arbitrary strings.
 */
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { openDatabase } from '../../src/db/index.js';
import { runFixEncoding } from '../../src/encoding/index.js';
import { doubleEncode } from '../../src/encoding/mysql-latin1.js';
import { classify } from '../../src/encoding/repair.js';
import { createFixtureSchema } from '../../src/fixtures/write.js';
import { createTestDatabase, describeEngines } from '../helpers/db.js';

const strings = fc.sample(
  fc.oneof(
    fc.string({ unit: 'binary', maxLength: 20 }).map(doubleEncode),
    fc.string({ unit: 'binary', maxLength: 20 }),
    fc.string({ unit: fc.constantFrom(...'aÃÂÅâ€™\u0081\u008d\u008f\u0090\u009d¼©«ð¸Ÿ˜‚ƒ'.split('')), maxLength: 12 }),
  ),
  { numRuns: 600, seed: 42 },
).filter((s) => !s.includes('\u0000') && [...s].length <= 60 && Buffer.byteLength(s) <= 255 * 4);

describeEngines('server-side repair equals the JS decision', (engine) => {
  it('for 600 arbitrary strings', async () => {
    const t = await createTestDatabase(engine, { charset: 'utf8mb4' });
    const db = await openDatabase(t.url);
    try {
      await createFixtureSchema(db);
      await db.insertMany('Config', ['Key', 'Value', 'Type', 'Description'], [['linotp.Config', 'x', '', '']]);
      // audit.info is VARCHAR(512): room for any of the strings
      await db.insertMany('audit', ['id', 'info'], strings.map((s, i) => [i + 1, s]));
      const r = await runFixEncoding(db, { tables: ['audit'], pageSize: 97 });
      expect(r.totals.repairedValues).toBe(strings.filter((s) => classify(s).kind === 'double').length);
      expect(r.totals.repairedValues).toBeGreaterThan(150);
      const rows = await db.query('SELECT id, info FROM audit ORDER BY id');
      const mismatches = rows
        .map((r) => {
          const s = strings[Number(r.id) - 1];
          const v = classify(s);
          const want = v.kind === 'double' ? v.repaired : s;
          return r.info === want ? undefined : { id: r.id, stored: s, want, got: r.info };
        })
        .filter(Boolean);
      expect(mismatches).toEqual([]);
      expect(rows).toHaveLength(strings.length);
    } finally {
      await db.close();
      await t.drop();
    }
  });
});
