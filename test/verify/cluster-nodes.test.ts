// verify --node values and the Galera member list as URLs.
import { describe, expect, it } from 'vitest';
import { parseDbUrl } from '../../src/db/url.js';
import { nodeUrl } from '../../src/verify/cluster.js';

const main = parseDbUrl('mysql+pymysql://linotp:s3cret@db1:3306/LinOTP?charset=utf8&unix_socket=/run/mysqld/mysqld.sock');

describe('nodeUrl', () => {
  it('host[:port] takes the credentials and database of the database URI, never its socket', () => {
    const u = nodeUrl(main, 'db2:3307');
    expect(u).toMatchObject({ host: 'db2', port: 3307, user: 'linotp', password: 's3cret', database: 'LinOTP', engine: 'mysql' });
    expect(u.params).toEqual({ charset: 'utf8' });
    expect(nodeUrl(main, 'db3').port).toBe(3306);
    expect(nodeUrl(main, '[fd00::3]:3306').host).toBe('fd00::3');
  });
  it('a URI without a password gets the main one for the same user only', () => {
    expect(nodeUrl(main, 'mysql://linotp@db2/LinOTP').password).toBe('s3cret');
    expect(nodeUrl(main, 'mysql://other@db2/LinOTP').password).toBeUndefined();
    expect(nodeUrl(main, 'mysql://linotp:x@db2').database).toBe('LinOTP');
  });
  it('another engine or a malformed value is a usage error', () => {
    expect(() => nodeUrl(main, 'postgresql://linotp@db2/LinOTP')).toThrow(/is postgres, the database is mysql/);
    expect(() => nodeUrl(main, 'db2:port')).toThrow(/not a URI or host\[:port\]/);
  });
});
