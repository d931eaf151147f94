// Dump variants real administrators have (issue 23 "Formats" and "Silent loss"): mariadb-dump and
// pg_dump run with their options on a real fixture database, each restored into the same engine and
// compared value for value with the source — or refused loudly, with verify agreeing.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDbUrl } from '../../src/db/url.js';
import { serverAvailable } from '../helpers/db.js';
import { fixtureDb, freshDb, runBackup, tableContent, tmp } from './helpers.js';

const TABLES = ['Config', 'Token', 'TokenRealm', 'Realm', 'audit', 'imported_user', 'challenges'];
const MYSQL_SOCKET = '/run/mysqld/mysqld.sock';

type Source = Awaited<ReturnType<typeof fixtureDb>>;

function dumpWith(engine: 'mysql' | 'postgres', url: string, args: string[], file: string): string {
  const db = parseDbUrl(url).database;
  const out = engine === 'mysql' ? execFileSync('mariadb-dump', ['-uroot', '-S', MYSQL_SOCKET, ...args, db]) : execFileSync('pg_dump', ['-h', '127.0.0.1', '-U', 'postgres', ...args, db]);
  writeFileSync(file, out);
  return file;
}

async function restoresExactly(engine: 'mysql' | 'postgres', source: Source, file: string): Promise<void> {
  const target = await freshDb(engine);
  try {
    const verify = await runBackup('verify', { file });
    expect(verify.error, verify.stderr).toBeUndefined();
    const r = await runBackup('restore', { file, databaseUri: target.url });
    expect(r.error, r.stderr).toBeUndefined();
    for (const t of TABLES) expect(await tableContent(target.db, t), t).toEqual(await tableContent(source.db, t));
    // what restore restored is what verify counted
    expect(r.doc.restored.map((t: { name: string; rows: number }) => [t.name, t.rows])).toEqual(verify.doc.tables.map((t: { name: string; rows: number }) => [t.name, t.rows]));
    expect(r.doc.ignored).toEqual(verify.doc.ignored);
  } finally {
    await target.drop();
  }
}

for (const engine of ['mysql', 'postgres'] as const) {
  describe(`dump variants [${engine}]`, () => {
    let source: Source | undefined;
    const dir = tmp('lmt-variants-');
    beforeAll(async () => {
      if (!(await serverAvailable(engine))) return;
      source = await fixtureDb(engine, { tokens: 12, auditRows: 30 });
    }, 60_000);
    afterAll(async () => {
      await source?.drop();
    });
    const variants: [string, string[]][] =
      engine === 'mysql'
        ? [
            ['defaults (with --triggers)', []],
            ['--delayed-insert', ['--delayed-insert']],
            ['--insert-ignore', ['--insert-ignore']],
            ['--replace', ['--replace']],
            ['--complete-insert --skip-extended-insert', ['--complete-insert', '--skip-extended-insert']],
            ['--databases (CREATE DATABASE, USE)', ['--databases']],
          ]
        : [
            ['defaults (COPY)', []],
            ['--inserts', ['--inserts']],
            ['--column-inserts', ['--column-inserts']],
            ['--rows-per-insert=5', ['--rows-per-insert=5']],
            ['--create (CREATE DATABASE, \\connect)', ['--create']],
          ];
    variants.forEach(([name, args], i) => {
      it(`${name}: restored value for value, verify agrees`, async () => {
        if (!source) return;
        await restoresExactly(engine, source, dumpWith(engine, source.url, args, join(dir, `v${i}.sql`)));
      }, 60_000);
    });

    it('a --no-data / --schema-only dump does not replace tokens with nothing unless --allow-empty', async () => {
      if (!source) return;
      const file = dumpWith(engine, source.url, [engine === 'mysql' ? '--no-data' : '--schema-only'], join(dir, 'nodata.sql'));
      const target = await fixtureDb(engine, { seed: 5, tokens: 4, auditRows: 3 });
      try {
        const before = await tableContent(target.db, 'Token');
        const planned = await runBackup('restore', { file, databaseUri: target.url, plan: true });
        expect(planned.error?.message).toMatch(/Token table has no rows .*--allow-empty/);
        const refused = await runBackup('restore', { file, databaseUri: target.url });
        expect(refused.error?.message).toMatch(/Token table has no rows .*--allow-empty/);
        expect(refused.error?.exitCode).toBe(1);
        expect(await tableContent(target.db, 'Token')).toEqual(before);
        const allowed = await runBackup('restore', { file, databaseUri: target.url, allowEmpty: true });
        expect(allowed.error, allowed.stderr).toBeUndefined();
        expect(await tableContent(target.db, 'Token')).toEqual([]);
      } finally {
        await target.drop();
      }
    }, 60_000);

    if (engine === 'mysql') {
      it('--compatible=ansi (no table charsets in the dump): refused by verify and restore alike, with the fix', async () => {
        if (!source) return;
        const file = dumpWith(engine, source.url, ['--compatible=ansi'], join(dir, 'ansi.sql'));
        const verify = await runBackup('verify', { file });
        const target = await freshDb(engine);
        try {
          const r = await runBackup('restore', { file, databaseUri: target.url });
          expect(r.error?.message).toMatch(/line \d+: the dump is refused: .*--compatible/);
          expect(r.error?.hint).toMatch(/without --compatible/);
          expect(verify.error?.message).toBe(r.error?.message);
          expect(await target.db.listTables()).toEqual([]);
        } finally {
          await target.drop();
        }
      }, 60_000);

      it('INSERT IGNORE over duplicate keys loses rows on the server: an error, nothing changed', async () => {
        if (!source) return;
        const text = readFileSync(dumpWith(engine, source.url, ['--insert-ignore'], join(dir, 'dup0.sql')), 'utf8');
        // the Realm rows twice in one statement: the server would keep one of each
        const dup = text.replace(/(INSERT IGNORE INTO `Realm` VALUES\s*)([^;]+);/, '$1$2,$2;');
        const file = join(dir, 'dup.sql');
        writeFileSync(file, dup);
        const target = await fixtureDb(engine, { seed: 6, tokens: 2, auditRows: 2 });
        try {
          const before = await tableContent(target.db, 'Realm');
          const r = await runBackup('restore', { file, databaseUri: target.url });
          expect(r.error?.message).toMatch(/line \d+: \d+ of \d+ rows of Realm were stored|Duplicate entry/);
          expect(await tableContent(target.db, 'Realm')).toEqual(before);
        } finally {
          await target.drop();
        }
      }, 60_000);
    }
  });
}
