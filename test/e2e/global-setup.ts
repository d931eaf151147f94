/**
 * Makes sure dist/ is built from the current src/ before end-to-end tests spawn
 * `node bin/linotp-migrate.js`. `npm test` builds first anyway; this covers `npx vitest run`.
 * Usable as a vitest globalSetup (default export) or from a beforeAll (`ensureBuilt()`).
 * A lock directory keeps parallel test files from running tsc at the same time.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { existsSync, mkdirSync, readdirSync, rmdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const BIN = join(ROOT, 'bin', 'linotp-migrate.js');

/** True when some src/**.ts is newer than its dist/**.js (or that is missing). */
export function distIsStale(): boolean {
  const src = join(ROOT, 'src');
  const check = (dir: string): boolean => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) {
        if (check(p)) return true;
      } else if (e.name.endsWith('.ts')) {
        const out = join(ROOT, 'dist', relative(src, p)).replace(/\.ts$/, '.js');
        if (!existsSync(out) || statSync(out).mtimeMs < statSync(p).mtimeMs) return true;
      }
    }
    return false;
  };
  return check(src);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function ensureBuilt(): Promise<void> {
  if (!distIsStale()) return;
  // Outside the repository, keyed by its path; a lock older than 3 minutes is from a dead run.
  const lock = join(tmpdir(), `linotp-migrate-build-${createHash('sha256').update(ROOT).digest('hex').slice(0, 12)}.lock`);
  for (let i = 0; ; i++) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      try {
        if (Date.now() - statSync(lock).mtimeMs > 180_000) rmdirSync(lock);
      } catch {
        /* removed meanwhile */
      }
      if (i > 900) throw new Error(`build lock ${lock} held for 3 minutes; remove it if no build runs`);
      await sleep(200);
    }
  }
  try {
    if (!distIsStale()) return;
    try {
      execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(ROOT, 'tsconfig.build.json')], { cwd: ROOT, stdio: 'pipe' });
    } catch (e) {
      // tsc still emits on type errors elsewhere; fail only when nothing usable was written.
      if (!existsSync(join(ROOT, 'dist', 'cli', 'main.js'))) throw e;
    }
  } finally {
    rmdirSync(lock);
  }
}

export default async function setup(): Promise<void> {
  await ensureBuilt();
}

/** Runs the built binary from the checkout (no colour) and parses stdout as JSON when it is JSON. */
export function runCli<T = any>(args: string[]): { code: number | null; stdout: string; stderr: string; json: T | undefined } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  let json: T | undefined;
  try {
    json = JSON.parse(r.stdout);
  } catch {
    json = undefined;
  }
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, json };
}
