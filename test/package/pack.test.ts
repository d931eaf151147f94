/**
 * `npm pack` end to end, from a copy of the sources without dist/ (as a fresh clone has it): prepack
 * builds, the tarball holds the tool, docs and licence and nothing of the tests or fixtures; installed
 * into an empty folder with npm — offline, from the npm cache, with no compiler on PATH — the installed
 * copy runs --version, --help, backup verify and rehearse on the demo.
 *
 * Offline, npm cannot resolve a bare `npm install ./x.tgz` (the cache that `npm ci` fills holds the
 * packages' tarballs but not the registry metadata), so the empty folder gets the lockfile `npm install`
 * would write, made from this repository's package-lock.json, and `npm ci --offline` installs it.
 * better-sqlite3's installer gets the module this checkout compiled as a local prebuild, so its real
 * install script runs without a compiler or the network.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARTIFACT_CACHE, demoRehearseArgs, DEMO, jsonOf, nodeOnlyPath, ROOT, runTool, timed } from './helpers.js';

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8'));
const modules = realpathSync(join(ROOT, 'node_modules'));
const npmCli = realpathSync(execFileSync('sh', ['-c', 'command -v npm'], { encoding: 'utf8' }).trim());
const tmp = mkdtempSync(join(tmpdir(), 'lmt-pack-'));
const checkout = join(tmp, 'checkout');
const packs = join(tmp, 'packs');
const app = join(tmp, 'app');
const tarballName = `linotp-migrate-${pkg.version}.tgz`;
let packedFiles: string[] = [];

function copyCheckout(): void {
  for (const f of ['src', 'bin', 'scripts', 'docs', 'package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'README.md', 'LICENSE']) {
    cpSync(join(ROOT, f), join(checkout, f), { recursive: true });
  }
  symlinkSync(modules, join(checkout, 'node_modules'));
}

beforeAll(() => {
  copyCheckout();
  mkdirSync(packs);
  const r = spawnSync(process.execPath, [npmCli, 'pack', '--json', '--pack-destination', packs], {
    cwd: checkout,
    encoding: 'utf8',
    env: { ...process.env, LINOTP_MIGRATE_BUILD_CACHE: ARTIFACT_CACHE, npm_config_loglevel: 'error' },
  });
  if (r.status !== 0) throw new Error(`npm pack failed:\n${r.stderr}`);
  const report = JSON.parse(r.stdout.slice(r.stdout.indexOf('[')));
  expect(report[0].filename).toBe(tarballName);
  packedFiles = report[0].files.map((f: { path: string }) => f.path);
}, 300_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The lockfile `npm install ./linotp-migrate-<v>.tgz` writes: the tarball plus the production packages. */
function installLockfile(spec: string, integrity: string) {
  const packages: Record<string, unknown> = {
    '': { name: 'install-test', dependencies: { 'linotp-migrate': spec } },
    'node_modules/linotp-migrate': {
      version: pkg.version,
      resolved: spec,
      integrity,
      license: pkg.license,
      dependencies: pkg.dependencies,
      bin: { 'linotp-migrate': pkg.bin['linotp-migrate'] },
      engines: pkg.engines,
    },
  };
  for (const [path, entry] of Object.entries<any>(lock.packages)) {
    if (path && !entry.dev && !entry.devOptional) packages[path] = entry;
  }
  return { name: 'install-test', lockfileVersion: 3, requires: true, packages };
}

/** better-sqlite3's prebuild-install looks in local-prebuilds for the file it would download. */
function localPrebuild(dir: string): void {
  const version = JSON.parse(readFileSync(join(modules, 'better-sqlite3', 'package.json'), 'utf8')).version;
  mkdirSync(dir, { recursive: true });
  execFileSync('tar', ['-czf', join(dir, `better-sqlite3-v${version}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`), '-C', join(modules, 'better-sqlite3'), 'build/Release/better_sqlite3.node']);
}

describe('npm pack', () => {
  it('packs the built tool, docs and licence, nothing of the tests, fixtures or sources', () => {
    for (const f of ['package.json', 'README.md', 'LICENSE', 'bin/linotp-migrate.js', 'dist/cli/main.js', 'dist/version.js', 'docs/commands.md', 'docs/install.md']) {
      expect(packedFiles, f).toContain(f);
    }
    expect(packedFiles.filter((f) => !/^(bin|dist|docs)\/|^(package\.json|README\.md|LICENSE)$/.test(f))).toEqual([]);
    expect(packedFiles.filter((f) => /\.map$|^dist\/fixtures\/|^dist\/encoding\/bench/.test(f))).toEqual([]);
    expect(readFileSync(join(checkout, 'LICENSE'), 'utf8')).toMatch(/^\s+GNU AFFERO GENERAL PUBLIC LICENSE\s+Version 3, 19 November 2007/);
  });

  it('installs offline into an empty folder without a compiler, and the installed copy runs', () => {
    const tarball = join(packs, tarballName);
    const integrity = `sha512-${createHash('sha512').update(readFileSync(tarball)).digest('base64')}`;
    const spec = `file:../packs/${tarballName}`;
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'install-test', private: true, dependencies: { 'linotp-migrate': spec } }, null, 2));
    writeFileSync(join(app, 'package-lock.json'), JSON.stringify(installLockfile(spec, integrity), null, 2));
    localPrebuild(join(tmp, 'prebuilds'));
    writeFileSync(join(app, '.prebuild-installrc'), `local-prebuilds=${join(tmp, 'prebuilds')}\n`);
    // PATH: node and npm only — no g++, make or python3 for node-gyp, no curl or wget.
    const path = nodeOnlyPath();
    symlinkSync(npmCli, join(path, 'npm'));
    const install = timed(() =>
      spawnSync(join(path, 'npm'), ['ci', '--offline', '--no-audit', '--no-fund', '--foreground-scripts'], {
        cwd: app,
        encoding: 'utf8',
        env: { PATH: path, HOME: process.env.HOME ?? tmp, npm_config_cache: process.env.npm_config_cache ?? join(process.env.HOME ?? tmp, '.npm'), npm_config_update_notifier: 'false', npm_config_script_shell: '/bin/sh' },
      }),
    );
    expect(install.value.status, install.value.stderr + install.value.stdout).toBe(0);
    const installed = join(app, 'node_modules', 'linotp-migrate');
    expect(existsSync(join(installed, 'dist', 'cli', 'main.js'))).toBe(true);
    expect(existsSync(join(installed, 'test'))).toBe(false);
    const addon = join(app, 'node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node');
    expect(readFileSync(addon).equals(readFileSync(join(modules, 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node')))).toBe(true);
    expect(existsSync(join(dirname(addon), 'obj.target'))).toBe(false); // installed, not compiled

    const bin = join(app, 'node_modules', '.bin', 'linotp-migrate');
    const env = { PATH: nodeOnlyPath(), HOME: tmp, NO_COLOR: '1', LANG: 'C.UTF-8' };
    const version = runTool(bin, ['--version'], env, app);
    expect(version.status, version.stderr).toBe(0);
    expect(version.stdout).toBe(`linotp-migrate ${pkg.version}\n`);
    const verbose = runTool(bin, ['--version', '-v'], env, app);
    expect(verbose.stdout).toContain(`installed at ${realpathSync(installed)}`);
    const help = runTool(bin, ['--help'], env, app);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('Usage: linotp-migrate');
    expect(help.stdout).toContain('rehearse');

    const verify = runTool(bin, ['backup', 'verify', '--file', join(DEMO, 'linotp2.backup.tar.gz'), '--passphrase-file', join(DEMO, 'backup-passphrase.txt'), '--json'], env, app);
    expect(verify.status, verify.stderr).toBe(0);
    const backup = jsonOf(verify);
    expect(backup.modelVersion).toBe('2.12.0.0');

    const first = timed(() => runTool(bin, demoRehearseArgs(join(tmp, 'reports')), env, app));
    expect(first.value.status, first.value.stderr).toBe(0);
    expect(jsonOf(first.value).ok).toBe(true);
    process.stderr.write(`npm tarball: ${(readFileSync(tarball).length / 1048576).toFixed(2)} MiB; npm ci --offline ${install.seconds.toFixed(2)} s, first rehearse ${first.seconds.toFixed(2)} s\n`);
  });
});
