/**
 * PostgreSQL only: SERIAL sequences that lag behind the ids already in their table. Rows inserted
 * with explicit ids (a hand-made restore, a dump loaded without its setval calls) do not advance
 * the sequence, and the next insert — ours (admin realm) or LinOTP's (the next token) — then fails
 * with a duplicate primary key. The upgrade moves such sequences to MAX(id).
 */
import type { Db } from '../db/types.js';
import { LINOTP_3_4 } from '../schema/tables.js';
import type { Tables } from './sql.js';

export interface LaggingSequence {
  table: string;
  sequence: string;
  lastValue: number;
  maxId: number;
}

export async function laggingSequences(db: Db, t: Tables): Promise<LaggingSequence[]> {
  if (db.engine !== 'postgres') return [];
  const out: LaggingSequence[] = [];
  for (const def of LINOTP_3_4.tables) {
    const col = def.columns.find((c) => c.autoincrement);
    if (!col || !t.has(def.name)) continue;
    const [s] = await db.query<{ seq: string | null }>('SELECT pg_get_serial_sequence(?, ?) AS seq', [t.t(def.name), col.name]);
    if (!s?.seq) continue;
    const [st] = await db.query<{ v: string; called: boolean }>(`SELECT last_value AS v, is_called AS called FROM ${s.seq}`);
    const [m] = await db.query<{ m: string | null }>(`SELECT MAX(${t.c(col.name)}) AS m FROM ${t.t(def.name)}`);
    const maxId = m?.m === null || m?.m === undefined ? 0 : Number(m.m);
    const used = st.called ? Number(st.v) : Number(st.v) - 1;
    if (maxId > used) out.push({ table: def.name, sequence: s.seq, lastValue: used, maxId });
  }
  return out;
}

export async function fixSequences(db: Db, seqs: LaggingSequence[]): Promise<void> {
  for (const s of seqs) await db.query('SELECT setval(?::regclass, ?)', [s.sequence, s.maxId]);
}
