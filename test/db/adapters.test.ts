// The three adapters on real servers: values, bytes, streaming, bulk inserts, transactions, locks,
// introspection and connection errors.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/index.js';
import type { Db } from '../../src/db/types.js';
import { formatDbUrl, parseDbUrl } from '../../src/db/url.js';
import { DatabaseError } from '../../src/errors.js';
import { createTestDatabase, describeEngines, openAdmin } from '../helpers/db.js';

describeEngines('db adapter', (engine) => {
  let t: Awaited<ReturnType<typeof createTestDatabase>>;
  let db: Db;
  const q = (name: string) => db.dialect.quoteIdent(name);

  beforeAll(async () => {
    t = await createTestDatabase(engine);
    db = await openDatabase(t.url);
  });
  afterAll(async () => {
    await db?.close();
    await t?.drop();
  });

  it('binds parameters, including ? and quotes inside literals', async () => {
    await db.execute(`CREATE TABLE ${q('Params')} (id INTEGER NOT NULL PRIMARY KEY, s VARCHAR(100), n BIGINT, b ${engine === 'postgres' ? 'BYTEA' : engine === 'mysql' ? 'BLOB' : 'BLOB'})`);
    const n = await db.execute(`INSERT INTO ${q('Params')} (id, s, n, b) VALUES (?, ?, ?, ?)`, [1, `it's a "?" -- not /* a */ comment \\ back`, 9007199254740993n, Buffer.from([0, 1, 0xff])]);
    expect(n).toBe(1);
    await db.execute(`INSERT INTO ${q('Params')} (id, s, n, b) VALUES (?, ?, ?, ?)`, [2, null, 42, null]);
    const rows = await db.query(`SELECT id, s, n, b FROM ${q('Params')} WHERE s = '?' OR id >= ? ORDER BY id`, [1]);
    expect(rows).toEqual([
      { id: 1, s: `it's a "?" -- not /* a */ comment \\ back`, n: '9007199254740993', b: Buffer.from([0, 1, 0xff]) },
      { id: 2, s: null, n: 42, b: null },
    ]);
    expect(await db.execute(`UPDATE ${q('Params')} SET s = ? WHERE id = ?`, ['x', 2])).toBe(1);
    await expect(db.query('SELECT ? AS a', [])).rejects.toThrow(/placeholder|parameter/);
  });

  it('insertMany carries quotes, backslashes, bytes, booleans and big numbers exactly', async () => {
    await db.execute(`CREATE TABLE ${q('Tricky')} (id INTEGER NOT NULL PRIMARY KEY, s VARCHAR(100), b ${engine === 'postgres' ? 'BYTEA' : 'BLOB'}, f BOOLEAN, n BIGINT)`);
    const tricky = [`it's \\ "x" \\n ?`, "E'\\x00'", '🔐 ünï', ''];
    const rows = tricky.map((s, i) => [i, s, Buffer.from([i, 0, 255, 0x5c, 0x27]), i % 2 === 0, i === 0 ? 9007199254740993n : -i]);
    expect(await db.insertMany('Tricky', ['id', 's', 'b', 'f', 'n'], rows)).toBe(4);
    const back = await db.query(`SELECT id, s, b, f, n FROM ${q('Tricky')} ORDER BY id`);
    expect(back.map((r) => r.s)).toEqual(tricky);
    expect(back.map((r) => (r.b as Buffer).toString('hex'))).toEqual(rows.map((r) => (r[2] as Buffer).toString('hex')));
    expect(back.map((r) => Boolean(r.f))).toEqual([true, false, true, false]);
    expect(back.map((r) => String(r.n))).toEqual(['9007199254740993', '-1', '-2', '-3']);
  });

  it('round-trips unicode including 4-byte emoji, and gives the raw UTF-8 bytes', async () => {
    await db.execute(`CREATE TABLE ${q('Uni')} (id INTEGER NOT NULL PRIMARY KEY, s VARCHAR(100))${engine === 'mysql' ? ' DEFAULT CHARSET=utf8mb4' : ''}`);
    const text = 'Grüße, 日本, 🔐😀 \u00a0end';
    await db.execute(`INSERT INTO ${q('Uni')} (id, s) VALUES (?, ?)`, [1, text]);
    const [row] = await db.query(`SELECT s, ${db.dialect.rawBytes('s')} AS raw FROM ${q('Uni')} WHERE id = ?`, [1]);
    expect(row.s).toBe(text);
    expect(Buffer.isBuffer(row.raw)).toBe(true);
    expect((row.raw as Buffer).equals(Buffer.from(text, 'utf8'))).toBe(true);
  });

  it('endsWith compares the tail byte for byte, whatever the collation', async () => {
    await db.execute(`CREATE TABLE ${q('Tails')} (id INTEGER NOT NULL PRIMARY KEY, s VARCHAR(40))`);
    const values = ['2019-01-01 10:00:00.1+00:00', 'X+00:00', '+00:00', '2019-01-01 10:00:00.1', '+00:0', 'x+00:00 ', null];
    for (const [i, v] of values.entries()) await db.execute(`INSERT INTO ${q('Tails')} (id, s) VALUES (?, ?)`, [i, v]);
    const ids = async (where: string) => (await db.query(`SELECT id FROM ${q('Tails')} WHERE ${where} ORDER BY id`)).map((r) => Number(r.id));
    expect(await ids(db.dialect.endsWith('s', '+00:00'))).toEqual([0, 1, 2]);
    // NULL is neither: NOT (…) leaves it out as well
    expect(await ids(`NOT (${db.dialect.endsWith('s', '+00:00')})`)).toEqual([3, 4, 5]);
    expect(await ids(db.dialect.endsWith('s', 'Z'))).toEqual([]);
    expect(() => db.dialect.endsWith('s', "50%'")).toThrow(/escaping/);
  });

  it('returns date/time values as the stored strings', async () => {
    const type = engine === 'postgres' ? 'TIMESTAMP' : 'DATETIME';
    await db.execute(`CREATE TABLE ${q('Times')} (id INTEGER NOT NULL PRIMARY KEY, t ${type} NULL, d DATE NULL)`);
    // 2024-03-31 02:30 does not exist in Central Europe: a conversion through JS Date would move it.
    const values = ['2024-03-31 02:30:00', '1999-12-31 23:59:59', '2038-01-19 03:14:08'];
    for (const [i, v] of values.entries()) await db.execute(`INSERT INTO ${q('Times')} (id, t, d) VALUES (?, ?, ?)`, [i, v, v.slice(0, 10)]);
    const rows = await db.query(`SELECT t, d FROM ${q('Times')} ORDER BY id`);
    expect(rows.map((r) => r.t)).toEqual(values);
    expect(rows.map((r) => r.d)).toEqual(values.map((v) => v.slice(0, 10)));
  });

  it('inserts ~5k rows with insertMany and streams ~20k rows in batches', async () => {
    await db.execute(`CREATE TABLE ${q('Bulk')} (id INTEGER NOT NULL PRIMARY KEY, ${q('val')} VARCHAR(64), blob_col VARCHAR(200))`);
    const mk = (from: number, n: number) => Array.from({ length: n }, (_, i) => [from + i, `v${from + i}`, 'x'.repeat((from + i) % 200)]);
    expect(await db.insertMany('Bulk', ['id', 'val', 'blob_col'], mk(0, 5000))).toBe(5000);
    expect(await db.insertMany('Bulk', ['id', 'val', 'blob_col'], mk(5000, 15000))).toBe(15000);
    expect(await db.insertMany('Bulk', ['id', 'val', 'blob_col'], [])).toBe(0);
    let count = 0;
    let batches = 0;
    let expected = 0;
    for await (const batch of db.stream(`SELECT id, ${q('val')} FROM ${q('Bulk')} WHERE id >= ? ORDER BY id`, [0], { batchSize: 1000 })) {
      expect(batch.length).toBeLessThanOrEqual(1000);
      for (const r of batch) {
        expect(r.id).toBe(expected);
        expect(r.val).toBe(`v${expected}`);
        expected++;
      }
      count += batch.length;
      batches++;
    }
    expect(count).toBe(20000);
    expect(batches).toBe(20);
    // Stopping early frees the connection for the next statement.
    for await (const batch of db.stream(`SELECT id FROM ${q('Bulk')} ORDER BY id`, [], { batchSize: 10 })) {
      expect(batch).toHaveLength(10);
      break;
    }
    expect((await db.query(`SELECT COUNT(*) AS n FROM ${q('Bulk')}`))[0].n).toBe(20000);
  });

  it('wide rows are chunked below the engine parameter limits', async () => {
    const cols = Array.from({ length: 40 }, (_, i) => `c${i}`);
    await db.execute(`CREATE TABLE ${q('Wide')} (${cols.map((c) => `${q(c)} INTEGER`).join(', ')})`);
    const rows = Array.from({ length: 3000 }, (_, r) => cols.map((_, i) => r * 100 + i)); // 120k values
    expect(await db.insertMany('Wide', cols, rows)).toBe(3000);
    expect((await db.query(`SELECT SUM(${q('c39')}) AS s FROM ${q('Wide')}`))[0].s).toBeTruthy();
  });

  it('commits and rolls back transactions on one connection', async () => {
    await db.execute(`CREATE TABLE ${q('Tx')} (id INTEGER NOT NULL PRIMARY KEY)`);
    await db.transaction(async (tx) => {
      await tx.execute(`INSERT INTO ${q('Tx')} (id) VALUES (?)`, [1]);
      expect(await tx.query(`SELECT id FROM ${q('Tx')}`)).toEqual([{ id: 1 }]);
      await tx.transaction(async (inner) => inner.execute(`INSERT INTO ${q('Tx')} (id) VALUES (?)`, [2]));
    });
    await expect(
      db.transaction(async (tx) => {
        await tx.insertMany('Tx', ['id'], [[3], [4]]);
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect((await db.query(`SELECT id FROM ${q('Tx')} ORDER BY id`)).map((r) => r.id)).toEqual([1, 2]);
    // A snapshot transaction reads and streams consistently.
    const seen = await db.transaction(async (tx) => {
      let n = 0;
      for await (const b of tx.stream(`SELECT id FROM ${q('Tx')}`)) n += b.length;
      return n + (await tx.query(`SELECT COUNT(*) AS n FROM ${q('Tx')}`)).length;
    }, { snapshot: true });
    expect(seen).toBe(3);
  });

  it('a second withLock fails fast while the first holds the lock', async () => {
    const other = await openDatabase(t.url);
    try {
      let inside = false;
      await db.withLock('restore', async () => {
        inside = true;
        const started = Date.now();
        const err = await other.withLock('restore', async () => 'no').catch((e) => e);
        expect(err).toBeInstanceOf(DatabaseError);
        expect(err.message).toMatch(/^restore refused: another linotp-migrate run holds the lock of /);
        expect(err.message).not.toContain('\n');
        expect(err.hint).toBeTruthy();
        expect(Date.now() - started).toBeLessThan(3000);
        // The holder can still use the database inside the lock.
        await db.transaction(async (tx) => tx.query('SELECT 1 AS one'));
      });
      expect(inside).toBe(true);
      expect(await other.withLock('restore', async () => 'yes')).toBe('yes');
      // A lock is released when fn throws.
      await expect(db.withLock('restore', async () => Promise.reject(new Error('x')))).rejects.toThrow('x');
      expect(await other.withLock('restore', async () => 'again')).toBe('again');
    } finally {
      await other.close();
    }
  });

  it('introspects tables, columns, indexes and charsets', async () => {
    const suffix = engine === 'mysql' ? ' DEFAULT CHARSET=latin1' : '';
    await db.execute(`CREATE TABLE ${q('Intro')} (id INTEGER NOT NULL PRIMARY KEY, ${q('Name')} VARCHAR(40) NOT NULL, num INTEGER, note VARCHAR(255), CONSTRAINT uq_intro UNIQUE (${q('Name')}, num))${suffix}`);
    await db.execute(`CREATE INDEX ix_intro_note ON ${q('Intro')} (note)`);
    await db.execute(`CREATE VIEW v_intro AS SELECT id FROM ${q('Intro')}`);
    const tables = await db.listTables();
    expect(tables).toContain('Intro');
    expect(tables).not.toContain('v_intro');
    const cols = await db.listColumns('Intro');
    expect(cols.map((c) => c.name)).toEqual(['id', 'Name', 'num', 'note']);
    expect(cols[0].nullable).toBe(false);
    expect(cols[1]).toMatchObject({ nullable: false, maxLength: 40 });
    expect(cols[1].dataType).toMatch(/^(varchar|character varying)$/);
    expect(cols[2].nullable).toBe(true);
    expect(cols[3].maxLength).toBe(255);
    if (engine === 'mysql') expect(cols[1].charset).toBe('latin1');
    const ix = await db.listIndexes('Intro');
    expect(ix).toEqual([
      { name: 'ix_intro_note', columns: ['note'], unique: false },
      { name: engine === 'sqlite' ? 'sqlite_autoindex_Intro_1' : 'uq_intro', columns: ['Name', 'num'], unique: true },
    ].sort((a, b) => (a.name < b.name ? -1 : 1)));
    const cs = await db.tableCharsets();
    if (engine === 'mysql') expect(cs).toMatchObject({ Intro: 'latin1', Uni: 'utf8mb4' });
    else expect(cs).toEqual({});
    expect(await db.serverVersion()).toMatch(/^\d+\.\d+/);
  });

  if (engine === 'mysql') {
    it('shows text written through a latin1 session as double-encoded, and latin1 columns as latin1 bytes', async () => {
      await db.execute('CREATE TABLE `Enc` (id INTEGER NOT NULL PRIMARY KEY, s VARCHAR(50)) DEFAULT CHARSET=utf8mb4');
      await db.execute('CREATE TABLE `Lat` (id INTEGER NOT NULL PRIMARY KEY, s VARCHAR(50)) DEFAULT CHARSET=latin1');
      // A LinOTP 2 style client: UTF-8 bytes sent over a connection that declared latin1.
      const legacy = await openDatabase(t.url, { poolSize: 1 });
      try {
        await legacy.transaction(async (tx) => {
          await tx.execute('SET NAMES latin1');
          // The driver sends this string in the declared latin1, i.e. as the UTF-8 bytes of 'ü'.
          await tx.execute('INSERT INTO `Enc` (id, s) VALUES (?, ?)', [1, Buffer.from('ü', 'utf8').toString('latin1')]);
          await tx.execute('SET NAMES utf8mb4');
        });
      } finally {
        await legacy.close();
      }
      await db.execute('INSERT INTO `Lat` (id, s) VALUES (?, ?)', [1, 'ü']);
      const [enc] = await db.query(`SELECT s, ${db.dialect.rawBytes('s')} AS raw FROM \`Enc\``);
      expect(enc.s).toBe('Ã¼');
      expect((enc.raw as Buffer).toString('hex')).toBe('c383c2bc');
      const [lat] = await db.query(`SELECT s, ${db.dialect.rawBytes('s')} AS raw FROM \`Lat\``);
      expect(lat.s).toBe('ü');
      expect((lat.raw as Buffer).toString('hex')).toBe('fc');
    });
  }

  it('connection errors are one line, name the URL without the password, and give a hint', async () => {
    const url = parseDbUrl(t.url);
    const tries: string[] = [];
    if (engine === 'sqlite') {
      tries.push(`sqlite:///${url.database}.missing`);
    } else {
      // (The test PostgreSQL trusts local TCP logins, so an unknown user stands in for a wrong password.)
      tries.push(formatDbUrl({ ...url, password: 'Wr0ng-S3cret@pw', user: engine === 'postgres' ? 'no_such_user_lmt' : url.user }));
      tries.push(formatDbUrl({ ...url, host: '127.0.0.1', port: 1, password: 'Wr0ng-S3cret@pw' }));
    }
    for (const u of tries) {
      const err = await openDatabase(u, { connectTimeoutMs: 3000 }).then(
        () => undefined,
        (e) => e,
      );
      expect(err, u).toBeInstanceOf(DatabaseError);
      expect(err.message).not.toContain('\n');
      expect(`${err.message} ${err.hint} ${err.stack}`).not.toMatch(/Wr0ng|S3cret/);
      if (engine !== 'sqlite') expect(err.message).toMatch(/^cannot connect to (mysql|postgresql):\/\/[^:]+:\*\*\*@/);
      expect(err.hint).toBeTruthy();
    }
  });

  if (engine !== 'sqlite') {
    it('connects with a password full of URL special characters', async () => {
      const password = 'p@ss:w/rd#%?;& ü';
      const user = `lmt_sp_${process.pid}`;
      const admin = await openAdmin(engine);
      try {
        if (engine === 'mysql') {
          await admin.execute(`CREATE USER IF NOT EXISTS '${user}'@'127.0.0.1' IDENTIFIED BY ?`, [password]);
          await admin.execute(`ALTER USER '${user}'@'127.0.0.1' IDENTIFIED BY ?`, [password]);
        } else {
          await admin.execute(`DROP ROLE IF EXISTS ${user}`);
          await admin.execute(`CREATE ROLE ${user} LOGIN PASSWORD '${password.replace(/'/g, "''")}'`);
        }
        const url = formatDbUrl({ ...parseDbUrl(t.url), user, password, database: engine === 'mysql' ? '' : 'postgres' });
        const special = await openDatabase(url);
        expect(await special.serverVersion()).toBeTruthy();
        await special.close();
      } finally {
        if (engine === 'mysql') await admin.execute(`DROP USER IF EXISTS '${user}'@'127.0.0.1'`);
        else await admin.execute(`DROP ROLE IF EXISTS ${user}`);
        await admin.close();
      }
    });
  }
});
