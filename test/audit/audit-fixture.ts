/** A LinOTP 2 audit table for tests, created from the 2.12 model in src/schema. */
import type { Db, SqlValue } from '../../src/db/types.js';
import { createTableStatements } from '../../src/schema/ddl.js';
import { LINOTP_2_12, getTable } from '../../src/schema/tables.js';

export const AUDIT_COLUMNS = [
  'id', 'timestamp', 'signature', 'action', 'success', 'serial', 'tokentype', 'user', 'realm',
  'administrator', 'action_detail', 'info', 'linotp_server', 'client', 'log_level', 'clearance_level',
] as const;

export type AuditRow = Record<(typeof AUDIT_COLUMNS)[number], SqlValue>;

export async function createLinotp2AuditTable(db: Db, table = 'audit'): Promise<void> {
  const def = { ...getTable(LINOTP_2_12, 'audit') };
  const stmts = createTableStatements({ ...def, name: table, indexes: table === 'audit' ? def.indexes : [] }, db.engine);
  for (const sql of stmts) await db.execute(sql);
}

/** A plausible LinOTP 2 row (validate/check or admin/init) with the given id and timestamp. */
export function auditRow(id: number, timestamp: string | null, extra: Partial<AuditRow> = {}): AuditRow {
  const admin = id % 5 === 0;
  return {
    id,
    timestamp,
    signature: '',
    action: admin ? 'admin/init' : 'validate/check',
    success: id % 3 === 0 ? '0' : '1',
    serial: `LSSP${String(id % 97).padStart(6, '0')}`,
    tokentype: admin ? 'HMAC' : 'spass',
    user: id % 11 === 0 ? 'jürgen' : `user${id % 13}`,
    realm: 'mydefrealm',
    administrator: admin ? 'admin' : '',
    action_detail: admin ? 'serial=LSSP01, tokentype=hmac' : '',
    info: id % 3 === 0 ? 'wrong otp value' : '',
    linotp_server: 'linotp2.example.com',
    client: id % 7 === 0 ? '' : '192.168.1.10',
    log_level: 'INFO',
    clearance_level: 0,
    ...extra,
  };
}

export async function insertAuditRows(db: Db, rows: AuditRow[], table = 'audit'): Promise<void> {
  for (let i = 0; i < rows.length; i += 2000) {
    const chunk = rows.slice(i, i + 2000).map((r) => AUDIT_COLUMNS.map((c) => r[c]));
    await db.insertMany(table, [...AUDIT_COLUMNS], chunk);
  }
}
