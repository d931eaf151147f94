/**
 * MySQL/MariaDB only: LinOTP tables still declared latin1 or utf8mb3 are converted to utf8mb4
 * before values are repaired — a repaired emoji does not fit utf8mb3, and a latin1 table holding
 * LinOTP 2's raw UTF-8 bytes turns into ordinary double-encoded utf8mb4 text by the conversion
 * (linotp-schema.md §5.4), which the value repair then fixes. Only LinOTP's tables are touched
 * (LinOTP 3's step 3.0.0.0 converts every table of the database, other applications' included).
 *
 * Index-length check (§5.4): utf8mb4 needs 4 bytes per character, so Config.Key (255) needs 1020
 * bytes and LinOtpUserid (320) 1280. InnoDB allows 3072 with ROW_FORMAT=DYNAMIC/COMPRESSED but only
 * 767 with COMPACT/REDUNDANT (ERROR 1709) — we switch such tables to DYNAMIC in the same ALTER;
 * MyISAM allows 1000 bytes and Aria 2000 — refused before anything changes.
 */
import type { Db } from '../db/types.js';
import { DatabaseError } from '../errors.js';
import type { TableDef } from '../schema/tables.js';
import type { TargetTable } from './targets.js';

export const TARGET_CHARSET = 'utf8mb4';
export const TARGET_COLLATION = 'utf8mb4_unicode_ci';

export interface CharsetConversion {
  table: string;
  /** Table default charset now, and non-utf8mb4 column charsets. */
  from: string[];
  engine: string;
  rowFormat: string;
  /** COMPACT/REDUNDANT InnoDB tables also get ROW_FORMAT=DYNAMIC. */
  setDynamic: boolean;
  /** Widest index in bytes after the conversion. */
  widestIndexBytes: number;
}

/** Bytes of the widest primary key / index of `def` with 4-byte characters. */
export function widestIndexBytes(def: TableDef): number {
  const width = (cols: string[]) =>
    cols.reduce((n, name) => {
      const c = def.columns.find((x) => x.name === name);
      return n + (c?.type.kind === 'string' ? c.type.length * 4 : 8);
    }, 0);
  const sets = [def.columns.filter((c) => c.primaryKey).map((c) => c.name), ...def.indexes.map((i) => i.columns), ...def.uniques.map((u) => u.columns)];
  return Math.max(0, ...sets.map(width));
}

const KEY_LIMITS: Record<string, number> = { myisam: 1000, aria: 2000 };

export async function planCharsetConversions(db: Db, targets: TargetTable[]): Promise<CharsetConversion[]> {
  if (db.engine !== 'mysql') return [];
  const info = await db.query<{ n: string; e: string | null; rf: string | null }>(
    "SELECT TABLE_NAME AS n, ENGINE AS e, ROW_FORMAT AS rf FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE'",
  );
  const charsets = await db.tableCharsets();
  const out: CharsetConversion[] = [];
  const refused: string[] = [];
  for (const t of targets) {
    const from = new Set<string>();
    const tableCs = charsets[t.stored];
    if (tableCs && tableCs !== TARGET_CHARSET) from.add(tableCs);
    for (const c of await db.listColumns(t.stored)) if (c.charset && c.charset !== TARGET_CHARSET) from.add(c.charset);
    if (!from.size) continue;
    const row = info.find((r) => r.n === t.stored);
    const engine = String(row?.e ?? 'InnoDB');
    const rowFormat = String(row?.rf ?? 'Dynamic');
    const widest = widestIndexBytes(t.def);
    const innodb = engine.toLowerCase() === 'innodb';
    const setDynamic = innodb && /^(compact|redundant)$/i.test(rowFormat) && widest > 767;
    const limit = innodb ? 3072 : KEY_LIMITS[engine.toLowerCase()];
    if (limit !== undefined && widest > limit) refused.push(`${t.stored} (${engine}: index of ${widest} bytes > ${limit})`);
    out.push({ table: t.stored, from: [...from], engine, rowFormat, setDynamic, widestIndexBytes: widest });
  }
  if (refused.length) {
    throw new DatabaseError(
      `cannot convert ${refused.join(', ')} to utf8mb4: the index would exceed the storage engine's key length; nothing was changed`,
      'convert the table to InnoDB first (ALTER TABLE … ENGINE=InnoDB ROW_FORMAT=DYNAMIC), then run fix-db-encoding again',
    );
  }
  return out;
}

export function conversionSql(db: Db, c: CharsetConversion): string {
  const parts = [...(c.setDynamic ? ['ROW_FORMAT=DYNAMIC'] : []), `CONVERT TO CHARACTER SET ${TARGET_CHARSET} COLLATE ${TARGET_COLLATION}`];
  return `ALTER TABLE ${db.dialect.quoteIdent(c.table)} ${parts.join(', ')}`;
}
