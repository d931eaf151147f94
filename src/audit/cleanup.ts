/**
 * `audit cleanup` as LinOTP 3.4's (`linotp audit cleanup`, branch-v3.4 linotp/cli/audit_cmd.py),
 * on every engine through src/db:
 * - by count: when more than --cleanup-threshold rows (default --max-entries-to-keep, 5000) are
 *   there, delete the rows with `id <= max(id) - max-entries-to-keep`;
 * - by age (--delete-after-days N, exclusive with the others): delete the rows with
 *   `id <= max(id) WHERE timestamp < <start of today UTC - N days, ISO with ms>` — a string
 *   comparison, as LinOTP's;
 * - --export first writes them to `SQLAuditExport.<BACKUP_FILE_TIME_FORMAT>.<delete_from>.csv`
 *   in LinOTP's format: the model's column names joined by "; ", rows by descending id, ints raw,
 *   strings in "…" (no escaping, as LinOTP), NULL empty.
 * Better than LinOTP: the rows are streamed (LinOTP loads them all), the export is written to a
 * temporary file, fsynced and renamed before anything is deleted, and removed again when the
 * delete fails; the plan (--plan) shows exactly what would go.
 */
import * as fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { InputError, UsageError } from '../errors.js';
import type { Db, SqlValue } from '../db/types.js';
import { strftime } from '../settings/strftime.js';
import { requireAuditTable, toCount, type ProgressSink } from './table.js';

/** LinOTP 3.4's AuditTable columns in model order (the export header). */
export const AUDIT_COLUMNS = ['id', 'timestamp', 'signature', 'action', 'success', 'serial', 'tokentype', 'user', 'realm', 'administrator', 'action_detail', 'info', 'linotp_server', 'client', 'log_level', 'clearance_level'];

export const DEFAULT_MAX_ENTRIES_TO_KEEP = 5000;

export interface CleanupOptions {
  maxEntriesToKeep?: number;
  cleanupThreshold?: number;
  deleteAfterDays?: number;
  /** Directory to export into; undefined = no export. */
  exportDir?: string;
  /** BACKUP_FILE_TIME_FORMAT. */
  timeFormat: string;
  table: string;
  now?: Date;
}

/** Checks the option combination as LinOTP does, with the defaults filled in. */
export function cleanupLimits(o: Pick<CleanupOptions, 'maxEntriesToKeep' | 'cleanupThreshold' | 'deleteAfterDays'>) {
  for (const [name, v] of [['--max-entries-to-keep', o.maxEntriesToKeep], ['--cleanup-threshold', o.cleanupThreshold], ['--delete-after-days', o.deleteAfterDays]] as const) {
    if (v !== undefined && (!Number.isSafeInteger(v) || v < 0)) throw new UsageError(`${name} must be a whole number ≥ 0, not ${v}`);
  }
  // LinOTP tests truthiness: a 0 given with --delete-after-days counts as not given.
  if (o.deleteAfterDays !== undefined && (o.cleanupThreshold || o.maxEntriesToKeep)) {
    throw new UsageError('`--delete-after-days` can not be used alongside `--max-entries-to-keep` or `--cleanup-threshold`', 'clean up either by age or by count');
  }
  if (o.deleteAfterDays !== undefined) return { deleteAfterDays: o.deleteAfterDays };
  const keep = o.maxEntriesToKeep ?? DEFAULT_MAX_ENTRIES_TO_KEEP;
  const threshold = o.cleanupThreshold ?? keep;
  if (!(keep <= threshold)) throw new UsageError('--cleanup-threshold must be greater than or equal to --max-entries-to-keep', `e.g. --max-entries-to-keep ${keep} --cleanup-threshold ${keep * 2}`);
  return { maxEntriesToKeep: keep, cleanupThreshold: threshold };
}

export interface CleanupPlan {
  table: string;
  total: number;
  firstId: number | null;
  lastId: number | null;
  maxEntriesToKeep?: number;
  cleanupThreshold?: number;
  deleteAfterDays?: number;
  /** ISO cutoff of --delete-after-days. */
  cutoff?: string;
  /** Rows with id <= deleteFrom go; 0 = nothing to do. */
  deleteFrom: number;
  toDelete: number;
  exportFile?: string;
}

const num = (v: SqlValue | undefined) => (v === null || v === undefined ? null : Number(v));

export async function planCleanup(db: Db, o: CleanupOptions): Promise<CleanupPlan> {
  const limits = cleanupLimits(o);
  const table = await requireAuditTable(db, o.table);
  const q = db.dialect.quoteIdent;
  const t = q(table);
  const [agg] = await db.query(`SELECT COUNT(${q('id')}) AS n, MIN(${q('id')}) AS lo, MAX(${q('id')}) AS hi FROM ${t}`);
  const total = toCount(agg?.n);
  const lastId = num(agg?.hi);
  const plan: CleanupPlan = { table, total, firstId: num(agg?.lo), lastId, ...limits, deleteFrom: 0, toDelete: 0 };
  if (limits.deleteAfterDays !== undefined) {
    const now = o.now ?? new Date();
    const cutoff = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()) - limits.deleteAfterDays * 86400000);
    plan.cutoff = cutoff.toISOString().replace('Z', '+00:00');
    const [r] = await db.query(`SELECT MAX(${q('id')}) AS hi FROM ${t} WHERE ${q('timestamp')} < ?`, [plan.cutoff]);
    plan.deleteFrom = num(r?.hi) ?? 0;
  } else if (total > limits.cleanupThreshold! && lastId !== null) {
    plan.deleteFrom = lastId - limits.maxEntriesToKeep!;
  }
  if (plan.deleteFrom > 0) {
    const [c] = await db.query(`SELECT COUNT(*) AS n FROM ${t} WHERE ${q('id')} <= ?`, [plan.deleteFrom]);
    plan.toDelete = toCount(c?.n);
    if (o.exportDir) plan.exportFile = path.join(path.resolve(o.exportDir), `SQLAuditExport.${strftime(o.timeFormat, o.now ?? new Date())}.${plan.deleteFrom}.csv`);
  }
  return plan;
}

export interface CleanupResult extends CleanupPlan {
  deleted: number;
  left: number;
  exported?: number;
  seconds: number;
}

/** One export value as LinOTP's SQLJanitor.export_data writes it. */
export function exportValue(v: SqlValue): string {
  if (v === null) return '';
  if (typeof v === 'number' && Number.isInteger(v)) return String(v);
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'boolean') return v ? '1' : '0';
  if (typeof v === 'string') return `"${v}"`;
  return '?';
}

export async function applyCleanup(db: Db, plan: CleanupPlan, progress?: ProgressSink): Promise<CleanupResult> {
  const started = Date.now();
  if (plan.deleteFrom <= 0) return { ...plan, deleted: 0, left: plan.total, seconds: 0 };
  const q = db.dialect.quoteIdent;
  const t = q(plan.table);
  return db.withLock('audit-cleanup', async () => {
    let exported: number | undefined;
    if (plan.exportFile) {
      const columns = await db.listColumns(plan.table);
      const missing = AUDIT_COLUMNS.filter((c) => !columns.some((x) => x.name === c));
      if (missing.length) throw new InputError(`the audit table ${plan.table} lacks the column(s) ${missing.join(', ')} of LinOTP 3.4's audit model`, 'run init database first, or clean up without --export');
      progress?.setTotal?.(plan.toDelete);
      exported = await writeExport(db, plan, progress);
    }
    let deleted: number;
    try {
      deleted = await db.execute(`DELETE FROM ${t} WHERE ${q('id')} <= ?`, [plan.deleteFrom]);
    } catch (e) {
      if (plan.exportFile) fs.rmSync(plan.exportFile, { force: true }); // nothing was deleted: no export of rows still there
      throw e;
    }
    progress?.finish?.();
    return { ...plan, deleted, left: plan.total - deleted, ...(exported !== undefined ? { exported } : {}), seconds: Math.floor((Date.now() - started) / 1000) };
  });
}

async function writeExport(db: Db, plan: CleanupPlan, progress?: ProgressSink): Promise<number> {
  const file = plan.exportFile!;
  const q = db.dialect.quoteIdent;
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  let fd: number;
  try {
    fd = fs.openSync(tmp, 'wx', 0o640);
  } catch (e) {
    throw new InputError(`cannot write the audit export into ${path.dirname(file)}: ${(e as NodeJS.ErrnoException).code ?? e}; nothing was deleted`, 'give a writable directory with --exportdir');
  }
  let rows = 0;
  try {
    fs.writeSync(fd, AUDIT_COLUMNS.join('; ') + '\n');
    const sql = `SELECT ${AUDIT_COLUMNS.map(q).join(', ')} FROM ${q(plan.table)} WHERE ${q('id')} <= ? ORDER BY ${q('id')} DESC`;
    for await (const batch of db.stream(sql, [plan.deleteFrom], { batchSize: 5000 })) {
      fs.writeSync(fd, batch.map((r) => AUDIT_COLUMNS.map((c) => exportValue(r[c])).join('; ') + '\n').join(''));
      rows += batch.length;
      progress?.tick(batch.length);
    }
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fs.renameSync(tmp, file);
  } catch (e) {
    try {
      fs.closeSync(fd);
    } catch {
      /* closed */
    }
    fs.rmSync(tmp, { force: true });
    if (e instanceof InputError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code) throw new InputError(`cannot write the audit export ${file}: ${code}; nothing was deleted`, 'check the free space and permissions of --exportdir');
    throw e;
  }
  return rows;
}
