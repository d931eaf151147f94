import { describe, it, expect } from 'vitest';
import { groupConfigRows, type ConfigRow } from '../../src/crypto/chunks.js';
import { EncKey } from '../../src/crypto/enckey.js';
import { decryptConfigValue, encryptConfigValue } from '../../src/crypto/values.js';
import { SAMPLE_KEY_BYTES } from './sample.js';

const row = (key: string, value: string, type: string | null = '', description: string | null = ''): ConfigRow => ({ key, value, type, description });

/** Splits a value the way LinOTP 2.12 stores it (chunks of 1994 characters). */
function chunked(key: string, value: string, type: string, description: string): ConfigRow[] {
  const parts = value.match(/[\s\S]{1,1994}/g)!;
  const n = parts.length - 1;
  return parts.map((p, i) =>
    i === 0 ? row(key, p, 'C', `0:${n}`) : i === n ? row(`${key}__[${i}:${n}]`, p, type, description) : row(`${key}__[${i}:${n}]`, p, 'C', `${i}:${n}`),
  );
}

describe('groupConfigRows', () => {
  const key = new EncKey(SAMPLE_KEY_BYTES, 'sample');
  const secret = 'x'.repeat(3000) + 'ä€';
  const enc = encryptConfigValue(key, secret, 'legacy');

  it('reassembles a chunked encrypted value, which then decrypts', () => {
    const rows = [row('linotp.a', '1', 'int'), ...chunked('linotp.SMSProviderConfig', enc, 'encrypted_data', 'sms'), row('linotp.b', 'x')];
    expect(rows.length).toBe(2 + 7); // 3005 UTF-8 bytes → 12064 cipher hex digits + IV → 7 chunks
    const { entries, problems } = groupConfigRows(rows);
    expect(problems).toEqual([]);
    expect(entries.map((e) => e.key)).toEqual(['linotp.a', 'linotp.SMSProviderConfig', 'linotp.b']);
    const e = entries[1];
    expect(e.type).toBe('encrypted_data');
    expect(e.description).toBe('sms');
    expect(e.rowKeys).toEqual(['linotp.SMSProviderConfig', ...[1, 2, 3, 4, 5, 6].map((i) => `linotp.SMSProviderConfig__[${i}:6]`)]);
    expect(e.value).toBe(enc);
    expect(decryptConfigValue(key, e.value!)).toEqual({ ok: true, value: secret, padding: 'legacy' });
  });

  it('keeps ordinary rows as they are, row order independent', () => {
    const rows = chunked('linotp.long', 'v'.repeat(4000), 'text', 'd').reverse();
    const { entries } = groupConfigRows([...rows, row('linotp.Config', '2024', null, null)]);
    expect(entries).toEqual([
      { key: 'linotp.long', value: 'v'.repeat(4000), type: 'text', description: 'd', rowKeys: ['linotp.long', 'linotp.long__[1:2]', 'linotp.long__[2:2]'] },
      { key: 'linotp.Config', value: '2024', type: null, description: null, rowKeys: ['linotp.Config'] },
    ]);
  });

  it('reports a missing chunk and does not return the half value', () => {
    const rows = chunked('linotp.long', 'v'.repeat(6000), 'text', 'd').filter((r) => r.key !== 'linotp.long__[2:3]');
    const { entries, problems } = groupConfigRows(rows);
    expect(entries).toEqual([]);
    expect(problems).toEqual([
      { key: 'linotp.long', problem: 'missing-chunk', detail: '1 of 3 continuation rows missing (first: linotp.long__[2:3])', rowKeys: ['linotp.long', 'linotp.long__[1:3]', 'linotp.long__[3:3]'] },
    ]);
  });

  it('reports stray chunks (head missing or from an older, longer value) and bad heads', () => {
    const rows = [
      ...chunked('linotp.long', 'v'.repeat(3000), 'text', 'd'),
      row('linotp.long__[2:3]', 'old', 'C', '2:3'),
      row('linotp.gone__[1:1]', 'z', 'text', ''),
      row('linotp.weird', 'w', 'C', 'oops'),
    ];
    const { entries, problems } = groupConfigRows(rows);
    expect(entries.map((e) => e.key)).toEqual(['linotp.long']);
    expect(problems.map((p) => [p.key, p.problem])).toEqual([
      ['linotp.weird', 'bad-description'],
      ['linotp.long', 'stray-chunk'],
      ['linotp.gone', 'stray-chunk'],
    ]);
  });
});
