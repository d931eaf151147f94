// Shared pieces of the catch-up tests: an old LinOTP 2 fixture database and an upgraded copy of it.
import { createBackup } from '../../src/backup/create.js';
import { inspectDump } from '../../src/backup/inspect.js';
import { applyRestore, planRestore } from '../../src/backup/restore.js';
import { openBackup } from '../../src/backup/source.js';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Db } from '../../src/db/types.js';
import { applyUpgrade } from '../../src/upgrade/apply.js';
import { fixtureDb, freshDb, tmp, type TestDb } from '../backup/helpers.js';
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

/** The old server (a LinOTP 2 fixture), its encKey in a file, and the new server (an upgraded copy). */
export interface OldAndNew {
  old: Fixture;
  target: TestDb;
  dir: string;
  keyFile: string;
}

export async function oldAndNew(oldEngine: TestEngine, newEngine: TestEngine, fixture: Parameters<typeof fixtureDb>[1]): Promise<OldAndNew> {
  const dir = tmp('lmt-catchup-');
  const old = await fixtureDb(oldEngine, fixture);
  const keyFile = join(dir, 'encKey');
  writeFileSync(keyFile, old.inst.encKeyBytes, { mode: 0o400 });
  const target = await upgradedCopy(old, newEngine, dir);
  return { old, target, dir, keyFile };
}

export async function dropOldAndNew(p: Partial<OldAndNew>): Promise<void> {
  await p.old?.drop();
  await p.target?.drop();
  if (p.dir) rmSync(p.dir, { recursive: true, force: true });
}
