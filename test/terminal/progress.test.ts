/** Long phases show a progress bar on a terminal (real pty) and nothing without one. */
import { spawnSync } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/index.js';
import { SAMPLE_ENC_KEY } from '../../src/fixtures/sample.js';
import { runPty } from '../helpers/pty.js';
import { tempDir } from '../helpers/tmp.js';
import { loadSample212 } from '../upgrade/sample-db.js';

const bin = fileURLToPath(new URL('../../bin/linotp-migrate.js', import.meta.url));

describe('progress', () => {
  it('verify shows its token pass on a terminal, not in a pipe', async () => {
    const dir = tempDir('lmt-progress-');
    const file = join(dir, 'linotp.db');
    const db = await openDatabase(`sqlite:///${file}`, { create: true });
    await loadSample212(db);
    await db.close();
    writeFileSync(join(dir, 'encKey'), SAMPLE_ENC_KEY);
    const args = ['verify', '--database-uri', `sqlite:///${file}`, '--enc-key', join(dir, 'encKey')];
    const tty = runPty([process.execPath, bin, ...args], { cwd: dir });
    expect(tty.output).toMatch(/checking tokens [█░]+ 100% 3\/3/);
    const piped = spawnSync(process.execPath, [bin, ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, LINOTP_CFG: '' } });
    expect(piped.stderr + piped.stdout).not.toContain('checking tokens');

    // backup verify (and restore's checking pass) reads the whole dump: a bar over its bytes
    const made = spawnSync(process.execPath, [bin, '--json', 'backup', 'create', '--database-uri', `sqlite:///${file}`, '--enc-key', join(dir, 'encKey'), '--no-enc-key', '--out', dir], { cwd: dir, encoding: 'utf8', env: { ...process.env, LINOTP_CFG: '' } });
    expect(made.status, made.stderr).toBe(0);
    const backup = readdirSync(dir).find((f) => f.startsWith('linotp_backup_'))!;
    const verify = runPty([process.execPath, bin, 'backup', 'verify', '--file', join(dir, backup)], { cwd: dir });
    expect(verify.output).toMatch(/checking backup [█░]+ 100%/);
  });
});
