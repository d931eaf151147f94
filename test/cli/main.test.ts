// The CLI shell: help, version, usage errors, lazy drivers, generated docs. Spawns the built binary
// (npm test builds first).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = `${root}bin/linotp-migrate.js`;

function run(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, ...env }, input: '' });
}

describe('linotp-migrate shell', () => {
  it('prints help and exits 0', () => {
    const r = run(['--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('Usage: linotp-migrate');
    expect(r.stdout).toContain('verify');
  });

  it('prints the version', () => {
    const r = run(['--version']);
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toMatch(/^linotp-migrate \d+\.\d+\.\d+/);
  });

  it('exits 2 with one clear line on an unknown option', () => {
    const r = run(['verify', '--no-such-option']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("unknown option '--no-such-option'");
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('exits 2 on an unknown command', () => {
    const r = run(['no-such-command']);
    expect(r.status).toBe(2);
  });

  it('does not load database drivers for --help', () => {
    const probe = `
      const { main } = await import(${JSON.stringify(`${root}dist/cli/main.js`)});
      await main(['node', 'linotp-migrate', '--help']);
      const { createRequire } = await import('node:module');
      const cache = Object.keys(createRequire(import.meta.url).cache);
      process.stderr.write('LOADED=' + JSON.stringify(cache.filter((k) => /node_modules[\\\\/](mysql2|pg|better-sqlite3)[\\\\/]/.test(k))));
    `;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', probe], { cwd: root, encoding: 'utf8' });
    const m = /LOADED=(.*)$/.exec(r.stderr);
    expect(m, r.stderr).not.toBeNull();
    expect(JSON.parse(m![1])).toEqual([]);
  });

  it('keeps docs/commands.md generated from the option table', () => {
    const r = spawnSync(process.execPath, [`${root}scripts/gen-docs.mjs`, '--check'], { cwd: root, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
  });
});

describe('commandShortOptions', () => {
  it("-e is the global --env-file before `audit cleanup` and the command's --exportdir after it, as in linotp", async () => {
    const { commandShortOptions } = await import('../../src/cli/main.js');
    expect(commandShortOptions(['node', 'x', '-e', 'env', 'audit', 'cleanup', '-e', '/dir', '--export'])).toEqual(['node', 'x', '-e', 'env', 'audit', 'cleanup', '--exportdir', '/dir', '--export']);
    expect(commandShortOptions(['node', 'x', 'audit', 'cleanup', '-e/dir'])).toEqual(['node', 'x', 'audit', 'cleanup', '--exportdir=/dir']);
    expect(commandShortOptions(['node', 'x', '-e', 'env', 'config', 'show'])).toEqual(['node', 'x', '-e', 'env', 'config', 'show']);
  });
});
