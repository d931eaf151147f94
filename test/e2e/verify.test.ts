/** `verify` end to end: the built binary on the demo installation and on every engine. */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/index.js';
import { buildInstallation } from '../../src/fixtures/installation.js';
import { writeInstallation } from '../../src/fixtures/write.js';
import type { VerifyReport } from '../../src/verify/types.js';
import { createTestDatabase, describeEngines } from '../helpers/db.js';
import { BIN, ensureBuilt, ROOT } from './global-setup.js';

const tmp = mkdtempSync(join(tmpdir(), 'lmt-e2e-verify-'));
const goodKey = join(tmp, 'encKey');
const wrongKey = join(tmp, 'wrong-encKey');
const inst = buildInstallation({ tokens: 24, auditRows: 30 });
writeFileSync(goodKey, inst.encKeyBytes);
writeFileSync(wrongKey, Buffer.alloc(96, 0x5a));
const seeds = [...inst.tokens()].filter((t) => t.seed).length;

beforeAll(() => ensureBuilt(), 180_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function run(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', ...env } });
  let json: VerifyReport | undefined;
  try {
    json = JSON.parse(r.stdout);
  } catch {
    json = undefined;
  }
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, json };
}

function hashDir(dir: string): string {
  const h = createHash('sha256');
  // only the installation's own files (other demo artefacts may be written by other tests)
  for (const f of ['encKey', 'linotp.ini', 'linotp2-mysql.sql', 'token.db']) h.update(f).update(readFileSync(join(dir, f)));
  return h.digest('hex');
}

describe('verify on the committed demo installation', () => {
  it('passes, prints a table, and writes nothing into fixtures/', () => {
    const demo = join(ROOT, 'fixtures', 'demo');
    const before = hashDir(demo);
    const r = run(['verify', '--ini', 'fixtures/demo/linotp.ini']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('all checks passed');
    expect(r.stdout).toMatch(/token seeds decrypt\s+all 16 encrypted seeds decrypt/);
    expect(hashDir(demo)).toBe(before);
  });

  it('--json gives one document', () => {
    const r = run(['--json', 'verify', '--ini', 'fixtures/demo/linotp.ini']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json!.ok).toBe(true);
    expect(r.json!.model.stored).toBe('2.12.0.0');
    expect(r.json!.tokens.total).toBe(23);
    expect(r.json!.key).toMatchObject({ verdict: 'matches', failed: 0 });
  });

  it('a wrong key exits 3 and says so', () => {
    const r = run(['--json', 'verify', '--ini', 'fixtures/demo/linotp.ini', '--enc-key', wrongKey]);
    expect(r.code).toBe(3);
    expect(r.json!.key.verdict).toBe('wrong-key');
    expect(r.stderr).toMatch(/error: wrong encKey: none of the \d+ encrypted values decrypts/);
  });

  it('no database is a usage error (exit 2)', () => {
    const r = run(['verify'], { LINOTP_CFG: join(tmp, 'none.cfg') });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no database given');
  });
});

describeEngines('verify e2e', (engine) => {
  let url: string;
  let drop: () => Promise<void>;
  beforeAll(async () => {
    const t = await createTestDatabase(engine, { charset: 'utf8' });
    url = t.url;
    drop = t.drop;
    const db = await openDatabase(url);
    try {
      await writeInstallation(db, inst);
    } finally {
      await db.close();
    }
  });
  afterAll(async () => drop?.());

  it('exits 0 with the right key', () => {
    const r = run(['--json', 'verify', '--database-uri', url, '--enc-key', goodKey]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json!.ok).toBe(true);
    expect(r.json!.checks.find((c) => c.id === 'token-seeds')).toMatchObject({ status: 'pass', checked: seeds });
    expect(r.json!.encoding.suspicious > 0).toBe(engine === 'mysql');
  });

  it('exits 3 with a wrong key, naming the count of undecryptable seeds', () => {
    const r = run(['--json', 'verify', '--database-uri', url, '--enc-key', wrongKey]);
    expect(r.code).toBe(3);
    const c = r.json!.checks.find((x) => x.id === 'token-seeds')!;
    expect(c).toMatchObject({ status: 'fail', failed: seeds, checked: seeds });
    expect(c.summary).toBe(`${seeds} of ${seeds} token seeds do not decrypt`);
    expect(r.json!.key.verdict).toBe('wrong-key');
  });

  it('takes the database and key from the environment', () => {
    const r = run(['--json', 'verify', '--skip-encoding'], { LINOTP_DATABASE_URI: url, LINOTP_SECRET_FILE: goodKey });
    expect(r.code, r.stderr).toBe(0);
    expect(r.json!.key.verdict).toBe('matches');
  });
});
