// The pure pieces of cluster awareness: primary_conninfo parsing, refusals, write-set bounds.
import { describe, expect, it } from 'vitest';
import { assertWritable, galeraNodeError, parsePrimaryConninfo, type ClusterInfo } from '../../src/db/cluster.js';
import { writeSetBatch } from '../../src/db/mysql-galera.js';
import { parseDbUrl } from '../../src/db/url.js';

const url = parseDbUrl('mysql://linotp:secret@db1:3306/LinOTP');
const galera = (over: Partial<Extract<ClusterInfo, { kind: 'galera' }>> = {}): Extract<ClusterInfo, { kind: 'galera' }> => ({
  kind: 'galera',
  size: 3,
  state: 'Synced',
  ready: true,
  status: 'Primary',
  nodes: ['10.0.0.1:3306', '10.0.0.2:3306', '10.0.0.3:3306'],
  nodeName: 'db1',
  nodeId: 'u1',
  maxWsRows: 0,
  maxWsSize: 2147483647,
  ...over,
});

describe('parsePrimaryConninfo', () => {
  it('reads host and port from libpq keyword/value strings as pg_basebackup -R writes them', () => {
    expect(parsePrimaryConninfo("user=postgres passfile='/var/lib/postgresql/.pgpass' channel_binding=prefer host=127.0.0.1 port=5441 sslmode=prefer")).toEqual({ host: '127.0.0.1', port: 5441 });
    expect(parsePrimaryConninfo("host='db one' port = 5433")).toEqual({ host: 'db one', port: 5433 });
    expect(parsePrimaryConninfo('hostaddr=10.1.2.3')).toEqual({ host: '10.1.2.3' });
  });
  it('reads URIs, and nothing from nothing', () => {
    expect(parsePrimaryConninfo('postgresql://rep:pw@primary.example.org:6432/x')).toEqual({ host: 'primary.example.org', port: 6432 });
    expect(parsePrimaryConninfo('')).toEqual({});
    expect(parsePrimaryConninfo(undefined)).toEqual({});
  });
});

describe('refusals', () => {
  it('a standby is refused naming its primary, without it when unreadable', () => {
    const pg = parseDbUrl('postgresql://linotp:pw@standby/linotp');
    expect(() => assertWritable(pg, { kind: 'pg-standby', primaryHost: 'db1', primaryPort: 5432 })).toThrow(/is a PostgreSQL standby \(in recovery, read-only\); nothing was changed/);
    try {
      assertWritable(pg, { kind: 'pg-standby', primaryHost: 'db1', primaryPort: 5432 });
    } catch (e) {
      expect((e as { hint: string }).hint).toContain('db1:5432');
      expect((e as Error).message).not.toContain('pw');
    }
    try {
      assertWritable(pg, { kind: 'pg-standby' });
    } catch (e) {
      expect((e as { hint: string }).hint).toMatch(/may not read it/);
    }
  });
  it('a Galera node must be Synced, ready and in the primary component', () => {
    expect(galeraNodeError(url, galera())).toBeUndefined();
    expect(galeraNodeError(url, galera({ state: 'Donor/Desynced' }))!.message).toBe('the Galera node db1 is Donor/Desynced, not Synced; nothing was changed');
    expect(galeraNodeError(url, galera({ state: 'Joined', ready: false }))!.message).toMatch(/is Joined and not ready/);
    expect(galeraNodeError(url, galera({ status: 'non-Primary' }))!.message).toMatch(/not part of the primary component/);
    expect(() => assertWritable(url, { kind: 'single' })).not.toThrow();
    expect(() => assertWritable(url, { kind: 'pg-primary', standbys: [] })).not.toThrow();
  });
});

describe('writeSetBatch', () => {
  it('bounds statements at half the row limit and a quarter of the size limit; none off Galera', () => {
    expect(writeSetBatch({ kind: 'single' })).toEqual({});
    expect(writeSetBatch(galera())).toEqual({ maxRows: undefined, maxBytes: 536870911 });
    expect(writeSetBatch(galera({ maxWsRows: 1000, maxWsSize: 1 << 20 }))).toEqual({ maxRows: 500, maxBytes: 262144 });
    expect(writeSetBatch(galera({ maxWsRows: 1, maxWsSize: 1000 }))).toEqual({ maxRows: 1, maxBytes: 16384 });
  });
});
