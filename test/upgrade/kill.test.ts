/**
 * A real kill: `init database` is SIGKILLed while step 3.1.0.0 runs (detected by polling the stamped
 * version), run again, and must end exactly like an uninterrupted run on a twin database.
 * Spawns the built binary (npm test builds first).
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { EncKey } from '../../src/crypto/enckey.js';
import { decryptConfigValue, encryptTokenSeed } from '../../src/crypto/values.js';
import { openDatabase } from '../../src/db/index.js';
import type { Db } from '../../src/db/types.js';
import { SAMPLE_ENC_KEY } from '../../src/fixtures/sample.js';
import { createTestDatabase, describeEngines } from '../helpers/db.js';
import { loadSample212 } from './sample-db.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = process.env.LMT_BIN ?? `${root}bin/linotp-migrate.js`;
const KEY = new EncKey(SAMPLE_ENC_KEY, 'sample key');
const N = 5_000;

function tokenRows() {
  const rows = [];
  for (let i = 0; i < N; i++) {
    const iv = randomBytes(16).toString('hex');
    rows.push([100 + i, `kill${i}`, 'HMAC', encryptTokenSeed(KEY, randomBytes(20).toString('hex'), iv, 'legacy'), iv, '', true]);
  }
  return rows;
}

async function load(db: Db, rows: unknown[][]) {
  await loadSample212(db);
  await db.insertMany('Token', ['LinOtpTokenId', 'LinOtpTokenSerialnumber', 'LinOtpTokenType', 'LinOtpKeyEnc', 'LinOtpKeyIV', 'LinOtpPinHash', 'LinOtpIsactive'], rows as never);
}

/** Everything, with encrypted Config values replaced by their plaintext (3.1.0.0 gives them a random IV). */
async function state(db: Db): Promise<string> {
  const q = (n: string) => db.dialect.quoteIdent(n);
  const tokens = await db.query(`SELECT * FROM ${q('Token')} ORDER BY ${q('LinOtpTokenId')}`);
  const config = await db.query<Record<string, string>>(`SELECT * FROM ${q('Config')} ORDER BY ${q('Key')}`);
  const cfg = config.map((r) => (r.Type === 'encrypted_data' ? { ...r, Value: JSON.stringify(decryptConfigValue(KEY, r.Value)) } : r));
  const realms = await db.query(`SELECT * FROM ${q('Realm')} ORDER BY ${q('id')}`);
  return JSON.stringify({ tokens, cfg, realms });
}

async function version(db: Db): Promise<string | undefined> {
  const q = (n: string) => db.dialect.quoteIdent(n);
  const r = await db.query<{ v: string }>(`SELECT ${q('Value')} AS v FROM ${q('Config')} WHERE ${q('Key')} = 'linotp.sql_data_model_version'`);
  return r[0]?.v;
}

describeEngines('init database killed during 3.1.0.0', (engine) => {
  it('re-run ends in the same state as an uninterrupted run', { timeout: 300_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lmt-kill-'));
    const keyFile = join(dir, 'encKey');
    writeFileSync(keyFile, SAMPLE_ENC_KEY);
    const a = await createTestDatabase(engine);
    const twinT = await createTestDatabase(engine);
    const db = await openDatabase(a.url);
    const twin = await openDatabase(twinT.url);
    const env = { ...process.env, LINOTP_CFG: '-/nonexistent' };
    const args = (url: string) => [bin, 'init', 'database', '--database-uri', url, '--enc-key', keyFile, '--json'];
    try {
      const rows = tokenRows();
      await load(db, rows);
      await load(twin, rows);
      const child = spawn(process.execPath, args(a.url), { env, stdio: 'ignore' });
      let killedAt: string | undefined;
      const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
      for (let i = 0; i < 2000 && killedAt === undefined && child.exitCode === null; i++) {
        if ((await version(db)) === '3.0.0.0') {
          child.kill('SIGKILL');
          killedAt = '3.0.0.0';
        } else await new Promise((r) => setTimeout(r, 20));
      }
      await exited;
      expect(killedAt).toBe('3.0.0.0'); // killed inside 3.1.0.0 (3.0.0.0 was the last stamp)
      expect(await version(db)).toBe('3.0.0.0');
      const again = spawnSync(process.execPath, args(a.url), { env, encoding: 'utf8' });
      // Warnings (e.g. audit rows left in LinOTP 2 local time) are fine; nothing else may be printed.
      expect(again.stderr.split('\n').filter((l) => l && !l.startsWith('warning: '))).toEqual([]);
      expect(again.status).toBe(0);
      const straight = spawnSync(process.execPath, args(twinT.url), { env, encoding: 'utf8' });
      expect(straight.status).toBe(0);
      expect(await state(db)).toBe(await state(twin));
    } finally {
      await db.close();
      await twin.close();
      await a.drop();
      await twinT.drop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
