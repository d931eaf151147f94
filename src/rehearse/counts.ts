/**
 * Rows per table: the backup's counts against the upgraded scratch database, with what the upgrade
 * changes by design taken from the steps' own results (never guessed): challenges deleted by
 * migration step 3.2.2.0, audit rows deleted with --truncate-audit, Config rows and the admin realm
 * inserted by the defaults, the utf8 marker step 3.0.0.0 inserts on MySQL and fix-db-encoding removes,
 * the rehearsed admin added.
 */
import type { RehearsalState } from './state.js';
import type { TableCount } from './types.js';

function sumApplied(s: RehearsalState, field: string): number {
  let n = 0;
  for (const a of s.upgrade?.applied ?? []) {
    const v = a.result[field];
    if (typeof v === 'number') n += v;
  }
  return n;
}

/** Expected change per table (lower-case name) and why. */
function designedChanges(s: RehearsalState): Map<string, { delta: number; why: string[] }> {
  const m = new Map<string, { delta: number; why: string[] }>();
  const add = (table: string, delta: number, why: string) => {
    if (!delta) return;
    const e = m.get(table) ?? { delta: 0, why: [] };
    e.delta += delta;
    e.why.push(why);
    m.set(table, e);
  };
  add('challenges', -sumApplied(s, 'challengesDeleted'), 'open challenges deleted by migration step 3.2.2.0');
  add('audit', -sumApplied(s, 'auditRowsDeleted'), 'audit rows deleted (--truncate-audit)');
  add('config', sumApplied(s, 'configRowsInserted'), 'LinOTP 3.4 default settings, admin resolver and realm inserted');
  const suggested = (s.upgrade?.applied ?? []).some((a) => a.result.utf8ConversionSuggested === true);
  if (suggested) add('config', 1, 'marker linotp.utf8_conversion inserted by migration step 3.0.0.0 (MySQL)');
  add('realm', sumApplied(s, 'realmRowsInserted'), 'admin realm created');
  if (s.encoding?.marker.removed) add('config', -1, 'marker linotp.utf8_conversion removed by fix-db-encoding');
  const kept = s.restore?.result.preservedAdmins ?? 0;
  if (kept) add('imported_user', kept, `${kept} local admin(s) already in the target kept by the restore`);
  if (s.details.admin?.action === 'created') add('imported_user', 1, `local admin ${s.details.admin.name} created`);
  return m;
}

export async function countRows(s: RehearsalState): Promise<TableCount[]> {
  const db = s.target!.db;
  const info = s.backup!.info;
  const skipped = new Set((s.restore?.plan.skipped ?? []).map((x) => x.table));
  const present = await db.listTables();
  const designed = designedChanges(s);
  const out: TableCount[] = [];
  for (const t of info.tables) {
    const name = present.find((p) => p === t.name) ?? present.find((p) => p.toLowerCase() === t.name.toLowerCase());
    if (skipped.has(t.name)) {
      out.push({ table: t.name, backup: t.rows, after: null, expectedDelta: -t.rows, why: 'not a LinOTP table: not restored into another engine', ok: true });
      continue;
    }
    let after: number | null = null;
    // The audit rows are counted where LinOTP 3.4 reads them (SQLite: <file>_audit), not where the restore put them.
    const auditDb = t.name.toLowerCase() === 'audit' ? s.target!.auditDb : undefined;
    if (auditDb) {
      const stored = (await auditDb.listTables()).find((p) => p.toLowerCase() === 'audit');
      if (stored) after = Number((await auditDb.query(`SELECT COUNT(*) AS n FROM ${auditDb.dialect.quoteIdent(stored)}`))[0].n);
    } else if (name) after = Number((await db.query(`SELECT COUNT(*) AS n FROM ${db.dialect.quoteIdent(name)}`))[0].n);
    const d = designed.get(t.name.toLowerCase());
    const expectedDelta = d?.delta ?? 0;
    out.push({ table: t.name, backup: t.rows, after, expectedDelta, why: d?.why.join('; '), ok: after !== null && after === t.rows + expectedDelta });
  }
  return out;
}
