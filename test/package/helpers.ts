/** Shared by the packaging tests: the demo rehearsal, a PATH holding only `node`, spawning an installed copy. */
import { tempDir } from '../helpers/tmp.js';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdirSync, mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../e2e/global-setup.js';

export { ROOT };
export const DEMO = join(ROOT, 'fixtures', 'demo');

/** The arguments of `npm run demo` (scripts/demo.mjs) with absolute paths and the reports in `reportDir`. */
export function demoRehearseArgs(reportDir: string): string[] {
  return [
    'rehearse',
    '--backup', join(DEMO, 'linotp2.backup.tar.gz'),
    '--passphrase-file', join(DEMO, 'backup-passphrase.txt'),
    '--ini', join(DEMO, 'linotp.ini'),
    '--admin', 'admin',
    '--admin-password-file', join(DEMO, 'admin-password.txt'),
    '--access-log', join(DEMO, 'access.log'),
    '--audit-timezone', 'Europe/Berlin',
    '--report-dir', reportDir,
    '--json',
  ];
}

/** A folder whose only entry is a `node` symlink: PATH without npm, gcc, curl, wget … */
export function nodeOnlyPath(): string {
  const dir = join(tempDir('lmt-pkg-path-'), 'bin');
  mkdirSync(dir);
  symlinkSync(process.execPath, join(dir, 'node'));
  return dir;
}

/** Shared by the three tests: tsc runs once per source hash (scripts/lib/build.mjs). */
export const ARTIFACT_CACHE = join(tmpdir(), 'linotp-migrate-test-artifacts');

export function timed<T>(fn: () => T): { value: T; seconds: number } {
  const started = process.hrtime.bigint();
  const value = fn();
  return { value, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
}

export function runTool(command: string, args: string[], env: NodeJS.ProcessEnv, cwd: string): SpawnSyncReturns<string> {
  return spawnSync(command, args, { cwd, encoding: 'utf8', env, input: '' });
}

/** Parses the --json document of a run, with its stderr in the message when it is not JSON. */
export function jsonOf(r: SpawnSyncReturns<string>): any {
  try {
    return JSON.parse(r.stdout);
  } catch {
    throw new Error(`no JSON on stdout (exit ${r.status}):\n${r.stdout.slice(0, 2000)}\n${r.stderr.slice(0, 2000)}`);
  }
}
