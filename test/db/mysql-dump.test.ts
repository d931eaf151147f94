// MySQL dump rows formatted in JS (src/db/mysql-dump.ts) are byte for byte what the server's own
// QUOTE()/HEX() expressions wrote before: every column type LinOTP uses, utf8mb4, utf8mb3 and
// latin1 tables (mis-encoded text included), escapes, NULLs, long values and batch boundaries.
import { EventEmitter } from 'node:events';
import { afterAll, beforeAll, describe as suite, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/index.js';
import { Lit, RowFormatter, streamFormatted } from '../../src/db/mysql-dump.js';
import type { Db } from '../../src/db/types.js';
import { createTestDatabase, describeEngines } from '../helpers/db.js';

const BINARY_TYPES = /^(binary|varbinary|tinyblob|blob|mediumblob|longblob|geometry|point|linestring|polygon)$/;
const NUMERIC_TYPES = /^(tinyint|smallint|mediumint|int|integer|bigint|decimal|numeric|float|double|real|bit)$/;

/** The expression dumpRows used before: the server builds the literal. The reference. */
function serverLiteral(col: string, dataType: string, charset?: string): string {
  if (BINARY_TYPES.test(dataType)) return `IF(${col} IS NULL, 'NULL', IF(LENGTH(${col}) = 0, 'X''''', CONCAT('0x', HEX(${col}))))`;
  if (dataType === 'bit') return `IFNULL(CAST(${col} AS UNSIGNED), 'NULL')`;
  if (NUMERIC_TYPES.test(dataType)) return `IFNULL(${col}, 'NULL')`;
  return charset && /^utf8/.test(charset) ? `QUOTE(${col})` : `QUOTE(CONVERT(${col} USING utf8mb4))`;
}

async function serverTuples(db: Db, table: string): Promise<string[]> {
  const cols = await db.listColumns(table);
  const exprs = cols.map((c) => serverLiteral(`\`${c.name}\``, c.dataType, c.charset));
  const rows = await db.query<{ r: Buffer }>(`SELECT CAST(CONCAT('(', ${exprs.join(", ',', ")}, ')') AS BINARY) AS r FROM \`${table}\` ORDER BY id`);
  return rows.map((r) => r.r.toString('hex'));
}

async function ourTuples(db: Db, table: string, batchSize: number, reuseBatches = false): Promise<{ tuples: string[]; lines: string[] }> {
  const cols = (await db.listColumns(table)).map((c) => c.name);
  const tuples: string[] = [];
  const lines: string[] = [];
  for await (const b of db.dumpRows(table, cols, ['id'], { batchSize, reuseBatches })) {
    tuples.push(...b.chunks.map((c) => c.toString('hex')));
    lines.push(b.lines!.text.toString('hex'));
    expect(b.rows).toBe(b.chunks.length);
  }
  return { tuples, lines };
}

const TEXTS = ["it's", 'back\\slash', 'nul\0byte', 'ctrl\x1aZ', 'nl\nand\r\ttab', '"dq"', '', ' trailing  ', 'ü é ß €', '\\\'\0\x1a'];

describeEngines(
  'mysql dump rows formatted in JS',
  (engine) => {
    for (const charset of ['utf8mb4', 'utf8', 'latin1'] as const) {
      describe(`a ${charset} database`, charset);
    }
    function describe(name: string, charset: 'utf8mb4' | 'utf8' | 'latin1') {
      let t: Awaited<ReturnType<typeof createTestDatabase>>;
      let db: Db;
      beforeAll(async () => {
        t = await createTestDatabase(engine, { charset });
        db = await openDatabase(t.url);
        await db.execute(`CREATE TABLE \`V\` (id INT NOT NULL PRIMARY KEY, s VARCHAR(300), c CHAR(10), tx TEXT, lt LONGTEXT,
          b VARBINARY(300), bl LONGBLOB, n BIGINT, un BIGINT UNSIGNED, d DECIMAL(12,4), f FLOAT, db DOUBLE, bt BIT(8), tf TINYINT(1),
          dt DATETIME, ts TIMESTAMP NULL, dd DATE, tm TIME, y YEAR, e ENUM('a','b\\'c'), u VARCHAR(50) CHARACTER SET utf8mb4, l VARCHAR(50) CHARACTER SET latin1)`);
        const long = 'x\\'.repeat(40_000); // a 3-byte length prefix once escaped… and 80 kB
        for (let i = 0; i < 40; i++) {
          const s = i % 11 === 10 ? null : TEXTS[i % TEXTS.length];
          await db.execute(
            'INSERT INTO `V` VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
            [
              i, s, s === null ? null : s.slice(0, 10), s, i === 3 ? long : i % 5 === 0 ? 'y'.repeat(300 + i) : s,
              i % 7 === 6 ? null : Buffer.from([i, 0, 0x27, 0x5c, 0x1a, 0xff].slice(0, i % 7)), i === 4 ? Buffer.alloc(70_000, i) : Buffer.from('bin'),
              i % 3 === 0 ? null : -9007199254740993n * BigInt(i), 18446744073709551615n, `${i}.${i}`, i / 3, i / 7, i, i % 2,
              `2024-01-${String((i % 28) + 1).padStart(2, '0')} 12:34:56`, i % 4 ? '2038-01-19 03:14:07' : null, '1999-12-31', '-838:59:59', 2000 + i,
              i % 2 ? 'a' : "b'c", '🔐 emoji', charset === 'latin1' || i % 2 ? 'Grüße' : 'plain',
            ],
          );
        }
        await db.execute("INSERT INTO `V` (id, dt, dd) VALUES (100, '0000-00-00 00:00:00', '0000-00-00')").catch(() => undefined);
      });
      afterAll(async () => {
        await db?.close();
        await t?.drop();
      });

      it(`${name}: every tuple equals the server's CONCAT(QUOTE(), HEX()) row, in every batch size`, async () => {
        const want = await serverTuples(db, 'V');
        expect(want.length).toBeGreaterThanOrEqual(40);
        for (const [batchSize, reuse] of [[1, false], [7, false], [7, true], [1000, false]] as const) {
          const got = await ourTuples(db, 'V', batchSize, reuse);
          expect(got.tuples).toEqual(want);
          expect(got.lines.join('')).toBe(want.map((w) => w + '0a').join(''));
        }
      });

      it(`${name}: mis-encoded text (UTF-8 bytes stored as latin1) is dumped as the server converts it`, async () => {
        await db.execute('CREATE TABLE `M` (id INT NOT NULL PRIMARY KEY, s VARCHAR(50) CHARACTER SET latin1, u VARCHAR(50) CHARACTER SET utf8mb3)');
        await db.transaction(async (tx) => {
          await tx.execute('SET NAMES latin1');
          await tx.execute('INSERT INTO `M` VALUES (?, ?, ?)', [1, Buffer.from('ü€', 'utf8').toString('latin1'), Buffer.from('ü', 'utf8').toString('latin1')]);
          await tx.execute('SET NAMES utf8mb4');
        });
        const got = await ourTuples(db, 'M', 10);
        expect(got.tuples).toEqual(await serverTuples(db, 'M'));
      });

      it(`${name}: a consumer that stops early leaves the connection usable`, async () => {
        await db.transaction(async (tx) => {
          for await (const b of tx.dumpRows('V', ['id', 's'], ['id'], { batchSize: 2 })) {
            expect(b.rows).toBe(2);
            break;
          }
          expect((await tx.query('SELECT 1 AS one'))[0].one).toBe(1);
        });
        for await (const _ of db.dumpRows('V', ['id'], ['id'], { batchSize: 2 })) break;
        expect((await db.query('SELECT COUNT(*) AS n FROM `V`'))[0].n).toBeGreaterThanOrEqual(40);
      });

      it(`${name}: a failing statement is a DatabaseError naming the table`, async () => {
        const consume = async () => {
          for await (const _ of db.dumpRows('V', ['nope'], ['id'])) void _;
        };
        await expect(consume()).rejects.toThrow(/nope/);
      });
    }
  },
  ['mysql'],
);

// The row parser is mysql2's `_rowParser` slot: a mysql2 that stopped using it must fail the dump.

suite('streamFormatted without a mysql2 that assigns _rowParser', () => {
  it('fails instead of yielding an empty table', async () => {
    const conn = {
      query() {
        const cmd = new EventEmitter();
        setImmediate(() => {
          cmd.emit('fields', [{}]);
          cmd.emit('end');
        });
        return cmd;
      },
      pause() {},
      resume() {},
    };
    const consume = async () => {
      for await (const _ of streamFormatted(conn, 'SELECT 1', new RowFormatter([Lit.Verbatim], 't'), 10, true)) void _;
    };
    await expect(consume()).rejects.toThrow(/mysql2 version/);
  });
});
