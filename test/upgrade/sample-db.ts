/**
 * Loads the verified LinOTP 2.12 sample of linotp-schema.md §7 into an empty database, with the
 * 2.12 DDL, and snapshots databases for "nothing changed" assertions.
 */
import { createHash } from 'node:crypto';
import type { Db, SqlValue } from '../../src/db/types.js';
import { createTableStatements } from '../../src/schema/ddl.js';
import { getTable, LINOTP_2_12 } from '../../src/schema/tables.js';
import { SAMPLE_AUDIT, SAMPLE_CONFIG, SAMPLE_REALMS, SAMPLE_TOKEN_REALMS, SAMPLE_TOKENS, type RowObject } from '../../src/fixtures/sample.js';

export const SAMPLE_TABLES = ['Config', 'Token', 'Realm', 'TokenRealm', 'challenges', 'ocra', 'REPORTING', 'logging_config', 'audit'];

let latin1 = false;

/**
 * Python 2's MySQLdb sent UTF-8 bytes over a latin1 connection. mysql2 re-encodes strings for the
 * session charset, so the emulation sends each string's UTF-8 bytes as a `_latin1 X'…'` literal.
 */
function latin1Literal(v: SqlValue): string {
  if (v === null || v === undefined) return 'NULL';
  if (typeof v === 'boolean') return v ? '1' : '0';
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  return `_latin1 X'${Buffer.from(String(v), 'utf8').toString('hex')}'`;
}

async function insertRows(db: Db, table: string, cols: string[], rows: SqlValue[][]): Promise<void> {
  if (!latin1) {
    await db.insertMany(table, cols, rows);
    return;
  }
  const q = (n: string) => db.dialect.quoteIdent(n);
  for (const r of rows) await db.execute(`INSERT INTO ${q(table)} (${cols.map(q).join(', ')}) VALUES (${r.map(latin1Literal).join(', ')})`);
}

async function insertObjects(db: Db, table: string, rows: RowObject[]): Promise<void> {
  const cols = Object.keys(rows[0]);
  await insertRows(db, table, cols, rows.map((r) => cols.map((c) => r[c] as SqlValue)));
}

/**
 * `latin1Connection` (MySQL): writes through a latin1 session like Python 2's MySQLdb did, so utf8
 * tables get double-encoded text and latin1 tables raw UTF-8 bytes (linotp-schema.md §5.4/§7).
 */
export async function loadSample212(db: Db, opts: { latin1Connection?: boolean; omitColumns?: string[]; challenges?: number } = {}): Promise<void> {
  for (const name of SAMPLE_TABLES) {
    for (const s of createTableStatements(getTable(LINOTP_2_12, name), db.engine, { omitColumns: opts.omitColumns })) await db.execute(s);
  }
  latin1 = opts.latin1Connection === true;
  await db.transaction(async (tx) => {
    await insertRows(tx, 'Config', ['Key', 'Value', 'Type', 'Description'], SAMPLE_CONFIG);
    const omit = new Set(opts.omitColumns ?? []);
    await insertObjects(tx, 'Token', SAMPLE_TOKENS.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => !omit.has(k)))));
    await insertObjects(tx, 'Realm', SAMPLE_REALMS);
    await insertObjects(tx, 'TokenRealm', SAMPLE_TOKEN_REALMS);
    await insertObjects(tx, 'audit', SAMPLE_AUDIT);
    for (let i = 1; i <= (opts.challenges ?? 2); i++) {
      await tx.execute('INSERT INTO challenges (transid, tokenserial, received_count, received_tan, valid_tan) VALUES (?, ?, ?, ?, ?)', [
        `1234567890${i}`,
        'oath0001',
        0,
        false,
        false,
      ]);
    }
  });
  if (db.engine === 'postgres') {
    // Explicit ids do not advance SERIAL sequences; a real LinOTP database (or a pg_dump restore) has them in step.
    for (const [table, col] of [['Token', 'LinOtpTokenId'], ['Realm', 'id'], ['TokenRealm', 'id'], ['audit', 'id']]) {
      await db.query(`SELECT setval('"${table}_${col}_seq"', (SELECT MAX("${col}") FROM "${table}"))`);
    }
  }
}

/** A digest of every row of every table (order-independent), to prove that nothing changed. */
export async function snapshot(db: Db): Promise<string> {
  const h = createHash('sha256');
  for (const table of (await db.listTables()).sort()) {
    const rows = await db.query(`SELECT * FROM ${db.dialect.quoteIdent(table)}`);
    const lines = rows.map((r) => JSON.stringify(Object.entries(r).sort(), (_k, v) => (Buffer.isBuffer(v) ? v.toString('hex') : typeof v === 'bigint' ? String(v) : v))).sort();
    h.update(table + '\n' + lines.join('\n') + '\n');
    const cols = (await db.listColumns(table)).map((c) => `${c.name}:${c.dataType}:${c.nullable}`).sort();
    const idx = (await db.listIndexes(table)).map((i) => `${i.name}:${i.columns.join(',')}:${i.unique}`).sort();
    h.update(cols.join(';') + '|' + idx.join(';') + '\n');
  }
  return h.digest('hex');
}
