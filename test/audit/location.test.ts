import { describe, expect, it } from 'vitest';
import { auditTarget } from '../../src/upgrade/audit-target.js';

describe('auditTarget (LinOTP 3.4 setup_db)', () => {
  it('OFF, SHARED, explicit URL', () => {
    expect(auditTarget('OFF', 'mysql://u@h/db')).toEqual({ kind: 'off' });
    expect(auditTarget(undefined, 'mysql://u@h/db')).toEqual({ kind: 'main' });
    expect(auditTarget('SHARED', 'postgresql://u@h/db')).toEqual({ kind: 'main' });
    expect(auditTarget('mysql://u@h/audit', 'mysql://u@h/db')).toEqual({ kind: 'separate', uri: 'mysql://u@h/audit' });
  });
  it('a shared SQLite file becomes <file>_audit, in-memory stays shared', () => {
    expect(auditTarget('SHARED', 'sqlite:////var/lib/linotp/linotp.db')).toEqual({ kind: 'separate', uri: 'sqlite:////var/lib/linotp/linotp.db_audit' });
    expect(auditTarget('sqlite:////x.db', 'sqlite:////x.db')).toEqual({ kind: 'separate', uri: 'sqlite:////x.db_audit' });
    expect(auditTarget('SHARED', 'sqlite://')).toEqual({ kind: 'main' });
    expect(auditTarget('SHARED', 'sqlite:///:memory:')).toEqual({ kind: 'main' });
  });
});
