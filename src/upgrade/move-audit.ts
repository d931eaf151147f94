/**
 * The audit rows to where LinOTP 3.4 reads them (issue 21 item 5). A restored LinOTP 2 database holds its
 * audit table in the main database (LinOTP 2's linotpAudit.sql.url was usually the same URL); LinOTP 3.4
 * reads the audit trail from AUDIT_DATABASE_URI — for SQLite with SHARED the sibling file `<file>_audit`
 * (src/audit/location.ts). Left in place the rows are invisible in /manage. `init database` therefore
 * copies them into the audit database's table (same ids, the columns both tables have) and then drops the
 * main database's audit table.
 *
 * Safe and resumable: the copy is one transaction on the audit database; the drop follows only after it
 * committed. A run killed between the two finds every id already there with the same content and only
 * drops. Rows LinOTP 3 wrote there itself with colliding ids block the move (nothing is changed).
 */
import type { Db, SqlValue } from '../db/types.js';
import { describeDbUrl } from '../db/url.js';
import { countRows, Tables } from './sql.js';

const BATCH = 2000;

export interface AuditMovePlan {
  rows: number;
  /** Rows with ids the audit table already holds with the same content (an interrupted earlier move). */
  alreadyThere: number;
  /** Rows whose id the audit table already holds with other content (LinOTP 3 wrote them): never overwritten. */
  collisions: number;
  columns: string[];
  /** Non-empty: the move is refused (unless the rows are deleted anyway, --truncate-audit). */
  conflict?: string;
}

async function commonColumns(main: Db, mt: Tables, audit: Db, at: Tables | undefined): Promise<string[]> {
  const src = (await main.listColumns(mt.stored('audit'))).map((c) => c.name);
  if (!at?.has('audit')) return src;
  const dst = new Set((await audit.listColumns(at.stored('audit'))).map((c) => c.name.toLowerCase()));
  return src.filter((c) => dst.has(c.toLowerCase()));
}

async function* batches(db: Db, t: Tables, columns: string[]): AsyncGenerator<Record<string, SqlValue>[]> {
  const q = (c: string) => db.dialect.quoteIdent(c);
  let last = -Infinity;
  for (;;) {
    const rows = await db.query<Record<string, SqlValue>>(
      `SELECT ${columns.map(q).join(', ')} FROM ${t.t('audit')}${Number.isFinite(last) ? ` WHERE ${q('id')} > ?` : ''} ORDER BY ${q('id')} LIMIT ${BATCH}`,
      Number.isFinite(last) ? [last] : [],
    );
    if (!rows.length) return;
    last = Number(rows[rows.length - 1].id);
    yield rows;
  }
}

const norm = (v: SqlValue | undefined) => (v === null || v === undefined ? null : Buffer.isBuffer(v) ? v.toString('hex') : String(v));

/** Existing rows of the audit database by id, for the ids in `ids`. */
async function existing(audit: Db, at: Tables, columns: string[], ids: number[]): Promise<Map<number, Record<string, SqlValue>>> {
  if (!ids.length || !at.has('audit')) return new Map();
  const q = (c: string) => audit.dialect.quoteIdent(c);
  const rows = await audit.query<Record<string, SqlValue>>(
    `SELECT ${columns.map(q).join(', ')} FROM ${at.t('audit')} WHERE ${q('id')} >= ? AND ${q('id')} <= ?`,
    [ids[0], ids[ids.length - 1]],
  );
  return new Map(rows.map((r) => [Number(r.id), r]));
}

/** What the move would do; `undefined` when the main database has no audit table. */
export async function planAuditMove(main: Db, audit: Db | undefined): Promise<AuditMovePlan | undefined> {
  const mt = await Tables.load(main);
  if (!mt.has('audit')) return undefined;
  const rows = await countRows(main, mt, 'audit');
  if (!audit) return { rows, alreadyThere: 0, collisions: 0, columns: (await main.listColumns(mt.stored('audit'))).map((c) => c.name) };
  const at = await Tables.load(audit);
  const columns = await commonColumns(main, mt, audit, at);
  let alreadyThere = 0;
  let differing = 0;
  let firstDiffering: number | undefined;
  if (at.has('audit') && (await countRows(audit, at, 'audit')) > 0) {
    for await (const batch of batches(main, mt, columns)) {
      const there = await existing(audit, at, columns, batch.map((r) => Number(r.id)));
      for (const r of batch) {
        const e = there.get(Number(r.id));
        if (!e) continue;
        if (columns.every((c) => norm(e[c]) === norm(r[c]))) alreadyThere++;
        else {
          differing++;
          firstDiffering ??= Number(r.id);
        }
      }
    }
  }
  const conflict = differing
    ? `the audit table in ${describeDbUrl(audit.url)} already holds ${differing} other row(s) with the ids of LinOTP 2 audit rows (first id ${firstDiffering}): LinOTP 3 wrote them there; delete them (or use --truncate-audit) before the move`
    : undefined;
  return { rows, alreadyThere, collisions: differing, columns, conflict };
}

/** Copies the rows not yet there in one transaction on the audit database, then drops the main audit table. */
export async function applyAuditMove(main: Db, audit: Db, onRows?: (n: number) => void): Promise<{ moved: number; alreadyThere: number }> {
  const mt = await Tables.load(main);
  if (!mt.has('audit')) return { moved: 0, alreadyThere: 0 };
  const at = await Tables.load(audit);
  const columns = await commonColumns(main, mt, audit, at);
  let moved = 0;
  let alreadyThere = 0;
  await audit.transaction(async (tx) => {
    for await (const batch of batches(main, mt, columns)) {
      const there = await existing(tx, at, columns, batch.map((r) => Number(r.id)));
      const fresh = batch.filter((r) => !there.has(Number(r.id)));
      alreadyThere += batch.length - fresh.length;
      if (fresh.length) await tx.insertMany(at.stored('audit'), columns, fresh.map((r) => columns.map((c) => r[c] ?? null)));
      moved += fresh.length;
      onRows?.(fresh.length);
    }
    if (tx.engine === 'postgres') {
      // Explicit ids do not advance the SERIAL sequence: LinOTP's next audit row would collide.
      await tx.query(`SELECT setval(pg_get_serial_sequence(?, 'id'), GREATEST((SELECT COALESCE(MAX(${tx.dialect.quoteIdent('id')}), 0) FROM ${at.t('audit')}), 1))`, [at.t('audit')]);
    }
  });
  await main.execute(`DROP TABLE ${mt.t('audit')}`);
  return { moved, alreadyThere };
}
