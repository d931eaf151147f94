import { it, expect } from 'vitest';
import { createTestDatabase, describeEngines } from '../helpers/db.js';
import { openDatabase } from '../../src/db/index.js';

describeEngines('smoke', (engine) => {
  it('connects', async () => {
    const t = await createTestDatabase(engine);
    const db = await openDatabase(t.url);
    const v = await db.serverVersion();
    expect(v).toBeTruthy();
    await db.execute('CREATE TABLE t (id INTEGER PRIMARY KEY, s VARCHAR(20))');
    await db.execute('INSERT INTO t (id, s) VALUES (?, ?)', [1, "a?b'c"]);
    const rows = await db.query('SELECT * FROM t WHERE s = ?', ["a?b'c"]);
    expect(rows).toEqual([{ id: 1, s: "a?b'c" }]);
    let n = 0;
    for await (const b of db.stream('SELECT * FROM t WHERE id > ?', [0], { batchSize: 1 })) n += b.length;
    expect(n).toBe(1);
    await db.close();
    await t.drop();
  });
});
