import { describe, it, expect } from 'vitest';
import { ZoneConverter, classifyTimestamp, formatLinotp3, isLinotp3Timestamp, parseLinotp2Timestamp, validateZone } from '../../src/audit/timezone.js';
import { UsageError } from '../../src/errors.js';
import { pythonToUtc } from './zoneinfo-oracle.js';

function pad(n: number, w = 2): string {
  return String(n).padStart(w, '0');
}

/** Every minute of both 2024 DST change days in Europe/Berlin plus a spread over the year, with microseconds. */
function sampleLocalTimes(): string[] {
  const out: string[] = [];
  for (const day of ['2024-03-31', '2024-10-27', '2024-03-30', '2024-10-26', '2024-12-31', '2024-01-01']) {
    for (let m = 0; m < 24 * 60; m += 1) {
      const us = (m * 7919) % 1_000_000;
      out.push(`${day} ${pad(Math.floor(m / 60))}:${pad(m % 60)}:${pad((m * 13) % 60)}.${pad(us, 6)}`);
    }
  }
  let seed = 42;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const start = Date.UTC(2023, 0, 1);
  for (let i = 0; i < 5000; i++) {
    const d = new Date(start + Math.floor(rnd() * 3 * 365 * 86400_000));
    const us = Math.floor(rnd() * 1_000_000);
    out.push(`${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(us, 6)}`);
  }
  out.push('2024-12-31 23:59:59.999999', '2024-03-31 02:00:00.000000', '2024-03-31 03:00:00.000000', '2024-10-27 02:00:00.000000', '2024-10-27 03:00:00.000000');
  return out;
}

describe('audit timestamp conversion', () => {
  it('recognises the three kinds of values', () => {
    expect(classifyTimestamp('2024-05-02 10:15:01.123456')).toBe('linotp2');
    expect(classifyTimestamp('2024-05-02 10:15:01')).toBe('linotp2');
    expect(classifyTimestamp('2024-05-02T08:15:01.123+00:00')).toBe('linotp3');
    for (const bad of ['', 'yesterday', '2024-02-30 10:00:00.000000', '2024-05-02T08:15:01.123+02:00', '2024-05-02 24:00:00.000000', null]) {
      expect(classifyTimestamp(bad)).toBe('unparseable');
    }
    expect(isLinotp3Timestamp(formatLinotp3(Date.UTC(2024, 4, 2, 8, 15, 1, 123)))).toBe(true);
    expect(parseLinotp2Timestamp('2024-05-02 10:15:01.999999')).toBe(Date.UTC(2024, 4, 2, 10, 15, 1, 999));
  });

  it('rejects an unknown zone with a UsageError naming it', () => {
    expect(() => validateZone('Europe/Atlantis')).toThrow(UsageError);
    expect(() => validateZone('Europe/Atlantis')).toThrow(/Europe\/Atlantis/);
    expect(validateZone('Europe/Berlin')).toBe('Europe/Berlin');
  });

  it('resolves the Berlin DST edges by the documented rules', () => {
    const c = new ZoneConverter('Europe/Berlin');
    expect(c.convert('2024-03-31 01:59:59.999999')).toEqual({ utc: '2024-03-31T00:59:59.999+00:00', epochMs: Date.UTC(2024, 2, 31, 0, 59, 59, 999), resolution: 'normal' });
    expect(c.convert('2024-03-31 02:30:00.000000')?.utc).toBe('2024-03-31T01:30:00.000+00:00');
    expect(c.convert('2024-03-31 02:30:00.000000')?.resolution).toBe('nonexistent');
    expect(c.convert('2024-03-31 03:00:00.000000')).toMatchObject({ utc: '2024-03-31T01:00:00.000+00:00', resolution: 'normal' });
    expect(c.convert('2024-10-27 02:30:00.000000')).toMatchObject({ utc: '2024-10-27T00:30:00.000+00:00', resolution: 'ambiguous' });
    expect(new ZoneConverter('Europe/Berlin', 'later').convert('2024-10-27 02:30:00.000000')).toMatchObject({ utc: '2024-10-27T01:30:00.000+00:00', resolution: 'ambiguous' });
    expect(c.convert('2024-10-27 03:00:00.000000')).toMatchObject({ utc: '2024-10-27T02:00:00.000+00:00', resolution: 'normal' });
    expect(c.convert('2024-10-27T00:30:00.000+00:00')).toBeUndefined();
  });

  it('places repeated-hour times by row order', () => {
    const c = new ZoneConverter('Europe/Berlin', 'order');
    const seq = ['2024-10-27 01:59:00.000000', '2024-10-27 02:10:00.000000', '2024-10-27 02:59:00.000000', '2024-10-27 02:01:00.000000', '2024-10-27 02:58:00.000000', '2024-10-27 03:00:00.000000'];
    let prev: number | undefined;
    const got = seq.map((v) => {
      const r = c.convert(v, prev)!;
      prev = r.epochMs;
      return r.utc.slice(11, 16);
    });
    expect(got).toEqual(['23:59', '00:10', '00:59', '01:01', '01:58', '02:00']);
    // small disorder (several servers, slow requests) stays in the first pass
    const fresh = new ZoneConverter('Europe/Berlin', 'order');
    expect(fresh.convert('2024-10-27 02:08:00.000000', Date.UTC(2024, 9, 27, 0, 10))?.utc).toBe('2024-10-27T00:08:00.000+00:00');
    // no previous row: the first pass
    expect(new ZoneConverter('Europe/Berlin', 'order').convert('2024-10-27 02:30:00.000000')?.utc).toBe('2024-10-27T00:30:00.000+00:00');
    // the second pass of one day does not leak into another year's repeated hour
    expect(c.convert('2025-10-26 02:30:00.000000', Date.UTC(2025, 9, 26, 0, 20))?.utc).toBe('2025-10-26T00:30:00.000+00:00');
  });

  for (const [zone, fold] of [['Europe/Berlin', 0], ['Europe/Berlin', 1], ['America/New_York', 0], ['Australia/Lord_Howe', 0], ['Asia/Kolkata', 0], ['America/Santiago', 0], ['Australia/Sydney', 1], ['UTC', 0]] as const) {
    it(`matches python zoneinfo exactly for ${zone} (fold=${fold})`, () => {
      const values = sampleLocalTimes();
      const expected = pythonToUtc(zone, values, fold);
      const c = new ZoneConverter(zone, fold === 1 ? 'later' : 'earlier');
      const got = values.map((v) => c.convert(v)?.utc);
      // fold=1 also moves gap times to the later offset; our gap rule is fixed (offset before the change).
      const compared = (v: string) => fold === 0 || c.convert(v)?.resolution !== 'nonexistent';
      const mismatches = values.map((v, i) => [v, got[i], expected[i]]).filter(([v, g, e]) => compared(v as string) && g !== e);
      expect(mismatches.slice(0, 5)).toEqual([]);
      expect(got.length).toBe(expected.length);
    });
  }
});
