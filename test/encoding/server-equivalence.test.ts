/**
 * On MySQL the repair is executed by the server's CONVERT(CAST(CONVERT(col USING latin1) AS BINARY)
 * USING utf8mb4) for exactly the values the JS rule selected; on PostgreSQL/SQLite the JS result is
 * written. Either way the stored result must equal the JS decision for arbitrary strings.
 */
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { openDatabase } from '../../src/db/index.js';
import { runFixEncoding } from '../../src/encoding/index.js';
import { mysqlDecision } from '../../src/encoding/mysql-decide.js';
import { decodeMysqlLatin1, doubleEncode } from '../../src/encoding/mysql-latin1.js';
import { classify, repairedByServer } from '../../src/encoding/repair.js';
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

/** Strings at the edges of the SQL decision: encoded surrogates and overlongs, case-folding pairs, C1, levels. */
const latin1Of = (bytes: number[]) => decodeMysqlLatin1(Uint8Array.from(bytes));
const edges = [
  latin1Of([0xed, 0xa0, 0x80]), // an encoded surrogate: MariaDB's CONVERT accepts it, isUtf8 does not
  latin1Of([0xed, 0x9f, 0xbf]),
  latin1Of([0xc0, 0x80]),
  latin1Of([0xe0, 0x80, 0x80]),
  latin1Of([0xf4, 0x90, 0x80, 0x80]),
  latin1Of([0xf0, 0x9f, 0x98, 0x80]), // a double-encoded emoji
  latin1Of([0xc2, 0x85]), // repair would be U+0085
  doubleEncode('한국어'),
  doubleEncode('μ K ſ'), // case folding: µ ~ μ, K ~ Kelvin sign, s ~ ſ
  'μ', 'K', 'ſ', 'µ', 'Łódź', 'für', 'Ã', '',
  doubleEncode(doubleEncode('für')),
  doubleEncode(doubleEncode(doubleEncode('😀'))),
  doubleEncode(latin1Of([0xc3, 0x85])), // repair is 'Ã…', itself a candidate whose repair 'Å'…
  doubleEncode('Ã\u0085'),
  doubleEncode('a\u0000b€'),
];

describeEngines('the SQL decision (strict mode)', (engine) => {
  it('marks exactly the values repairedByServer, never errs, and repairs them to classify()', async () => {
    const t = await createTestDatabase(engine, { charset: 'utf8mb4' });
    const db = await openDatabase(t.url);
    try {
      await db.execute("SET SESSION sql_mode = 'STRICT_TRANS_TABLES,ERROR_FOR_DIVISION_BY_ZERO'");
      await db.execute('CREATE TABLE v (id INT PRIMARY KEY, s VARCHAR(200)) CHARACTER SET utf8mb4');
      const all = [...edges, ...strings];
      await db.insertMany('v', ['id', 's'], all.map((s, i) => [i + 1, s]));
      const d = mysqlDecision('`s`', 'utf8mb4');
      const rows = await db.query(`SELECT id, ${d.candidate} AS c, ${d.serverRepair} AS r, CASE WHEN ${d.serverRepair} THEN ${d.repaired} END AS fixed FROM v ORDER BY id`);
      // read as another charset would be after conversion (the dry run's form): the same answers
      const d2 = mysqlDecision('`s`', 'latin1');
      const rows2 = await db.query(`SELECT id, ${d2.candidate} AS c, ${d2.serverRepair} AS r, CASE WHEN ${d2.serverRepair} THEN ${d2.repaired} END AS fixed FROM v ORDER BY id`);
      expect(rows2).toEqual(rows);
      // a utf8mb3 column (kept, not converted) is read directly: the same answers for what fits in it
      await db.execute('CREATE TABLE v3 (id INT PRIMARY KEY, s VARCHAR(200)) CHARACTER SET utf8mb3');
      const bmp = all.map((s, i) => [i + 1, s] as [number, string]).filter(([, s]) => !/[\u{10000}-\u{10FFFF}]/u.test(s));
      await db.insertMany('v3', ['id', 's'], bmp);
      const d3 = mysqlDecision('`s`', 'utf8mb3');
      const rows3 = await db.query(`SELECT id, ${d3.candidate} AS c, ${d3.serverRepair} AS r, CASE WHEN ${d3.serverRepair} THEN ${d3.repaired} END AS fixed FROM v3 ORDER BY id`);
      expect(rows3).toEqual(rows.filter((r) => bmp.some(([id]) => id === Number(r.id))));
      expect(rows3.length).toBeGreaterThan(400);
      const wrong = rows
        .map((r) => {
          const s = all[Number(r.id) - 1];
          const v = classify(s);
          const want = { r: repairedByServer(s), fixed: repairedByServer(s) && v.kind !== 'ok' ? v.repaired : null };
          const got = { r: Boolean(Number(r.r)), fixed: r.fixed ?? null };
          // a value repair.ts would touch is always a candidate
          const candidateOk = v.kind === 'ok' || Number(r.c) === 1;
          return JSON.stringify(want) === JSON.stringify(got) && candidateOk ? undefined : { s, want, got, c: r.c };
        })
        .filter(Boolean);
      expect(wrong).toEqual([]);
      expect(rows.filter((r) => Number(r.r) === 1).length).toBeGreaterThan(100);
    } finally {
      await db.close();
      await t.drop();
    }
  });
}, ['mysql']);
