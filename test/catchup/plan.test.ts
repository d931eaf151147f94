// The pure part of backup catch-up: the rules per field, never backwards, lists of new, deleted and
// re-enrolled tokens, seed comparison with and without the encKey, timestamp normalisation.
import { describe, expect, it } from 'vitest';
import { planCatchUp, planHasWork } from '../../src/catchup/plan.js';
import { compareSeedsWithoutKey, seedComparator } from '../../src/catchup/seeds.js';
import { normalizeTimestamp, type TokenState } from '../../src/catchup/tokens.js';
import { parseEncKey } from '../../src/crypto/enckey.js';
import { encryptTokenSeed, reencryptTokenSeed } from '../../src/crypto/values.js';

// Fixed keys keep the wrong-key case deterministic (a random wrong key passes a padding check now and then).
const key = parseEncKey(Buffer.alloc(96, 0xa7), 'test key');
const IV = 'a1'.repeat(16);

function token(serial: string, over: Partial<TokenState> = {}): TokenState {
  return {
    id: 1,
    serial,
    type: 'HMAC',
    count: 10,
    failCount: 0,
    active: true,
    lastAuthSuccess: '2024-05-01 10:00:00',
    lastAuthMatch: '2024-05-01 10:00:00',
    keyEnc: encryptTokenSeed(key, 'ab'.repeat(20), IV, 'legacy'),
    keyIv: IV,
    realms: ['r1'],
    ...over,
  };
}

/** The same token as the upgrade leaves it on the new server: seed re-encrypted with PKCS#7, same IV. */
function upgraded(t: TokenState, over: Partial<TokenState> = {}): TokenState {
  const r = reencryptTokenSeed(key, t.keyEnc!, t.keyIv!, 'pkcs7');
  if (!r.ok) throw new Error('fixture');
  return { ...t, keyEnc: r.value, id: 100 + t.id, ...over };
}

const map = (...ts: TokenState[]) => new Map(ts.map((t) => [t.serial, t]));
const plan = (old: TokenState[], current: TokenState[], extra: Partial<Parameters<typeof planCatchUp>[0]> = {}) =>
  planCatchUp({ source: 'old', target: 'new', old: map(...old), current: map(...current), compareSeeds: seedComparator(key), seedsDecrypted: true, ...extra });

describe('catch-up plan', () => {
  it('carries the larger counter, the old fail counter and active flag, the later timestamps', () => {
    const o = token('T1', { count: 17, failCount: 0, active: false, lastAuthSuccess: '2024-06-01 08:00:00', lastAuthMatch: '2024-06-01 08:00:00.250000' });
    const c = upgraded(token('T1', { failCount: 4 }));
    const p = plan([o], [c]);
    expect(p.updates).toEqual([
      {
        serial: 'T1',
        targetId: 101,
        expectCount: 10,
        changes: [
          { field: 'LinOtpCount', from: 10, to: 17 },
          { field: 'LinOtpFailCount', from: 4, to: 0 },
          { field: 'LinOtpIsactive', from: true, to: false },
          { field: 'LinOtpLastAuthSuccess', from: '2024-05-01 10:00:00', to: '2024-06-01 08:00:00' },
          { field: 'LinOtpLastAuthMatch', from: '2024-05-01 10:00:00', to: '2024-06-01 08:00:00.250000' },
        ],
      },
    ]);
    expect(planHasWork(p)).toBe(true);
  });

  it('the fail counter follows the old server both ways (a success there resets it)', () => {
    const up = plan([token('T1', { failCount: 5 })], [upgraded(token('T1', { failCount: 2 }))]);
    expect(up.updates[0].changes).toEqual([{ field: 'LinOtpFailCount', from: 2, to: 5 }]);
    const down = plan([token('T1', { failCount: 0 })], [upgraded(token('T1', { failCount: 2 }))]);
    expect(down.updates[0].changes).toEqual([{ field: 'LinOtpFailCount', from: 2, to: 0 }]);
  });

  it('never moves backwards: a counter ahead on the new server leaves the token alone; earlier timestamps are kept', () => {
    const p = plan([token('T1', { count: 5, active: false })], [upgraded(token('T1', { count: 9 }))]);
    expect(p.updates).toEqual([]);
    expect(p.ahead).toEqual([{ serial: 'T1', sourceCount: 5, targetCount: 9 }]);
    const t = plan([token('T1', { lastAuthSuccess: '2024-01-01 00:00:00', lastAuthMatch: null })], [upgraded(token('T1'))]);
    expect(t.updates).toEqual([]);
    expect(t.unchanged).toBe(1);
    expect(planHasWork(t)).toBe(false);
  });

  it('an old model without the last-authentication columns changes neither', () => {
    const p = plan([token('T1', { count: 11, lastAuthSuccess: null, lastAuthMatch: null })], [upgraded(token('T1'))], { sourceHasLastAuth: false });
    expect(p.updates[0].changes.map((c) => c.field)).toEqual(['LinOtpCount']);
  });

  it('lists new, deleted and re-enrolled tokens; applies them only on request', () => {
    const kept = token('KEEP');
    const reseeded = token('RESEED', { id: 2, keyEnc: encryptTokenSeed(key, 'cd'.repeat(20), 'b2'.repeat(16), 'legacy'), keyIv: 'b2'.repeat(16) });
    const retyped = token('RETYPE', { id: 3, type: 'TOTP' });
    const p = plan([kept, reseeded, retyped, token('NEW', { id: 4, realms: ['r1', 'r2'] })], [upgraded(kept), upgraded(token('RESEED', { id: 2 })), upgraded(token('RETYPE', { id: 3 })), upgraded(token('GONE', { id: 5 }))]);
    expect(p.added).toEqual([{ serial: 'NEW', type: 'HMAC', realms: ['r1', 'r2'] }]);
    expect(p.deleted).toEqual([{ serial: 'GONE', type: 'HMAC', targetId: 105 }]);
    expect(p.reenrolled.map((r) => r.serial)).toEqual(['RESEED', 'RETYPE']);
    expect(p.reenrolled[0].reason).toBe('the seed differs');
    expect(p.unchanged).toBe(1);
    expect(p.seedsCompared).toBe(true);
    expect(p.seedsUnknown).toBe(0);
    expect(planHasWork(p)).toBe(false);
    expect(planHasWork({ ...p, addNew: true })).toBe(true);
    expect(planHasWork({ ...p, applyDeletes: true })).toBe(true);
  });
});

describe('catch-up seed comparison', () => {
  const o = token('T1');
  const c = upgraded(o);
  it('with the key: the same seed under both paddings is the same, a different seed (same IV) differs', () => {
    const cmp = seedComparator(key);
    expect(o.keyEnc).not.toBe(c.keyEnc);
    expect(cmp(o, c)).toBe('same');
    expect(cmp(o, { ...c, keyEnc: encryptTokenSeed(key, 'ef'.repeat(20), IV, 'pkcs7') })).toBe('different');
    // enrolled again with the very same seed (new IV): the same token as far as OTPs go
    const iv2 = 'c3'.repeat(16);
    expect(cmp(o, { ...c, keyIv: iv2, keyEnc: encryptTokenSeed(key, 'ab'.repeat(20), iv2, 'pkcs7') })).toBe('same');
  });

  it('with the key: a seed that is not hex is compared at the same IV', () => {
    const raw = (v: string, padding: 'legacy' | 'pkcs7') => encryptTokenSeed(key, v, IV, padding);
    const cmp = seedComparator(key);
    expect(cmp({ ...o, keyEnc: raw('not hex!', 'legacy') }, { ...c, keyEnc: raw('not hex!', 'pkcs7') })).toBe('same');
    expect(cmp({ ...o, keyEnc: raw('not hex!', 'legacy') }, { ...c, keyEnc: raw('other!!', 'pkcs7') })).toBe('different');
  });

  it('without the key: a new IV is a re-enrolment, the same IV cannot be told apart', () => {
    expect(compareSeedsWithoutKey(o, o)).toBe('same');
    expect(compareSeedsWithoutKey(o, c)).toBe('unknown');
    expect(compareSeedsWithoutKey(o, { ...c, keyIv: 'c3'.repeat(16) })).toBe('different');
    const p = plan([o, token('T2', { keyIv: 'd4'.repeat(16) })], [c, upgraded(token('T2'))], { compareSeeds: compareSeedsWithoutKey, seedsDecrypted: false });
    expect(p.seedsCompared).toBe(false);
    expect(p.seedsUnknown).toBe(1);
    expect(p.reenrolled).toEqual([{ serial: 'T2', reason: 'a new seed IV (compared without the encKey)' }]);
  });

  it('a wrong key falls back to the IV', () => {
    const other = seedComparator(parseEncKey(Buffer.alloc(96, 0xb9), 'other key'));
    expect(other(o, c)).toBe('unknown');
  });
});

describe('catch-up timestamps', () => {
  it('normalise to one sortable form with six-digit fractions', () => {
    expect(normalizeTimestamp('2024-05-01T10:00:00Z')).toBe('2024-05-01 10:00:00');
    expect(normalizeTimestamp('2024-05-01 10:00:00.000000')).toBe('2024-05-01 10:00:00');
    expect(normalizeTimestamp('2024-05-01 10:00:00.5')).toBe('2024-05-01 10:00:00.500000');
    expect(normalizeTimestamp(new Date('2024-05-01T10:00:00.123Z'))).toBe('2024-05-01 10:00:00.123000');
    expect(normalizeTimestamp(null)).toBeNull();
    expect(normalizeTimestamp('')).toBeNull();
    expect(normalizeTimestamp('2024-05-01 10:00:00')! < normalizeTimestamp('2024-05-01 10:00:00.000001')!).toBe(true);
  });
});
