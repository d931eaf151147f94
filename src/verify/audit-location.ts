/**
 * verify: is the audit table where LinOTP 3.4 reads it (src/audit/location.ts)? LinOTP 3.4 refuses to
 * start when the table is missing there ("Audit database schema must be initialised"), and audit rows
 * left in the main database while it reads another are invisible in /manage (issue 21 item 5).
 */
import type { AuditLocation } from '../audit/location.js';
import { findAuditTable } from '../audit/table.js';
import type { Db } from '../db/types.js';
import type { CheckResult } from './types.js';

async function rows(db: Db, table: string): Promise<number> {
  return Number((await db.query(`SELECT COUNT(*) AS n FROM ${db.dialect.quoteIdent(table)}`))[0].n);
}

/** `auditDb`: the opened separate audit database (undefined when it does not exist yet). */
export async function auditLocationCheck(main: Db, location: AuditLocation, auditDb: Db | undefined): Promise<CheckResult> {
  const base = { id: 'audit-location', title: 'audit table where LinOTP 3.4 reads it' };
  const where = `${location.description} (AUDIT_DATABASE_URI from ${location.source})`;
  const inMain = await findAuditTable(main);
  const mainRows = inMain ? await rows(main, inMain) : 0;
  if (location.target.kind === 'off') {
    return mainRows
      ? { ...base, status: 'warn', summary: `AUDIT_DATABASE_URI = OFF (${location.source}): LinOTP 3.4 shows none of the ${mainRows} audit rows in the main database`, hint: "set AUDIT_DATABASE_URI = 'SHARED' to keep the audit trail" }
      : { ...base, status: 'pass', summary: `no audit trail (AUDIT_DATABASE_URI = OFF, ${location.source})` };
  }
  if (location.target.kind === 'main') {
    return inMain
      ? { ...base, status: 'pass', summary: `${mainRows} audit rows in the main database (AUDIT_DATABASE_URI from ${location.source})` }
      : { ...base, status: 'fail', summary: `no audit table in the main database, where LinOTP 3.4 reads it (AUDIT_DATABASE_URI from ${location.source}): LinOTP 3.4 refuses to start`, hint: 'run `linotp-migrate init database`' };
  }
  const inAudit = auditDb ? await findAuditTable(auditDb) : undefined;
  if (!inAudit) {
    return {
      ...base,
      status: 'fail',
      summary: `no audit table in ${where}: LinOTP 3.4 refuses to start${mainRows ? `, and the ${mainRows} audit rows in the main database are not read there` : ''}`,
      hint: 'run `linotp-migrate init database` (it creates the table and moves the rows)',
    };
  }
  const n = await rows(auditDb!, inAudit);
  if (mainRows) {
    return {
      ...base,
      status: 'fail',
      summary: `${mainRows} audit rows are in the main database, which LinOTP 3.4 does not read; it reads ${where} (${n} rows)`,
      failed: mainRows,
      hint: 'run `linotp-migrate init database` (it moves them)',
    };
  }
  return { ...base, status: 'pass', summary: `${n} audit rows in ${where}` };
}
