/**
 * Creates the full LinOTP 2.12 and 3.4 schemas on real MariaDB, PostgreSQL and SQLite and checks
 * through introspection that tables, columns and indexes are what the model says.
 */
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/index.js';
import type { Db } from '../../src/db/types.js';
import { createTableStatements } from '../../src/schema/ddl.js';
import { compareToModel } from '../../src/schema/inspect.js';
import { getTable, LINOTP_2_12, LINOTP_3_4, pgSequenceName, type SchemaModel } from '../../src/schema/tables.js';
import { detectModelVersion } from '../../src/schema/version.js';
import { createTestDatabase, describeEngines, useTestDatabase } from '../helpers/db.js';

async function createAll(db: Db, model: SchemaModel, mysqlTable: 'linotp' | 'utf8mb4' = 'linotp') {
  for (const t of model.tables) {
    for (const s of createTableStatements(t, db.engine, { mysqlTable })) await db.execute(s);
  }
}

describeEngines('LinOTP schemas on a real database', (engine) => {
  for (const model of [LINOTP_2_12, LINOTP_3_4]) {
    describe(`LinOTP ${model.name}`, () => {
      const h = useTestDatabase(engine, { charset: 'utf8' }, (db) => createAll(db, model));

      it('introspection matches the model exactly', async () => {
        const cmp = await compareToModel(h.db, model, { requireOptional: true });
        expect(cmp.issues).toEqual([]);
        expect(cmp.missing).toEqual([]);
        expect(cmp.foreign).toEqual([]);
        expect(Object.keys(cmp.present).sort()).toEqual(model.tables.map((t) => t.name).sort());
      });

      it('the version detector sees an untouched database', async () => {
        const v = await detectModelVersion(h.db);
        expect(v.state).toBe('untouched');
        expect(v.stored).toBeNull();
      });

      it('boolean columns refuse values other than 0/1 (CHECK) or are native', async () => {
        const q = (n: string) => h.db.dialect.quoteIdent(n);
        await h.db.execute(`INSERT INTO ${q('Realm')} (${q('name')}, ${q('default')}) VALUES (?, ?)`, ['r1', false]);
        if (engine !== 'postgres') {
          await expect(h.db.execute(`INSERT INTO ${q('Realm')} (${q('name')}, ${q('default')}) VALUES ('r2', 2)`)).rejects.toThrow();
        }
        // no DEFAULT clauses: an omitted column is NULL
        const rows = await h.db.query(`SELECT ${q('option')} AS o FROM ${q('Realm')} WHERE ${q('name')} = ?`, ['r1']);
        expect(rows[0].o).toBeNull();
      });

      if (engine === 'postgres') {
        it('SERIAL sequences are named <Table>_<col>_seq', async () => {
          const seqs = (await h.db.query<{ n: string }>('SELECT sequence_name AS n FROM information_schema.sequences')).map((r) => r.n);
          for (const t of model.tables) {
            const s = pgSequenceName(t);
            if (s) expect(seqs).toContain(s);
          }
        });
      }

      if (engine === 'mysql') {
        it('tables inherit the database charset; 3.4 imported_user pins utf8mb3', async () => {
          const cs = await h.db.tableCharsets();
          expect(cs['Token']).toBe('utf8mb3');
          expect(cs['imported_user']).toBe('utf8mb3');
        });
      }
    });
  }

  if (engine === 'mysql') {
    describe('tables this tool creates on MySQL', () => {
      it('are utf8mb4 even in a latin1 database, including the widest indexes', async () => {
        const t = await createTestDatabase('mysql', { charset: 'latin1' });
        const db = await openDatabase(t.url);
        try {
          await createAll(db, LINOTP_3_4, 'utf8mb4');
          const cs = await db.tableCharsets();
          for (const table of LINOTP_3_4.tables) expect(cs[table.name]).toBe('utf8mb4');
          const cmp = await compareToModel(db, LINOTP_3_4, { requireOptional: true });
          expect(cmp.issues).toEqual([]);
          // The 2.12 shape in the same latin1 database: inherits latin1, as LinOTP 2 did.
          await db.execute(createTableStatements(getTable(LINOTP_2_12, 'ocra'), 'mysql')[0]);
          expect((await db.tableCharsets())['ocra']).toBe('latin1');
        } finally {
          await db.close();
          await t.drop();
        }
      });
    });
  }
});
