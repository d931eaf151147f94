/**
 * fix-db-encoding on real databases: the fixture written the LinOTP 2 way comes out exactly as the
 * generator wrote it, in every table including audit; a second run changes nothing; correct data
 * is never touched.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/index.js';
import type { Db, SqlValue } from '../../src/db/types.js';
import { runFixEncoding, UTF8_CONVERSION_KEY, type FixEncodingReport } from '../../src/encoding/index.js';
import { buildInstallation, type Installation } from '../../src/fixtures/installation.js';
import { createFixtureSchema, writeInstallation, type WriteOptions } from '../../src/fixtures/write.js';
import { doubleEncode } from '../../src/encoding/mysql-latin1.js';
import { primaryKeyColumns } from '../../src/schema/tables.js';
import { createTestDatabase, describeEngines, type TestEngine } from '../helpers/db.js';

const inst = buildInstallation({ tokens: 30, auditRows: 60, importedUsers: 12 });

function norm(kind: string, v: SqlValue | undefined): unknown {
  if (v === null || v === undefined) return null;
  if (kind === 'boolean') return Boolean(Number(v === true ? 1 : v === false ? 0 : v));
  if (kind === 'int') return Number(v);
  if (kind === 'datetime') return String(v).replace('T', ' ').slice(0, 19);
  if (Buffer.isBuffer(v)) return v.toString('hex');
  return v;
}

/** Every row of every fixture table, normalised, ordered by primary key. */
async function tableContents(db: Db, i: Installation): Promise<Record<string, unknown[][]>> {
  const out: Record<string, unknown[][]> = {};
  const q = db.dialect.quoteIdent;
  for (const t of i.tables) {
    const cols = t.def.columns;
    const rows = await db.query(`SELECT ${cols.map((c) => q(c.name)).join(', ')} FROM ${q(t.def.name)} ORDER BY ${primaryKeyColumns(t.def).map(q).join(', ')}`);
    out[t.def.name] = rows.map((r) => cols.map((c) => norm(c.type.kind, r[c.name])));
  }
  return out;
}

function expectedContents(i: Installation, engineSort: (a: unknown[][], pkIdx: number[]) => unknown[][]): Record<string, unknown[][]> {
  const out: Record<string, unknown[][]> = {};
  for (const t of i.tables) {
    const cols = t.def.columns;
    const pk = primaryKeyColumns(t.def).map((n) => cols.findIndex((c) => c.name === n));
    out[t.def.name] = engineSort([...t.rows()].map((r) => cols.map((c) => norm(c.type.kind, r[c.name]))), pk);
  }
  return out;
}

const checksum = (c: unknown) => createHash('sha256').update(JSON.stringify(c)).digest('hex');

async function setup(engine: TestEngine, charset: 'utf8' | 'latin1' | 'utf8mb4', write: WriteOptions) {
  const t = await createTestDatabase(engine, { charset });
  const db = await openDatabase(t.url);
  await writeInstallation(db, inst, write);
  return { db, drop: t.drop };
}

/** The database's own ORDER BY for string keys (MySQL collations differ from JS sort): re-read order by matching. */
function alignTo(actual: Record<string, unknown[][]>, expected: Record<string, unknown[][]>): Record<string, unknown[][]> {
  const out: Record<string, unknown[][]> = {};
  for (const [name, rows] of Object.entries(expected)) {
    const byJson = new Map(rows.map((r) => [JSON.stringify(r), r]));
    out[name] = (actual[name] ?? []).map((r) => byJson.get(JSON.stringify(r)) ?? ['<missing expected row for>', ...r]);
    if (rows.length !== (actual[name] ?? []).length) out[name].push(['<row count differs>', rows.length]);
  }
  return out;
}

describeEngines('fix-db-encoding', (engine) => {
  const write: WriteOptions = engine === 'mysql' ? { encoding: 'linotp2' } : { encoding: 'double' };
  let db: Db;
  let drop: () => Promise<void>;
  let dry: FixEncodingReport | undefined;
  beforeAll(async () => {
    ({ db, drop } = await setup(engine, 'utf8', write));
    await db.insertMany('Config', ['Key', 'Value', 'Type', 'Description'], [[UTF8_CONVERSION_KEY, 'suggested', '', '']]);
  });
  afterAll(async () => {
    await db?.close();
    await drop?.();
  });

  it('--dry-run reports what it would change and changes nothing', async () => {
    const before = checksum(await tableContents(db, inst));
    const r = await runFixEncoding(db, { dryRun: true, samples: 5 });
    dry = r;
    expect(r.dryRun).toBe(true);
    expect(r.totals.repairedValues).toBeGreaterThan(50);
    expect(r.samples).toHaveLength(5);
    expect(r.marker).toEqual({ present: true, removed: false });
    expect(r.charsetConversions.length > 0).toBe(engine === 'mysql');
    expect(checksum(await tableContents(db, inst))).toBe(before);
    // the comparison used below does see the mojibake
    const actual = await tableContents(db, inst);
    expect(alignTo(actual, expectedContents(inst, (x) => x))).not.toEqual(actual);
  });

  it('repairs every table, including audit, to exactly what the generator wrote', async () => {
    const r = await runFixEncoding(db, { samples: 3 });
    // the dry run predicted exactly this, value by value and row by row (MySQL: server pass included)
    const counts = (x: FixEncodingReport) => x.tables.map((t) => [t.table, t.repaired, t.changedRows, t.multiple]);
    expect(counts(r)).toEqual(counts(dry!));
    expect(r.totals.conflicts).toBe(0);
    expect(r.totals.multiple).toBe(0);
    expect(r.marker).toEqual({ present: true, removed: true });
    expect(r.tables.find((t) => t.table === 'audit')!.repaired.user).toBeGreaterThan(0);
    expect(r.tables.find((t) => t.table === 'Config')!.repaired.Key).toBeGreaterThan(0);
    expect(r.tables.find((t) => t.table === 'imported_user')!.repaired.userid).toBeGreaterThan(0);
    const actual = await tableContents(db, inst);
    const expected = expectedContents(inst, (rows) => rows);
    expect(alignTo(actual, expected)).toEqual(actual);
    const q = db.dialect.quoteIdent;
    const [tok] = await db.query(`SELECT ${q('LinOtpTokenDesc')} AS d FROM ${q('Token')} WHERE ${q('LinOtpTokenId')} = 1`);
    expect(tok.d).toBe('Hardware-Token für Jürgen');
    if (engine === 'mysql') {
      // Token holds a double-encoded emoji, so it had to become utf8mb4; utf8mb3 tables whose repairs
      // fit stay as they are (as LinOTP's own migration leaves them), unless --utf8mb4.
      const cs = await db.tableCharsets();
      expect(r.charsetConversions.map((c) => c.table)).toContain('Token');
      expect(cs.Token).toBe('utf8mb4');
      expect(r.charsetKept.map((k) => k.table)).toContain('audit');
      expect(cs.audit).toBe('utf8mb3');
      const [h] = await db.query('SELECT HEX(LinOtpTokenDesc) AS h FROM Token WHERE LinOtpTokenId = 1');
      expect(String(h.h)).toContain('C3BC');
      expect(String(h.h)).not.toContain('C383C2BC');
    }
  });

  it('a second run changes nothing and leaves the checksum unchanged', async () => {
    const before = checksum(await tableContents(db, inst));
    const r = await runFixEncoding(db);
    expect(r.totals.repairedValues).toBe(0);
    expect(r.totals.changedRows).toBe(0);
    expect(r.charsetConversions).toEqual([]);
    expect(r.marker.present).toBe(false);
    expect(checksum(await tableContents(db, inst))).toBe(before);
  });
});

describeEngines('fix-db-encoding on correctly encoded data', (engine) => {
  it('leaves €, Ł, ø and emoji untouched', async () => {
    const { db, drop } = await setup(engine, 'utf8mb4', { encoding: 'correct' });
    try {
      const before = checksum(await tableContents(db, inst));
      const r = await runFixEncoding(db);
      expect(r.totals.repairedValues).toBe(0);
      expect(checksum(await tableContents(db, inst))).toBe(before);
      const actual = await tableContents(db, inst);
      expect(alignTo(actual, expectedContents(inst, (x) => x))).toEqual(actual);
    } finally {
      await db.close();
      await drop();
    }
  });
});

describeEngines(
  'fix-db-encoding --utf8mb4 on utf8mb3 tables',
  () => {
    it('converts every LinOTP table and repairs the same values', async () => {
      const { db, drop } = await setup('mysql', 'utf8', { encoding: 'linotp2' });
      try {
        const dry = await runFixEncoding(db, { dryRun: true });
        const r = await runFixEncoding(db, { utf8mb4: true });
        expect(r.charsetKept).toEqual([]);
        expect(r.charsetConversions.map((c) => c.table).sort()).toEqual([...dry.charsetConversions, ...dry.charsetKept].map((c) => c.table).sort());
        expect(r.totals.repairedValues).toBe(dry.totals.repairedValues);
        const cs = await db.tableCharsets();
        expect(cs.audit).toBe('utf8mb4');
        const actual = await tableContents(db, inst);
        expect(alignTo(actual, expectedContents(inst, (x) => x))).toEqual(actual);
      } finally {
        await db.close();
        await drop();
      }
    });
  },
  ['mysql'],
);

describeEngines(
  'fix-db-encoding on latin1 tables (LinOTP 2 raw UTF-8 bytes)',
  () => {
    it('converts LinOTP tables to utf8mb4 and repairs them', async () => {
      const { db, drop } = await setup('mysql', 'latin1', { encoding: 'linotp2', mysqlCharset: 'latin1' });
      try {
        await db.execute('CREATE TABLE not_linotp (id INT PRIMARY KEY, v VARCHAR(20)) DEFAULT CHARSET=latin1');
        const r = await runFixEncoding(db);
        expect(r.charsetConversions.map((c) => c.table).sort()).toContain('audit');
        const cs = await db.tableCharsets();
        expect(cs.not_linotp).toBe('latin1');
        expect(cs.Config).toBe('utf8mb4');
        const actual = await tableContents(db, inst);
        expect(alignTo(actual, expectedContents(inst, (x) => x))).toEqual(actual);
      } finally {
        await db.close();
        await drop();
      }
    });
  },
  ['mysql'],
);

describe('--tables', () => {
  it('rejects unknown tables before changing anything', async () => {
    const { db, drop } = await setup('sqlite', 'utf8', { encoding: 'double' });
    try {
      await expect(runFixEncoding(db, { tables: ['Token', 'nope'] })).rejects.toThrow(/nope is not a LinOTP table/);
      const r = await runFixEncoding(db, { tables: ['token'] });
      expect(r.tables.map((t) => t.table)).toEqual(['Token']);
    } finally {
      await db.close();
      await drop();
    }
  });
});

describeEngines('fix-db-encoding on key columns', (engine) => {
  it('reports a repaired key that already exists, and one that repeats another by collation, without failing', async () => {
    const t = await createTestDatabase(engine, { charset: 'utf8mb4' });
    const db = await openDatabase(t.url);
    try {
      await createFixtureSchema(db);
      const rows: [string, string, string, string][] = [
        ['linotp.Config', 'x', '', ''],
        [doubleEncode('linotp.Jürgen'), 'old', '', ''], // its repair exists already
        ['linotp.Jürgen', 'correct', '', ''],
        [doubleEncode('linotp.Kühn'), 'a', '', ''], // repairs to keys equal under MySQL's _ci collations (ü = û)
        [doubleEncode('linotp.Kûhn'), 'b', '', ''],
        ...Array.from({ length: 150 }, (_, i) => [doubleEncode(`linotp.Müller${i}`), String(i), '', ''] as [string, string, string, string]),
      ];
      await db.insertMany('Config', ['Key', 'Value', 'Type', 'Description'], rows);
      const r = await runFixEncoding(db, { tables: ['Config'], pageSize: 64 });
      const keys = new Set((await db.query(`SELECT ${db.dialect.quoteIdent('Key')} AS k FROM ${db.dialect.quoteIdent('Config')}`)).map((x) => String(x.k)));
      expect(keys.has(doubleEncode('linotp.Jürgen'))).toBe(true);
      expect(keys.has('linotp.Müller149')).toBe(true);
      expect(keys.size).toBe(rows.length);
      const kühn = engine === 'mysql' ? 1 : 0; // MySQL: Kühn = Kûhn, the second stays as it was
      expect(r.totals.conflicts).toBe(1 + kühn);
      expect(r.conflicts.map((c) => c.before)).toContain(doubleEncode('linotp.Jürgen'));
      expect(r.tables[0].repaired.Key).toBe(152 - kühn);
      const again = await runFixEncoding(db, { tables: ['Config'] });
      expect(again.totals.repairedValues).toBe(0);
      expect(again.totals.conflicts).toBe(1 + kühn);
    } finally {
      await db.close();
      await t.drop();
    }
  });
});
