/**
 * `npm run deb` end to end: the package is built with dpkg-deb, inspected with dpkg-deb -I / -c,
 * extracted into a throw-away root (dpkg-deb -x) and installed into another (dpkg --root, its own
 * dpkg database), and run from there on the demo with only node on PATH. The man page renders
 * without groff warnings; lintian (when installed; always in CI) reports nothing unexplained.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARTIFACT_CACHE, demoRehearseArgs, jsonOf, nodeOnlyPath, ROOT, runTool, timed } from './helpers.js';

const has = (tool: string) => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
const canBuild = has('dpkg-deb') && has('dpkg-shlibdeps') && has('strip');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const arch = { x64: 'amd64', arm64: 'arm64' }[process.arch as string] ?? process.arch;
const tmp = mkdtempSync(join(tmpdir(), 'lmt-deb-'));
const out = join(tmp, 'artifacts');
const deb = join(out, `linotp-migrate_${pkg.version}-1_${arch}.deb`);
const serverEnv = { PATH: nodeOnlyPath(), HOME: tmp, NO_COLOR: '1', LANG: 'C.UTF-8' };
const dpkgDeb = (...args: string[]) => execFileSync('dpkg-deb', args, { encoding: 'utf8', maxBuffer: 64 << 20 });

beforeAll(() => {
  if (!canBuild) {
    if (process.env.CI) throw new Error('building the .deb needs dpkg-deb, dpkg-shlibdeps and strip: apt-get install dpkg-dev binutils');
    return;
  }
  const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'deb.mjs')], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, LINOTP_MIGRATE_ARTIFACTS: out, LINOTP_MIGRATE_BUILD_CACHE: ARTIFACT_CACHE },
  });
  if (r.status !== 0) throw new Error(`npm run deb failed:\n${r.stderr}`);
  expect(r.stdout.trim()).toBe(deb);
}, 400_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

// dpkg-dev and binutils are on every Debian build machine; CI must have them (.ci/run installs them).
describe.skipIf(!canBuild && !process.env.CI)('Debian package', () => {
  it('has the control fields an administrator relies on', () => {
    const field = (name: string) => dpkgDeb('-f', deb, name).trim();
    expect(field('Package')).toBe('linotp-migrate');
    expect(field('Version')).toBe(`${pkg.version}-1`);
    expect(field('Architecture')).toBe(arch);
    const depends = field('Depends');
    expect(depends).toContain('nodejs (>= 20.19)');
    expect(depends).toContain(`nodejs (<< ${Number(process.versions.node.split('.')[0]) + 1})`);
    expect(depends).toMatch(/libc6 \(>= [\d.]+\)/);
    expect(dpkgDeb('-I', deb)).toMatch(/Description: upgrade a LinOTP 2 installation to LinOTP 3\.4/);
    // the Node.js of this machine satisfies the dependency when it is a Debian package
    const installed = spawnSync('dpkg-query', ['-W', '-f=${Version}', 'nodejs'], { encoding: 'utf8' });
    if (installed.status === 0 && installed.stdout) {
      expect(spawnSync('dpkg', ['--compare-versions', installed.stdout, 'ge', '20.19']).status).toBe(0);
    }
  });

  it('lays out /usr/lib, /usr/bin, the man page and /usr/share/doc', () => {
    const listing = dpkgDeb('-c', deb);
    expect(listing).toMatch(/^lrwxrwxrwx root\/root .* \.\/usr\/bin\/linotp-migrate -> \.\.\/lib\/linotp-migrate\/bin\/linotp-migrate$/m);
    for (const path of ['usr/lib/linotp-migrate/bin/linotp-migrate', 'usr/lib/linotp-migrate/dist/cli/main.js', 'usr/lib/linotp-migrate/package.json',
      'usr/lib/linotp-migrate/node_modules/better-sqlite3/build/Release/better_sqlite3.node', 'usr/share/man/man1/linotp-migrate.1.gz',
      'usr/share/doc/linotp-migrate/copyright', 'usr/share/doc/linotp-migrate/changelog.Debian.gz', 'usr/share/doc/linotp-migrate/README.md']) {
      expect(listing, path).toContain(` ./${path}`);
    }
    expect(listing).toMatch(/^-rwxr-xr-x root\/root .* \.\/usr\/lib\/linotp-migrate\/bin\/linotp-migrate$/m);
    expect(listing).not.toMatch(/\.map$|\/dist\/fixtures\/|\/src\/cli\//m);
    expect(listing.split('\n').every((l) => !l || / root\/root /.test(l))).toBe(true);
  });

  it('runs from a root extracted with dpkg-deb -x, with only node on PATH', () => {
    const root = join(tmp, 'root-x');
    const extract = timed(() => dpkgDeb('-x', deb, root));
    const bin = join(root, 'usr', 'bin', 'linotp-migrate');
    expect(lstatSync(bin).isSymbolicLink()).toBe(true);
    expect(readlinkSync(bin)).toBe('../lib/linotp-migrate/bin/linotp-migrate');
    expect(readFileSync(join(root, 'usr/lib/linotp-migrate/bin/linotp-migrate'), 'utf8').split('\n')[0]).toBe('#!/usr/bin/node');
    const v = runTool(bin, ['--version', '-v'], serverEnv, tmp);
    expect(v.status, v.stderr).toBe(0);
    expect(v.stdout).toContain(`installed at ${join(root, 'usr/lib/linotp-migrate')}`);
    const reports = join(tmp, 'reports-x');
    const first = timed(() => runTool(bin, demoRehearseArgs(reports), serverEnv, tmp));
    expect(first.value.status, first.value.stderr).toBe(0);
    expect(jsonOf(first.value).ok).toBe(true);
    process.stderr.write(`deb: ${(statSync(deb).size / 1048576).toFixed(2)} MiB; dpkg-deb -x ${extract.seconds.toFixed(2)} s, first rehearse ${first.seconds.toFixed(2)} s\n`);
  });

  it('installs with dpkg --root into an empty dpkg database and runs from there', () => {
    const root = join(tmp, 'root-dpkg');
    mkdirSync(join(root, 'var/lib/dpkg/updates'), { recursive: true });
    mkdirSync(join(root, 'var/lib/dpkg/info'), { recursive: true });
    writeFileSync(join(root, 'var/lib/dpkg/status'), '');
    // --force-depends: nodejs and libc6 are not in this empty root's database.
    const install = timed(() => execFileSync('dpkg', [`--root=${root}`, '--force-depends', '--log=/dev/null', '-i', deb], { encoding: 'utf8', stdio: 'pipe' }));
    expect(execFileSync('dpkg', [`--root=${root}`, '-s', 'linotp-migrate'], { encoding: 'utf8' })).toContain('Status: install ok installed');
    const r = timed(() => runTool(join(root, 'usr/bin/linotp-migrate'), demoRehearseArgs(join(tmp, 'reports-dpkg')), serverEnv, tmp));
    expect(r.value.status, r.value.stderr).toBe(0);
    expect(jsonOf(r.value).ok).toBe(true);
    process.stderr.write(`deb: dpkg --root -i ${install.seconds.toFixed(2)} s, first rehearse ${r.seconds.toFixed(2)} s\n`);
    execFileSync('dpkg', [`--root=${root}`, '--log=/dev/null', '--purge', 'linotp-migrate'], { stdio: 'pipe' });
    expect(existsSync(join(root, 'usr/lib/linotp-migrate'))).toBe(false);
  });

  it('has a man page generated from the option table that groff renders without warnings', () => {
    const root = join(tmp, 'root-x');
    const page = gunzipSync(readFileSync(join(root, 'usr/share/man/man1/linotp-migrate.1.gz'))).toString('utf8');
    expect(page).toMatch(/^\.TH LINOTP\\-MIGRATE 1 /);
    for (const command of ['rehearse', 'backup verify', 'init database', 'local\\-admins add', 'audit to\\-utc']) expect(page).toContain(`.SS "linotp\\-migrate ${command}`);
    expect(page).toContain('LINOTP_MIGRATE_PASSPHRASE');
    expect(page).toContain('.SH EXIT STATUS');
    if (has('groff')) {
      const r = spawnSync('groff', ['-man', '-Tutf8', '-ww', '-z'], { input: page, encoding: 'utf8' });
      expect(r.status).toBe(0);
      expect(r.stderr).toBe('');
    }
    const copyright = readFileSync(join(root, 'usr/share/doc/linotp-migrate/copyright'), 'utf8');
    expect(copyright).toMatch(/^Format: https:\/\/www\.debian\.org\/doc\/packaging-manuals\/copyright-format\/1\.0\//);
    expect(copyright).toMatch(/^License: AGPL-3.0\+\n +GNU AFFERO GENERAL PUBLIC LICENSE$/m);
    expect(copyright).toContain('Files: usr/lib/linotp-migrate/node_modules/openpgp/*');
    expect(gunzipSync(readFileSync(join(root, 'usr/share/doc/linotp-migrate/changelog.Debian.gz'))).toString()).toMatch(new RegExp(`^linotp-migrate \\(${pkg.version}-1\\) `));
  });

  it.skipIf(!has('lintian') && !process.env.CI)('is lintian clean (remaining tags are overridden and explained in docs/install.md)', () => {
    const r = spawnSync('lintian', ['--pedantic', '--info', '--fail-on', 'error,warning,info,pedantic', deb], { encoding: 'utf8' });
    const tags = `${r.stdout}${r.stderr}`.split('\n').filter((l) => /^[EWIPX]: /.test(l));
    expect(tags).toEqual([]);
    expect(r.status, r.stderr).toBe(0);
    const documented = readFileSync(join(ROOT, 'docs', 'install.md'), 'utf8');
    for (const line of readFileSync(join(ROOT, 'scripts', 'lib', 'lintian-overrides'), 'utf8').split('\n')) {
      const tag = /^linotp-migrate: ([\w-]+)/.exec(line)?.[1];
      if (tag) expect(documented, tag).toContain(`\`${tag}\``);
    }
  }, 180_000);
});
