/**
 * The hostile-input corpus (data for hostile.test.ts). Each case is a command line, the files it
 * creates first in its own temporary directory, the exit code docs/exit-codes.md documents for it,
 * and what the one error line must name. Placeholders in arguments, environment values and paths:
 *   {dir}     the case's own directory (also the working directory)
 *   {archive} a good `backup create` archive (SQLite source, passphrase PASSPHRASE)
 *   {key}     the right encKey of that source      {ini}  a good linotp.ini of the demo installation
 *   {dump}    fixtures/demo/linotp2-mysql.sql     {db}   the target database of the case (per engine)
 *   {marker}  a path that any code execution attempt would create
 * Exit codes: 1 = refused or failed, nothing changed; 2 = invalid option value; 3 = the command ran and
 * its checks failed (verify, backup verify, rehearse, --plan).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import type { TestEngine } from '../helpers/db.js';
import { extendedHeaderBomb, tarGz } from './helpers.js';

export const PASSPHRASE = 'hostile-suite passphrase 7Qx';

export interface Fixture {
  dir: string;
  archive: string;
  key: string;
  ini: string;
  dump: string;
  db: string;
  marker: string;
}

type Content = string | Buffer | ((fx: Fixture) => string | Buffer);

export interface HostileCase {
  name: string;
  args: string[];
  files?: Record<string, Content>;
  env?: Record<string, string>;
  /** stdin (a pipe, never a terminal; empty when not given). */
  input?: string;
  /** Runs after the files are written (e.g. to shape a SQLite database). */
  setup?: (fx: Fixture) => Promise<void> | void;
  exit: 1 | 2 | 3;
  /** What the `error:` line must say. */
  message: RegExp;
  /** A database whose tables must be unchanged: the shared LinOTP 2 fixture, another application's, or a URL of the case. */
  target?: 'linotp' | 'foreign' | { url: string };
  /** Engines to run a target case on (default: SQLite only — the refusal happens before any database is opened). */
  engines?: TestEngine[];
  /** A server the case needs although it has no target (connection failures). */
  needs?: 'mysql' | 'postgres';
  /** Paths that must not exist afterwards (nothing written, no code executed). */
  absent?: string[];
  /** Status lines the command may print before it finds the problem. */
  status?: RegExp[];
  /** Wall time and peak RSS bounds (defaults in hostile.test.ts). */
  limits?: { seconds?: number; rssMb?: number };
  /** A secret that must not show on stdout or stderr. */
  secret?: string;
  /** Known bug outside this suite's paths: the case documents it and is skipped (reproduction in the text). */
  skip?: string;
}

// ---------------------------------------------------------------------------------------------
// Inputs

/** Deterministic "random" bytes: the corpus must fail the same way on every run. */
export function noise(seed: string, n: number): Buffer {
  const out: Buffer[] = [];
  let h = Buffer.from(seed);
  for (let len = 0; len < n; len += 32) out.push((h = createHash('sha256').update(h).digest()));
  return Buffer.concat(out).subarray(0, n);
}

const bytes = (fx: Fixture) => readFileSync(fx.archive);
const dumpText = (fx: Fixture) => readFileSync(fx.dump, 'utf8');

/** The demo dump with one more Config row inserted at the head of its VALUES list. */
export function withConfigRow(fx: Fixture, row: string): string {
  const s = dumpText(fx);
  const head = 'INSERT INTO `Config` VALUES\n';
  const i = s.indexOf(head) + head.length;
  if (i < head.length) throw new Error('the demo dump has no Config INSERT');
  return s.slice(0, i) + row + ',\n' + s.slice(i);
}

const cfgAt = (name: string) => ({ LINOTP_CFG: `{dir}/${name}` });
/** Lines `backup restore` prints (its plan) before it loads; a failure while loading follows them. */
export const RESTORE_PLAN_LINES = [/^reading .+ …$/, /^restore into /, /^table\s+rows\s+action$/, /^[─ ]+$/, /^\S+\s+\d+\s+(replace|create)$/, /^left as they are: /, /^skipped /];

const HUGE = 50_000_000;

// ---------------------------------------------------------------------------------------------
// The corpus

export const CASES: HostileCase[] = [
  // -- archives: truncated, corrupt, unsafe members
  {
    name: 'our archive cut in half (backup verify)',
    files: { 'half.tar.gz': (fx) => bytes(fx).subarray(0, Math.floor(bytes(fx).length / 2)) },
    args: ['backup', 'verify', '--file', '{dir}/half.tar.gz'],
    exit: 1,
    message: /half\.tar\.gz is not a readable tar archive: .*(truncated|damaged)/,
  },
  {
    name: 'our archive cut in half (backup restore)',
    files: { 'half.tar.gz': (fx) => bytes(fx).subarray(0, Math.floor(bytes(fx).length / 2)) },
    args: ['backup', 'restore', '--file', '{dir}/half.tar.gz', '--database-uri', '{db}', '--yes'],
    target: 'linotp',
    exit: 1,
    message: /not a readable tar archive/,
  },
  {
    name: 'our archive with bytes flipped in the middle of the gzip stream',
    files: {
      'flipped.tar.gz': (fx) => {
        const b = Buffer.from(bytes(fx));
        for (let i = 300; i < 400; i++) b[i] ^= 0xa5;
        return b;
      },
    },
    args: ['backup', 'verify', '--file', '{dir}/flipped.tar.gz'],
    exit: 1,
    message: /flipped\.tar\.gz (is not a readable tar archive|cannot be read)/,
  },
  {
    name: 'gzip magic followed by garbage',
    files: { 'garbage.tar.gz': Buffer.concat([Buffer.from([0x1f, 0x8b]), noise('gzip garbage', 4000)]) },
    args: ['backup', 'restore', '--file', '{dir}/garbage.tar.gz', '--database-uri', '{db}', '--yes'],
    target: 'linotp',
    exit: 1,
    message: /garbage\.tar\.gz cannot be read/,
  },
  {
    name: 'binary garbage named like a backup',
    files: { 'linotp_backup_2401010000.tar.gz': noise('not gzip', 5000) },
    args: ['backup', 'restore', '--file', '{dir}/linotp_backup_2401010000.tar.gz', '--database-uri', '{db}', '--yes'],
    target: 'linotp',
    exit: 1,
    message: /(not a LinOTP database dump|does not look like a SQL dump)/,
  },
  {
    name: 'an empty file as the backup',
    files: { 'linotp_backup_2401010000.sql': '' },
    args: ['backup', 'verify', '--file', '{dir}/linotp_backup_2401010000.sql'],
    exit: 1,
    message: /does not look like a SQL dump/,
  },
  {
    name: 'a tar member named ../../…/tmp/lmt-hostile-dotdot',
    files: { 'dotdot.tar.gz': (fx) => tarGz([{ name: '../../../../../../../../tmp/lmt-hostile-dotdot', data: readFileSync(fx.dump) }]) },
    args: ['backup', 'restore', '--file', '{dir}/dotdot.tar.gz', '--database-uri', '{db}', '--yes'],
    target: 'linotp',
    exit: 1,
    message: /unsafe name/,
    absent: ['/tmp/lmt-hostile-dotdot'],
  },
  {
    name: 'a tar member with an absolute name',
    files: { 'absolute.tar.gz': (fx) => tarGz([{ name: '/tmp/lmt-hostile-absolute.sql', data: readFileSync(fx.dump) }]) },
    args: ['backup', 'verify', '--file', '{dir}/absolute.tar.gz'],
    exit: 1,
    message: /unsafe name/,
    absent: ['/tmp/lmt-hostile-absolute.sql'],
  },
  {
    name: 'a tar whose dump member is a symlink to /etc/passwd',
    files: { 'symlink.tar.gz': tarGz([{ name: 'linotp_backup_2401010000.sql', type: '2', linkname: '/etc/passwd' }]) },
    args: ['backup', 'restore', '--file', '{dir}/symlink.tar.gz', '--database-uri', '{db}', '--yes'],
    target: 'linotp',
    exit: 1,
    message: /link or special file/,
  },
  {
    name: 'a tar whose dump member is a hard link to another member',
    files: {
      'hardlink.tar.gz': (fx) =>
        tarGz([
          { name: 'other.sql', data: readFileSync(fx.dump) },
          { name: 'linotp_backup_2401010000.sql', type: '1', linkname: 'other.sql' },
        ]),
    },
    args: ['backup', 'restore', '--file', '{dir}/hardlink.tar.gz', '--database-uri', '{db}', '--yes'],
    target: 'linotp',
    exit: 1,
    message: /link or special file/,
  },
  {
    name: 'a tar with a manifest that is not JSON',
    files: {
      'badmanifest.tar.gz': (fx) =>
        tarGz([
          { name: 'manifest.json', data: '{"format": "linotp-migrate-backup", "tables": [' },
          { name: 'linotp_backup_2401010000.sql', data: readFileSync(fx.dump) },
        ]),
    },
    args: ['backup', 'verify', '--file', '{dir}/badmanifest.tar.gz'],
    exit: 1,
    message: /manifest/,
  },

  // -- formats this tool does not read, and bounded work (issue 23)
  {
    name: 'a bzip2-compressed tar archive (backup verify)',
    files: { 'linotp_backup_2212061351.tar.bz2': (fx) => execFileSync('bzip2', ['-c'], { input: gunzipSync(bytes(fx)) }) },
    args: ['backup', 'verify', '--file', '{dir}/linotp_backup_2212061351.tar.bz2'],
    exit: 1,
    message: /linotp_backup_2212061351\.tar\.bz2 is a bzip2-compressed tar archive, which linotp-migrate does not read$/,
  },
  {
    name: 'a xz-compressed tar archive (backup restore)',
    files: { 'linotp_backup_2212061351.tar.xz': (fx) => execFileSync('xz', ['-c'], { input: gunzipSync(bytes(fx)) }) },
    args: ['backup', 'restore', '--file', '{dir}/linotp_backup_2212061351.tar.xz', '--database-uri', '{db}', '--yes'],
    target: 'linotp',
    exit: 1,
    message: /is a xz-compressed tar archive, which linotp-migrate does not read$/,
  },
  {
    name: 'a zstd-compressed dump (backup restore)',
    files: { 'linotp_backup_2212061351.sql.zst': (fx) => execFileSync('zstd', ['-c', '-q'], { input: readFileSync(fx.dump) }) },
    args: ['backup', 'restore', '--file', '{dir}/linotp_backup_2212061351.sql.zst', '--database-uri', '{db}', '--yes'],
    target: 'linotp',
    exit: 1,
    message: /is a zstd-compressed file, which linotp-migrate does not read$/,
  },
  {
    name: "a pg_dump -Ft look-alike (toc.dat first, restore.sql with COPY FROM '$$PATH$$'): read by pg_restore, which refuses it",
    files: {
      'linotp.tar.gz': tarGz([
        { name: 'toc.dat', data: 'PGDMP not really' },
        { name: 'restore.sql', data: "COPY public.\"Token\" FROM '$$PATH$$/3338.dat';\n" },
      ]),
    },
    args: ['backup', 'restore', '--file', '{dir}/linotp.tar.gz', '--database-uri', '{db}', '--yes'],
    target: 'linotp',
    exit: 1,
    message: /^pg_restore cannot read the pg_dump tar-format archive .*linotp\.tar\.gz: /,
  },
  {
    name: 'a GNU long-name header of 1 GiB in a 1 MB archive (backup verify)',
    files: { 'bomb.tar.gz': () => extendedHeaderBomb('L') },
    args: ['backup', 'verify', '--file', '{dir}/bomb.tar.gz'],
    exit: 1,
    message: /has a GNU long-name header of 1073741824 bytes \(at most 1048576 are read\): it is not a backup$/,
    limits: { seconds: 5, rssMb: 200 },
  },
  {
    name: 'a pax header of 1 GiB in a 1 MB archive (backup restore)',
    files: { 'bomb.tar.gz': () => extendedHeaderBomb('x') },
    args: ['backup', 'restore', '--file', '{dir}/bomb.tar.gz', '--database-uri', '{db}', '--yes'],
    target: 'linotp',
    exit: 1,
    message: /has a pax header of 1073741824 bytes \(at most 1048576 are read\): it is not a backup$/,
    limits: { seconds: 5, rssMb: 200 },
  },
  {
    name: 'terminal escapes in an unsafe member name are shown escaped',
    files: { 'escapes.tar.gz': tarGz([{ name: '../x\x1b[2J\x1b[31mred\u202e.sql', data: 'x' }]) },
    args: ['backup', 'verify', '--file', '{dir}/escapes.tar.gz'],
    exit: 1,
    message: /unsafe name \(\.\.\/x\\x1b\[2J\\x1b\[31mred\\u202e\.sql\)/,
  },

  // -- passphrases and keys
  {
    name: 'wrong passphrase from a file (backup verify)',
    files: { 'wrong-pass': 'not the passphrase\n' },
    args: ['backup', 'verify', '--file', '{archive}', '--passphrase-file', '{dir}/wrong-pass'],
    exit: 1,
    message: /wrong passphrase/,
    secret: 'not the passphrase',
  },
  {
    name: 'wrong passphrase from LINOTP_MIGRATE_PASSPHRASE (restore --install-enc-key)',
    env: { LINOTP_MIGRATE_PASSPHRASE: 'Wrong-Env-Pass-93' },
    args: ['backup', 'restore', '--file', '{archive}', '--install-enc-key', '--enc-key', '{dir}/installed-encKey', '--database-uri', '{db}', '--yes'],
    target: 'linotp',
    exit: 1,
    message: /wrong passphrase/,
    absent: ['{dir}/installed-encKey'],
    secret: 'Wrong-Env-Pass-93',
  },
  {
    name: 'wrong passphrase in the environment with --enc-key (backup verify tries it)',
    env: { LINOTP_MIGRATE_PASSPHRASE: 'Wrong-Env-Pass-94' },
    args: ['backup', 'verify', '--file', '{archive}', '--enc-key', '{key}'],
    exit: 1,
    message: /wrong passphrase/,
    secret: 'Wrong-Env-Pass-94',
  },
  {
    name: 'an empty passphrase file (backup create)',
    files: { 'empty-pass': '' },
    args: ['backup', 'create', '--database-uri', '{db}', '--enc-key', '{key}', '--passphrase-file', '{dir}/empty-pass', '--out', '{dir}/out'],
    target: 'linotp',
    exit: 1,
    message: /empty-pass/,
    absent: ['{dir}/out'],
  },
  {
    name: 'wrong encKey (backup verify: checks fail)',
    files: { 'wrong-key': noise('wrong key', 96) },
    args: ['backup', 'verify', '--file', '{archive}', '--enc-key', '{dir}/wrong-key'],
    exit: 3,
    message: /backup verify found \d+ problem\(s\), first: .*(key|checksum)/,
  },
  {
    name: 'wrong encKey (init database re-encrypts nothing)',
    files: { 'wrong-key': noise('wrong key', 96) },
    args: ['init', 'database', '--database-uri', '{db}', '--enc-key', '{dir}/wrong-key', '--yes'],
    target: 'linotp',
    engines: ['sqlite', 'mysql', 'postgres'],
    exit: 1,
    message: /encKey|decrypt/,
  },
  {
    name: 'short encKey (95 bytes)',
    files: { 'short-key': (fx) => readFileSync(fx.key).subarray(0, 95) },
    args: ['init', 'database', '--database-uri', '{db}', '--enc-key', '{dir}/short-key', '--yes'],
    target: 'linotp',
    exit: 1,
    message: /is 95 bytes; LinOTP keys are 96 bytes/,
  },
  {
    name: 'encKey of 192 characters that are not hex',
    files: { 'hex-garbage-key': 'zq'.repeat(96) },
    args: ['backup', 'create', '--database-uri', '{db}', '--enc-key', '{dir}/hex-garbage-key', '--out', '{dir}/out'],
    env: { LINOTP_MIGRATE_PASSPHRASE: PASSPHRASE },
    target: 'linotp',
    exit: 1,
    message: /neither 192 hex digits nor/,
    absent: ['{dir}/out'],
  },
  {
    name: 'an empty encKey file',
    files: { 'empty-key': '' },
    args: ['verify', '--database-uri', '{db}', '--enc-key', '{dir}/empty-key'],
    target: 'linotp',
    exit: 1,
    message: /empty-key is empty/,
  },
  {
    name: 'init enc-key onto a directory',
    files: { 'keydir/.keep': '' },
    args: ['init', 'enc-key', '--enc-key', '{dir}/keydir', '--yes', '--force'],
    exit: 1,
    message: /keydir is a directory/,
  },
  {
    name: 'init enc-key --keys with 190 hex digits',
    args: ['init', 'enc-key', '--enc-key', '{dir}/new-key', '--keys', '0f'.repeat(95)],
    exit: 1,
    message: /190 hex digits \(95 bytes\)/,
    absent: ['{dir}/new-key'],
  },

  // -- settings files
  {
    name: 'binary garbage as linotp.ini (verify)',
    files: { 'linotp.ini': noise('ini garbage', 3000) },
    args: ['verify', '--ini', '{dir}/linotp.ini'],
    exit: 1,
    message: /linotp\.ini:\d+: (binary data|not valid UTF-8)/,
  },
  {
    name: 'binary garbage as linotp.ini (config convert writes nothing)',
    files: { 'linotp.ini': noise('ini garbage', 3000) },
    args: ['config', 'convert', '--ini', '{dir}/linotp.ini', '--out', '{dir}/out'],
    exit: 1,
    message: /linotp\.ini:\d+: (binary data|not valid UTF-8)/,
    absent: ['{dir}/out/linotp.cfg'],
  },
  {
    name: 'a latin1 (non-UTF-8) linotp.ini',
    files: { 'linotp.ini': Buffer.from('[app:main]\nsqlalchemy.url = mysql://linotp:gr\xfcn@localhost/LinOTP2\n', 'latin1') },
    args: ['config', 'convert', '--ini', '{dir}/linotp.ini', '--out', '{dir}/out'],
    exit: 1,
    message: /linotp\.ini:2: not valid UTF-8/,
    absent: ['{dir}/out/linotp.cfg'],
  },
  {
    name: 'config convert --ini on a directory',
    files: { 'etc/.keep': '' },
    args: ['config', 'convert', '--ini', '{dir}/etc', '--out', '{dir}/out'],
    exit: 1,
    message: /etc: it is a directory/,
  },
  {
    name: 'a 50 MB linotp.ini line without a newline',
    files: { 'linotp.ini': '[app:main]\nsqlalchemy.url = sqlite:///' + 'a'.repeat(HUGE) },
    args: ['verify', '--ini', '{dir}/linotp.ini'],
    exit: 1,
    message: /is 4\d\.\d MB; LinOTP settings files are a few KB/,
    limits: { seconds: 5, rssMb: 150 },
  },
  {
    name: 'binary garbage (no NUL, not UTF-8) as linotp.cfg',
    files: { 'linotp.cfg': Buffer.from(noise('cfg garbage', 3000).map((b) => b || 1)) },
    env: cfgAt('linotp.cfg'),
    args: ['config', 'show'],
    exit: 1,
    message: /linotp\.cfg: not valid utf-8/i,
  },
  {
    name: 'a linotp.cfg with NUL bytes',
    files: { 'linotp.cfg': Buffer.concat([Buffer.from("DATABASE_URI = 'sqlite://'\n"), Buffer.alloc(64)]) },
    env: cfgAt('linotp.cfg'),
    args: ['verify', '--ini', '{ini}'],
    exit: 1,
    message: /linotp\.cfg: contains NUL/,
  },
  {
    name: 'a cfg that imports os and runs a command',
    files: { 'linotp.cfg': 'import os; os.system("touch {marker}")\n' },
    env: cfgAt('linotp.cfg'),
    args: ['config', 'show'],
    exit: 1,
    message: /linotp\.cfg:1: 'import' statements are not supported/,
    absent: ['{marker}'],
  },
  {
    name: "a cfg value calling __import__('os')",
    files: { 'linotp.cfg': "DATABASE_URI = __import__('os').system('touch {marker}')\n" },
    env: cfgAt('linotp.cfg'),
    args: ['verify', '--ini', '{ini}'],
    exit: 1,
    message: /'__import__' refers to a variable or function/,
    absent: ['{marker}'],
  },
  {
    name: 'a cfg value that is a called lambda',
    files: { 'linotp.cfg': "SECRET_FILE = (lambda: __import__('os').system('touch {marker}'))()\n" },
    env: cfgAt('linotp.cfg'),
    args: ['config', 'show'],
    exit: 1,
    message: /'lambda' refers to a variable or function/,
    absent: ['{marker}'],
  },
  {
    name: 'a cfg value that is an f-string with a call',
    files: { 'linotp.cfg': "LOG_LEVEL = f\"{__import__('os').system('touch {marker}')}\"\n" },
    env: cfgAt('linotp.cfg'),
    args: ['config', 'show'],
    exit: 1,
    message: /linotp\.cfg:1: .*(f-string|not supported|only literal)/,
    absent: ['{marker}'],
  },
  {
    name: 'a cfg nesting brackets 100,000 deep',
    files: { 'linotp.cfg': 'X = ' + '('.repeat(100_000) + '1' + ')'.repeat(100_000) + '\n' },
    env: cfgAt('linotp.cfg'),
    args: ['config', 'show'],
    exit: 1,
    message: /too many nested parentheses/,
  },
  {
    name: 'a 50 MB linotp.cfg line',
    files: { 'linotp.cfg': "DATABASE_URI = '" + 'b'.repeat(HUGE) },
    env: cfgAt('linotp.cfg'),
    args: ['config', 'show'],
    exit: 1,
    message: /cfg file .*linotp\.cfg is 4\d\.\d MB/,
    limits: { seconds: 5, rssMb: 150 },
  },

  // -- dumps
  {
    name: 'a dump ending inside a quoted string',
    files: { 'linotp_backup_2401010000.sql': (fx) => dumpText(fx).slice(0, dumpText(fx).indexOf("'linotp.DefaultCountWindow") + 10) },
    args: ['backup', 'restore', '--file', '{dir}/linotp_backup_2401010000.sql', '--database-uri', '{db}', '--yes'],
    target: 'linotp',
    exit: 1,
    message: /ends inside a quoted string .*truncated/,
  },
  {
    name: 'a dump whose VALUES hold a function call',
    files: { 'linotp_backup_2401010000.sql': (fx) => withConfigRow(fx, "('hx.call',load_file('/etc/shadow'),'','')") },
    args: ['backup', 'restore', '--file', '{dir}/linotp_backup_2401010000.sql', '--database-uri', '{db}', '--yes'],
    target: 'linotp',
    exit: 1,
    message: /cannot read the VALUES list \(unsupported value/,
  },
  {
    name: 'a dump with a row of the wrong width',
    files: { 'linotp_backup_2401010000.sql': (fx) => withConfigRow(fx, "('hx.short','x')") },
    args: ['backup', 'restore', '--file', '{dir}/linotp_backup_2401010000.sql', '--database-uri', '{db}', '--yes'],
    target: 'linotp',
    exit: 1,
    message: /a row with \d+ values after rows with \d+/,
  },
  {
    name: 'a dump in a character set the tool does not read',
    files: { 'linotp_backup_2401010000.sql': (fx) => dumpText(fx).replace('SET NAMES utf8mb4', 'SET NAMES koi8r') },
    args: ['backup', 'restore', '--file', '{dir}/linotp_backup_2401010000.sql', '--database-uri', '{db}', '--yes'],
    target: 'linotp',
    exit: 1,
    message: /character set koi8r/,
  },
  {
    name: 'a pg_dump COPY block without its end marker',
    files: {
      'linotp.pgsql': '--\n-- PostgreSQL database dump\n--\nSET client_encoding = \'UTF8\';\nCOPY public."Config" ("Key", "Value", "Type", "Description") FROM stdin;\nlinotp.sql_data_model_version\t2.12.0.0\t\\N\t\\N\nhx.x\ty\t\\N\t\\N\n',
    },
    args: ['backup', 'restore', '--file', '{dir}/linotp.pgsql', '--database-uri', '{db}', '--yes'],
    target: 'linotp',
    exit: 1,
    message: /COPY data of Config .* has no end marker/,
  },
  {
    name: 'a NUL character in a value restored into PostgreSQL',
    files: { 'linotp_backup_2401010000.sql': (fx) => withConfigRow(fx, "('hx.nul','a\\0b','','')") },
    args: ['backup', 'restore', '--file', '{dir}/linotp_backup_2401010000.sql', '--database-uri', '{db}', '--yes'],
    target: 'linotp',
    engines: ['postgres'],
    exit: 1,
    message: /NUL character, which PostgreSQL cannot store/,
    status: RESTORE_PLAN_LINES,
  },
  {
    name: 'a 50 MB statement that never ends',
    files: { 'linotp_backup_2401010000.sql': '-- MySQL dump 10.13\nINSERT INTO `Config` VALUES (\'' + 'c'.repeat(HUGE) },
    args: ['backup', 'verify', '--file', '{dir}/linotp_backup_2401010000.sql'],
    exit: 1,
    message: /ends inside a quoted string/,
    limits: { seconds: 10, rssMb: 400 },
  },
  {
    name: 'a 200 MB statement (memory must not follow the statement size)',
    files: { 'linotp_backup_2401010000.sql': '-- MySQL dump 10.13\nINSERT INTO `Config` VALUES (\'' + 'd'.repeat(200_000_000) },
    args: ['backup', 'verify', '--file', '{dir}/linotp_backup_2401010000.sql'],
    exit: 1,
    message: /larger than 64 MB/,
    limits: { seconds: 10, rssMb: 300 },
  },
  {
    name: "a dump of another application (WordPress)",
    files: { 'wordpress.sql': "-- MySQL dump 10.13\nCREATE TABLE `wp_posts` (`ID` int NOT NULL, `post_title` text, PRIMARY KEY (`ID`));\nINSERT INTO `wp_posts` VALUES (1,'it''s \\\\ a \\'post\\'');\n" },
    args: ['backup', 'restore', '--file', '{dir}/wordpress.sql', '--database-uri', '{db}', '--yes'],
    target: 'linotp',
    exit: 1,
    message: /not a LinOTP database dump/,
  },
  {
    name: 'a dump with a model version newer than LinOTP 3.4 knows',
    files: { 'linotp_backup_2401010000.sql': (fx) => dumpText(fx).replace("'linotp.sql_data_model_version','2.12.0.0'", "'linotp.sql_data_model_version','9.9.9.9'") },
    args: ['backup', 'restore', '--file', '{dir}/linotp_backup_2401010000.sql', '--database-uri', '{db}', '--yes'],
    target: 'linotp',
    exit: 1,
    message: /newer than 3\.2\.3\.0/,
  },
  {
    name: 'a database with an unknown model version (init database)',
    files: { 'weird.db': readFileSync(new URL('../../fixtures/demo/token.db', import.meta.url)) },
    setup: async (fx) => {
      const { openDatabase } = await import('../../src/db/index.js');
      const db = await openDatabase(`sqlite:///${fx.dir}/weird.db`);
      await db.execute("UPDATE \"Config\" SET \"Value\" = '2.99-custom' WHERE \"Key\" = 'linotp.sql_data_model_version'");
      await db.close();
    },
    args: ['init', 'database', '--database-uri', 'sqlite:///{dir}/weird.db', '--enc-key', '{key}', '--yes'],
    target: { url: 'sqlite:///{dir}/weird.db' },
    exit: 1,
    message: /unknown model version "2\.99-custom"/,
  },

  // -- databases: unreachable, wrong credentials, another application's
  {
    name: 'an unreachable MariaDB (127.0.0.1 port 1)',
    args: ['verify', '--database-uri', 'mysql://linotp:Unreach-Pw-51@127.0.0.1:1/LinOTP2', '--enc-key', '{key}'],
    exit: 1,
    message: /^cannot connect to mysql:\/\/linotp:\*\*\*@127\.0\.0\.1:1\/LinOTP2: connect ECONNREFUSED/,
    secret: 'Unreach-Pw-51',
  },
  {
    name: 'an unreachable PostgreSQL (127.0.0.1 port 1) for backup create',
    args: ['backup', 'create', '--database-uri', 'postgresql://linotp:Unreach-Pw-52@127.0.0.1:1/linotp', '--enc-key', '{key}', '--out', '{dir}/out'],
    env: { LINOTP_MIGRATE_PASSPHRASE: PASSPHRASE },
    exit: 1,
    message: /^cannot connect to postgresql:\/\/linotp:\*\*\*@127\.0\.0\.1:1\/linotp/,
    secret: 'Unreach-Pw-52',
    absent: ['{dir}/out'],
  },
  {
    name: 'a password given as ?password= of an unreachable MariaDB',
    args: ['verify', '--database-uri', 'mysql://linotp@127.0.0.1:1/LinOTP2?charset=utf8&password=Query-Pw-55', '--enc-key', '{key}'],
    exit: 1,
    message: /^cannot connect to mysql:\/\/linotp:\*\*\*@127\.0\.0\.1:1\/LinOTP2\?charset=utf8: connect ECONNREFUSED/,
    secret: 'Query-Pw-55',
  },
  {
    name: 'a wrong ?password= for the real PostgreSQL (honoured, not ignored)',
    args: ['local-admins', 'list', '--database-uri', 'postgresql://no_such_role_lmt@127.0.0.1:5432/postgres?password=Query-Pw-56'],
    needs: 'postgres',
    exit: 1,
    message: /^cannot connect to postgresql:\/\/no_such_role_lmt:\*\*\*@127\.0\.0\.1:5432\/postgres: /,
    secret: 'Query-Pw-56',
  },
  {
    name: 'two different passwords in one URL',
    args: ['verify', '--database-uri', 'mysql://linotp:One-Pw-57@127.0.0.1:1/LinOTP2?passwd=Two-Pw-58', '--enc-key', '{key}'],
    exit: 2,
    message: /two different passwords/,
    secret: 'Two-Pw-58',
  },
  {
    name: 'wrong password for the real MariaDB',
    args: ['init', 'database', '--database-uri', 'mysql://linotp_migrate_test:Wrong-Pw-53@127.0.0.1:3306/test', '--enc-key', '{key}', '--yes'],
    needs: 'mysql',
    exit: 1,
    message: /^cannot connect to mysql:\/\/linotp_migrate_test:\*\*\*@127\.0\.0\.1:3306\/test: Access denied/,
    secret: 'Wrong-Pw-53',
  },
  {
    name: 'an unknown role on the real PostgreSQL',
    args: ['local-admins', 'list', '--database-uri', 'postgresql://no_such_role_lmt:Wrong-Pw-54@127.0.0.1:5432/postgres'],
    needs: 'postgres',
    exit: 1,
    message: /^cannot connect to postgresql:\/\/no_such_role_lmt:\*\*\*@127\.0\.0\.1:5432\/postgres: role "no_such_role_lmt" does not exist/,
    secret: 'Wrong-Pw-54',
  },
  {
    name: "init database into another application's database",
    args: ['init', 'database', '--database-uri', '{db}', '--enc-key', '{key}', '--yes'],
    target: 'foreign',
    engines: ['sqlite', 'mysql', 'postgres'],
    exit: 1,
    message: /table\(s\) of another application \(wp_posts\): not the LinOTP database/,
  },
  {
    name: "backup restore into another application's database",
    args: ['backup', 'restore', '--file', '{dump}', '--database-uri', '{db}', '--yes'],
    target: 'foreign',
    engines: ['sqlite', 'mysql', 'postgres'],
    exit: 1,
    message: /table\(s\) of another application \(wp_posts\): not the LinOTP database/,
  },
  {
    name: "local-admins add into another application's database",
    args: ['local-admins', 'add', 'mallory', '--database-uri', '{db}', '--yes'],
    target: 'foreign',
    engines: ['sqlite', 'mysql', 'postgres'],
    exit: 1,
    message: /not a LinOTP database/,
  },
  {
    name: "admin fix-db-encoding on another application's database",
    args: ['admin', 'fix-db-encoding', '--database-uri', '{db}', '--yes'],
    target: 'foreign',
    exit: 1,
    message: /no LinOTP tables/,
  },

  // -- other commands
  {
    name: 'backup create --out naming a file',
    files: { 'not-a-dir': 'x' },
    args: ['backup', 'create', '--database-uri', '{db}', '--enc-key', '{key}', '--out', '{dir}/not-a-dir'],
    env: { LINOTP_MIGRATE_PASSPHRASE: PASSPHRASE },
    target: 'linotp',
    exit: 2,
    message: /--out .*not-a-dir is a file, not a directory/,
  },
  {
    name: 'local-admins password on a LinOTP 2 database (no admin resolver yet)',
    args: ['local-admins', 'password', 'admin', '--password', '-', '--database-uri', '{db}'],
    input: 'Long-enough-pw-1\n',
    target: 'linotp',
    exit: 1,
    message: /the local admin resolver LinOTP_local_admins is not defined in this database/,
    secret: 'Long-enough-pw-1',
  },
  {
    name: 'local-admins password --password - with an empty stdin',
    files: { 'l3.db': readFileSync(new URL('../../fixtures/demo/token.db', import.meta.url)) },
    setup: async (fx) => {
      const { runCli } = await import('./helpers.js');
      for (const args of [['init', 'database', '--enc-key', fx.key, '--yes'], ['local-admins', 'add', 'bob']]) {
        const r = await runCli(['-q', ...args, '--database-uri', `sqlite:///${fx.dir}/l3.db`], { cwd: fx.dir });
        if (r.code !== 0) throw new Error(`setup ${args.join(' ')}: ${r.stderr}`);
      }
    },
    args: ['local-admins', 'password', 'bob', '--password', '-', '--database-uri', 'sqlite:///{dir}/l3.db'],
    target: { url: 'sqlite:///{dir}/l3.db' },
    exit: 2,
    message: /the password is empty; nothing was changed/,
  },
  {
    name: 'api-check on binary garbage',
    files: { 'access.log': noise('log garbage', 100_000) },
    args: ['api-check', '--access-log', '{dir}/access.log'],
    exit: 1,
    message: /none of the \d+ lines of .*access\.log is an access-log line/,
  },
  {
    name: 'audit verify-signatures with garbage as the public key',
    files: { 'public.pem': noise('pem garbage', 800) },
    args: ['audit', 'verify-signatures', '--database-uri', '{db}', '--audit-public-key', '{dir}/public.pem'],
    target: 'linotp',
    exit: 1,
    message: /public\.pem is not a PEM public key/,
  },
  {
    name: 'audit to-utc with a time zone that does not exist',
    args: ['audit', 'to-utc', '--database-uri', '{db}', '--timezone', 'Mars/Olympus_Mons', '--yes'],
    target: 'linotp',
    exit: 2,
    message: /unknown time zone "Mars\/Olympus_Mons"/,
  },
  {
    name: 'rehearse a truncated archive (the check fails)',
    files: { 'half.tar.gz': (fx) => bytes(fx).subarray(0, Math.floor(bytes(fx).length / 2)) },
    args: ['rehearse', '--backup', '{dir}/half.tar.gz'],
    exit: 3,
    message: /rehearsal failed: .*backup reads completely: .*not a readable tar archive/,
  },
  {
    name: 'rehearse with a wrong passphrase (the check fails)',
    files: { 'wrong-pass': 'Wrong-Rehearse-Pass-55\n' },
    args: ['rehearse', '--backup', '{archive}', '--passphrase-file', '{dir}/wrong-pass'],
    exit: 3,
    message: /rehearsal failed: .*wrong passphrase/,
    secret: 'Wrong-Rehearse-Pass-55',
  },
];
