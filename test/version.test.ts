// `--version`: one line; with -v the runtime and the dependencies read from their package.json files
// (no driver loaded); with --json one JSON document.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { countVerbose } from '../src/cli/main.js';
import { installedVersion, renderVersion, VERSION, versionInfo } from '../src/version.js';
import { BIN, ensureBuilt, ROOT } from './e2e/global-setup.js';

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
beforeAll(() => ensureBuilt(), 180_000);

function run(args: string[]) {
  return spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, input: '' });
}

describe('version', () => {
  it('is the package.json version', () => {
    expect(VERSION).toBe(pkg.version);
  });

  it('lists every runtime dependency with the version installed', () => {
    const info = versionInfo();
    expect(Object.keys(info.dependencies)).toEqual(Object.keys(pkg.dependencies).sort());
    const pgVersion = JSON.parse(readFileSync(join(ROOT, 'node_modules', 'pg', 'package.json'), 'utf8')).version;
    expect(info.dependencies.pg).toBe(pgVersion);
    expect(info.nodeAbi).toBe(process.versions.modules);
    expect(installedVersion('no-such-package-linotp-migrate')).toBeNull();
  });

  it('counts -v, -vv and --verbose but nothing after --', () => {
    expect(countVerbose(['--version'])).toBe(0);
    expect(countVerbose(['-v', '--version', '--verbose', '-vv'])).toBe(4);
    expect(countVerbose(['--', '-v'])).toBe(0);
    expect(renderVersion(0)).toBe(`linotp-migrate ${VERSION}\n`);
  });

  it('prints one line, the details with -v before or after, JSON with --json', () => {
    const plain = run(['--version']);
    expect(plain.status).toBe(0);
    expect(plain.stdout).toBe(`linotp-migrate ${pkg.version}\n`);
    for (const args of [['--version', '-v'], ['-v', '--version']]) {
      const r = run(args);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toContain(`node ${process.versions.node} (ABI ${process.versions.modules}) on ${process.platform}-${process.arch}`);
      if (process.platform === 'linux') expect(r.stdout).toMatch(/, glibc \d+\.\d+/);
      for (const name of ['mysql2', 'pg', 'better-sqlite3', 'openpgp']) expect(r.stdout).toMatch(new RegExp(`^  ${name} +\\d+\\.\\d+\\.\\d+`, 'm'));
    }
    const j = run(['--version', '--json']);
    expect(j.status).toBe(0);
    const doc = JSON.parse(j.stdout);
    expect(doc.version).toBe(pkg.version);
    expect(doc.dependencies['better-sqlite3']).toMatch(/^\d+\./);
  });

  it('does not load the drivers', () => {
    const probe = `
      const { main } = await import(${JSON.stringify(join(ROOT, 'dist/cli/main.js'))});
      await main(['node', 'linotp-migrate', '--version', '-v']);
      const { createRequire } = await import('node:module');
      const cache = Object.keys(createRequire(import.meta.url).cache);
      process.stderr.write('LOADED=' + JSON.stringify(cache.filter((k) => /node_modules[\\\\/](mysql2|pg|better-sqlite3)[\\\\/]/.test(k))));
    `;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', probe], { cwd: ROOT, encoding: 'utf8' });
    const m = /LOADED=(.*)$/.exec(r.stderr);
    expect(m, r.stderr).not.toBeNull();
    expect(JSON.parse(m![1])).toEqual([]);
  });
});
