import { expect, it } from 'vitest';
import { EncKey } from '../../src/crypto/enckey.js';
import { buildInstallation } from '../../src/fixtures/installation.js';
import { writeInstallation } from '../../src/fixtures/write.js';
import { runVerify } from '../../src/verify/index.js';
import { describeEngines, useTestDatabase } from '../helpers/db.js';

const inst = buildInstallation({ tokens: 30, auditRows: 20 });
const expectedTokens = [...inst.tokens()];
const encryptedSeeds = expectedTokens.filter((t) => t.seed).length;

describeEngines('verify core', (engine) => {
  const t = useTestDatabase(engine, { charset: 'utf8' }, (db) => writeInstallation(db, inst));

  it('passes with the right key', async () => {
    const r = await runVerify(t.db, inst.encKey);
    expect(r.checks.filter((c) => c.status === 'fail')).toEqual([]);
    expect(r.ok).toBe(true);
    expect(r.key.verdict).toBe('matches');
    expect(r.model.stored).toBe('2.12.0.0');
    expect(r.model.schema).toBe('2.12');
    expect(r.tokens.total).toBe(expectedTokens.length);
    const byType: Record<string, number> = {};
    for (const t of expectedTokens) byType[t.type] = (byType[t.type] ?? 0) + 1;
    expect(r.tokens.byType).toEqual(byType);
    expect(r.checks.find((c) => c.id === 'token-seeds')).toMatchObject({ status: 'pass', checked: encryptedSeeds, failed: 0 });
    const pins = expectedTokens.filter((t) => t.pinMode === 'encrypted').length + expectedTokens.filter((t) => t.userPin).length;
    expect(r.checks.find((c) => c.id === 'token-pins')).toMatchObject({ status: 'pass', checked: pins });
    expect(r.checks.find((c) => c.id === 'ocra-secrets')).toMatchObject({ status: 'pass', checked: expectedTokens.filter((t) => t.sharedSecret).length });
    expect(r.checks.find((c) => c.id === 'config-secrets')).toMatchObject({ status: 'pass', checked: Object.keys(inst.configSecrets).length });
    expect(r.key.paddings.pkcs7).toBe(0);
    const enc = r.checks.find((c) => c.id === 'encoding')!;
    if (engine === 'mysql') {
      expect(enc.status).toBe('warn');
      expect(r.encoding.suspicious).toBeGreaterThan(20);
      expect(r.encoding.byColumn['audit.user']).toBeGreaterThan(0);
      expect(r.encoding.samples[0].repaired).not.toBe(r.encoding.samples[0].value);
    } else {
      expect(enc.status).toBe('pass');
      expect(r.encoding.suspicious).toBe(0);
    }
  });

  it('fails with a wrong key, naming the count of undecryptable seeds', async () => {
    const wrong = new EncKey(Buffer.alloc(96, 7), 'wrong-key-file');
    const r = await runVerify(t.db, wrong, { skipEncoding: true });
    expect(r.ok).toBe(false);
    expect(r.key.verdict).toBe('wrong-key');
    expect(r.key.failed).toBe(r.key.checked);
    const keyCheck = r.checks.find((c) => c.id === 'enc-key')!;
    expect(keyCheck.status).toBe('fail');
    expect(keyCheck.summary).toContain(`none of the ${r.key.checked} encrypted values`);
    const seeds = r.checks.find((c) => c.id === 'token-seeds')!;
    expect(seeds).toMatchObject({ status: 'fail', failed: encryptedSeeds });
    expect(seeds.summary).toBe(`${encryptedSeeds} of ${encryptedSeeds} token seeds do not decrypt`);
    expect(seeds.items).toContain('oath0001');
    expect(seeds.items).not.toContain('KIPW0001');
  });

  it('names a single damaged seed and config value', async () => {
    const q = t.db.dialect.quoteIdent;
    await t.db.execute(`UPDATE ${q('Token')} SET ${q('LinOtpKeyEnc')} = ? WHERE ${q('LinOtpTokenSerialnumber')} = ?`, ['00'.repeat(96), 'TOTP0001']);
    const r = await runVerify(t.db, inst.encKey, { skipEncoding: true });
    expect(r.ok).toBe(false);
    expect(r.key.verdict).toBe('partial');
    expect(r.checks.find((c) => c.id === 'token-seeds')).toMatchObject({ status: 'fail', failed: 1, items: ['TOTP0001'] });
  });
});
