/**
 * What `admin fix-db-encoding` looks at: every free-text column of LinOTP's tables that LinOTP 2
 * wrote through its latin1 connection (the `mojibake` columns of src/schema/tables.ts) — far more
 * than LinOTP 3's own command, which converts only Config.Value/Description, Token.LinOtpTokenDesc/
 * LinOtpTokenInfo and four imported_user columns and never the audit trail, user ids, realms or
 * resolver columns (linotp-schema.md §5.2).
 */
import type { Db } from '../db/types.js';
import { UsageError } from '../errors.js';
import { LINOTP_2_12, LINOTP_3_4, primaryKeyColumns, type TableDef } from '../schema/tables.js';

export interface TargetTable {
  def: TableDef;
  /** The name as stored (case may differ on MySQL). */
  stored: string;
  pk: string[];
  /** Text columns to examine (present in the database). */
  columns: string[];
}

/** LinOTP 2.12 ∪ 3.4 tables (same definitions where both have them; ocra only in 2.12). */
function allLinotpTables(): TableDef[] {
  const out = [...LINOTP_2_12.tables];
  for (const t of LINOTP_3_4.tables) if (!out.some((x) => x.name === t.name)) out.push(t);
  return out;
}

export function encodingTableNames(): string[] {
  return allLinotpTables()
    .filter((t) => t.columns.some((c) => c.mojibake))
    .map((t) => t.name);
}

/** The present LinOTP tables with text columns, optionally restricted by `--tables`. */
export async function findTargets(db: Db, only?: string[]): Promise<TargetTable[]> {
  const defs = allLinotpTables().filter((t) => t.columns.some((c) => c.mojibake));
  if (only?.length) {
    const unknown = only.filter((n) => !defs.some((d) => d.name.toLowerCase() === n.toLowerCase()));
    if (unknown.length) {
      throw new UsageError(`--tables: ${unknown.join(', ')} ${unknown.length === 1 ? 'is not a LinOTP table' : 'are not LinOTP tables'} with text columns`, `choose from ${defs.map((d) => d.name).join(', ')}`);
    }
  }
  const present = new Map((await db.listTables()).map((t) => [t.toLowerCase(), t]));
  const out: TargetTable[] = [];
  for (const def of defs) {
    if (only?.length && !only.some((n) => n.toLowerCase() === def.name.toLowerCase())) continue;
    const stored = present.get(def.name.toLowerCase());
    if (!stored) continue;
    const actual = new Set((await db.listColumns(stored)).map((c) => c.name));
    const pk = primaryKeyColumns(def);
    if (!pk.every((c) => actual.has(c))) continue;
    const columns = def.columns.filter((c) => c.mojibake && actual.has(c.name)).map((c) => c.name);
    if (columns.length) out.push({ def, stored, pk, columns });
  }
  return out;
}
