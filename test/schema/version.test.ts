import { describe, expect, it } from 'vitest';
import {
  describeModelVersion,
  isNewerThanTarget,
  MIGRATION_STEPS,
  stepsBetween,
} from '../../src/schema/version.js';

describe('describeModelVersion', () => {
  it('no Config table → not a LinOTP database', () => {
    const i = describeModelVersion({ configTable: false, stored: null, touched: false });
    expect(i.state).toBe('no-linotp');
    expect(i.upgradable).toBe(false);
  });
  it('Config without version key and without linotp.Config → untouched, no steps', () => {
    const i = describeModelVersion({ configTable: true, stored: null, touched: false });
    expect(i).toMatchObject({ state: 'untouched', remainingSteps: [], upgradable: true, current: false });
  });
  it('used database without the key → LinOTP ≤ 2.9, every step', () => {
    const i = describeModelVersion({ configTable: true, stored: null, touched: true });
    expect(i.state).toBe('pre-2.10');
    expect(i.remainingSteps).toEqual([...MIGRATION_STEPS]);
  });
  it.each([
    ['2.10.1.0', 'LinOTP 2.10 – 2.11', ['2.12.0.0', '3.0.0.0', '3.1.0.0', '3.2.0.0', '3.2.2.0', '3.2.3.0']],
    ['2.12.0.0', 'LinOTP 2.12', ['3.0.0.0', '3.1.0.0', '3.2.0.0', '3.2.2.0', '3.2.3.0']],
    ['3.0.0.0', 'LinOTP 3.0', ['3.1.0.0', '3.2.0.0', '3.2.2.0', '3.2.3.0']],
    ['3.1.0.0', 'LinOTP 3.1', ['3.2.0.0', '3.2.2.0', '3.2.3.0']],
    ['3.2.0.0', 'LinOTP 3.2.0 – 3.2.1', ['3.2.2.0', '3.2.3.0']],
    ['3.2.2.0', 'LinOTP 3.2.2', ['3.2.3.0']],
    ['3.2.3.0', 'LinOTP 3.2.3 – 3.4.x', []],
  ])('%s → %s', (stored, releases, steps) => {
    const i = describeModelVersion({ configTable: true, stored, touched: true });
    expect(i).toMatchObject({ state: 'known', releases, remainingSteps: steps, upgradable: true });
    expect(i.current).toBe(stored === '3.2.3.0');
  });
  it('4.0.0.0 is newer: flagged, not upgradable (LinOTP 3.4 would overwrite it)', () => {
    const i = describeModelVersion({ configTable: true, stored: '4.0.0.0', touched: true });
    expect(i).toMatchObject({ state: 'newer', upgradable: false, remainingSteps: [] });
    expect(i.releases).toContain('4.0');
    expect(i.notes[0]).toContain('newer');
  });
  it('garbage and unlisted versions are unknown', () => {
    for (const v of ['', '2.12', 'x', '2.11.0.0']) {
      const i = describeModelVersion({ configTable: true, stored: v, touched: true });
      expect(i.state).toBe('unknown');
      expect(i.upgradable).toBe(false);
    }
  });
  it('untouched database with the current version is current', () => {
    const i = describeModelVersion({ configTable: true, stored: '3.2.3.0', touched: false });
    expect(i).toMatchObject({ state: 'untouched', current: true, notes: [] });
  });
});

describe('helpers', () => {
  it('isNewerThanTarget compares numerically', () => {
    expect(isNewerThanTarget('4.0.0.0')).toBe(true);
    expect(isNewerThanTarget('3.2.10.0')).toBe(true);
    expect(isNewerThanTarget('3.2.3.0')).toBe(false);
    expect(isNewerThanTarget('2.12.0.0')).toBe(false);
    expect(isNewerThanTarget('abc')).toBe(false);
  });
  it('stepsBetween', () => {
    expect(stepsBetween('2.12.0.0', '3.1.0.0')).toEqual(['3.0.0.0', '3.1.0.0']);
    expect(stepsBetween(null, '2.10.1.0')).toEqual(['2.9.1.0', '2.10.1.0']);
    expect(() => stepsBetween('9.9')).toThrow();
  });
});
