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
