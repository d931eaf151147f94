// A PostgreSQL target where another application has a view on a LinOTP table: the restore must stop
// with a clear error and change nothing (LinOTP's tables are replaced without DROP … CASCADE, which
// would drop the other application's view silently).
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createBackup } from '../../src/backup/create.js';
import { inspectDump } from '../../src/backup/inspect.js';
import { applyRestore, planRestore } from '../../src/backup/restore.js';
import { openBackup } from '../../src/backup/source.js';
import { describeEngines } from '../helpers/db.js';
import { fixtureDb, tableContent, tmp } from './helpers.js';

describeEngines(
  'restore into a PostgreSQL database with dependent objects',
  () => {
    let source: Awaited<ReturnType<typeof fixtureDb>>;
    let target: Awaited<ReturnType<typeof fixtureDb>>;
    let dir: string;
    beforeAll(async () => {
      source = await fixtureDb('postgres', { seed: 3 });
      target = await fixtureDb('postgres', { seed: 4 });
      dir = tmp();
    });
    afterAll(async () => {
      await source?.drop();
      await target?.drop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('refuses with one clear error, keeps the view and every row', async () => {
      await target.db.execute('CREATE VIEW other_app_tokens AS SELECT "LinOtpTokenSerialnumber" FROM "Token"');
      const before = await tableContent(target.db, 'Token');
      const { file } = await createBackup(source.db, { outDir: dir, encKey: null });
      const src = await openBackup(file);
      const plan = await planRestore(target.db, src, await inspectDump(src));
      const err = await applyRestore(target.db, src, plan).catch((e) => e);
      expect(err?.message).toMatch(/other objects in .* depend on the tables the restore replaces \(view other_app_tokens depends on table "Token"\)/);
      expect(err?.hint).toMatch(/nothing was changed/);
      expect(await tableContent(target.db, 'Token')).toEqual(before);
      expect((await target.db.query("SELECT COUNT(*) AS n FROM information_schema.views WHERE table_name = 'other_app_tokens'"))[0].n).toBe(1);
    });
  },
  ['postgres'],
);
