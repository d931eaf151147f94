/**
 * The DDL of a live table, in its own engine's dialect, for dumps that replay exactly:
 * MySQL `SHOW CREATE TABLE`, SQLite's stored `sqlite_master.sql`, and for PostgreSQL the
 * statements pg_dump would write (sequence, table, ownership of the sequence, constraints, indexes),
 * split into what goes before the data and what goes after it.
 */
import type { Db } from '../db/types.js';

export interface TableDdl {
  /** Statements before the rows (CREATE SEQUENCE / CREATE TABLE …), without trailing `;`. */
  before: string[];
  /** Statements after the rows (indexes, primary/unique/check constraints, sequence positions). */
  after: string[];
  /** Foreign keys, run after every table is loaded. */
  foreignKeys: string[];
  /** Statements that remove the table first (for replay into a non-empty database). */
  drop: string[];
}

export async function tableDdl(db: Db, table: string): Promise<TableDdl> {
  const q = (n: string) => db.dialect.quoteIdent(n);
  if (db.engine === 'mysql') {
    const rows = await db.query(`SHOW CREATE TABLE ${q(table)}`);
    const sql = String(rows[0]['Create Table']);
    return { before: [sql], after: [], foreignKeys: [], drop: [`DROP TABLE IF EXISTS ${q(table)}`] };
  }
  if (db.engine === 'sqlite') {
    const rows = await db.query<{ type: string; sql: string }>(
      "SELECT type, sql FROM sqlite_master WHERE tbl_name = ? AND sql IS NOT NULL ORDER BY CASE type WHEN 'table' THEN 0 ELSE 1 END, name",
      [table],
    );
    return {
      before: rows.filter((r) => r.type === 'table').map((r) => r.sql),
      after: rows.filter((r) => r.type !== 'table').map((r) => r.sql),
      foreignKeys: [],
      drop: [`DROP TABLE IF EXISTS ${q(table)}`],
    };
  }
  return postgresDdl(db, table);
}

async function postgresDdl(db: Db, table: string): Promise<TableDdl> {
  const q = (n: string) => db.dialect.quoteIdent(n);
  const rel = `public.${q(table)}`;
  const cols = await db.query<{ name: string; type: string; notnull: boolean; def: string | null; seq: string | null }>(
    `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS notnull,
            pg_get_expr(d.adbin, d.adrelid) AS def, pg_get_serial_sequence(?, a.attname) AS seq
       FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
      WHERE a.attrelid = ?::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`,
    [rel, rel],
  );
  const before: string[] = [];
  const after: string[] = [];
  const drop: string[] = [`DROP TABLE IF EXISTS ${q(table)} CASCADE`];
  for (const c of cols) {
    if (!c.seq) continue;
    // pg_get_serial_sequence gives `public."Token_LinOtpTokenId_seq"`: keep it unqualified.
    const seqName = c.seq.replace(/^public\./, '');
    const [s] = await db.query<{ last_value: string | number; is_called: boolean }>(`SELECT last_value, is_called FROM ${c.seq}`);
    drop.push(`DROP SEQUENCE IF EXISTS ${seqName} CASCADE`);
    before.push(`CREATE SEQUENCE ${seqName}`);
    after.push(`ALTER SEQUENCE ${seqName} OWNED BY ${q(table)}.${q(c.name)}`);
    after.push(`SELECT pg_catalog.setval('${seqName.replace(/'/g, "''")}', ${Number(s.last_value)}, ${s.is_called ? 'true' : 'false'})`);
  }
  const colSql = cols.map((c) => {
    let def = c.def ?? undefined;
    if (def) def = def.replace(/nextval\('public\./, "nextval('");
    return `    ${q(c.name)} ${c.type}${def ? ` DEFAULT ${def}` : ''}${c.notnull ? ' NOT NULL' : ''}`;
  });
  before.push(`CREATE TABLE ${q(table)} (\n${colSql.join(',\n')}\n)`);
  const cons = await db.query<{ name: string; type: string; def: string }>(
    `SELECT conname AS name, contype AS type, pg_get_constraintdef(oid) AS def FROM pg_constraint
      WHERE conrelid = ?::regclass ORDER BY CASE contype WHEN 'p' THEN 0 WHEN 'u' THEN 1 WHEN 'c' THEN 2 ELSE 3 END, conname`,
    [rel],
  );
  const foreignKeys: string[] = [];
  for (const c of cons) {
    const stmt = `ALTER TABLE ONLY ${q(table)} ADD CONSTRAINT ${q(c.name)} ${c.def.replace(/REFERENCES public\./g, 'REFERENCES ')}`;
    if (c.type === 'f') foreignKeys.push(stmt);
    else if (c.type !== 'n') after.push(stmt);
  }
  const idx = await db.query<{ def: string }>(
    `SELECT pg_get_indexdef(i.indexrelid) AS def FROM pg_index i
      WHERE i.indrelid = ?::regclass AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid AND c.conrelid = i.indrelid)
      ORDER BY 1`,
    [rel],
  );
  for (const i of idx) after.push(i.def.replace(` ON public.`, ' ON '));
  return { before, after, foreignKeys, drop };
}
