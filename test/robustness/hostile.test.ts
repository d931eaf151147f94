/**
 * Hostile input (issue #9): every case of hostile-cases.ts runs the built CLI as a script would (stdin
 * a pipe, NO_COLOR, no LINOTP_* of this machine) and must be answered with
 * - the exit code docs/exit-codes.md documents for it (1 refused/failed, 2 bad option value, 3 checks failed);
 * - one error line (the rule is checkErrorOutput in helpers.ts: exactly one `error: …` line naming the
 *   problem, optionally one `hint: …` line with the fix, before them only the command's own status
 *   lines; never a stack trace, an Error class dump or "unexpected failure");
 * - a target database whose every table has the same checksum as before (ordered rows hashed);
 * - nothing written or executed (`absent` paths), no secret echoed, bounded time and memory.
 * Cases that only read a file run once; cases with a database target run per engine where the engine
 * matters (SQLite otherwise). The second block restores valid dumps full of quotes, backslashes, NUL and
 * line breaks and checks the values arrive byte for byte.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/index.js';
import { buildInstallation } from '../../src/fixtures/installation.js';
import { writeInstallation } from '../../src/fixtures/write.js';
import { ensureBuilt } from '../e2e/global-setup.js';
import { createTestDatabase, describeEngines, type TestEngine } from '../helpers/db.js';
import { CASES, PASSPHRASE, withConfigRow, type Fixture, type HostileCase } from './hostile-cases.js';
import { checkErrorOutput, ROOT, runCli, tableChecksums, tmp } from './helpers.js';

const root = tmp('lmt-hostile-');
const inst = buildInstallation({ seed: 9, tokens: 8, auditRows: 20 });
const shared = {
  key: join(root, 'encKey'),
  archive: '',
  ini: join(ROOT, 'fixtures', 'demo', 'linotp.ini'),
  dump: join(ROOT, 'fixtures', 'demo', 'linotp2-mysql.sql'),
  marker: join(root, 'pwned-marker'),
};
const drops: (() => Promise<void>)[] = [];

beforeAll(async () => {
  await ensureBuilt();
  writeFileSync(shared.key, inst.encKeyBytes);
  // The good archive every archive case starts from: made by the CLI itself from a SQLite LinOTP 2 database.
  const source = await createTestDatabase('sqlite');
  drops.push(source.drop);
  const db = await openDatabase(source.url);
  await writeInstallation(db, inst);
  await db.close();
  const r = await runCli(['backup', 'create', '--database-uri', source.url, '--enc-key', shared.key, '--out', join(root, 'archive')], { env: { LINOTP_MIGRATE_PASSPHRASE: PASSPHRASE } });
  expect(r.code, r.stderr).toBe(0);
  shared.archive = join(root, 'archive', readdirSync(join(root, 'archive')).find((f) => f.endsWith('.tar.gz'))!);
  for (const p of ['/tmp/lmt-hostile-dotdot', '/tmp/lmt-hostile-absolute.sql']) rmSync(p, { force: true });
}, 120_000);

afterAll(async () => {
  for (const d of drops) await d().catch(() => undefined);
  rmSync(root, { recursive: true, force: true });
});

/** A LinOTP 2 database, or one of another application (a WordPress table with rows). */
async function makeTarget(engine: TestEngine, kind: 'linotp' | 'foreign'): Promise<string> {
  const t = await createTestDatabase(engine);
  drops.push(t.drop);
  const db = await openDatabase(t.url);
  try {
    if (kind === 'linotp') await writeInstallation(db, inst);
    else {
      await db.execute('CREATE TABLE wp_posts (id INTEGER PRIMARY KEY, post_title VARCHAR(200))');
      await db.insertMany('wp_posts', ['id', 'post_title'], [[1, 'Hello world'], [2, "it's \\ a post"]]);
    }
  } finally {
    await db.close();
  }
  return t.url;
}

let caseNo = 0;

function fill(s: string, fx: Fixture): string {
  return s.replace(/\{(dir|archive|key|ini|dump|db|marker)\}/g, (_, k: keyof Fixture) => fx[k]);
}

async function runCase(c: HostileCase, db = ''): Promise<void> {
  const dir = join(root, `case-${++caseNo}`);
  mkdirSync(dir, { recursive: true });
  const fx: Fixture = { ...shared, dir, db };
  for (const [name, content] of Object.entries(c.files ?? {})) {
    const value = typeof content === 'function' ? content(fx) : content;
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), typeof value === 'string' ? fill(value, fx) : value);
  }
  await c.setup?.(fx);
  const targetUrl = c.target === undefined ? undefined : typeof c.target === 'object' ? fill(c.target.url, fx) : db;
  const before = targetUrl ? await tableChecksums(targetUrl) : undefined;

  const env = Object.fromEntries(Object.entries(c.env ?? {}).map(([k, v]) => [k, fill(v, fx)]));
  const r = await runCli(c.args.map((a) => fill(a, fx)), { cwd: dir, env, input: c.input, timeoutMs: 60_000 });
  const said = `exit ${r.code}${r.signal ? ` (${r.signal})` : ''}\n--- stderr\n${r.stderr.slice(0, 3000)}\n--- stdout\n${r.stdout.slice(0, 1500)}`;

  expect(r.code, said).toBe(c.exit);
  expect(checkErrorOutput(r.stderr, c.status), said).toEqual([]);
  const errorLine = r.stderr.split('\n').find((l) => l.startsWith('error: '))!.slice('error: '.length);
  expect(errorLine, said).toMatch(c.message);
  expect(r.stdout, said).not.toMatch(/^\s+at\s|unexpected failure/m);
  if (c.secret) expect(r.stdout + r.stderr, said).not.toContain(c.secret);
  if (targetUrl) expect(await tableChecksums(targetUrl), `${targetUrl} changed`).toEqual(before);
  for (const p of c.absent ?? []) expect(existsSync(fill(p, fx)), `${fill(p, fx)} must not exist`).toBe(false);
  expect(existsSync(shared.marker), 'a cfg ran code').toBe(false);
  expect(r.seconds, 'wall time (s)').toBeLessThan(c.limits?.seconds ?? 30);
  if (r.maxRssMb !== undefined) expect(r.maxRssMb, 'peak RSS (MB)').toBeLessThan(c.limits?.rssMb ?? 300);
  rmSync(dir, { recursive: true, force: true });
}

const test = (c: HostileCase) => (c.skip ? it.skip : it.concurrent);

/**
 * Concurrent cases on one shared target take turns: every mutating command takes the database's one
 * lock, so two of them at once would (rightly) refuse each other.
 */
const turns = new Map<string, Promise<unknown>>();
function inTurn<T>(key: string, fn: () => Promise<T>): Promise<T> {
  const next = (turns.get(key) ?? Promise.resolve()).catch(() => undefined).then(fn);
  turns.set(key, next);
  return next;
}

describe('hostile input corpus', () => {
  it('has at least 35 cases, each with a distinct name and a documented exit code', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(35);
    expect(new Set(CASES.map((c) => c.name)).size).toBe(CASES.length);
    for (const c of CASES) expect([1, 2, 3]).toContain(c.exit);
  });

  it('the output rule catches stack traces, extra lines and unanticipated errors', () => {
    expect(checkErrorOutput('error: x is wrong\nhint: fix it\n')).toEqual([]);
    expect(checkErrorOutput('reading f …\nerror: x\n')).toEqual([]);
    expect(checkErrorOutput('')).toHaveLength(1);
    expect(checkErrorOutput('warning: w\nerror: x\n')).toHaveLength(1);
    expect(checkErrorOutput('error: x\nhint: a\nhint: b\n')).toHaveLength(1);
    expect(checkErrorOutput('error: x\nerror: y\n')).toHaveLength(2);
    expect(checkErrorOutput('error: unexpected failure: boom\nhint: run again with -v for details\n')).toHaveLength(1);
    expect(checkErrorOutput('TypeError: x is not a function\n    at f (a.js:1:1)\n').length).toBeGreaterThanOrEqual(3);
  });

  it('the table checksums see a changed, added or removed row', async () => {
    const url = await makeTarget('sqlite', 'foreign');
    const before = await tableChecksums(url);
    const db = await openDatabase(url);
    try {
      for (const sql of ["UPDATE wp_posts SET post_title = 'Hello World' WHERE id = 1", "INSERT INTO wp_posts VALUES (3, 'x')", 'DELETE FROM wp_posts WHERE id = 3']) {
        const was = await tableChecksums(url);
        await db.execute(sql);
        expect(await tableChecksums(url)).not.toEqual(was);
      }
    } finally {
      await db.close();
    }
    expect(await tableChecksums(url)).not.toEqual(before);
  });

  describe('inputs refused before any database is involved', () => {
    for (const c of CASES.filter((x) => !x.target && !x.needs)) test(c)(c.name, () => runCase(c), 90_000);
  });
});

describeEngines('hostile input against a database', (engine) => {
  const urls: Partial<Record<'linotp' | 'foreign', string>> = {};
  const mine = CASES.filter((c) => (c.target && (typeof c.target === 'object' ? engine === 'sqlite' : (c.engines ?? ['sqlite']).includes(engine))) || c.needs === engine);
  beforeAll(async () => {
    if (mine.some((c) => c.target === 'linotp')) urls.linotp = await makeTarget(engine, 'linotp');
    if (mine.some((c) => c.target === 'foreign')) urls.foreign = await makeTarget(engine, 'foreign');
  }, 120_000);
  for (const c of mine) {
    const shared = typeof c.target === 'string' ? urls : undefined;
    test(c)(c.name, () => (shared ? inTurn(`${engine}:${c.target}`, () => runCase(c, shared[c.target as 'linotp' | 'foreign'])) : runCase(c, '')), 90_000);
  }
});

describe('a SQLite text value holding NUL survives backup create and a same-engine restore', () => {
  it('every table of the restored database equals the source (quote() alone would cut the value at the NUL)', async () => {
    const source = await createTestDatabase('sqlite');
    const target = await createTestDatabase('sqlite');
    drops.push(source.drop, target.drop);
    const db = await openDatabase(source.url);
    try {
      await writeInstallation(db, inst);
      await db.insertMany('Config', ['Key', 'Value', 'Type', 'Description'], [['hx.nul', "a\0b'c\0", '', 'NUL inside']]);
    } finally {
      await db.close();
    }
    const out = join(root, 'nul-archive');
    const env = { LINOTP_MIGRATE_PASSPHRASE: PASSPHRASE };
    const made = await runCli(['-q', 'backup', 'create', '--database-uri', source.url, '--enc-key', shared.key, '--out', out], { env });
    expect(made.code, made.stderr).toBe(0);
    const file = join(out, readdirSync(out)[0]);
    const restored = await runCli(['-q', 'backup', 'restore', '--file', file, '--database-uri', target.url, '--yes'], { env });
    expect(restored.code, restored.stderr).toBe(0);
    expect(await tableChecksums(target.url)).toEqual(await tableChecksums(source.url));
  }, 60_000);
});

/** Values a dump writer must escape, in MySQL's dump syntax, and what they are. */
const TRICKY: [sql: string, value: string][] = [
  ["'a\\'b''c'", "a'b'c"],
  ["'back\\\\slash \\\\\\' end'", "back\\slash \\' end"],
  ["'line\\nbreak\\r\\ttab \\Z'", 'line\nbreak\r\ttab \x1a'],
  ["'\"double\" -- not a comment; /* nor this */ #'", '"double" -- not a comment; /* nor this */ #'],
  ["'unicode: é € 漢字'", 'unicode: é € 漢字'],
  ["'nul:\\0:'", 'nul:\0:'],
];

describeEngines('valid dumps full of quotes, backslashes, NUL and line breaks restore exactly', (engine) => {
  it('every value arrives byte for byte (NUL refused by PostgreSQL, see the corpus)', async () => {
    const rows = TRICKY.filter(([, v]) => engine !== 'postgres' || !v.includes('\0'));
    const dir = join(root, `tricky-${engine}`);
    mkdirSync(dir, { recursive: true });
    const fx: Fixture = { ...shared, dir, db: '' };
    const file = join(dir, 'linotp_backup_2401010000.sql');
    writeFileSync(file, withConfigRow(fx, rows.map(([sql], i) => `('hx.tricky.${i}',${sql},'','')`).join(',\n')));
    const t = await createTestDatabase(engine);
    drops.push(t.drop);
    const r = await runCli(['-q', 'backup', 'restore', '--file', file, '--database-uri', t.url, '--yes'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const db = await openDatabase(t.url);
    try {
      const q = db.dialect.quoteIdent;
      const got = await db.query(`SELECT ${q('Key')} AS k, ${q('Value')} AS v FROM ${q('Config')} WHERE ${q('Key')} LIKE 'hx.tricky.%'`);
      const byKey = Object.fromEntries(got.map((g) => [String(g.k), Buffer.isBuffer(g.v) ? g.v.toString('utf8') : String(g.v)]));
      expect(byKey).toEqual(Object.fromEntries(rows.map(([, v], i) => [`hx.tricky.${i}`, v])));
    } finally {
      await db.close();
    }
    // the restored database holds the whole demo dump, not only the extra rows
    expect(Object.keys(await tableChecksums(t.url))).toEqual(expect.arrayContaining(['Config', 'Token', 'audit']));
  }, 90_000);
});
