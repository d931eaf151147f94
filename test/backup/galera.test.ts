// Dump DDL for a Galera target: the engine read from CREATE TABLE, MyISAM/Aria made InnoDB.
import { describe, expect, it } from 'vitest';
import { innodbCreateSql, replicatedEngine, tableEngine } from '../../src/backup/galera.js';

const myisam = 'CREATE TABLE `Token` (\n  `id` int(11) NOT NULL AUTO_INCREMENT,\n  `engine` varchar(10),\n  PRIMARY KEY (`id`)\n) ENGINE=MyISAM AUTO_INCREMENT=24 DEFAULT CHARSET=utf8mb3';

describe('tableEngine / replicatedEngine', () => {
  it('reads the table option, not a column of that name', () => {
    expect(tableEngine(myisam)).toBe('MyISAM');
    expect(tableEngine('CREATE TABLE t (a int) ENGINE = Aria PAGE_CHECKSUM=1')).toBe('Aria');
    expect(tableEngine('CREATE TABLE t (engine int)')).toBeUndefined();
    expect(replicatedEngine('InnoDB')).toBe(true);
    expect(replicatedEngine(undefined)).toBe(true);
    expect(replicatedEngine('MyISAM')).toBe(false);
    expect(replicatedEngine('MEMORY')).toBe(false);
  });
});

describe('innodbCreateSql', () => {
  it('keeps columns, keys, AUTO_INCREMENT and charset; InnoDB DYNAMIC', () => {
    expect(innodbCreateSql(myisam)).toBe(myisam.replace('ENGINE=MyISAM', 'ENGINE=InnoDB ROW_FORMAT=DYNAMIC'));
  });
  it('drops the options only MyISAM/Aria know, and a FIXED row format', () => {
    expect(innodbCreateSql('CREATE TABLE t (a int) ENGINE=Aria PAGE_CHECKSUM=1 TRANSACTIONAL=1 ROW_FORMAT=PAGE DEFAULT CHARSET=utf8mb4')).toBe('CREATE TABLE t (a int) ENGINE=InnoDB ROW_FORMAT=DYNAMIC DEFAULT CHARSET=utf8mb4');
    expect(innodbCreateSql('CREATE TABLE t (a int) ENGINE=MyISAM DELAY_KEY_WRITE=1 ROW_FORMAT=FIXED')).toBe('CREATE TABLE t (a int) ENGINE=InnoDB ROW_FORMAT=DYNAMIC');
  });
});
