/**
 * Reassembles LinOTP's chunked Config values (linotp-schema.md §1.2, 2.12 `db_api.py`
 * `_store_continous_entry_db` / `_retrieveAllConfigDB`). A value longer than 1994 characters is
 * stored as N+1 rows: the real key with Type 'C' and Description '0:N', then `Key__[i:N]` rows
 * (Type 'C', Description 'i:N') and finally `Key__[N:N]`, which carries the real Type and
 * Description. LinOTP silently skips missing chunks and ignores stray ones; we report both, because
 * an encrypted value with a missing chunk can't be decrypted and a stray one is left-over data.
 */

export interface ConfigRow {
  key: string;
  value: string | null;
  type: string | null;
  description: string | null;
}

export interface ConfigEntry {
  key: string;
  value: string | null;
  type: string | null;
  description: string | null;
  /** Physical row keys in order (one element for an ordinary row). */
  rowKeys: string[];
}

export interface ChunkProblem {
  key: string;
  problem: 'missing-chunk' | 'stray-chunk' | 'bad-description';
  detail: string;
  rowKeys: string[];
}

const CHUNK_KEY = /^(.*)__\[(\d+):(\d+)\]$/;

/**
 * Groups Config rows into logical entries in input order. Broken chains are not returned as
 * entries but as problems (with the rows involved), so a caller never decrypts half a value.
 */
export function groupConfigRows(rows: readonly ConfigRow[]): { entries: ConfigEntry[]; problems: ChunkProblem[] } {
  const byKey = new Map<string, ConfigRow>();
  for (const r of rows) byKey.set(r.key, r);
  const used = new Set<string>();
  const entries: ConfigEntry[] = [];
  const problems: ChunkProblem[] = [];

  for (const head of rows) {
    if (head.type !== 'C' || CHUNK_KEY.test(head.key)) continue;
    const m = /^0:(\d+)$/.exec(head.description ?? '');
    used.add(head.key);
    if (!m || Number(m[1]) < 1) {
      problems.push({ key: head.key, problem: 'bad-description', detail: `chunk head has Type 'C' but Description ${JSON.stringify(head.description)} instead of '0:N'`, rowKeys: [head.key] });
      continue;
    }
    const n = Number(m[1]);
    const keys = [head.key];
    const missing: string[] = [];
    for (let i = 1; i <= n; i++) {
      const k = `${head.key}__[${i}:${n}]`;
      if (byKey.has(k)) {
        keys.push(k);
        used.add(k);
      } else missing.push(k);
    }
    if (missing.length) {
      problems.push({ key: head.key, problem: 'missing-chunk', detail: `${missing.length} of ${n} continuation rows missing (first: ${missing[0]})`, rowKeys: keys });
      continue;
    }
    const last = byKey.get(keys[keys.length - 1])!;
    const values = keys.map((k) => byKey.get(k)!.value ?? '');
    entries.push({ key: head.key, value: values.join(''), type: last.type, description: last.description, rowKeys: keys });
  }

  for (const r of rows) {
    if (used.has(r.key)) continue;
    const m = CHUNK_KEY.exec(r.key);
    if (m) {
      problems.push({ key: m[1], problem: 'stray-chunk', detail: `continuation row ${r.key} belongs to no chunked entry '${m[1]}' with Description '0:${m[3]}'`, rowKeys: [r.key] });
      continue;
    }
    entries.push({ key: r.key, value: r.value, type: r.type, description: r.description, rowKeys: [r.key] });
  }
  // Keep the caller's row order for the logical entries (heads were collected first above).
  const order = new Map(rows.map((r, i) => [r.key, i]));
  entries.sort((a, b) => order.get(a.key)! - order.get(b.key)!);
  return { entries, problems };
}
