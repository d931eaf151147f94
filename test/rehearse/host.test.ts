/** rehearse --etc: host migrate into the scratch directory, reported as step `host` (issue 16). */
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeEtcTree } from '../../src/fixtures/etc-tree.js';
import { runRehearsal } from '../../src/rehearse/index.js';
import { renderJunit } from '../../src/reports/junit.js';
import { ROOT } from '../e2e/global-setup.js';

const tmp = mkdtempSync(join(tmpdir(), 'lmt-rehearse-host-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const DUMP = join(ROOT, 'fixtures', 'demo', 'linotp2-mysql.sql');
const ENC_KEY = join(ROOT, 'fixtures', 'demo', 'encKey');

describe('rehearse --etc', () => {
  it('runs host migrate into the scratch directory and reports it; the scratch is removed', async () => {
    writeEtcTree(join(tmp, 'old'));
    const report = await runRehearsal({ backup: DUMP, encKeyPath: ENC_KEY, etc: join(tmp, 'old', 'etc'), cwd: ROOT, tmpBase: tmp });
    const step = report.steps.find((s) => s.id === 'host')!;
    expect(step.status, JSON.stringify(step)).toBe('ok');
    const byId = (id: string) => report.checks.find((c) => c.id === id);
    expect(byId('host.files')?.status).toBe('pass');
    expect(byId('host.audit-pair')?.status).toBe('pass');
    expect(byId('host.decisions')?.status).toBe('warn');
    expect(report.details.host).toMatchObject({ auditPairMatches: true });
    expect(report.details.host!.written).toBeGreaterThan(10);
    expect(report.details.host!.attention).toContain('/etc/apache2/sites-available/linotp.conf');
    expect(report.outcome).toBe('passed');
    expect(report.production.join('\n')).toMatch(/host migrate --from .* --to \/etc\/linotp --plan/);
    expect(renderJunit(report)).toContain('rehearse.host');
    expect(readdirSync(tmp).filter((d) => d.startsWith('linotp-rehearse'))).toEqual([]);
  }, 120_000);

  it('a mismatched audit key pair fails the rehearsal (exit 3)', async () => {
    writeEtcTree(join(tmp, 'mm'), { mismatchedAuditPair: true });
    const report = await runRehearsal({ backup: DUMP, encKeyPath: ENC_KEY, etc: join(tmp, 'mm', 'etc'), cwd: ROOT, tmpBase: tmp });
    expect(report.checks.find((c) => c.id === 'host.audit-pair')?.status).toBe('fail');
    expect(report.exitCode).toBe(3);
  }, 120_000);

  it('an --etc without linotp2/ is refused before any work', async () => {
    await expect(runRehearsal({ backup: DUMP, encKeyPath: ENC_KEY, etc: tmp, cwd: ROOT, tmpBase: tmp })).rejects.toThrow(/--etc .* has no linotp2 directory/);
    expect(existsSync(join(tmp, 'etc'))).toBe(false);
  });
});
