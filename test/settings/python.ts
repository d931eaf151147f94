/** Runs python3 once with a JSON document on stdin and returns the JSON it prints (differential tests). */
import { spawnSync } from 'node:child_process';

export function runPython<T = unknown>(script: string, input: unknown): T {
  const r = spawnSync('python3', ['-c', script], {
    input: JSON.stringify(input),
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`python3 failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

/** Python 2.7 (what LinOTP 2 ran on), when this machine has it (pyenv 2.7.18); else undefined. */
export function python2Available(): boolean {
  const r = spawnSync('python2', ['-c', 'import sys; sys.exit(0 if sys.version_info[0] == 2 else 1)'], { env: { ...process.env, PYENV_VERSION: process.env.PYENV_VERSION2 ?? '2.7.18' } });
  return r.status === 0;
}

export function runPython2<T = unknown>(script: string, input: unknown): T {
  const r = spawnSync('python2', ['-c', script], {
    input: JSON.stringify(input),
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    env: { ...process.env, PYENV_VERSION: process.env.PYENV_VERSION2 ?? '2.7.18' },
  });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`python2 failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}
