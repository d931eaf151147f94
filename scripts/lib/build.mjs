// Shared by `npm pack` (prepack), scripts/bundle.mjs and scripts/deb.mjs: a clean build of src/
// (a file left in dist/ by a source since removed must not ship), and the facts every artifact
// needs about the package.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const PKG = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));

/** Compiles src/ into `outDir` (default dist/) after removing it; tsc from the dev dependencies. */
export function buildDist(outDir = join(ROOT, 'dist')) {
  rmSync(outDir, { recursive: true, force: true });
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  execFileSync(process.execPath, [tsc, '-p', join(ROOT, 'tsconfig.build.json'), '--outDir', outDir], { cwd: ROOT, stdio: 'inherit' });
}

/** Built files that are development tools, not part of the command (fixture generator, benchmark). */
export function isDevOnlyBuildFile(relPath) {
  return /^(fixtures\/|encoding\/bench\.js)/.test(relPath) || relPath.endsWith('.map');
}

/** Documentation shipped with every artifact (besides README.md and LICENSE). */
export const DOC_DIR = 'docs';

export function sha256File(file) {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

/** Runs `fn` with a message on failure and exit 1, the way the build scripts report errors. */
export async function main(name, fn) {
  try {
    await fn();
  } catch (err) {
    process.stderr.write(`error: ${name}: ${err && err.message ? err.message : err}\n`);
    process.exitCode = 1;
  }
}
