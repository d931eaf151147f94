// Lays out the runnable tool in a folder, as the offline bundle and the Debian package ship it:
//   package.json (runtime fields only), dist/ (clean build, without development tools),
//   node_modules/ (the production dependencies from package-lock.json, copied from this checkout's
//   node_modules, better-sqlite3 reduced to its compiled module), bin/linotp-migrate (the launcher
//   that refuses another Node ABI), bin/package.json ("commonjs" for the launcher).
// No npm and no network: the dependency closure is read from package-lock.json, and every package
// is checked against it (version), so a stale node_modules is an error, not a silent difference.
import { execFileSync } from 'node:child_process';
import { chmodSync, closeSync, cpSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { buildDist, isDevOnlyBuildFile, PKG, ROOT } from './build.mjs';

/** package-lock.json's packages that `npm ci --omit=dev` would install: path → version. */
export function productionPackages(lockFile = join(ROOT, 'package-lock.json')) {
  const lock = JSON.parse(readFileSync(lockFile, 'utf8'));
  if (lock.lockfileVersion < 2 || !lock.packages) throw new Error(`${lockFile}: lockfileVersion ${lock.lockfileVersion}; npm >= 7 lockfiles are needed`);
  const out = new Map();
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (!path || entry.dev || entry.devOptional || entry.link) continue;
    // Type declarations are never loaded at run time (@types/node comes in through @inquirer's peer range).
    if (path.startsWith('node_modules/@types/')) continue;
    out.set(path, entry.version);
  }
  return out;
}

function walkFiles(dir, visit, base = dir) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) walkFiles(p, visit, base);
    else visit(p, relative(base, p));
  }
}

/** Copies the production closure into target/node_modules; returns the packages copied. */
export function copyProductionModules(target, sourceModules = realpathSync(join(ROOT, 'node_modules'))) {
  const wanted = productionPackages();
  const sourceRoot = dirname(sourceModules);
  for (const [path, version] of wanted) {
    const src = join(sourceRoot, path);
    if (!existsSync(join(src, 'package.json'))) throw new Error(`${path} is missing from ${sourceModules}: run npm ci`);
    const installed = JSON.parse(readFileSync(join(src, 'package.json'), 'utf8')).version;
    if (installed !== version) throw new Error(`${path} is ${installed} in node_modules but ${version} in package-lock.json: run npm ci`);
    // Nested packages are copied one by one (they are in the list), never with their parent.
    cpSync(src, join(target, path), { recursive: true, filter: (s) => s === src || !/[\\/](node_modules|\.bin)$/.test(s) });
  }
  return wanted;
}

/** Only the compiled module, its loader and its licence: no C sources, no object files (27 MB → ~2 MB). */
function reduceBetterSqlite3(dir) {
  const keep = new Set(['package.json', 'lib', 'LICENSE', 'README.md', 'build']);
  for (const name of readdirSync(dir)) if (!keep.has(name)) rmSync(join(dir, name), { recursive: true, force: true });
  const release = join(dir, 'build', 'Release');
  for (const name of readdirSync(join(dir, 'build'))) if (name !== 'Release') rmSync(join(dir, 'build', name), { recursive: true, force: true });
  for (const name of readdirSync(release)) if (name !== 'better_sqlite3.node') rmSync(join(release, name), { recursive: true, force: true });
}

/**
 * Files Node never reads when running the tool: source maps and type declarations of the dependencies,
 * the dependencies' test suites and openpgp's browser builds (its "exports" send Node to dist/node/). About 12 MB.
 */
function dropUnloadedFiles(modules) {
  walkFiles(modules, (abs, rel) => {
    if (rel.endsWith('.map') || rel.endsWith('.d.ts') || rel.endsWith('.d.mts') || rel.endsWith('.d.cts')) rmSync(abs);
  });
  // The dependencies' own test suites, unless an entry point of the package lies in test/.
  for (const path of productionPackages().keys()) {
    const dir = join(dirname(modules), path);
    if (!existsSync(join(dir, 'test'))) continue;
    const p = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    if (!JSON.stringify([p.main, p.exports, p.bin, p.module, p.imports]).includes('test/')) rmSync(join(dir, 'test'), { recursive: true });
  }
  const openpgpDist = join(modules, 'openpgp', 'dist');
  for (const name of readdirSync(openpgpDist)) if (name !== 'node') rmSync(join(openpgpDist, name), { recursive: true, force: true });
}

/** Opens an in-memory database with the staged better-sqlite3 under this Node: the module must load. */
export function probeSqlite(appDir) {
  const probe = `const D = require(${JSON.stringify(join(appDir, 'node_modules', 'better-sqlite3'))}); process.stdout.write(new D(':memory:').prepare('select sqlite_version()').pluck().get());`;
  return execFileSync(process.execPath, ['-e', probe], { encoding: 'utf8' });
}

/** Newest glibc symbol version the compiled module needs (GLIBC_2.34 → '2.34'): the servers' glibc must be as new. */
export function requiredGlibc(nodeModule) {
  let best = null;
  for (const m of readFileSync(nodeModule).toString('latin1').matchAll(/GLIBC_(\d+)\.(\d+)/g)) {
    const v = [Number(m[1]), Number(m[2])];
    if (!best || v[0] > best[0] || (v[0] === best[0] && v[1] > best[1])) best = v;
  }
  return best ? best.join('.') : null;
}

/**
 * @param appDir  empty or absent folder to fill
 * @param opts.nodeShebang interpreter line of the launcher (`/usr/bin/env node`; the .deb uses /usr/bin/node)
 */
export function stageApp(appDir, { nodeShebang = '/usr/bin/env node' } = {}) {
  rmSync(appDir, { recursive: true, force: true });
  mkdirSync(appDir, { recursive: true });
  const dist = join(appDir, 'dist');
  buildDist(dist);
  walkFiles(dist, (abs, rel) => {
    if (isDevOnlyBuildFile(rel.split('\\').join('/'))) rmSync(abs);
  });
  rmSync(join(dist, 'fixtures'), { recursive: true, force: true });

  const runtimePkg = {};
  for (const k of ['name', 'version', 'description', 'license', 'type', 'engines', 'dependencies']) if (PKG[k] !== undefined) runtimePkg[k] = PKG[k];
  runtimePkg.private = true;
  writeFileSync(join(appDir, 'package.json'), JSON.stringify(runtimePkg, null, 2) + '\n');

  const modules = copyProductionModules(appDir);
  reduceBetterSqlite3(join(appDir, 'node_modules', 'better-sqlite3'));
  dropUnloadedFiles(join(appDir, 'node_modules'));
  const sqliteVersion = probeSqlite(appDir);
  const glibc = requiredGlibc(join(appDir, 'node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node'));
  removeEmptyDirs(join(appDir, 'node_modules'));

  const [major, minMinor] = PKG.engines.node.replace(/^>=\s*/, '').split('.').map(Number);
  if (Number(process.versions.node.split('.')[0]) !== major) {
    throw new Error(`building with Node.js ${process.versions.node}, but the tool targets Node.js ${major} (engines ${PKG.engines.node}); the compiled better-sqlite3 would not match`);
  }
  const launcher = readFileSync(new URL('./launcher.cjs', import.meta.url), 'utf8')
    .replace(/^#!.*\n/, `#!${nodeShebang}\n`)
    .replace('@ABI@', process.versions.modules)
    .replace('@NODE_MAJOR@', String(major))
    .replace('@NODE_MIN_MINOR@', String(minMinor))
    .replace('@NODE_VERSION@', process.versions.node)
    .replace('@TOOL_VERSION@', PKG.version);
  mkdirSync(join(appDir, 'bin'));
  writeFileSync(join(appDir, 'bin', 'linotp-migrate'), launcher);
  chmodSync(join(appDir, 'bin', 'linotp-migrate'), 0o755);
  writeFileSync(join(appDir, 'bin', 'package.json'), '{ "type": "commonjs" }\n');
  return { modules: modules.size, sqliteVersion, glibc, abi: process.versions.modules, node: process.versions.node };
}

/** Same modes everywhere: directories 0755, files 0644; 0755 for `executables` (absolute paths) and scripts (`#!`). */
export function normalizeModes(dir, executables = []) {
  const exec = new Set(executables);
  chmodSync(dir, 0o755);
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isSymbolicLink()) continue;
    if (e.isDirectory()) normalizeModes(p, executables);
    else chmodSync(p, exec.has(p) || isScript(p) ? 0o755 : 0o644);
  }
}

function isScript(file) {
  const fd = openSync(file, 'r');
  try {
    const head = Buffer.alloc(2);
    return readSync(fd, head, 0, 2, 0) === 2 && head.toString('latin1') === '#!';
  } finally {
    closeSync(fd);
  }
}

/** The launcher, the only file of the staged tool that is run directly. */
export const launcherPath = (appDir) => join(appDir, 'bin', 'linotp-migrate');

/** Removes empty folders below dir (test fixtures of dependencies, left empty by pruning). */
export function removeEmptyDirs(dir) {
  for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) removeEmptyDirs(join(dir, e.name));
  if (readdirSync(dir).length === 0) rmSync(dir, { recursive: true });
}
