/**
 * Where LinOTP 3.4 reads and writes its audit table — the one answer every command uses (restore, init
 * database, audit to-utc, verify, rehearse). branch-v3.4 `linotp/model/__init__.py` `setup_db`:
 * - `AUDIT_DATABASE_URI = 'OFF'`: no audit trail (no bind, no table);
 * - `'SHARED'` (the default): the main `DATABASE_URI` …
 * - … except SQLite: when the audit URL (after SHARED) is the very same string as DATABASE_URI and
 *   SQLAlchemy's URL names a database (not None, not `:memory:`), LinOTP appends `_audit` to the URL
 *   string — the sibling file `<database file>_audit` (a query string stays in front of the suffix);
 * - any other value: that URL (the `auditdb` bind). LinOTP compares exactly, without trimming.
 * LinOTP refuses to start (`Audit database schema must be initialised`) when the table is missing there.
 */
import { parseDbUrl } from '../db/url.js';
import type { PyValue } from '../settings/pyvalue.js';

export type AuditTarget = { kind: 'off' } | { kind: 'main' } | { kind: 'separate'; uri: string };

/** SQLAlchemy 1.3 `make_url(...).database` is None or ':memory:' (then LinOTP adds no suffix). */
function sqliteInMemory(uri: string): boolean {
  const m = /^[\w+]+:\/\/(?:[^:/]*(?::.*)?@)?(?:\[[^/]+\]|[^/:]+)?(?::[^/]*)?(?:\/(.*))?$/s.exec(uri);
  if (!m) return false;
  if (m[1] === undefined) return true;
  return m[1].split('?')[0] === ':memory:';
}

export function auditTarget(auditSetting: string | undefined, databaseUri: string): AuditTarget {
  const setting = auditSetting ?? 'SHARED';
  if (setting === 'OFF') return { kind: 'off' };
  const uri = setting === 'SHARED' ? databaseUri : setting;
  if (uri.startsWith('sqlite') && uri === databaseUri) {
    return sqliteInMemory(uri) ? { kind: 'main' } : { kind: 'separate', uri: uri + '_audit' };
  }
  return uri === databaseUri ? { kind: 'main' } : { kind: 'separate', uri };
}

export interface AuditLocation {
  target: AuditTarget;
  /** Where AUDIT_DATABASE_URI came from (`default`, `/etc/linotp/conf.d/…:3`, `env …`). */
  source: string;
  /** For messages: `the main database`, `sqlite:////var/lib/linotp/linotp.db_audit`, `nowhere (AUDIT_DATABASE_URI = OFF)`. */
  description: string;
}

/** The audit location from effective LinOTP 3 settings (config show's loader) and the main database URL. */
export function auditLocation(settings: { resolved(name: string): { value: PyValue; source: string } | undefined }, databaseUri: string): AuditLocation {
  const r = settings.resolved('AUDIT_DATABASE_URI');
  const target = auditTarget(typeof r?.value === 'string' ? r.value : undefined, databaseUri);
  const source = r?.source ?? 'default';
  let description = 'the main database';
  if (target.kind === 'off') description = 'nowhere (AUDIT_DATABASE_URI = OFF)';
  else if (target.kind === 'separate') {
    try {
      const u = parseDbUrl(target.uri);
      description = u.engine === 'sqlite' ? `the SQLite file ${u.database}` : `the database ${u.database} on ${u.host ?? 'localhost'}`;
    } catch {
      description = 'a separate database (AUDIT_DATABASE_URI)';
    }
  }
  return { target, source, description };
}

/**
 * Opens the audit database of a `separate` location. A SQLite file that does not exist is not created
 * (`undefined`): read-only callers (verify, plans) must not leave an empty file behind.
 */
export async function openAuditDatabase(target: AuditTarget, opts: { create?: boolean; cwd?: string } = {}): Promise<import('../db/types.js').Db | undefined> {
  if (target.kind !== 'separate') return undefined;
  const { openDatabase } = await import('../db/index.js');
  const { existsSync } = await import('node:fs');
  const path = await import('node:path');
  const u = parseDbUrl(target.uri);
  if (!opts.create && u.engine === 'sqlite' && !existsSync(path.resolve(opts.cwd ?? process.cwd(), u.database))) return undefined;
  return openDatabase(u, { create: Boolean(opts.create) });
}
