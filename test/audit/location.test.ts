import { describe, expect, it } from 'vitest';
import { auditLocation, auditTarget } from '../../src/audit/location.js';

describe('auditTarget (LinOTP 3.4 setup_db)', () => {
  it('OFF, SHARED, explicit URL', () => {
    expect(auditTarget('OFF', 'mysql://u@h/db')).toEqual({ kind: 'off' });
    expect(auditTarget(undefined, 'mysql://u@h/db')).toEqual({ kind: 'main' });
    expect(auditTarget('SHARED', 'postgresql://u@h/db')).toEqual({ kind: 'main' });
    expect(auditTarget('mysql://u@h/audit', 'mysql://u@h/db')).toEqual({ kind: 'separate', uri: 'mysql://u@h/audit' });
    // LinOTP compares the strings: the same server spelt differently is a second bind to the same database
    expect(auditTarget('postgresql://u@h/db', 'postgresql://u@h/db')).toEqual({ kind: 'main' });
  });
  it('a shared SQLite file becomes <file>_audit, in-memory stays shared (SQLAlchemy 1.3 URL.database)', () => {
    expect(auditTarget('SHARED', 'sqlite:////var/lib/linotp/linotp.db')).toEqual({ kind: 'separate', uri: 'sqlite:////var/lib/linotp/linotp.db_audit' });
    expect(auditTarget('sqlite:////x.db', 'sqlite:////x.db')).toEqual({ kind: 'separate', uri: 'sqlite:////x.db_audit' });
    expect(auditTarget('SHARED', 'sqlite://')).toEqual({ kind: 'main' });
    expect(auditTarget('SHARED', 'sqlite:///:memory:')).toEqual({ kind: 'main' });
    // database '' is not None: LinOTP appends the suffix (a file named _audit)
    expect(auditTarget('SHARED', 'sqlite:///')).toEqual({ kind: 'separate', uri: 'sqlite:///_audit' });
    // the suffix goes on the URL string, after a query
    expect(auditTarget('SHARED', 'sqlite:////x.db?timeout=5')).toEqual({ kind: 'separate', uri: 'sqlite:////x.db?timeout=5_audit' });
    // another SQLite file: used as given
    expect(auditTarget('sqlite:////audit.db', 'sqlite:////x.db')).toEqual({ kind: 'separate', uri: 'sqlite:////audit.db' });
    // not trimmed: LinOTP would take ' OFF' as a URL
    expect(auditTarget(' OFF', 'mysql://u@h/db')).toEqual({ kind: 'separate', uri: ' OFF' });
  });
  it('auditLocation names the source and the place', () => {
    const s = (v?: string) => ({ resolved: (n: string) => (n === 'AUDIT_DATABASE_URI' && v !== undefined ? { value: v, source: '/etc/linotp/x.cfg:1' } : undefined) });
    expect(auditLocation(s(), 'sqlite:////var/lib/linotp/l.db')).toEqual({ target: { kind: 'separate', uri: 'sqlite:////var/lib/linotp/l.db_audit' }, source: 'default', description: 'the SQLite file /var/lib/linotp/l.db_audit' });
    expect(auditLocation(s('OFF'), 'mysql://u@h/db').description).toBe('nowhere (AUDIT_DATABASE_URI = OFF)');
    expect(auditLocation(s('SHARED'), 'mysql://u@h/db')).toMatchObject({ target: { kind: 'main' }, source: '/etc/linotp/x.cfg:1' });
  });
});
