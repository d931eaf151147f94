/**
 * Re-encryption speed: 100,000 LinOTP 2 tokens through `init database` (issue 5: well under 30 s).
 * Runs only with LMT_BENCH=1 (npm run bench / by hand); prints the figure per engine.
 */
import { randomBytes } from 'node:crypto';
import { expect, it } from 'vitest';
import { EncKey } from '../../src/crypto/enckey.js';
import { encryptTokenSeed } from '../../src/crypto/values.js';
import { openDatabase } from '../../src/db/index.js';
import { SAMPLE_ENC_KEY } from '../../src/fixtures/sample.js';
import { applyUpgrade } from '../../src/upgrade/apply.js';
import { planUpgrade } from '../../src/upgrade/plan.js';
import { createTestDatabase, describeEngines } from '../helpers/db.js';
import { loadSample212 } from './sample-db.js';

const N = Number(process.env.LMT_BENCH_TOKENS ?? 100_000);
const KEY = new EncKey(SAMPLE_ENC_KEY, 'sample key');

describeEngines('re-encryption speed', (engine) => {
  it.skipIf(!process.env.LMT_BENCH)(`${N} tokens`, { timeout: 600_000 }, async () => {
    const t = await createTestDatabase(engine);
    const db = await openDatabase(t.url);
    try {
      await loadSample212(db);
      const rows = [];
      for (let i = 0; i < N; i++) {
        const iv = randomBytes(16).toString('hex');
        const seed = randomBytes(20).toString('hex');
        rows.push([100 + i, `bench${i}`, 'HMAC', encryptTokenSeed(KEY, seed, iv, 'legacy'), iv, '', true]);
      }
      const q = (n: string) => db.dialect.quoteIdent(n);
      await db.insertMany('Token', ['LinOtpTokenId', 'LinOtpTokenSerialnumber', 'LinOtpTokenType', 'LinOtpKeyEnc', 'LinOtpKeyIV', 'LinOtpPinHash', 'LinOtpIsactive'], rows);
      const p0 = Date.now();
      await planUpgrade(db, { encKey: KEY });
      console.log(`[bench] ${engine}: plan alone ${((Date.now() - p0) / 1000).toFixed(1)} s`);
      const start = Date.now();
      const r = await applyUpgrade(db, { encKey: KEY });
      const secs = (Date.now() - start) / 1000;
      const step = r.applied.find((a) => a.id === '3.1.0.0')!;
      console.log(`[bench] ${engine}: init database with ${N} legacy tokens took ${secs.toFixed(1)} s (plan+key check+re-encryption)`);
      expect(step.result.seed).toBe(N + 2);
      expect(Number((await db.query<{ n: number }>(`SELECT COUNT(*) AS n FROM ${q('Token')}`))[0].n)).toBe(N + 3);
    } finally {
      await db.close();
      await t.drop();
    }
  });
});
