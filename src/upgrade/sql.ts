/**
 * Small SQL helpers for the upgrade: table names as stored (MySQL may report `config` for
 * `Config` with lower_case_table_names), quoting, and the Config rows LinOTP reads.
 */
import type { Db, SqlValue } from '../db/types.js';
import type { ConfigRow } from '../crypto/chunks.js';

export class Tables {
  private readonly byLower: Map<string, string>;
  constructor(
    readonly db: Db,
    names: string[],
  ) {
    this.byLower = new Map(names.map((n) => [n.toLowerCase(), n]));
  }

  static async load(db: Db): Promise<Tables> {
    return new Tables(db, await db.listTables());
  }

  has(name: string): boolean {
    return this.byLower.has(name.toLowerCase());
  }

  /** The stored name of a table (falls back to the model name). */
  stored(name: string): string {
    return this.byLower.get(name.toLowerCase()) ?? name;
  }

  all(): string[] {
    return [...this.byLower.values()];
  }

  /** Quoted stored table name. */
  t(name: string): string {
    return this.db.dialect.quoteIdent(this.stored(name));
  }

  c(name: string): string {
    return this.db.dialect.quoteIdent(name);
  }
}

export async function readConfigRows(db: Db, t: Tables): Promise<ConfigRow[]> {
  const rows = await db.query<{ k: string; v: string | null; ty: string | null; d: string | null }>(
    `SELECT ${t.c('Key')} AS k, ${t.c('Value')} AS v, ${t.c('Type')} AS ty, ${t.c('Description')} AS d FROM ${t.t('Config')}`,
  );
  return rows.map((r) => ({ key: String(r.k), value: r.v === null ? null : String(r.v), type: r.ty === null ? null : String(r.ty), description: r.d === null ? null : String(r.d) }));
}

/**
 * Equality as the database defines it: on MySQL's case-insensitive collations a look-alike key
 * counts as present — LinOTP's insert-if-missing sees it the same way, and inserting would collide
 * with the primary key.
 */
export async function configKeyExists(db: Db, t: Tables, key: string): Promise<boolean> {
  const rows = await db.query<{ k: string }>(`SELECT ${t.c('Key')} AS k FROM ${t.t('Config')} WHERE ${t.c('Key')} = ?`, [key]);
  return rows.length > 0;
}

export async function insertConfig(db: Db, t: Tables, key: string, value: string, type: string, description: string): Promise<void> {
  await db.execute(
    `INSERT INTO ${t.t('Config')} (${t.c('Key')}, ${t.c('Value')}, ${t.c('Type')}, ${t.c('Description')}) VALUES (?, ?, ?, ?)`,
    [key, value, type, description],
  );
}

/** LinOTP's `set_version`: update the row, or insert it with Type/Description '' (column defaults). */
export async function upsertConfigValue(db: Db, t: Tables, key: string, value: string): Promise<void> {
  if (await configKeyExists(db, t, key)) {
    await db.execute(`UPDATE ${t.t('Config')} SET ${t.c('Value')} = ? WHERE ${t.c('Key')} = ?`, [value, key]);
  } else {
    await insertConfig(db, t, key, value, '', '');
  }
}

export async function deleteConfigKey(db: Db, t: Tables, key: string): Promise<number> {
  return db.execute(`DELETE FROM ${t.t('Config')} WHERE ${t.c('Key')} = ?`, [key]);
}

export async function countRows(db: Db, t: Tables, table: string): Promise<number> {
  if (!t.has(table)) return 0;
  const rows = await db.query<{ n: SqlValue }>(`SELECT COUNT(*) AS n FROM ${t.t(table)}`);
  return Number(rows[0]?.n ?? 0);
}
