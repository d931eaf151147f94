/** `admin fix-db-encoding` end to end: the committed real mariadb-dump restored, repaired, verified. */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/index.js';
import { parseDbUrl } from '../../src/db/url.js';
import type { FixEncodingReport } from '../../src/encoding/index.js';
import type { VerifyReport } from '../../src/verify/types.js';
import { createTestDatabase, describeEngines } from '../helpers/db.js';
import { ensureBuilt, ROOT, runCli } from './global-setup.js';

beforeAll(() => ensureBuilt(), 180_000);

const run = runCli;

describeEngines(
  'fix-db-encoding e2e on the restored LinOTP 2 MariaDB dump',
  () => {
    let url: string;
    let drop: () => Promise<void>;
    beforeAll(async () => {
      const t = await createTestDatabase('mysql', { charset: 'utf8' });
      url = t.url;
      drop = t.drop;
      const u = parseDbUrl(url);
      const client = ['/usr/bin/mariadb', '/usr/bin/mysql'].find((b) => {
        try {
          readFileSync(b);
          return true;
        } catch {
          return false;
        }
      })!;
      const r = spawnSync(client, [`--user=${u.user}`, `--host=${u.host}`, `--port=${u.port}`, '--protocol=TCP', u.database], {
        input: readFileSync(join(ROOT, 'fixtures', 'demo', 'linotp2-mysql.sql')),
        env: { ...process.env, MYSQL_PWD: u.password ?? '' },
      });
      expect(r.status, String(r.stderr)).toBe(0);
    });
    afterAll(async () => drop?.());

    it('verify counts the mojibake, --dry-run shows examples and changes nothing', () => {
      const v = run<VerifyReport>(['--json', 'verify', '--database-uri', url, '--enc-key', 'fixtures/demo/encKey']);
      expect(v.code, v.stderr).toBe(0);
      expect(v.json!.encoding.suspicious).toBeGreaterThan(40);
      const d = run<FixEncodingReport>(['--json', 'admin', 'fix-db-encoding', '--database-uri', url, '--dry-run', '--samples', '4']);
      expect(d.code, d.stderr).toBe(0);
      expect(d.json!.dryRun).toBe(true);
      expect(d.json!.samples).toHaveLength(4);
      expect(d.json!.totals.repairedValues).toBe(v.json!.encoding.suspicious);
      const again = run<VerifyReport>(['--json', 'verify', '--database-uri', url, '--skip-encoding']);
      expect(again.json!.tokens.total).toBe(23);
      const text = run<FixEncodingReport>(['admin', 'fix-db-encoding', '--database-uri', url, '--plan', '--samples', '2']);
      expect(text.stdout).toContain('dry run: nothing was changed');
      expect(text.stdout).toMatch(/→ "Hardware-Token für Jürgen"|→ "/);
    });

    it('repairs everything; verify then finds no mojibake; a second run changes nothing', async () => {
      const r = run<FixEncodingReport>(['--json', 'admin', 'fix-db-encoding', '--database-uri', url]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.json!.totals.repairedValues).toBeGreaterThan(40);
      // the demo dump is utf8mb3: Token (a double-encoded emoji) is converted, the rest kept
      expect(r.json!.charsetConversions.map((c) => c.table)).toContain('Token');
      expect(r.json!.charsetConversions.length + r.json!.charsetKept.length).toBeGreaterThan(5);
      const v = run<VerifyReport>(['--json', 'verify', '--database-uri', url, '--enc-key', 'fixtures/demo/encKey']);
      expect(v.code, v.stderr).toBe(0);
      expect(v.json!.encoding.suspicious).toBe(0);
      const db = await openDatabase(url);
      try {
        const [row] = await db.query('SELECT LinOtpTokenDesc AS d FROM Token WHERE LinOtpTokenId = 1');
        expect(row.d).toBe('Hardware-Token für Jürgen');
        const users = (await db.query('SELECT user AS u FROM audit WHERE id <= 4 ORDER BY id')).map((x) => x.u);
        expect(users).toEqual(['jürgen', 'jürgen', 'zoë.østergård', 'Łukasz']);
      } finally {
        await db.close();
      }
      const second = run<FixEncodingReport>(['--json', 'admin', 'fix-db-encoding', '--database-uri', url]);
      expect(second.json!.totals).toMatchObject({ repairedValues: 0, changedRows: 0 });
    });

    it('rejects unknown --tables with exit 2', () => {
      const r = run(['admin', 'fix-db-encoding', '--database-uri', url, '--tables', 'Token,bogus']);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('bogus is not a LinOTP table');
    });
  },
  ['mysql'],
);
