import { describe, expect, it } from 'vitest';
import { compareColumns, compareIndexes, typeMatches } from '../../src/schema/inspect.js';
import { getTable, LINOTP_3_4 } from '../../src/schema/tables.js';

const config = getTable(LINOTP_3_4, 'Config');
const token = getTable(LINOTP_3_4, 'Token');

describe('compareColumns', () => {
  it('accepts the engine type names and ignores order', () => {
    const cols = [
      { name: 'Value', dataType: 'varchar', nullable: true, maxLength: 2000 },
      { name: 'Key', dataType: 'varchar', nullable: false, maxLength: 255 },
      { name: 'Description', dataType: 'varchar', nullable: true, maxLength: 2000 },
      { name: 'Type', dataType: 'varchar', nullable: true, maxLength: 2000 },
    ];
    expect(compareColumns(config, cols, 'mysql')).toEqual([]);
  });
  it('reports missing, extra, shorter (error) and longer (warning) columns', () => {
    const cols = [
      { name: 'Key', dataType: 'character varying', nullable: false, maxLength: 255 },
      { name: 'Value', dataType: 'character varying', nullable: true, maxLength: 3000 },
      { name: 'Type', dataType: 'character varying', nullable: true, maxLength: 100 },
      { name: 'IV', dataType: 'character varying', nullable: true, maxLength: 2000 },
    ];
    const issues = compareColumns(config, cols, 'postgres');
    expect(issues.map((i) => [i.column, i.kind, i.severity])).toEqual([
      ['Value', 'length', 'warning'],
      ['Type', 'length', 'error'],
      ['Description', 'missing-column', 'error'],
      ['IV', 'extra-column', 'warning'],
    ]);
  });
  it('types: SQLite declared types with length, MySQL BOOL = tinyint', () => {
    expect(typeMatches({ kind: 'string', length: 80 }, { name: 'x', dataType: 'varchar(80)', nullable: true }, 'sqlite')).toBe(true);
    expect(typeMatches({ kind: 'boolean' }, { name: 'x', dataType: 'tinyint', nullable: true }, 'mysql')).toBe(true);
    expect(typeMatches({ kind: 'datetime' }, { name: 'x', dataType: 'varchar', nullable: true }, 'mysql')).toBe(false);
  });
  it('a NOT NULL column where LinOTP writes NULL is an error', () => {
    const cols = token.columns.map((c) => ({
      name: c.name,
      dataType: c.type.kind === 'string' ? 'varchar' : c.type.kind === 'int' ? 'integer' : c.type.kind === 'boolean' ? 'boolean' : 'datetime',
      nullable: c.name === 'LinOtpUserid' ? false : c.nullable,
      ...(c.type.kind === 'string' ? { maxLength: c.type.length } : {}),
    }));
    const issues = compareColumns(token, cols, 'sqlite');
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ column: 'LinOtpUserid', kind: 'nullability', severity: 'error' });
  });
});

describe('compareIndexes', () => {
  it('missing unique serial index is an error unless an equivalent unique index exists', () => {
    const all = token.indexes.map((i) => ({ name: i.name, columns: i.columns, unique: i.unique }));
    expect(compareIndexes(token, all)).toEqual([]);
    const noSerial = all.filter((i) => !i.unique);
    expect(compareIndexes(token, noSerial)[0]).toMatchObject({ kind: 'missing-index', severity: 'error' });
    const renamed = [...noSerial, { name: 'serial_uq', columns: ['LinOtpTokenSerialnumber'], unique: true }];
    expect(compareIndexes(token, renamed)[0]).toMatchObject({ kind: 'missing-index', severity: 'warning' });
  });
  it('Realm.name needs some unique index', () => {
    const realm = getTable(LINOTP_3_4, 'Realm');
    expect(compareIndexes(realm, [])[0]).toMatchObject({ kind: 'missing-unique', severity: 'error' });
    expect(compareIndexes(realm, [{ name: 'Realm_name_key', columns: ['name'], unique: true }])).toEqual([]);
  });
});
