/**
 * Crash safety of `admin fix-db-encoding`: killed with SIGKILL in the middle of a run, every value is
 * either its old (double-encoded) or its repaired form; a second run finishes the job exactly.
 */
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/index.js';
import type { Db } from '../../src/db/types.js';
import { doubleEncode } from '../../src/encoding/mysql-latin1.js';
import { buildInstallation } from '../../src/fixtures/installation.js';
import { writeInstallation } from '../../src/fixtures/write.js';
import { primaryKeyColumns } from '../../src/schema/tables.js';
import { createTestDatabase, describeEngines } from '../helpers/db.js';
import { BIN, ensureBuilt, ROOT } from './global-setup.js';

beforeAll(() => ensureBuilt(), 180_000);
const inst = buildInstallation({ tokens: 300, auditRows: 6000 });

/** Per table: how many text values are old / repaired / something else. */
async function census(db: Db) {
  const q = db.dialect.quoteIdent;
  const out = { old: 0, repaired: 0, other: [] as string[] };
  for (const t of inst.tables) {
    const pk = primaryKeyColumns(t.def);
    const text = t.def.columns.filter((c) => c.type.kind === 'string');
    const expected = new Map([...t.rows()].map((r) => [pk.map((c) => String(r[c])).join('|'), r]));
    const oldKeys = new Map([...t.rows()].map((r) => [pk.map((c) => doubleEncode(String(r[c]))).join('|'), r]));
    for (const row of await db.query(`SELECT * FROM ${q(t.def.name)}`)) {
      const k = pk.map((c) => String(row[c])).join('|');
      const want = expected.get(k) ?? oldKeys.get(k);
      if (!want) {
        out.other.push(`${t.def.name} ${k}: no such row`);
        continue;
      }
      for (const c of text) {
        const w = want[c.name];
        if (typeof w !== 'string' || /^[\x00-\x7f]*$/.test(w)) continue;
        if (row[c.name] === w) out.repaired++;
        else if (row[c.name] === doubleEncode(w)) out.old++;
        else out.other.push(`${t.def.name}.${c.name} ${k}: ${JSON.stringify(row[c.name])}`);
      }
    }
  }
  return out;
}

describeEngines('fix-db-encoding killed midway', (engine) => {
  let url: string;
  let drop: () => Promise<void>;
  beforeAll(async () => {
    const t = await createTestDatabase(engine, { charset: 'utf8' });
    url = t.url;
    drop = t.drop;
    const db = await openDatabase(url);
    try {
      await writeInstallation(db, inst, engine === 'mysql' ? { encoding: 'linotp2' } : { encoding: 'double' });
    } finally {
      await db.close();
    }
  });
  afterAll(async () => drop?.());

  it('leaves every value old or repaired, and a re-run completes it', async () => {
    const child = spawn(process.execPath, [BIN, 'admin', 'fix-db-encoding', '--database-uri', url, '--batch-size', '50'], { cwd: ROOT, stdio: 'ignore' });
    const db = await openDatabase(url);
    try {
      // kill as soon as some audit values are repaired
      const q = db.dialect.quoteIdent;
      for (let i = 0; i < 400; i++) {
        const [{ n }] = await db.query(`SELECT COUNT(*) AS n FROM audit WHERE ${q('user')} = ?`, ['jürgen']);
        if (Number(n) > 0) break;
        await new Promise((r) => setTimeout(r, 25));
      }
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      const mid = await census(db);
      expect(mid.other).toEqual([]);
      expect(mid.repaired).toBeGreaterThan(0);
      expect(mid.old).toBeGreaterThan(0);
    } finally {
      await db.close();
    }
    const rerun = spawn(process.execPath, [BIN, 'admin', 'fix-db-encoding', '--database-uri', url], { cwd: ROOT, stdio: 'ignore' });
    const code = await new Promise((r) => rerun.once('exit', r));
    expect(code).toBe(0);
    const db2 = await openDatabase(url);
    try {
      const end = await census(db2);
      expect(end.other).toEqual([]);
      expect(end.old).toBe(0);
    } finally {
      await db2.close();
    }
  });
});
