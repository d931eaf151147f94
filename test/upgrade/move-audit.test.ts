/**
 * Issue 21 item 5: after `init database` the LinOTP 2 audit rows are where LinOTP 3.4 reads them — the
 * SQLite sibling `<file>_audit` (SHARED), or the AUDIT_DATABASE_URI database on every engine — and the
 * main database keeps no audit table LinOTP 3.4 would ignore. Resumable; rows LinOTP 3 wrote itself block.
 */
import { describe, expect, it } from 'vitest';
import { auditTarget } from '../../src/audit/location.js';
import { EncKey } from '../../src/crypto/enckey.js';
import { openDatabase } from '../../src/db/index.js';
import type { Db } from '../../src/db/types.js';
import { SAMPLE_ENC_KEY } from '../../src/fixtures/sample.js';
import { createTableStatements } from '../../src/schema/ddl.js';
import { getTable, LINOTP_3_4 } from '../../src/schema/tables.js';
import { applyUpgrade } from '../../src/upgrade/apply.js';
import { applyAuditMove } from '../../src/upgrade/move-audit.js';
import { planUpgrade } from '../../src/upgrade/plan.js';
import { createTestDatabase, describeEngines, type TestEngine } from '../helpers/db.js';
import { loadSample212 } from './sample-db.js';

const KEY = new EncKey(SAMPLE_ENC_KEY, 'sample key');

async function auditRows(db: Db): Promise<{ id: number; action: string; timestamp: string }[] | undefined> {
  if (!(await db.listTables()).some((t) => t.toLowerCase() === 'audit')) return undefined;
  const q = (c: string) => db.dialect.quoteIdent(c);
  const rows = await db.query<{ id: number; action: string; timestamp: string }>(`SELECT ${q('id')} AS id, ${q('action')} AS action, ${q('timestamp')} AS timestamp FROM audit ORDER BY ${q('id')}`);
  return rows.map((r) => ({ id: Number(r.id), action: r.action, timestamp: r.timestamp }));
}

/** The main database with the 2.12 sample, and the audit database LinOTP 3.4 would use for it. */
async function setup(engine: TestEngine, auditEngine: TestEngine) {
  const m = await createTestDatabase(engine, { charset: 'utf8' });
  const main = await openDatabase(m.url);
  await loadSample212(main);
  // SQLite + SHARED: the sibling file LinOTP 3.4 derives; otherwise a separate AUDIT_DATABASE_URI database.
  const target = auditTarget(engine === 'sqlite' && auditEngine === 'sqlite' ? 'SHARED' : undefined, m.url);
  let a: Awaited<ReturnType<typeof createTestDatabase>> | undefined;
  let auditUri: string;
  if (target.kind === 'separate') auditUri = target.uri;
  else {
    a = await createTestDatabase(auditEngine);
    auditUri = a.url;
  }
  const audit = await openDatabase(auditUri, { create: true });
  return {
    main,
    audit,
    auditUri,
    done: async () => {
      await audit.close();
      await main.close();
      await a?.drop();
      await m.drop();
    },
  };
}

describeEngines('init database moves the audit rows to where LinOTP 3.4 reads them', (engine) => {
  it(engine === 'sqlite' ? 'SQLite SHARED: into <file>_audit' : `AUDIT_DATABASE_URI = another ${engine} database`, async () => {
    const s = await setup(engine, engine);
    try {
      const before = await auditRows(s.main);
      expect(before!.length).toBe(4);
      const plan = await planUpgrade(s.main, { encKey: KEY, auditDb: s.audit });
      const mv = plan.actions.find((x) => x.id === 'move-audit')!;
      expect(mv.effects).toEqual({ auditRowsToMove: 4 });
      expect(plan.actions.map((x) => x.id).indexOf('move-audit')).toBe(plan.actions.map((x) => x.id).indexOf('create-audit') + 1);
      const r = await applyUpgrade(s.main, { encKey: KEY, auditDb: s.audit });
      expect(r.applied.find((x) => x.id === 'move-audit')!.result).toEqual({ moved: 4, alreadyThere: 0 });
      expect(await auditRows(s.audit)).toEqual(before);
      expect(await auditRows(s.main)).toBeUndefined();
      // LinOTP's next audit row gets a fresh id (PostgreSQL: the sequence was moved forward)
      const q = (c: string) => s.audit.dialect.quoteIdent(c);
      await s.audit.execute(`INSERT INTO audit (${q('timestamp')}, ${q('action')}) VALUES ('2026-01-01 00:00:00.000000', 'validate/check')`);
      expect((await auditRows(s.audit))!.at(-1)!.id).toBeGreaterThan(before!.at(-1)!.id);
      expect((await applyUpgrade(s.main, { encKey: KEY, auditDb: s.audit })).upToDate).toBe(true);
    } finally {
      await s.done();
    }
  });

  it('rows LinOTP 3 already wrote with the same ids block the upgrade before anything changes', async () => {
    const s = await setup(engine, engine);
    try {
      const q = (c: string) => s.audit.dialect.quoteIdent(c);
      await s.audit.transaction(async (tx) => {
        for (const sql of createTableStatements(getTable(LINOTP_3_4, 'audit'), s.audit.engine)) await tx.execute(sql);
      });
      await s.audit.execute(`INSERT INTO audit (${q('id')}, ${q('timestamp')}, ${q('action')}) VALUES (1, '2026-01-01 00:00:00.000000', 'admin/show')`);
      const plan = await planUpgrade(s.main, { encKey: KEY, auditDb: s.audit });
      expect(plan.blockers.join('\n')).toMatch(/already holds 1 other row\(s\) with the ids of LinOTP 2 audit rows \(first id 1\)/);
      await expect(applyUpgrade(s.main, { encKey: KEY, auditDb: s.audit })).rejects.toThrow(/already holds 1 other row/);
      expect((await auditRows(s.main))!.length).toBe(4);
      // --truncate-audit deletes every row anyway: no conflict, nothing left on either side
      const tplan = await planUpgrade(s.main, { encKey: KEY, auditDb: s.audit, truncateAudit: true });
      expect(tplan.blockers).toEqual([]);
      expect(tplan.actions.find((x) => x.id === 'truncate-audit')!.effects).toEqual({ auditRowsToDelete: 4 });
      const r = await applyUpgrade(s.main, { encKey: KEY, auditDb: s.audit, truncateAudit: true });
      expect(r.applied.find((x) => x.id === 'truncate-audit')!.result.auditRowsDeleted).toBe(4);
      expect(await auditRows(s.audit)).toEqual([]);
      expect(await auditRows(s.main)).toBeUndefined();
    } finally {
      await s.done();
    }
  });
});

describeEngines(
  'the move across engines (a MariaDB LinOTP 2 restored into SQLite, audit on PostgreSQL)',
  (engine) => {
    it(`main ${engine}, audit on postgres`, async () => {
      const s = await setup(engine, 'postgres');
      try {
        const before = await auditRows(s.main);
        await applyUpgrade(s.main, { encKey: KEY, auditDb: s.audit });
        expect(await auditRows(s.audit)).toEqual(before);
        expect(await auditRows(s.main)).toBeUndefined();
      } finally {
        await s.done();
      }
    });
  },
  ['sqlite', 'mysql'],
);

describe('applyAuditMove on an interrupted move', () => {
  it('ids already copied with the same content are skipped, then the main table is dropped', async () => {
    const m = await createTestDatabase('sqlite');
    const a = await createTestDatabase('sqlite');
    const main = await openDatabase(m.url);
    const audit = await openDatabase(a.url);
    try {
      await loadSample212(main);
      await applyUpgrade(audit, {}); // a LinOTP 3.4 database with an empty audit table
      // the interrupted run: two of the four rows made it
      const rows = await main.query<Record<string, string | number | null>>('SELECT * FROM audit ORDER BY id');
      const cols = Object.keys(rows[0]);
      await audit.insertMany('audit', cols, rows.slice(0, 2).map((r) => cols.map((c) => r[c])));
      const plan = await planUpgrade(main, { encKey: KEY, auditDb: audit });
      expect(plan.actions.find((x) => x.id === 'move-audit')!.effects).toEqual({ auditRowsToMove: 2, auditRowsAlreadyThere: 2 });
      expect(await applyAuditMove(main, audit)).toEqual({ moved: 2, alreadyThere: 2 });
      expect((await auditRows(audit))!.map((r) => r.id)).toEqual(rows.map((r) => Number(r.id)));
      expect(await auditRows(main)).toBeUndefined();
    } finally {
      await audit.close();
      await main.close();
      await a.drop();
      await m.drop();
    }
  });
});

describe('--erase-all-data with a separate audit database', () => {
  it('drops its audit table too, as LinOTP\'s drop_all does over every bind, and creates it empty', async () => {
    const s = await setup('sqlite', 'sqlite');
    try {
      await applyUpgrade(s.main, { encKey: KEY, auditDb: s.audit });
      expect((await auditRows(s.audit))!.length).toBe(4);
      const plan = await planUpgrade(s.main, { eraseAllData: true, auditDb: s.audit });
      expect(plan.actions.map((a) => a.id).slice(0, 3)).toEqual(['erase', 'create-tables', 'create-audit']);
      await applyUpgrade(s.main, { eraseAllData: true, auditDb: s.audit });
      expect(await auditRows(s.audit)).toEqual([]);
    } finally {
      await s.done();
    }
  });
});
