/**
 * Is the token on the old server the same enrolment as the one on the new server? The seed is
 * compared decrypted: the new server's copy was re-encrypted with LinOTP 3's padding, so the stored
 * forms differ even when the seed is the same. LinOTP draws a fresh IV each time a seed is set
 * (enrolment), and the upgrade keeps the IV, which lets a comparison without the encKey still tell
 * a re-enrolment apart.
 */
import type { EncKey } from '../crypto/enckey.js';
import { classifyTokenSeed, decryptTokenSeed, reencryptTokenSeed } from '../crypto/values.js';
import type { SeedComparison } from './plan.js';
import type { TokenState } from './tokens.js';

type SeedSide = Pick<TokenState, 'keyEnc' | 'keyIv' | 'type'>;

const lower = (v: string | null) => (v ?? '').toLowerCase();

/**
 * The seed in a form both sides share: the plaintext for hex seeds; for a seed that is not hex
 * (some token types) its PKCS#7 ciphertext under its own IV, comparable only at the same IV.
 */
function canonical(key: EncKey, s: SeedSide): { seed: string } | { cipher: string } | undefined {
  try {
    const d = decryptTokenSeed(key, s.keyEnc!, s.keyIv!);
    if (d.ok) return { seed: d.value.toLowerCase() };
    if (d.reason !== 'seed-not-hex') return undefined;
    const r = reencryptTokenSeed(key, s.keyEnc!, s.keyIv!, 'pkcs7');
    return r.ok ? { cipher: r.value } : undefined;
  } catch {
    return undefined; // malformed hex: nothing to compare
  }
}

/** Without a key: a different IV is a new enrolment; the same stored value is the same seed. */
export function compareSeedsWithoutKey(o: SeedSide, c: SeedSide): SeedComparison {
  if (lower(o.keyEnc) === lower(c.keyEnc) && lower(o.keyIv) === lower(c.keyIv)) return 'same';
  const encrypted = classifyTokenSeed({ keyEnc: o.keyEnc, keyIv: o.keyIv, tokenType: o.type }) === 'encrypted' && classifyTokenSeed({ keyEnc: c.keyEnc, keyIv: c.keyIv, tokenType: c.type }) === 'encrypted';
  if (encrypted && lower(o.keyIv) !== lower(c.keyIv)) return 'different';
  return 'unknown';
}

/**
 * With the key: the decrypted seeds decide (a token enrolled again with the very same seed is the
 * same token for replay purposes: its counters still apply). Falls back to the keyless rules when
 * a side does not decrypt.
 */
export function seedComparator(key: EncKey | undefined): (o: SeedSide, c: SeedSide) => SeedComparison {
  if (!key) return compareSeedsWithoutKey;
  return (o, c) => {
    const kinds = [classifyTokenSeed({ keyEnc: o.keyEnc, keyIv: o.keyIv, tokenType: o.type }), classifyTokenSeed({ keyEnc: c.keyEnc, keyIv: c.keyIv, tokenType: c.type })];
    if (kinds[0] !== 'encrypted' || kinds[1] !== 'encrypted') {
      // pw hashes, empty seeds, qr/push: the stored value is what there is to compare
      if (kinds[0] !== kinds[1]) return 'different';
      return lower(o.keyEnc) === lower(c.keyEnc) ? 'same' : kinds[0] === 'no-seed-type' ? 'unknown' : 'different';
    }
    const a = canonical(key, o);
    const b = canonical(key, c);
    if (a && b) {
      if ('seed' in a && 'seed' in b) return a.seed === b.seed ? 'same' : 'different';
      if ('cipher' in a && 'cipher' in b && lower(o.keyIv) === lower(c.keyIv)) return a.cipher === b.cipher ? 'same' : 'different';
    }
    return compareSeedsWithoutKey(o, c);
  };
}
