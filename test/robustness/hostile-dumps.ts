/**
 * Generators of dumps that try to run code on the restoring server (issue 21 item 8) or lose rows
 * silently (issue 23), made from a real dump by small text edits: a real mariadb-dump
 * (fixtures/demo/linotp2-mysql.sql) and a pg_dump made in the test's set-up. Each case names the
 * construct, where it goes, and what restore and verify must answer (the line is where the injected
 * statement starts).
 */
export type DumpEngine = 'mysql' | 'postgres';

export interface DumpEdit {
  /** The edited dump and the 1-based line of the construct. */
  text: string;
  line: number;
}

export interface DumpCase {
  name: string;
  engine: DumpEngine;
  edit(base: string, fx: { marker: string; otherDb: string }): DumpEdit;
  /** Refused: what the error line says after `line N: `. Accepted: undefined. */
  refused?: RegExp;
  /** Accepted: restored completely (every table's rows as in the unedited dump). */
  accepted?: true;
  /** Accepted: an entry the plan and verify list as not restored. */
  listed?: RegExp;
  /** Wall time bound for restore (a SLEEP must never run). */
  seconds?: number;
}

function lineOf(text: string, at: number): number {
  let n = 1;
  for (let i = text.indexOf('\n'); i >= 0 && i < at; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

/** Puts `stmt` on its own line before the first line starting with `anchor`. */
export function insertBefore(base: string, anchor: string, stmt: string): DumpEdit {
  const at = base.indexOf('\n' + anchor) + 1;
  if (at <= 0) throw new Error(`anchor not found: ${anchor}`);
  return { text: base.slice(0, at) + stmt + '\n' + base.slice(at), line: lineOf(base, at) };
}

/** Replaces the statement that starts with `head` (up to its `;` at a line end) by `stmt`. */
export function replaceStatement(base: string, head: string, stmt: string): DumpEdit {
  const at = base.indexOf('\n' + head) + 1;
  if (at <= 0) throw new Error(`statement not found: ${head}`);
  const end = base.indexOf(';\n', at);
  return { text: base.slice(0, at) + stmt + base.slice(end), line: lineOf(base, at) };
}

const MY_TOKEN_INSERT = 'INSERT INTO `Token` VALUES';
const MY_CONFIG_CREATE = 'CREATE TABLE `Config`';
const PG_CONFIG_CREATE = 'CREATE TABLE public."Config"';
const PG_TOKEN_COPY = 'COPY public."Token"';

const myConfig = (tail: string, cols = '`Key` varchar(255) NOT NULL, `Value` varchar(2000) DEFAULT NULL, `Type` varchar(2000) DEFAULT NULL, `Description` varchar(2000) DEFAULT NULL, PRIMARY KEY (`Key`)') => `CREATE TABLE \`Config\` (${cols})${tail}`;
const pgConfig = (cols = '"Key" character varying(255) NOT NULL, "Value" character varying(2000), "Type" character varying(2000), "Description" character varying(2000)', tail = '') => `CREATE TABLE public."Config" (${cols})${tail}`;

export const DUMP_CASES: DumpCase[] = [
  // --- MariaDB: DDL as code -------------------------------------------------------------------
  { name: 'CREATE TABLE … SELECT LOAD_FILE', engine: 'mysql', edit: (b) => replaceStatement(b, MY_CONFIG_CREATE, myConfig(" ENGINE=InnoDB SELECT 'x' AS `Key`, LOAD_FILE('/etc/hostname') AS `Value`")), refused: /CREATE TABLE … SELECT/ },
  { name: 'CREATE TABLE … SELECT SLEEP', engine: 'mysql', edit: (b) => replaceStatement(b, MY_CONFIG_CREATE, myConfig(' ENGINE=InnoDB SELECT SLEEP(30) AS `Type`')), refused: /SELECT/, seconds: 20 },
  { name: 'DEFAULT expression', engine: 'mysql', edit: (b) => replaceStatement(b, MY_CONFIG_CREATE, myConfig(' ENGINE=InnoDB', "`Key` varchar(255) NOT NULL, `Value` varchar(2000) DEFAULT (LOAD_FILE('/etc/hostname')), `Type` varchar(2000), `Description` varchar(2000), PRIMARY KEY (`Key`)")), refused: /DEFAULT of Value is not a literal/ },
  { name: 'CREATE TABLE … LIKE another database', engine: 'mysql', edit: (b, fx) => replaceStatement(b, MY_CONFIG_CREATE, `CREATE TABLE \`Config\` LIKE \`${fx.otherDb}\`.\`secret\``), refused: /LIKE/ },
  { name: 'ENGINE=MERGE UNION=(other database)', engine: 'mysql', edit: (b, fx) => replaceStatement(b, MY_CONFIG_CREATE, myConfig(` ENGINE=MERGE UNION=(\`${fx.otherDb}\`.\`secret\`)`)), refused: /ENGINE=MERGE/ },
  { name: 'UNION= on an accepted engine', engine: 'mysql', edit: (b, fx) => replaceStatement(b, MY_CONFIG_CREATE, myConfig(` ENGINE=MyISAM UNION=(\`${fx.otherDb}\`.\`secret\`)`)), refused: /UNION/ },
  { name: 'DATA DIRECTORY', engine: 'mysql', edit: (b) => replaceStatement(b, MY_CONFIG_CREATE, myConfig(" ENGINE=InnoDB DATA DIRECTORY='/tmp'")), refused: /DIRECTORY/ },
  { name: 'a table of another database', engine: 'mysql', edit: (b, fx) => replaceStatement(b, MY_CONFIG_CREATE, `CREATE TABLE ${fx.otherDb}.Config (\`Key\` varchar(255) NOT NULL, PRIMARY KEY (\`Key\`))`), refused: /names another database/ },
  { name: 'rows for a table of another database', engine: 'mysql', edit: (b, fx) => insertBefore(b, MY_TOKEN_INSERT, `INSERT INTO \`${fx.otherDb}\`.\`secret\` VALUES (2,'planted');`), refused: /names another database/ },
  { name: 'generated column', engine: 'mysql', edit: (b) => replaceStatement(b, MY_CONFIG_CREATE, myConfig(' ENGINE=InnoDB', '`Key` varchar(255) NOT NULL, `Value` varchar(2000), `Type` varchar(2000), `Description` varchar(2000), `v` varchar(20) AS (CONCAT(`Key`, SLEEP(5))) VIRTUAL, PRIMARY KEY (`Key`)')), refused: /generated column/ },
  { name: 'CHECK with a function call', engine: 'mysql', edit: (b) => replaceStatement(b, MY_CONFIG_CREATE, myConfig(' ENGINE=InnoDB', '`Key` varchar(255) NOT NULL, `Value` varchar(2000), `Type` varchar(2000), `Description` varchar(2000), PRIMARY KEY (`Key`), CONSTRAINT `c` CHECK (SLEEP(5) = 0)')), refused: /CHECK/ },
  { name: 'a function call in a VALUES list', engine: 'mysql', edit: (b) => insertBefore(b, MY_TOKEN_INSERT, "INSERT INTO `Config` VALUES ('planted',LOAD_FILE('/etc/hostname'),NULL,NULL);"), refused: /unsupported value/ },
  { name: 'a second statement inside a VALUES list', engine: 'mysql', edit: (b) => insertBefore(b, MY_TOKEN_INSERT, "INSERT INTO `Config` VALUES ('planted','x',NULL,NULL) ON DUPLICATE KEY UPDATE `Value`=LOAD_FILE('/etc/hostname');"), refused: /unexpected text after a row/ },
  { name: 'INSERT … SELECT', engine: 'mysql', edit: (b, fx) => insertBefore(b, MY_TOKEN_INSERT, `INSERT INTO \`Config\` SELECT * FROM \`${fx.otherDb}\`.\`secret\`;`), refused: /without VALUES/ },
  { name: 'GRANT', engine: 'mysql', edit: (b) => insertBefore(b, MY_TOKEN_INSERT, "GRANT ALL PRIVILEGES ON *.* TO 'linotp'@'%';"), refused: /GRANT/ },
  { name: 'SET GLOBAL', engine: 'mysql', edit: (b) => insertBefore(b, MY_TOKEN_INSERT, 'SET GLOBAL general_log = 1;'), refused: /SET GLOBAL/ },
  { name: 'SET with a function call', engine: 'mysql', edit: (b) => insertBefore(b, MY_TOKEN_INSERT, 'SET @x = SLEEP(30);'), refused: /not a literal or a variable/, seconds: 20 },
  { name: '\\! before INSERT INTO Token (was: Token restored with 0 rows)', engine: 'mysql', edit: (b, fx) => insertBefore(b, MY_TOKEN_INSERT, `\\! touch ${fx.marker}`), refused: /mysql client command/ },
  { name: 'system (named client command)', engine: 'mysql', edit: (b, fx) => insertBefore(b, MY_TOKEN_INSERT, `system touch ${fx.marker}`), refused: /mysql client command/ },
  { name: 'source', engine: 'mysql', edit: (b) => insertBefore(b, MY_TOKEN_INSERT, 'source /etc/passwd'), refused: /mysql client command/ },
  { name: 'a client command inside a statement', engine: 'mysql', edit: (b, fx) => insertBefore(b, MY_TOKEN_INSERT, `DROP TABLE IF EXISTS \`x\` \\! touch ${fx.marker}\n;`), refused: /client command/ },
  // --- MariaDB: accepted, restored completely, the rest listed ------------------------------------
  { name: 'INSERT DELAYED IGNORE (mariadb-dump --delayed-insert)', engine: 'mysql', edit: (b) => ({ text: b.replace(/^INSERT INTO /gm, 'INSERT DELAYED IGNORE INTO '), line: 0 }), accepted: true },
  { name: 'REPLACE INTO (mariadb-dump --replace)', engine: 'mysql', edit: (b) => ({ text: b.replace(/^INSERT INTO /gm, 'REPLACE INTO '), line: 0 }), accepted: true },
  {
    name: 'a trigger (mariadb-dump --triggers): its body is no Config row, and it is listed',
    engine: 'mysql',
    edit: (b) => insertBefore(b, MY_TOKEN_INSERT, "DELIMITER ;;\n/*!50003 CREATE*/ /*!50017 DEFINER=`root`@`localhost`*/ /*!50003 TRIGGER cfg_bi BEFORE INSERT ON `Config` FOR EACH ROW BEGIN INSERT INTO `Config` VALUES ('planted','x',NULL,NULL); END */;;\nDELIMITER ;"),
    accepted: true,
    listed: /trigger cfg_bi/,
  },
  { name: 'a procedure and an event are listed, not run', engine: 'mysql', edit: (b) => insertBefore(b, MY_TOKEN_INSERT, "DELIMITER ;;\nCREATE PROCEDURE p() BEGIN SELECT SLEEP(30); END ;;\nCREATE EVENT e ON SCHEDULE EVERY 1 MINUTE DO SELECT SLEEP(30) ;;\nDELIMITER ;"), accepted: true, listed: /procedure p/ },
  // --- PostgreSQL: DDL as code ------------------------------------------------------------------
  { name: 'CREATE TABLE … AS SELECT (pg)', engine: 'postgres', edit: (b) => replaceStatement(b, PG_CONFIG_CREATE, "CREATE TABLE public.\"Config\" AS SELECT 'x'::varchar AS \"Key\", pg_read_file('/etc/hostname') AS \"Value\""), refused: /AS|SELECT/ },
  { name: 'a function call in a DEFAULT (pg)', engine: 'postgres', edit: (b) => replaceStatement(b, PG_CONFIG_CREATE, pgConfig(`"Key" character varying(255) NOT NULL, "Value" character varying(2000) DEFAULT pg_read_file('/etc/hostname'), "Type" character varying(2000), "Description" character varying(2000)`)), refused: /DEFAULT of Value is not a literal/ },
  { name: 'pg_sleep in a CHECK (pg)', engine: 'postgres', edit: (b) => replaceStatement(b, PG_CONFIG_CREATE, pgConfig(`"Key" character varying(255) NOT NULL, "Value" character varying(2000), "Type" character varying(2000), "Description" character varying(2000), CONSTRAINT c CHECK (pg_sleep(30) IS NOT NULL)`)), refused: /CHECK/, seconds: 20 },
  { name: 'ALTER … TYPE … USING (pg)', engine: 'postgres', edit: (b) => insertBefore(b, PG_TOKEN_COPY, `ALTER TABLE ONLY public."Config" ALTER COLUMN "Value" TYPE text USING pg_read_file('/etc/hostname');`), refused: /not nextval|ALTER/ },
  { name: 'ADD CONSTRAINT CHECK (pg)', engine: 'postgres', edit: (b) => insertBefore(b, PG_TOKEN_COPY, `ALTER TABLE ONLY public."Config" ADD CONSTRAINT c CHECK (pg_sleep(30) IS NOT NULL);`), refused: /CHECK/, seconds: 20 },
  { name: 'nextval of another table\'s sequence (pg)', engine: 'postgres', edit: (b) => insertBefore(b, PG_TOKEN_COPY, `ALTER TABLE ONLY public."Realm" ALTER COLUMN id SET DEFAULT nextval('public."Token_LinOtpTokenId_seq"'::regclass);`), refused: /sequence of Token/ },
  { name: 'a name in another schema (pg)', engine: 'postgres', edit: (b) => insertBefore(b, PG_TOKEN_COPY, 'CREATE TABLE other."Config" (id integer);'), refused: /in schema other/ },
  { name: 'COPY … FROM PROGRAM (pg)', engine: 'postgres', edit: (b, fx) => insertBefore(b, PG_TOKEN_COPY, `COPY public."Config" FROM PROGRAM 'touch ${fx.marker}';`), refused: /FROM PROGRAM/ },
  { name: "pg_dump -Ft's restore.sql (COPY … FROM '$$PATH$$/…'; was: every table replaced by an empty one)", engine: 'postgres', edit: (b) => ({ text: b.replace(/^(COPY [^\n]*) FROM stdin;\n[\s\S]*?\n\\\.\n/gm, (_m, head) => `${head} FROM '$$PATH$$/3001.dat';\n`), line: lineOf(b, b.indexOf('\nCOPY ') + 1) }), refused: /\$\$PATH\$\$/ },
  { name: 'SELECT pg_sleep (pg)', engine: 'postgres', edit: (b) => insertBefore(b, PG_TOKEN_COPY, 'SELECT pg_sleep(30);'), refused: /SELECT/, seconds: 20 },
  { name: 'a psql \\! command (pg)', engine: 'postgres', edit: (b, fx) => insertBefore(b, PG_TOKEN_COPY, `\\! touch ${fx.marker}`), refused: /psql command/ },
  { name: 'psql \\i (pg)', engine: 'postgres', edit: (b) => insertBefore(b, PG_TOKEN_COPY, '\\i /etc/passwd'), refused: /psql command/ },
  { name: 'SET ROLE (pg)', engine: 'postgres', edit: (b) => insertBefore(b, PG_TOKEN_COPY, 'SET ROLE postgres;'), refused: /SET ROLE/ },
  // --- PostgreSQL: accepted and listed ----------------------------------------------------------
  { name: 'a function and a trigger are listed, not created (pg)', engine: 'postgres', edit: (b) => insertBefore(b, PG_TOKEN_COPY, "CREATE FUNCTION public.f() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN PERFORM pg_sleep(30); RETURN NEW; END$$;\nCREATE TRIGGER t BEFORE INSERT ON public.\"Token\" FOR EACH ROW EXECUTE FUNCTION public.f();"), accepted: true, listed: /trigger t/ },
  { name: 'GRANT on a table is listed (pg)', engine: 'postgres', edit: (b) => insertBefore(b, PG_TOKEN_COPY, 'GRANT SELECT ON TABLE public."Token" TO PUBLIC;'), accepted: true, listed: /privileges/ },
];
