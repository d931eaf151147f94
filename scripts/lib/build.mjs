// Shared by `npm pack` (prepack), scripts/bundle.mjs and scripts/deb.mjs: a clean build of src/
// (a file left in dist/ by a source since removed must not ship), and the facts every artifact
// needs about the package.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const PKG = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
/** Release artifacts and the build cache (gitignored). */
export const ARTIFACTS = process.env.LINOTP_MIGRATE_ARTIFACTS ?? join(ROOT, 'artifacts');
/** Built dist/ folders by source hash (tests share one across checkouts and artifact folders). */
const BUILD_CACHE = process.env.LINOTP_MIGRATE_BUILD_CACHE ?? join(ARTIFACTS, 'cache');

/** Hash of everything tsc's output depends on: src/, the tsconfig files, the compiler's version. */
function buildInputsHash() {
  const h = createHash('sha256');
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else h.update(relative(ROOT, p)).update('\0').update(readFileSync(p)).update('\0');
    }
  };
  walk(join(ROOT, 'src'));
  for (const f of ['tsconfig.json', 'tsconfig.build.json', 'node_modules/typescript/package.json']) h.update(f).update(readFileSync(join(ROOT, f)));
  return h.digest('hex').slice(0, 16);
}

/** Keeps the newest few builds (one per source state recently built). */
function pruneCache(keep, max = 4) {
  const entries = readdirSync(BUILD_CACHE)
    .filter((n) => /^dist-[0-9a-f]{16}$/.test(n) && join(BUILD_CACHE, n) !== keep)
    .map((n) => ({ path: join(BUILD_CACHE, n), mtime: statSync(join(BUILD_CACHE, n)).mtimeMs }))
    .sort((a, b) => b.mtime - a.mtime);
  for (const e of entries.slice(max - 1)) rmSync(e.path, { recursive: true, force: true });
}

/**
 * A clean build of src/ in `outDir` (default dist/): the folder is removed first, so nothing from a
 * deleted source survives. tsc runs once per distinct input (cached in artifacts/cache/ or
 * LINOTP_MIGRATE_BUILD_CACHE, keyed by the
 * hash of the sources, the tsconfig files and the compiler version): pack, bundle and deb share it.
 */
export function buildDist(outDir = join(ROOT, 'dist')) {
  const cached = join(BUILD_CACHE, `dist-${buildInputsHash()}`);
  if (!existsSync(cached)) {
    const tmp = `${cached}.tmp-${process.pid}`;
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(BUILD_CACHE, { recursive: true });
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    execFileSync(process.execPath, [tsc, '-p', join(ROOT, 'tsconfig.build.json'), '--outDir', tmp], { cwd: ROOT, stdio: 'inherit' });
    try {
      renameSync(tmp, cached);
    } catch (err) {
      // Another build of the same sources finished first: its result is the same.
      rmSync(tmp, { recursive: true, force: true });
      if (!existsSync(cached)) throw err;
    }
    pruneCache(cached);
  }
  rmSync(outDir, { recursive: true, force: true });
  cpSync(cached, outDir, { recursive: true });
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
