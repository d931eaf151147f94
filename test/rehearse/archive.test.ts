/**
 * Rehearsing a `linotp-migrate backup create` archive of a LinOTP 2 database on each server engine:
 * into scratch SQLite (cross-engine restore) and into an empty database of the same engine (the
 * dump's own DDL), with the key from the archive opened by its passphrase.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { createBackup } from '../../src/backup/create.js';
import { openDatabase } from '../../src/db/index.js';
import { buildInstallation } from '../../src/fixtures/installation.js';
import { writeInstallation } from '../../src/fixtures/write.js';
import { runRehearsal } from '../../src/rehearse/index.js';
import { createTestDatabase, describeEngines } from '../helpers/db.js';

const tmp = mkdtempSync(join(tmpdir(), 'lmt-rehearse-archive-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describeEngines(
  'rehearse a backup create archive',
  (engine) => {
    it(`of a LinOTP 2 ${engine} database: into scratch SQLite and into an empty ${engine} database`, async () => {
      const src = await createTestDatabase(engine);
      const target = await createTestDatabase(engine);
      try {
        const inst = buildInstallation({ seed: 7, tokens: 15, auditRows: 20 });
        const db = await openDatabase(src.url);
        let file: string;
        try {
          await writeInstallation(db, inst);
          file = (await createBackup(db, { outDir: tmp, encKey: inst.encKey, passphrase: 'archive pass' })).file;
        } finally {
          await db.close();
        }
        for (const targetDb of [undefined, target.url]) {
          const r = await runRehearsal({ backup: file, passphrase: 'archive pass', targetDb, tmpBase: tmp });
          const failing = r.checks.filter((c) => c.status === 'fail');
          expect(failing, `${targetDb ?? 'sqlite'}: ${JSON.stringify(failing, null, 1)}`).toEqual([]);
          expect(r.input.backupKind).toBe('linotp-migrate');
          expect(r.details.restore?.crossEngine).toBe(targetDb === undefined);
          expect(r.details.verify).toMatchObject({ keyVerdict: 'matches', valuesFailed: 0, model: '3.2.3.0' });
          expect(r.tables.every((t) => t.ok)).toBe(true);
        }
      } finally {
        await src.drop();
        await target.drop();
      }
    }, 240_000);
  },
  ['mysql', 'postgres'],
);
