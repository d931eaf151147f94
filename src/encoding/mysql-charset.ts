/**
 * MySQL/MariaDB only: LinOTP tables still declared latin1 (or utf8mb3, where needed) are converted to
 * utf8mb4 before values are repaired — a repaired emoji does not fit utf8mb3, and a latin1 table holding
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
import { needsUtf8mb4Sql } from './mysql-decide.js';
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

/** A utf8mb3 table left as it is: no value in it needs a 4-byte character (see planCharsetConversions). */
export interface KeptCharset {
  table: string;
  charset: string;
  /** Checked by the repair pass itself (converted then, if a repair needs it), not by a scan before. */
  checkedWhileRepairing: boolean;
}

export interface CharsetPlan {
  conversions: CharsetConversion[];
  kept: KeptCharset[];
  /** The conversions of the tables checked while repairing (key lengths already checked). */
  deferred: Map<string, CharsetConversion>;
}

const isUtf8mb3 = (cs: string) => /^utf8(mb3)?$/i.test(cs);

/**
 * Which LinOTP tables to convert to utf8mb4. latin1 (and any other non-UTF-8) tables always: their
 * bytes must be read as text. utf8mb3 tables only when a repair needs a 4-byte character (a
 * double-encoded emoji), or when `allUtf8mb3` is set (also implied by repairMultiple, whose deeper
 * repairs the check does not see): the conversion rebuilds the table, which on audit costs more than
 * the whole repair, and LinOTP's own migration (step 3.0.0.0) leaves utf8mb3 tables as they are.
 */
export async function planCharsetConversions(db: Db, targets: TargetTable[], opts: { allUtf8mb3?: boolean; checkWhileRepairing?: (t: TargetTable) => boolean } = {}): Promise<CharsetPlan> {
  const deferred = new Map<string, CharsetConversion>();
  if (db.engine !== 'mysql') return { conversions: [], kept: [], deferred };
  const info = await db.query<{ n: string; e: string | null; rf: string | null }>(
    "SELECT TABLE_NAME AS n, ENGINE AS e, ROW_FORMAT AS rf FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE'",
  );
  const charsets = await db.tableCharsets();
  const out: CharsetConversion[] = [];
  const kept: KeptCharset[] = [];
  const refused: string[] = [];
  for (const t of targets) {
    const from = new Set<string>();
    const tableCs = charsets[t.stored];
    if (tableCs && tableCs !== TARGET_CHARSET) from.add(tableCs);
    const columns = await db.listColumns(t.stored);
    for (const c of columns) if (c.charset && c.charset !== TARGET_CHARSET) from.add(c.charset);
    if (!from.size) continue;
    const row = info.find((r) => r.n === t.stored);
    const engine = String(row?.e ?? 'InnoDB');
    const rowFormat = String(row?.rf ?? 'Dynamic');
    const widest = widestIndexBytes(t.def);
    const innodb = engine.toLowerCase() === 'innodb';
    const setDynamic = innodb && /^(compact|redundant)$/i.test(rowFormat) && widest > 767;
    const limit = innodb ? 3072 : KEY_LIMITS[engine.toLowerCase()];
    const refusal = limit !== undefined && widest > limit ? `${t.stored} (${engine}: index of ${widest} bytes > ${limit})` : undefined;
    const conversion = { table: t.stored, from: [...from], engine, rowFormat, setDynamic, widestIndexBytes: widest };
    if (!opts.allUtf8mb3 && [...from].every(isUtf8mb3)) {
      // Large tables with an integer key are checked by the repair pass (src/encoding/mysql-pass.ts)
      // instead of by one more scan (3.6 s of audit at 50k); the others (small) here.
      if (!refusal && opts.checkWhileRepairing?.(t)) {
        kept.push({ table: t.stored, charset: [...from].join('/'), checkedWhileRepairing: true });
        deferred.set(t.stored, conversion);
        continue;
      }
      if (!(await needsUtf8mb4(db, t, new Map(columns.map((c) => [c.name, c.charset]))))) {
        kept.push({ table: t.stored, charset: [...from].join('/'), checkedWhileRepairing: false });
        continue;
      }
    }
    if (refusal) refused.push(refusal);
    out.push(conversion);
  }
  if (refused.length) {
    throw new DatabaseError(
      `cannot convert ${refused.join(', ')} to utf8mb4: the index would exceed the storage engine's key length; nothing was changed`,
      'convert the table to InnoDB first (ALTER TABLE … ENGINE=InnoDB ROW_FORMAT=DYNAMIC), then run fix-db-encoding again',
    );
  }
  return { conversions: out, kept, deferred };
}

async function needsUtf8mb4(db: Db, t: TargetTable, charsets: Map<string, string | undefined>): Promise<boolean> {
  const q = db.dialect.quoteIdent;
  const rows = await db.query(`SELECT 1 AS x FROM ${q(t.stored)} WHERE ${t.columns.map((c) => needsUtf8mb4Sql(q(c), charsets.get(c))).join(' OR ')} LIMIT 1`);
  return rows.length > 0;
}

export function conversionSql(db: Db, c: CharsetConversion): string {
  const parts = [...(c.setDynamic ? ['ROW_FORMAT=DYNAMIC'] : []), `CONVERT TO CHARACTER SET ${TARGET_CHARSET} COLLATE ${TARGET_COLLATION}`];
  return `ALTER TABLE ${db.dialect.quoteIdent(c.table)} ${parts.join(', ')}`;
}
