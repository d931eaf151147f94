// Cross-engine value conversion: timestamps keep their instant and reach SQLite in the form
// SQLAlchemy reads right (it takes a fraction's digits as microseconds: `.5` would be 5 µs).
import { describe, expect, it } from 'vitest';
import { convertValue } from '../../src/backup/convert.js';
import type { LogicalType } from '../../src/schema/tables.js';

const datetime = { kind: 'datetime' } as LogicalType;

describe('convertValue datetime', () => {
  it('pads a short fraction to microseconds', () => {
    expect(convertValue('2024-05-01 10:00:00.5', datetime)).toBe('2024-05-01 10:00:00.500000');
    expect(convertValue('2024-05-01 10:00:00.12345', datetime)).toBe('2024-05-01 10:00:00.123450');
  });
  it('leaves whole seconds, six digits and NULL as they are', () => {
    expect(convertValue('2024-05-01 10:00:00', datetime)).toBe('2024-05-01 10:00:00');
    expect(convertValue('2024-05-01 10:00:00.000005', datetime)).toBe('2024-05-01 10:00:00.000005');
    expect(convertValue(null, datetime)).toBe(null);
  });
});
