import { describe, expect, it } from 'vitest';
import { chunkRows, placeholderPositions } from '../../src/db/common.js';
import { toPgSql } from '../../src/db/postgres.js';
import { formatSql } from '../../src/db/mysql.js';
import { openDatabase } from '../../src/db/index.js';
import { createTestDatabase, describeEngines } from '../helpers/db.js';

describe('placeholders', () => {
  it('translates ? to $n only outside literals, identifiers and comments (PostgreSQL)', () => {
    expect(toPgSql(`SELECT '?', "a?b", E'it\\'s ?', $$ ? $$, $tag$ ?$tag$ -- ?\n, ? /* ? */ FROM t WHERE x = ? AND y = 'a''?'`, 2)).toBe(
      `SELECT '?', "a?b", E'it\\'s ?', $$ ? $$, $tag$ ?$tag$ -- ?\n, $1 /* ? */ FROM t WHERE x = $2 AND y = 'a''?'`,
    );
  });
  it('inlines escaped values only outside literals, identifiers and comments (MySQL)', () => {
    expect(formatSql("SELECT '?', `a?b`, 'it\\'s ?', ? # ?\n, ? -- ?\n", ["x'y", null])).toBe("SELECT '?', `a?b`, 'it\\'s ?', 'x\\'y' # ?\n, NULL -- ?\n");
    expect(formatSql('SELECT ?, ?', [Buffer.from([1, 255]), 12345678901234567890n])).toBe("SELECT X'01ff', 12345678901234567890");
  });
  it('counts placeholders per engine', () => {
    expect(placeholderPositions("a ? '?' \"?\" `?`", 'mysql')).toHaveLength(1);
    expect(placeholderPositions("a ? '?' \"?\" `?`", 'postgres')).toHaveLength(2);
  });
  it('chunks by parameter count, bytes and rows', () => {
    const rows = Array.from({ length: 100 }, (_, i) => [i, 'x'.repeat(10)]);
    expect([...chunkRows(rows, 2, { maxParams: 20, maxBytes: 1e9, maxRows: 1000 })].map((c) => c.length)).toEqual(Array(10).fill(10));
    expect([...chunkRows(rows, 2, { maxBytes: 1e9, maxRows: 30 })].map((c) => c.length)).toEqual([30, 30, 30, 10]);
    const sizes = [...chunkRows(rows, 2, { maxBytes: 200, maxRows: 1000 })].map((c) => c.length);
    expect(sizes.reduce((a, b) => a + b)).toBe(100);
    expect(Math.max(...sizes)).toBeLessThan(10);
    expect(() => [...chunkRows([[1]], 2, { maxBytes: 1, maxRows: 1 })]).toThrow(/1 values for 2 columns/);
  });
});

describeEngines('test database helper', (engine) => {
  for (const charset of ['latin1', 'utf8', 'utf8mb4'] as const) {
    it(`creates a ${charset} database that the test user owns`, async () => {
      const t = await createTestDatabase('mysql', { charset });
      const db = await openDatabase(t.url);
      try {
        await db.execute('CREATE TABLE t (id INTEGER)');
        expect(await db.tableCharsets()).toEqual({ t: charset === 'utf8' ? 'utf8mb3' : charset });
      } finally {
        await db.close();
        await t.drop();
      }
      await expect(openDatabase(t.url)).rejects.toThrow(/cannot connect/);
    });
  }
  void engine;
}, ['mysql']);

describeEngines('test database helper', (engine) => {
  it('drop() removes the database even while a connection is open', async () => {
    const t = await createTestDatabase(engine);
    expect(t.url).toMatch(engine === 'postgres' ? /^postgresql:\/\/\w+:[^@]+@127\.0\.0\.1:5432\/lmt_/ : /^sqlite:\/\/\/\//);
    const db = await openDatabase(t.url);
    await db.query('SELECT 1 AS one');
    await t.drop();
    await db.close().catch(() => undefined);
    await expect(openDatabase(t.url)).rejects.toThrow(/cannot connect|does not exist/);
  });
}, ['postgres', 'sqlite']);
