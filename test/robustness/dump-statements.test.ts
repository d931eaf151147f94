/**
 * A backup is input, not code (issue 21 item 8, issue 23 "silent loss"): every case of hostile-dumps.ts
 * runs `backup verify` and `backup restore` of the built CLI against a LinOTP 2 target on the real
 * MariaDB / PostgreSQL server, next to another database on the same server. A refused dump must give
 * exit 1 with the same `error:` line from verify and restore, naming the line of the construct; the
 * target's and the other database's tables keep their checksums; no marker file appears; nothing sleeps.
 * catch-up's scratch restore of the same file refuses it with the same message.
 * An accepted dump restores every table with the rows the unedited dump holds, and what it leaves out
 * is listed alike by verify and by the restore plan.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openOldBackup } from '../../src/catchup/source.js';
import { openDatabase } from '../../src/db/index.js';
import { parseDbUrl } from '../../src/db/url.js';
import { buildInstallation } from '../../src/fixtures/installation.js';
import { writeInstallation } from '../../src/fixtures/write.js';
import { ensureBuilt } from '../e2e/global-setup.js';
import { createTestDatabase, describeEngines } from '../helpers/db.js';
import { DUMP_CASES, type DumpCase, type DumpEngine } from './hostile-dumps.js';
import { checkErrorOutput, ROOT, runCli, tableChecksums, tmp } from './helpers.js';

const root = tmp('lmt-dumpstmt-');
const marker = join(root, 'pwned-marker');
const inst = buildInstallation({ seed: 21, tokens: 8, auditRows: 20 });
const drops: (() => Promise<void>)[] = [];

beforeAll(async () => {
  await ensureBuilt();
}, 120_000);

afterAll(async () => {
  for (const d of drops) await d().catch(() => undefined);
  rmSync(root, { recursive: true, force: true });
});

interface Server {
  base: string;
  baseRows: Record<string, number>;
  target: string;
  other: string;
  otherName: string;
}

/** The base dump of the engine: a real mariadb-dump (the demo fixture) or a pg_dump of a fixture database. */
async function baseDump(engine: DumpEngine): Promise<string> {
  if (engine === 'mysql') return readFileSync(join(ROOT, 'fixtures', 'demo', 'linotp2-mysql.sql'), 'utf8');
  const src = await createTestDatabase('postgres');
  drops.push(src.drop);
  const db = await openDatabase(src.url);
  await writeInstallation(db, inst);
  await db.close();
  return execFileSync('pg_dump', ['--dbname', src.url], { encoding: 'utf8' });
}

async function setUp(engine: DumpEngine): Promise<Server> {
  const base = await baseDump(engine);
  const file = join(root, `base-${engine}.sql`);
  writeFileSync(file, base);
  const v = await runCli(['--json', 'backup', 'verify', '--file', file]);
  expect(v.code, v.stderr).toBe(0);
  const baseRows = Object.fromEntries((JSON.parse(v.stdout).tables as { name: string; rows: number }[]).map((t) => [t.name, t.rows]));
  const target = await createTestDatabase(engine);
  drops.push(target.drop);
  const tdb = await openDatabase(target.url);
  await writeInstallation(tdb, buildInstallation({ seed: 22, tokens: 3, auditRows: 5 }));
  await tdb.close();
  const other = await createTestDatabase(engine);
  drops.push(other.drop);
  const odb = await openDatabase(other.url);
  await odb.execute('CREATE TABLE secret (id INTEGER PRIMARY KEY, v VARCHAR(100))');
  await odb.insertMany('secret', ['id', 'v'], [[1, 'the other application']]);
  await odb.close();
  return { base, baseRows, target: target.url, other: other.url, otherName: parseDbUrl(other.url).database };
}

const PLAN_LINES = [/^reading .+ …$/, /^restore into /, /^table\s+rows\s+action$/, /^[─ ]+$/, /^\S+\s+\d+\s+(replace|create)$/, /^left as they are: /, /^skipped /, /^not restored: /, /^note: /];

function errorLine(stderr: string): string {
  return stderr.split('\n').find((l) => l.startsWith('error: ')) ?? '';
}

async function runCase(c: DumpCase, s: Server, n: number): Promise<void> {
  const { text, line } = c.edit(s.base, { marker, otherDb: s.otherName });
  const file = join(root, `case-${n}.sql`);
  writeFileSync(file, text);
  const before = { target: await tableChecksums(s.target), other: await tableChecksums(s.other) };
  const verify = await runCli(['--json', 'backup', 'verify', '--file', file]);
  const restore = await runCli(['--json', 'backup', 'restore', '--file', file, '--database-uri', s.target, '--yes'], { timeoutMs: 60_000 });
  const said = `verify: exit ${verify.code}\n${verify.stderr}\nrestore: exit ${restore.code}\n${restore.stderr.slice(0, 3000)}`;
  expect(restore.seconds, `${said}\nwall time (s)`).toBeLessThan(c.seconds ?? 30);
  expect(existsSync(marker), 'a command of the dump ran').toBe(false);
  if (c.refused) {
    expect(verify.code, said).toBe(1);
    expect(restore.code, said).toBe(1);
    expect(checkErrorOutput(verify.stderr), said).toEqual([]);
    expect(checkErrorOutput(restore.stderr, PLAN_LINES), said).toEqual([]);
    expect(errorLine(restore.stderr), said).toMatch(new RegExp(`line ${line}: `));
    expect(errorLine(restore.stderr), said).toMatch(c.refused);
    // verify reports exactly what restore refuses
    expect(errorLine(verify.stderr), said).toBe(errorLine(restore.stderr));
    expect(await tableChecksums(s.target), 'the target changed').toEqual(before.target);
    // catch-up's scratch restore of a backup source reads by the same rules
    await expect(openOldBackup(file)).rejects.toThrow(errorLine(restore.stderr).slice('error: '.length));
  } else {
    expect(verify.code, said).toBe(0);
    expect(restore.code, said).toBe(0);
    const restored = Object.fromEntries((JSON.parse(restore.stdout).restored as { name: string; rows: number }[]).map((t) => [t.name, t.rows]));
    expect(restored, said).toEqual(s.baseRows);
    const listed = (JSON.parse(verify.stdout).ignored as { what: string }[]).map((i) => i.what);
    expect((JSON.parse(restore.stdout).ignored as { what: string }[]).map((i) => i.what)).toEqual(listed);
    if (c.listed) expect(listed.join('\n'), said).toMatch(c.listed);
  }
  expect(await tableChecksums(s.other), 'another database of the server changed').toEqual(before.other);
}

describeEngines(
  'dump statements',
  (engine) => {
    const e = engine as DumpEngine;
    let server: Server;
    beforeAll(async () => {
      server = await setUp(e);
    }, 120_000);
    DUMP_CASES.filter((c) => c.engine === e).forEach((c, i) => {
      it(c.name, () => runCase(c, server, i + (e === 'mysql' ? 0 : 1000)), 120_000);
    });
  },
  ['mysql', 'postgres'],
);
