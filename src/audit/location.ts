/**
 * Where LinOTP 3.4 keeps its audit table (branch-v3.4 `linotp/model/__init__.py` `setup_db`):
 * AUDIT_DATABASE_URI `OFF` = nowhere, `SHARED` (default) = the main database — except SQLite, where
 * a shared file would lock, so LinOTP appends `_audit` to the URL and uses a sibling file.
 */
export type AuditTarget = { kind: 'off' } | { kind: 'main' } | { kind: 'separate'; uri: string };

export function auditTarget(auditSetting: string | undefined, databaseUri: string): AuditTarget {
  const setting = (auditSetting ?? 'SHARED').trim();
  if (setting === 'OFF') return { kind: 'off' };
  const uri = setting === 'SHARED' ? databaseUri : setting;
  if (uri.startsWith('sqlite') && uri === databaseUri) {
    // LinOTP skips the suffix only for in-memory databases.
    const memory = /^sqlite[^:]*:\/\/\/?(:memory:)?$/.test(uri) || uri.endsWith(':memory:');
    return memory ? { kind: 'main' } : { kind: 'separate', uri: uri + '_audit' };
  }
  return uri === databaseUri ? { kind: 'main' } : { kind: 'separate', uri };
}
