/** The `init database` / `init enc-key` commands end to end (spawns the built binary; npm test builds first). */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/index.js';
import { SAMPLE_ENC_KEY } from '../../src/fixtures/sample.js';
import { loadSample212 } from './sample-db.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = process.env.LMT_BIN ?? `${root}bin/linotp-migrate.js`;
const dir = mkdtempSync(join(tmpdir(), 'lmt-init-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(args: string[]) {
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('LINOTP_')) delete env[k];
  return spawnSync(process.execPath, [bin, ...args], { cwd: dir, encoding: 'utf8', env: { ...env, LINOTP_CFG: '-/nonexistent' }, input: '' });
}

describe('init database (CLI, SQLite)', () => {
  const file = join(dir, 'linotp.db');
  const url = `sqlite:///${file}`;
  const keyFile = join(dir, 'encKey');

  it('--plan --json prints the plan and changes nothing', async () => {
    const db = await openDatabase(url, { create: true });
    await loadSample212(db);
    await db.close();
    writeFileSync(keyFile, SAMPLE_ENC_KEY, { mode: 0o400 });
    const before = readFileSync(file);
    const r = run(['init', 'database', '--database-uri', url, '--enc-key', keyFile, '--plan', '--json']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const plan = JSON.parse(r.stdout);
    // the 2.12 audit rows move into <db>_audit, where LinOTP 3.4 reads them (issue 21 item 5)
    expect(plan.actions.map((a: { id: string }) => a.id)).toEqual(['create-tables', 'create-audit', 'move-audit', '3.0.0.0', '3.1.0.0', '3.2.0.0', '3.2.2.0', '3.2.3.0', 'defaults']);
    expect(plan.actions[1].notes[0]).toContain('linotp.db_audit');
    expect(plan.actions[2].effects).toEqual({ auditRowsToMove: 4 });
    expect(plan.internal).toBeUndefined();
    expect(readFileSync(file).equals(before)).toBe(true);
    expect(existsSync(`${file}_audit`)).toBe(false);
  });

  it('refuses without the encKey (exit 1, one line, nothing changed)', () => {
    const before = readFileSync(file);
    const r = run(['init', 'database', '--database-uri', url]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^error: .*encKey is needed/m);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(readFileSync(file).equals(before)).toBe(true);
  });

  it('upgrades, then reports "already at 3.2.3.0"', () => {
    const r = run(['init', 'database', '--database-uri', url, '--enc-key', keyFile]);
    // the moved rows are seen where LinOTP 3.4 reads them: their LinOTP 2 local times are named
    expect(r.stderr).toMatch(/^warning: 4 audit rows carry LinOTP 2 local timestamps, .*\n$/);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('model version 3.2.3.0');
    // LinOTP 3.4 audits a SQLite installation into the sibling file <db>_audit
    expect(existsSync(`${file}_audit`)).toBe(true);
    const again = run(['init', 'database', '--database-uri', url, '--enc-key', keyFile, '--json']);
    expect(again.status).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ upToDate: true, applied: [], version: '3.2.3.0' });
  });
});

describe('init enc-key (CLI)', () => {
  const keyPath = join(dir, 'new', 'encKey');

  it('writes 96 bytes with mode 0440 (LinOTP 3.4 Debian: linotp init enc-key 0400, then g+r) and prints the paper form', () => {
    rmSync(join(dir, 'new'), { recursive: true, force: true });
    spawnSync('mkdir', ['-p', join(dir, 'new')]);
    const r = run(['init', 'enc-key', '--enc-key', keyPath, '--dump']);
    expect(r.status).toBe(0);
    const st = statSync(keyPath);
    expect(st.size).toBe(96);
    expect(st.mode & 0o777).toBe(0o440);
    const hex = readFileSync(keyPath).toString('hex');
    expect(r.stdout).toContain(`${hex.slice(0, 16)} `);
    expect(r.stdout.trimEnd().split('\n').at(-1)).toMatch(/^ {17}[0-9a-f]{8}$/);
    // `--dump > paper.txt` captures the paper form only: the status line is on stderr
    expect(r.stdout.split('\n')[0]).toMatch(new RegExp(`^${keyPath} \\d{4}-`));
    expect(r.stdout).not.toContain('Wrote enc-key');
    expect(r.stderr).toContain(`Wrote enc-key to ${keyPath}`);
  });

  it('keeps an existing key unless --force; with --force it moves it to a dated backup', () => {
    const old = readFileSync(keyPath);
    const newHex = SAMPLE_ENC_KEY.toString('hex');
    const refused = run(['init', 'enc-key', '--enc-key', keyPath, '--keys', newHex]);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/--yes/);
    expect(readFileSync(keyPath).equals(old)).toBe(true);
    const r = run(['init', 'enc-key', '--enc-key', keyPath, '--keys', newHex.replace(/(.{16})/g, '$1 '), '--force']);
    expect(r.status).toBe(0);
    expect(readFileSync(keyPath).equals(SAMPLE_ENC_KEY)).toBe(true);
    const backups = readdirSync(join(dir, 'new')).filter((f) => /^encKey\.\d{4}-\d\d-\d\d$/.test(f));
    expect(backups).toHaveLength(1);
    expect(readFileSync(join(dir, 'new', backups[0])).equals(old)).toBe(true);
  });

  it('a different key that encrypts nothing in the database is replaced without --force (issue 21 item 3)', async () => {
    const keyDir = join(dir, 'fresh');
    rmSync(keyDir, { recursive: true, force: true });
    spawnSync('mkdir', ['-p', keyDir]);
    const key = join(keyDir, 'encKey');
    const fresh = Buffer.from(Array.from({ length: 96 }, (_, i) => (i * 53 + 7) % 256));
    writeFileSync(key, fresh, { mode: 0o440 });
    const empty = `sqlite:///${join(keyDir, 'empty.db')}`;
    const e = await openDatabase(empty, { create: true });
    await e.close();
    const r = run(['--json', 'init', 'enc-key', '--enc-key', key, '--keys', SAMPLE_ENC_KEY.toString('hex'), '--database-uri', empty]);
    expect(r.status, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ action: 'replaced', replacedUnusedKey: { encryptedInTarget: 0 } });
    expect(readFileSync(key).equals(SAMPLE_ENC_KEY)).toBe(true);
    expect(readFileSync(doc.backup).equals(fresh)).toBe(true);
    expect(statSync(doc.backup).mode & 0o777).toBe(0o440);
    // the upgraded database of the tests above holds encrypted values: refused without --force, nothing changed
    const used = run(['init', 'enc-key', '--enc-key', key, '--database-uri', `sqlite:///${join(dir, 'linotp.db')}`]);
    expect(used.status).toBe(1);
    expect(used.stderr).toMatch(/the database holds \d+ encrypted value\(s\)/);
    expect(readFileSync(key).equals(SAMPLE_ENC_KEY)).toBe(true);
  });

  it('rejects a short or non-hex --keys value before touching anything', () => {
    const r = run(['init', 'enc-key', '--enc-key', join(dir, 'new', 'other'), '--keys', 'abcd']);
    expect(r.status, "an invalid option value: usage error (docs/exit-codes.md)").toBe(2);
    expect(r.stderr).toMatch(/4 hex digits/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
