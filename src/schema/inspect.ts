/**
 * Compares a live database with a schema model through Db introspection: which tables, columns and
 * indexes are missing or different. Used by the upgrade (what to create), verify and the tests.
 *
 * Column order is never compared (upgraded databases have appended columns, tables.ts).
 */
import type { ColumnInfo, Db, Engine, IndexInfo } from '../db/types.js';
import type { ColumnDef, LogicalType, SchemaModel, TableDef } from './tables.js';

export type IssueKind =
  | 'missing-table'
  | 'missing-column'
  | 'extra-column'
  | 'type'
  | 'length'
  | 'nullability'
  | 'missing-index'
  | 'index-differs'
  | 'missing-unique';

export interface SchemaIssue {
  table: string;
  column?: string;
  index?: string;
  kind: IssueKind;
  /** error: LinOTP will misbehave; warning: works, but differs from what LinOTP creates. */
  severity: 'error' | 'warning';
  detail: string;
}

export interface CompareOptions {
  /** Also require optional tables (imported_user in 2.12, admin_users). Default: only when present. */
  requireOptional?: boolean;
  /** Require the audit table (default true: 3.4 `init database` creates it in the shared database). */
  requireAudit?: boolean;
  /** Require 3.4's admin_users (`presence: 'tools'`; default false: only when the settings say it is created). */
  requireAdminUsers?: boolean;
}

/** Accepted introspected type names (lower case, without length) per logical type and engine. */
const TYPE_NAMES: Record<Engine, Record<LogicalType['kind'], string[]>> = {
  mysql: { int: ['int', 'integer'], string: ['varchar'], boolean: ['tinyint', 'bool', 'boolean'], datetime: ['datetime'], binary: ['blob'], text: ['text', 'mediumtext', 'longtext'] },
  postgres: { int: ['integer', 'int4'], string: ['character varying', 'varchar'], boolean: ['boolean', 'bool'], datetime: ['timestamp without time zone', 'timestamp'], binary: ['bytea'], text: ['text'] },
  sqlite: { int: ['integer', 'int'], string: ['varchar'], boolean: ['boolean'], datetime: ['datetime'], binary: ['blob'], text: ['text'] },
};

export function typeMatches(def: LogicalType, info: ColumnInfo, engine: Engine): boolean {
  const base = info.dataType.toLowerCase().replace(/\s*\(.*\)\s*$/, '').trim();
  return TYPE_NAMES[engine][def.kind].includes(base);
}

/** Declared length: ColumnInfo.maxLength, else parsed from a `varchar(80)` type name (SQLite). */
export function declaredLength(info: ColumnInfo): number | undefined {
  if (info.maxLength !== undefined) return info.maxLength;
  const m = /\((\d+)\)/.exec(info.dataType);
  return m ? Number(m[1]) : undefined;
}

export function compareColumns(table: TableDef, actual: ColumnInfo[], engine: Engine): SchemaIssue[] {
  const issues: SchemaIssue[] = [];
  const byName = new Map(actual.map((c) => [c.name, c]));
  for (const def of table.columns) {
    const info = byName.get(def.name);
    if (!info) {
      issues.push({ table: table.name, column: def.name, kind: 'missing-column', severity: 'error', detail: `column ${table.name}.${def.name} is missing` });
      continue;
    }
    issues.push(...compareColumn(table.name, def, info, engine));
  }
  const known = new Set(table.columns.map((c) => c.name));
  for (const c of actual) {
    if (!known.has(c.name)) {
      issues.push({ table: table.name, column: c.name, kind: 'extra-column', severity: 'warning', detail: `column ${table.name}.${c.name} is not part of the LinOTP model` });
    }
  }
  return issues;
}

function compareColumn(table: string, def: ColumnDef, info: ColumnInfo, engine: Engine): SchemaIssue[] {
  const out: SchemaIssue[] = [];
  const at = `${table}.${def.name}`;
  if (!typeMatches(def.type, info, engine)) {
    out.push({ table, column: def.name, kind: 'type', severity: 'error', detail: `${at} is ${info.dataType}, LinOTP expects ${def.type.kind}` });
  } else if (def.type.kind === 'string') {
    const len = declaredLength(info);
    if (len !== undefined && len !== def.type.length) {
      // Longer is harmless (e.g. the optional 2.x Alembic revision widens Config.Value to 3000).
      out.push({
        table,
        column: def.name,
        kind: 'length',
        severity: len < def.type.length ? 'error' : 'warning',
        detail: `${at} holds ${len} characters, LinOTP declares ${def.type.length}`,
      });
    }
  }
  if (def.nullable && !info.nullable && !def.primaryKey) {
    out.push({ table, column: def.name, kind: 'nullability', severity: 'error', detail: `${at} is NOT NULL, but LinOTP writes NULL into it` });
  } else if (!def.nullable && info.nullable && engine !== 'sqlite') {
    // SQLite reports PK columns of rowid tables as nullable; elsewhere a nullable PK/unique key is only lax.
    out.push({ table, column: def.name, kind: 'nullability', severity: 'warning', detail: `${at} allows NULL, LinOTP declares NOT NULL` });
  }
  return out;
}

export function compareIndexes(table: TableDef, actual: IndexInfo[]): SchemaIssue[] {
  const issues: SchemaIssue[] = [];
  const same = (a: string[], b: string[]) => a.length === b.length && a.every((x, i) => x === b[i]);
  for (const ix of table.indexes) {
    const found = actual.find((a) => a.name.toLowerCase() === ix.name.toLowerCase());
    if (!found) {
      // A unique index under another name still enforces what LinOTP relies on.
      const equivalent = actual.find((a) => same(a.columns, ix.columns) && a.unique === ix.unique);
      issues.push({
        table: table.name,
        index: ix.name,
        kind: 'missing-index',
        severity: ix.unique && !equivalent ? 'error' : 'warning',
        detail: `index ${ix.name} is missing${equivalent ? ` (${equivalent.name} covers it)` : ''}`,
      });
    } else if (!same(found.columns, ix.columns) || found.unique !== ix.unique) {
      issues.push({
        table: table.name,
        index: ix.name,
        kind: 'index-differs',
        severity: ix.unique && !found.unique ? 'error' : 'warning',
        detail: `index ${ix.name} is ${found.unique ? 'UNIQUE ' : ''}(${found.columns.join(', ')}), LinOTP creates ${ix.unique ? 'UNIQUE ' : ''}(${ix.columns.join(', ')})`,
      });
    }
  }
  for (const u of table.uniques) {
    if (!actual.some((a) => a.unique && same(a.columns, u.columns))) {
      issues.push({ table: table.name, kind: 'missing-unique', severity: 'error', detail: `UNIQUE (${u.columns.join(', ')}) on ${table.name} is missing` });
    }
  }
  return issues;
}

export interface SchemaComparison {
  /** Model tables that exist, mapped to the name as stored (case may differ on MySQL). */
  present: Record<string, string>;
  /** Model tables that are absent and required. */
  missing: string[];
  /** Optional model tables that are absent (fine). */
  absentOptional: string[];
  /** Tables in the database that the model does not know (ocra in 3.4, openid_*, other apps). */
  foreign: string[];
  issues: SchemaIssue[];
}

export async function compareToModel(db: Db, model: SchemaModel, opts: CompareOptions = {}): Promise<SchemaComparison> {
  const tables = await db.listTables();
  const byLower = new Map(tables.map((t) => [t.toLowerCase(), t]));
  const result: SchemaComparison = { present: {}, missing: [], absentOptional: [], foreign: [], issues: [] };
  for (const t of model.tables) {
    const stored = byLower.get(t.name.toLowerCase());
    if (!stored) {
      const required =
        t.presence === 'always' || (t.presence === 'audit' && opts.requireAudit !== false) || (t.presence === 'tools' && opts.requireAdminUsers) || opts.requireOptional;
      if (required) {
        result.missing.push(t.name);
        result.issues.push({ table: t.name, kind: 'missing-table', severity: 'error', detail: `table ${t.name} is missing` });
      } else result.absentOptional.push(t.name);
      continue;
    }
    result.present[t.name] = stored;
    result.issues.push(...compareColumns(t, await db.listColumns(stored), db.engine));
    result.issues.push(...compareIndexes(t, await db.listIndexes(stored)));
  }
  const known = new Set(model.tables.map((t) => t.name.toLowerCase()));
  result.foreign = tables.filter((t) => !known.has(t.toLowerCase()));
  return result;
}
