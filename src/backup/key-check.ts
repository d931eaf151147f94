/**
 * "Does this encKey belong to this data?" — the one check behind `backup verify`, `rehearse`,
 * `backup restore` and `backup create`: decrypt a sample of token seeds and Config secrets (up to
 * 50 of each) and count. The sample comes from a dump (src/backup/inspect.ts) or from a database
 * (`sampleDatabase`), in the same shape, so the verdict is computed one way.
 */
import type { EncKey } from '../crypto/enckey.js';
import { classifyTokenSeed, decryptConfigValue, decryptTokenSeed, isEncryptedConfigType } from '../crypto/values.js';
import type { Db } from '../db/types.js';
import { ChecksFailedError } from '../errors.js';

export const KEY_SAMPLE = 50;

export interface KeySamples {
  seeds: { enc: string; iv: string }[];
  config: string[];
}

export interface KeyCheck {
  checked: number;
  decrypted: number;
  failed: number;
  /** true: the key opens the sampled values (or there was nothing to check). */
  ok: boolean;
}

/**
 * The padding check is what tells a right key from a wrong one; a value that unpads correctly but
 * whose content is unusual (a seed that is not hex, text that is not UTF-8) was still opened by this key.
 */
function keyFits(r: { ok: boolean; reason?: string }): boolean {
  return r.ok || r.reason === 'seed-not-hex' || r.reason === 'not-utf8';
}

export function checkKeySamples(key: EncKey, samples: KeySamples): KeyCheck {
  let checked = 0;
  let decrypted = 0;
  for (const s of samples.seeds) {
    checked++;
    try {
      if (keyFits(decryptTokenSeed(key, s.enc, s.iv))) decrypted++;
    } catch {
      /* malformed hex counts as a failure */
    }
  }
  for (const v of samples.config) {
    checked++;
    try {
      if (keyFits(decryptConfigValue(key, v))) decrypted++;
    } catch {
      /* malformed */
    }
  }
  // A wrong key fails practically every value; a right one opens nearly all (a few may be damaged).
  return { checked, decrypted, failed: checked - decrypted, ok: checked === 0 || decrypted >= Math.ceil(checked * 0.9) };
}

const str = (v: unknown) => (v === null || v === undefined ? '' : Buffer.isBuffer(v) ? v.toString('utf8') : String(v));

/** The same sample from a live database (LinOTP 2 or 3: tables `Token` and `Config`, any case). */
export async function sampleDatabase(db: Db): Promise<KeySamples> {
  const samples: KeySamples = { seeds: [], config: [] };
  const tables = await db.listTables();
  const find = (n: string) => tables.find((t) => t.toLowerCase() === n);
  const q = (n: string) => db.dialect.quoteIdent(n);
  const token = find('token');
  if (token) {
    const cols = new Set((await db.listColumns(token)).map((c) => c.name));
    const type = cols.has('LinOtpTokenType') ? `, ${q('LinOtpTokenType')} AS t` : '';
    // pw, qr and push tokens carry no encrypted seed: read on until the sample is full.
    for await (const batch of db.stream(`SELECT ${q('LinOtpKeyEnc')} AS e, ${q('LinOtpKeyIV')} AS iv${type} FROM ${q(token)}`, [], { batchSize: 500 })) {
      for (const r of batch) {
        const row = { keyEnc: str(r.e), keyIv: str(r.iv), tokenType: r.t === undefined ? null : str(r.t) };
        if (samples.seeds.length < KEY_SAMPLE && classifyTokenSeed(row) === 'encrypted' && row.keyIv) samples.seeds.push({ enc: row.keyEnc, iv: row.keyIv });
      }
      if (samples.seeds.length >= KEY_SAMPLE) break;
    }
  }
  const config = find('config');
  if (config) {
    for (const r of await db.query(`SELECT ${q('Key')} AS k, ${q('Value')} AS v, ${q('Type')} AS t FROM ${q(config)}`)) {
      // Chunked values (key__[i:n]) only decrypt reassembled: not sampled, as in a dump.
      if (samples.config.length < KEY_SAMPLE && !/__\[\d+:\d+\]$/.test(str(r.k)) && isEncryptedConfigType(str(r.t)) && str(r.v)) samples.config.push(str(r.v));
    }
  }
  return samples;
}

/** A partial fit: named in a warning (and in --json) with its counts. */
export function keyMismatchWarning(check: KeyCheck, what: string): string | undefined {
  if (check.failed === 0 || check.decrypted === 0) return undefined;
  return `key mismatch: the encKey ${what} decrypts only ${check.decrypted} of ${check.checked} sampled encrypted values (${check.failed} fail): some values were written with another key or are damaged`;
}

/**
 * A key that opens none of the sampled values is the wrong key: exit 3, before anything is
 * written, unless `allowMismatch` (then the caller warns).
 */
export function refuseWrongKey(check: KeyCheck, what: string, allowMismatch: boolean): void {
  if (allowMismatch || check.checked === 0 || check.decrypted > 0) return;
  throw new ChecksFailedError(
    `wrong encKey: ${what} decrypts none of the ${check.checked} sampled encrypted values; nothing was written or changed`,
    'give the encKey of the installation the data comes from (--enc-key); --allow-key-mismatch goes on anyway',
  );
}
