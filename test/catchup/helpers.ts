// Shared pieces of the catch-up tests: an old LinOTP 2 fixture database and an upgraded copy of it.
import { createBackup } from '../../src/backup/create.js';
import { inspectDump } from '../../src/backup/inspect.js';
import { applyRestore, planRestore } from '../../src/backup/restore.js';
import { openBackup } from '../../src/backup/source.js';
import type { Db } from '../../src/db/types.js';
import { applyUpgrade } from '../../src/upgrade/apply.js';
import { fixtureDb, freshDb, type TestDb } from '../backup/helpers.js';
import type { TestEngine } from '../helpers/db.js';

export type Fixture = Awaited<ReturnType<typeof fixtureDb>>;

/** The "new server": a backup of the old database restored on `engine` and upgraded as `init database` does. */
export async function upgradedCopy(old: Fixture, engine: TestEngine, dir: string): Promise<TestDb> {
  const { file } = await createBackup(old.db, { outDir: dir, encKey: null });
  const target = await freshDb(engine);
  const src = await openBackup(file);
  const plan = await planRestore(target.db, src, await inspectDump(src));
  await applyRestore(target.db, src, plan);
  await applyUpgrade(target.db, { encKey: old.inst.encKey });
  return target;
}

export const q = (db: Db, n: string) => db.dialect.quoteIdent(n);

export async function tokens(db: Db): Promise<Map<string, Record<string, unknown>>> {
  const rows = await db.query(`SELECT * FROM ${q(db, 'Token')}`);
  return new Map(rows.map((r) => [String(r.LinOtpTokenSerialnumber), r]));
}
