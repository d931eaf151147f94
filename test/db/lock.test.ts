// The database's one lock: while one mutating command holds it (here a restore, held through the
// library as applyRestore holds it), every other mutating command of another kind is refused with
// one clear line and exit 1, on each engine, and the target is left as it was.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { LOCK_PURPOSE as RESTORE } from '../../src/backup/restore.js';
import { fixtureDb, tableContent, tmp, type TestDb } from '../backup/helpers.js';
import { describeEngines } from '../helpers/db.js';
import { BIN, ensureBuilt, ROOT } from '../e2e/global-setup.js';

beforeAll(() => ensureBuilt(), 180_000);

function run(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, input: '' });
  return { code: r.status, stderr: r.stderr };
}

describeEngines('one lock per target database', (engine) => {
  let t: TestDb;
  let keyFile: string;
  beforeAll(async () => {
    const f = await fixtureDb(engine, { tokens: 3, auditRows: 5 });
    t = f;
    keyFile = join(tmp(), 'encKey');
    writeFileSync(keyFile, f.inst.encKeyBytes, { mode: 0o600 });
  }, 60_000);
  afterAll(async () => t?.drop());

  it('refuses init database, fix-db-encoding and audit to-utc while a restore holds the lock', async () => {
    const before = await tableContent(t.db, 'Config');
    const commands: [string, string[]][] = [
      ['init database', ['init', 'database', '--database-uri', t.url, '--enc-key', keyFile, '--yes']],
      ['admin fix-db-encoding', ['admin', 'fix-db-encoding', '--database-uri', t.url, '--yes']],
      ['audit to-utc', ['audit', 'to-utc', '--database-uri', t.url, '--timezone', 'Europe/Berlin', '--yes']],
    ];
    await t.db.withLock(RESTORE, async () => {
      for (const [purpose, args] of commands) {
        const r = run(args);
        expect(r.code, `${purpose}: ${r.stderr}`).toBe(1);
        const line = r.stderr.split('\n').find((l) => l.startsWith('error:'));
        expect(line, r.stderr).toMatch(new RegExp(`^error: ${purpose} refused: another linotp-migrate run holds the lock of `));
        expect(line).toMatch(/nothing was changed/);
        expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
      }
    });
    expect(await tableContent(t.db, 'Config')).toEqual(before);
    // Released: the same command now runs (a plan changes nothing).
    const after = run(['audit', 'to-utc', '--database-uri', t.url, '--timezone', 'Europe/Berlin', '--plan']);
    expect(after.code, after.stderr).not.toBe(1);
  }, 120_000);
});
