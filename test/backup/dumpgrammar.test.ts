// The dump grammar below the CLI: the one VALUES lexer (values.ts), the DDL parser and generator
// (ddlparse.ts, ddlgen.ts), and the scanner's client-command lines and DELIMITER (scanner.ts).
import { describe, expect, it } from 'vitest';
import { classifyStatement, ClassifyState } from '../../src/backup/classify.js';
import { createTableFromDump, ddlStatementSql } from '../../src/backup/ddlgen.js';
import { parseCreateTable } from '../../src/backup/ddlparse.js';
import { readDump, type DumpEvent } from '../../src/backup/dumpread.js';
import { SqlScanner } from '../../src/backup/scanner.js';
import { decodeValues, lexValues } from '../../src/backup/values.js';
import type { Engine } from '../../src/db/types.js';

const utf8 = (b: Buffer) => b.toString('utf8');

async function* chunks(text: string, size = 7): AsyncGenerator<Buffer> {
  const b = Buffer.from(text);
  for (let i = 0; i < b.length; i += size) yield b.subarray(i, i + size);
}

async function events(text: string, dialect: Engine): Promise<DumpEvent[]> {
  const out: DumpEvent[] = [];
  for await (const e of readDump(chunks(text), dialect, 'x.sql')) out.push(e);
  return out;
}

describe('the VALUES lexer', () => {
  it('gives tuple ranges without decoding, and the same values when decoded', () => {
    const b = Buffer.from(`(1,'a''b\\'c',NULL,X'00ff',0x41,_binary 'z',-2.5e3,TRUE) , (2,'',NULL,X'',0x,_binary '',3,false)`);
    const plain = lexValues(b, 0, 'mysql', 'w');
    expect(plain.tuples.length / 2).toBe(2);
    expect(plain.fields).toBe(8);
    expect(plain.values).toBeUndefined();
    const rows = decodeValues(b, lexValues(b, 0, 'mysql', 'w', true), 'mysql', utf8);
    expect(rows[0]).toEqual([1, "a'b'c", null, Buffer.from([0, 255]), Buffer.from('A'), Buffer.from('z'), '-2.5e3', true]);
    expect(rows[1]).toEqual([2, '', null, Buffer.alloc(0), Buffer.alloc(0), Buffer.alloc(0), 3, false]);
  });

  it('keeps MySQL\'s \\% and \\_ as two characters, as the server does outside LIKE', () => {
    const b = Buffer.from(`('100\\%', 'a\\_b', '\\x', _binary '\\%')`);
    expect(decodeValues(b, lexValues(b, 0, 'mysql', 'w', true), 'mysql', utf8)).toEqual([['100\\%', 'a\\_b', 'x', Buffer.from('\\%')]]);
    const e = Buffer.from(`(E'100\\%')`);
    expect(decodeValues(e, lexValues(e, 0, 'postgres', 'w', true), 'postgres', utf8)).toEqual([['100%']]);
  });

  it('reads PostgreSQL standard strings (no backslash escapes) and E strings', () => {
    const b = Buffer.from(`('a\\b', E'c\\nd', 'it''s')`);
    expect(decodeValues(b, lexValues(b, 0, 'postgres', 'w', true), 'postgres', utf8)).toEqual([['a\\b', 'c\nd', "it's"]]);
  });

  it.each([
    ["(1, LOAD_FILE('/etc/passwd'))", /unsupported value/],
    ['(1), (2); DROP TABLE x', /unexpected text after a row/],
    ["(1) ON DUPLICATE KEY UPDATE a = SLEEP(5)", /unexpected text after a row/],
    ['(1, (SELECT 1))', /unsupported value/],
    ['(1, 2), (3)', /a row with 1 values after rows with 2/],
    ["(1, 'open", /unterminated string/],
    ["(X'zz')", /bad hex literal/],
  ])('refuses %s', (text, message) => {
    expect(() => lexValues(Buffer.from(text), 0, 'mysql', 'w')).toThrow(message);
  });
});

describe('CREATE TABLE as a definition', () => {
  const state = () => new ClassifyState('mysql');

  it('rebuilds a mariadb-dump table with its keys, checks and options, quoting every name itself', () => {
    const def = parseCreateTable(
      "CREATE TABLE `Token` (`id` int(11) NOT NULL AUTO_INCREMENT, `s` varchar(40) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL DEFAULT 'x''y', `on` tinyint(1) DEFAULT NULL, `t` timestamp NOT NULL DEFAULT current_timestamp() ON UPDATE current_timestamp(), PRIMARY KEY (`id`), UNIQUE KEY `ix_s` (`s`), KEY `k` (`s`(10)), CONSTRAINT `fk` FOREIGN KEY (`id`) REFERENCES `Realm` (`id`) ON DELETE CASCADE, CONSTRAINT `CONSTRAINT_1` CHECK (`on` in (0,1))) ENGINE=MyISAM AUTO_INCREMENT=9 DEFAULT CHARSET=latin1 ROW_FORMAT=COMPACT",
      'mysql',
      state().names,
    );
    expect(def.notes).toEqual(['ENGINE=MyISAM in the dump: created as InnoDB']);
    expect(createTableFromDump(def, 'mysql')).toBe(
      "CREATE TABLE `Token` (\n  `id` int(11) NOT NULL AUTO_INCREMENT,\n  `s` varchar(40) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL DEFAULT 'x''y',\n  `on` tinyint(1) DEFAULT NULL,\n  `t` timestamp NOT NULL DEFAULT current_timestamp() ON UPDATE current_timestamp(),\n  PRIMARY KEY (`id`),\n  UNIQUE KEY `ix_s` (`s`),\n  KEY `k` (`s`(10)),\n  CONSTRAINT `fk` FOREIGN KEY (`id`) REFERENCES `Realm` (`id`) ON DELETE CASCADE,\n  CHECK (`on` IN (0, 1))\n) ENGINE=InnoDB ROW_FORMAT=DYNAMIC DEFAULT CHARSET=latin1 AUTO_INCREMENT=9",
    );
  });

  it('rebuilds pg_dump tables and their separate statements', () => {
    const st = new ClassifyState('postgres');
    const seq = classifyStatement('CREATE SEQUENCE public."Token_id_seq" AS integer START WITH 1 INCREMENT BY 1 NO MINVALUE NO MAXVALUE CACHE 1', st);
    const table = classifyStatement('CREATE TABLE public."Token" ("id" integer NOT NULL, "d" character varying(80) DEFAULT \'a\'::character varying, "b" boolean DEFAULT false, "ts" timestamp without time zone)', st);
    const owner = classifyStatement('ALTER SEQUENCE public."Token_id_seq" OWNED BY public."Token".id', st);
    const def = classifyStatement('ALTER TABLE ONLY public."Token" ALTER COLUMN id SET DEFAULT nextval(\'public."Token_id_seq"\'::regclass)', st);
    const sv = classifyStatement('SELECT pg_catalog.setval(\'public."Token_id_seq"\', 23, true)', st);
    expect(table.type === 'create' && createTableFromDump(table.def, 'postgres')).toBe('CREATE TABLE "Token" (\n  "id" integer NOT NULL,\n  "d" character varying(80) DEFAULT \'a\'::character varying,\n  "b" boolean DEFAULT false,\n  "ts" timestamp without time zone\n)');
    const sql = [seq, owner, def, sv].map((c) => (c.type === 'ddl' ? ddlStatementSql(c.stmt, 'postgres') : null));
    expect(sql).toEqual([
      { sql: 'CREATE SEQUENCE "Token_id_seq" AS integer START WITH 1 INCREMENT BY 1 CACHE 1' },
      { sql: 'ALTER SEQUENCE "Token_id_seq" OWNED BY "Token"."id"' },
      { sql: 'ALTER TABLE ONLY "Token" ALTER COLUMN "id" SET DEFAULT nextval(\'"Token_id_seq"\'::regclass)' },
      { sql: 'SELECT pg_catalog.setval(?, ?, ?)', params: ['"Token_id_seq"', '23', true] },
    ]);
  });

  it("keeps MariaDB's JSON check and FULLTEXT keys, and SQLite's AUTOINCREMENT inside the column", () => {
    const my = parseCreateTable('CREATE TABLE `t` (`j` longtext DEFAULT NULL CHECK (json_valid(`j`)), `x` text, FULLTEXT KEY `ft` (`x`))', 'mysql', state().names);
    expect(createTableFromDump(my, 'mysql')).toBe('CREATE TABLE `t` (\n  `j` longtext DEFAULT NULL,\n  `x` text,\n  FULLTEXT KEY `ft` (`x`),\n  CHECK (json_valid(`j`))\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci');
    const lite = parseCreateTable('CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, b BOOLEAN, CHECK (b IN (0, 1)))', 'sqlite', new ClassifyState('sqlite').names);
    expect(createTableFromDump(lite, 'sqlite')).toBe('CREATE TABLE "t" (\n  "id" INTEGER PRIMARY KEY AUTOINCREMENT,\n  "b" BOOLEAN,\n  CHECK ("b" IN (0, 1))\n)');
  });

  it.each([
    ['CREATE TABLE `t` (`j` text CHECK (json_valid(load_file(`j`))))', /CHECK/],
    ["CREATE TABLE `t` (`a` int) SELECT LOAD_FILE('/etc/passwd') AS a", /SELECT/],
    ['CREATE TABLE `t` LIKE `other`.`t`', /LIKE/],
    ['CREATE TABLE `t` (`a` int) ENGINE=MERGE UNION=(`x`)', /ENGINE=MERGE/],
    ["CREATE TABLE `t` (`a` int) ENGINE=InnoDB INDEX DIRECTORY='/tmp'", /DIRECTORY/],
    ['CREATE TABLE `t` (`a` int DEFAULT (rand()))', /not a literal/],
    ['CREATE TABLE `t` (`a` int AS (1+1) STORED)', /generated column/],
    ['CREATE TABLE `t` (`a` geometry)', /type geometry/],
    ['CREATE TABLE `o`.`t` (`a` int)', /another database/],
    ['CREATE TABLE `t` (`a` int) PARTITION BY HASH (a)', /PARTITION/],
    ['CREATE TEMPORARY TABLE `t` (`a` int)', /TEMPORARY/],
  ])('refuses %s', (sql, message) => {
    expect(() => classifyStatement(sql, state())).toThrow(message);
  });
});

describe('client commands and DELIMITER', () => {
  it('a client command line never swallows the next statement', async () => {
    const sql = "\\! touch /tmp/x\nINSERT INTO `Token` VALUES (1);\n";
    const scanner = new SqlScanner(chunks(sql), 'mysql', 'x.sql');
    expect((await scanner.next())?.kind).toBe('meta');
    expect(utf8((await scanner.next())!.bytes)).toBe('INSERT INTO `Token` VALUES (1)');
    await expect(events(sql, 'mysql')).rejects.toThrow(/x.sql line 1: the dump is refused: a mysql client command/);
    await expect(events('source /etc/passwd\nINSERT INTO `Token` VALUES (1);', 'mysql')).rejects.toThrow(/line 1: .*mysql client command/);
    await expect(events('CREATE TABLE t (a int);\n\\! id\nCOPY t FROM stdin;\n\\.\n', 'postgres')).rejects.toThrow(/line 2: .*psql command/);
    await expect(events('.shell id\n', 'sqlite')).rejects.toThrow(/line 1: .*sqlite3 command/);
  });

  it("DELIMITER ;; keeps a trigger's body in the trigger, which is listed, not restored", async () => {
    const sql = "CREATE TABLE `Config` (`Key` varchar(9));\nDELIMITER ;;\n/*!50003 CREATE*/ /*!50017 DEFINER=`root`@`localhost`*/ /*!50003 TRIGGER tr BEFORE INSERT ON `Config` FOR EACH ROW BEGIN INSERT INTO `Config` VALUES ('x'); END */;;\nDELIMITER ;\nINSERT INTO `Config` VALUES ('a');\n";
    const ev = await events(sql, 'mysql');
    expect(ev.map((e) => e.type)).toEqual(['create', 'ignored', 'ignored', 'ignored', 'rows']);
    expect(ev.filter((e) => e.type === 'ignored').map((e) => (e as { what: string }).what)).toContain('trigger tr (LinOTP defines none; recreate it by hand if it is yours)');
    const rows = ev.filter((e) => e.type === 'rows');
    expect(rows).toHaveLength(1);
    expect(rows[0].type === 'rows' && rows[0].values()).toEqual([['a']]);
  });

  it('escapes control characters of dump names in refusals and listings', async () => {
    await expect(events('CREATE TABLE `o\x1b[2J`.`t` (`a` int);', 'mysql')).rejects.toThrow('the name o\\x1b[2J.t names another database');
    const ev = await events('CREATE TRIGGER `t\x1b]0;x\x07` BEFORE INSERT ON `c` FOR EACH ROW SET @a = 1;', 'mysql');
    expect(ev[0].type === 'ignored' && ev[0].what).toMatch(/^trigger t\\x1b\]0;x\\x07 /);
  });

  it("mysqldump's placeholder table for a view is not restored as a table", async () => {
    const { inspectDump } = await import('../../src/backup/inspect.js');
    const sql = "-- MySQL dump 10.13\nCREATE TABLE `Config` (`Key` varchar(9));\nCREATE TABLE `Token` (`id` int);\n/*!50001 CREATE TABLE `v` (\n  `Key` tinyint NOT NULL\n) ENGINE=MyISAM */;\n/*!50001 DROP TABLE IF EXISTS `v`*/;\n/*!50001 CREATE ALGORITHM=UNDEFINED */\n/*!50013 DEFINER=`root`@`localhost` SQL SECURITY DEFINER */\n/*!50001 VIEW `v` AS select `Config`.`Key` AS `Key` from `Config` */;\n";
    const src = { path: 'x.sql', kind: 'dump', gzip: false, dumpName: 'x.sql', dumpBytes: Buffer.byteLength(sql), dialect: 'mysql', openDump: () => chunks(sql), dumpSha256: '' } as never;
    const info = await inspectDump(src);
    expect(info.tables.map((t) => t.name)).toEqual(['Config', 'Token']);
    expect(info.notes).toEqual(['v: the dump\'s placeholder table for view v (line 4) is not restored']);
    expect(info.ignored.map((i) => i.what)).toContain('view v (LinOTP defines none; recreate it by hand if it is yours)');
  });

  it('INSERT DELAYED / IGNORE / REPLACE are rows; pg_dump --inserts are decoded, never sent as COPY text', async () => {
    const my = await events("INSERT DELAYED IGNORE INTO `t` VALUES (1);\nREPLACE LOW_PRIORITY INTO `t` (`a`) VALUES (2);\n", 'mysql');
    expect(my.map((e) => e.type === 'rows' && [e.table, e.columns, e.values()])).toEqual([['t', null, [[1]]], ['t', ['a'], [[2]]]]);
    const pg = await events('INSERT INTO public."t" ("a") OVERRIDING SYSTEM VALUE VALUES (1), (2);\n', 'postgres');
    expect(pg[0].type === 'rows' && pg[0].passthrough()).toBe(null);
    expect(pg[0].type === 'rows' && pg[0].values()).toEqual([[1], [2]]);
  });
});
