/**
 * `npm run bundle` end to end: the offline bundle is built, its checksums hold, and after `tar -xzf` it
 * runs the demo rehearsal with PATH holding nothing but `node` (no npm, no compiler, no network tools)
 * and with no checkout next to it. A launcher built for another ABI refuses in one line.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARTIFACT_CACHE, demoRehearseArgs, jsonOf, nodeOnlyPath, ROOT, runTool, timed } from './helpers.js';

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const name = `linotp-migrate-${pkg.version}-linux-${process.arch}-node${process.versions.modules}`;
const tmp = mkdtempSync(join(tmpdir(), 'lmt-bundle-'));
const out = join(tmp, 'artifacts');
const tarball = join(out, `${name}.tar.gz`);
// The server: an empty folder elsewhere, and a PATH with only node.
const server = join(tmp, 'server');
const bin = nodeOnlyPath();
const serverEnv = { PATH: bin, HOME: server, NO_COLOR: '1', LANG: 'C.UTF-8' };

beforeAll(() => {
  const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'bundle.mjs')], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, LINOTP_MIGRATE_ARTIFACTS: out, LINOTP_MIGRATE_BUILD_CACHE: ARTIFACT_CACHE },
  });
  if (r.status !== 0) throw new Error(`npm run bundle failed:\n${r.stderr}`);
  expect(r.stdout.trim()).toBe(tarball);
}, 300_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('offline bundle', () => {
  it('is named for version, platform and Node ABI, and listed in artifacts/SHA256SUMS', () => {
    expect(existsSync(tarball)).toBe(true);
    const sums = readFileSync(join(out, 'SHA256SUMS'), 'utf8');
    const digest = createHash('sha256').update(readFileSync(tarball)).digest('hex');
    expect(sums).toContain(`${digest}  ${name}.tar.gz\n`);
    execFileSync('sha256sum', ['-c', '--ignore-missing', 'SHA256SUMS'], { cwd: out });
  });

  it('holds the tool, its production dependencies and docs, nothing for development', () => {
    const list = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8', maxBuffer: 64 << 20 }).split('\n').filter(Boolean);
    for (const f of ['bin/linotp-migrate', 'dist/cli/main.js', 'package.json', 'README.md', 'LICENSE', 'SHA256SUMS', 'docs/commands.md',
      'node_modules/better-sqlite3/build/Release/better_sqlite3.node', 'node_modules/mysql2/package.json', 'node_modules/pg/package.json', 'node_modules/openpgp/package.json']) {
      expect(list, f).toContain(`${name}/${f}`);
    }
    expect(list.every((f) => f.startsWith(`${name}/`))).toBe(true);
    const own = list.map((f) => f.slice(name.length)).filter((f) => !f.startsWith('/node_modules/'));
    expect(own.filter((f) => /^\/(src|test|fixtures|scripts)\/|\.map$|^\/dist\/fixtures\/|^\/dist\/encoding\/bench/.test(f))).toEqual([]);
    const forbidden = list.filter((f) => /\.map$|\.d\.ts$|node_modules\/[^/]+\/test\/|node_modules\/(typescript|vitest|fast-check|@types|esbuild|rollup)\/|better-sqlite3\/(deps|src)\//.test(f));
    expect(forbidden).toEqual([]);
  });

  it('runs the demo rehearsal after tar -xzf with only node on PATH', () => {
    expect(readdirSync(bin)).toEqual(['node']);
    const extract = timed(() => execFileSync('tar', ['-xzf', tarball, '-C', tmp]));
    const dir = join(tmp, name);
    cpSync(dir, server, { recursive: true });
    rmSync(dir, { recursive: true });
    // every file as listed in the bundle's own SHA256SUMS
    execFileSync('sha256sum', ['-c', '--quiet', 'SHA256SUMS'], { cwd: server });

    const launcher = join(server, 'bin', 'linotp-migrate');
    const version = runTool(launcher, ['--version', '-v'], serverEnv, server);
    expect(version.status, version.stderr).toBe(0);
    expect(version.stdout).toContain(`linotp-migrate ${pkg.version}`);
    expect(version.stdout).toContain(`installed at ${server}`);
    const reports = join(tmp, 'reports');
    const first = timed(() => runTool(launcher, demoRehearseArgs(reports), serverEnv, server));
    expect(first.value.status, first.value.stderr).toBe(0);
    const report = jsonOf(first.value);
    expect(report.ok).toBe(true);
    expect(report.exitCode).toBe(0);
    expect(existsSync(join(reports, 'report.md'))).toBe(true);
    process.stderr.write(`bundle: ${(readFileSync(tarball).length / 1048576).toFixed(2)} MiB; extract ${extract.seconds.toFixed(2)} s, first rehearse ${first.seconds.toFixed(2)} s\n`);
  });

  it('refuses a Node with another module ABI in one line', () => {
    const launcher = join(server, 'bin', 'linotp-migrate');
    const other = join(server, 'bin', 'linotp-migrate-other-abi');
    writeFileSync(other, readFileSync(launcher, 'utf8').replace(`abi: '${process.versions.modules}'`, "abi: '1'"), { mode: 0o755 });
    const r = runTool(other, ['--version'], serverEnv, server);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(new RegExp(`^error: linotp-migrate ${pkg.version.replace(/\./g, '\\.')} was built for Node\\.js \\d+\\.x .*module ABI 1\\), but .* is Node\\.js ${process.versions.node} \\(ABI ${process.versions.modules}\\)`));
  });
});
