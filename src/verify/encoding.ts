/**
 * Counts text values that look double-encoded (latin1/utf8 mojibake, linotp-schema.md §5.4) in the
 * free-text columns of LinOTP's tables, using the same per-value rule as `admin fix-db-encoding`
 * (src/encoding/repair.ts). Streams every table in batches.
 */
import type { Db } from '../db/types.js';
import { classify } from '../encoding/repair.js';
import type { TableDef } from '../schema/tables.js';
import type { EncodingStats } from './types.js';

const SAMPLE_LIMIT = 5;

export async function scanEncoding(db: Db, tables: { def: TableDef; stored: string }[]): Promise<EncodingStats> {
  const stats: EncodingStats = { suspicious: 0, multiple: 0, byColumn: {}, samples: [], scanned: 0 };
  const q = (n: string) => db.dialect.quoteIdent(n);
  for (const { def, stored } of tables) {
    const actual = new Set((await db.listColumns(stored)).map((c) => c.name));
    const cols = def.columns.filter((c) => c.mojibake && actual.has(c.name)).map((c) => c.name);
    if (!cols.length) continue;
    const sql = `SELECT ${cols.map((c, i) => `${q(c)} AS c${i}`).join(', ')} FROM ${q(stored)}`;
    for await (const batch of db.stream(sql, [], { batchSize: 2000 })) {
      for (const row of batch) {
        for (let i = 0; i < cols.length; i++) {
          const v = row[`c${i}`];
          if (typeof v !== 'string' || v === '') continue;
          stats.scanned++;
          const verdict = classify(v);
          if (verdict.kind === 'ok') continue;
          stats.suspicious++;
          if (verdict.kind === 'triple') stats.multiple++;
          const name = `${def.name}.${cols[i]}`;
          stats.byColumn[name] = (stats.byColumn[name] ?? 0) + 1;
          if (stats.samples.length < SAMPLE_LIMIT) stats.samples.push({ table: def.name, column: cols[i], value: v, repaired: verdict.repaired });
        }
      }
    }
  }
  return stats;
}
