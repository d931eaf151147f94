#!/usr/bin/env node
// `npm run deb`: artifacts/linotp-migrate_<version>-1_<arch>.deb, built with dpkg-deb (no debhelper):
//   /usr/lib/linotp-migrate/   the tool as the offline bundle has it (scripts/lib/stage.mjs)
//   /usr/bin/linotp-migrate    → ../lib/linotp-migrate/bin/linotp-migrate (refuses another Node ABI)
//   /usr/share/man/man1/linotp-migrate.1.gz   generated from the option table (scripts/lib/manpage.mjs)
//   /usr/share/doc/linotp-migrate/            README, guides, copyright (DEP-5), changelog.Debian.gz
// Depends: nodejs (>= 20.19), nodejs (<< next major) — the compiled better-sqlite3 is for one Node
// ABI — plus the C/C++ libraries better-sqlite3 links (dpkg-shlibdeps). Lintian tags that remain are
// explained in docs/install.md. Needs dpkg-deb, dpkg-shlibdeps (dpkg-dev), strip (binutils), gzip.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';
import { DOC_DIR, main, PKG, ROOT } from './lib/build.mjs';
import { ARTIFACTS, recordChecksum, sourceDateEpoch } from './lib/artifacts.mjs';
import { debianCopyright } from './lib/debian-copyright.mjs';
import { renderManPage } from './lib/manpage.mjs';
import { launcherPath, normalizeModes, removeEmptyDirs, stageApp } from './lib/stage.mjs';

const DEB_ARCH = { x64: 'amd64', arm64: 'arm64', ia32: 'i386', arm: 'armhf', ppc64: 'ppc64el', s390x: 's390x' };
export const DEB_REVISION = '1';
const MAINTAINER = process.env.DEBFULLNAME && process.env.DEBEMAIL ? `${process.env.DEBFULLNAME} <${process.env.DEBEMAIL}>` : 'linotp-migrate developers <linotp-migrate@example.org>';

const run = (cmd, args, opts = {}) => execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...opts });

/** gzip -9n: no name, no timestamp (Debian policy for man pages and changelogs; reproducible). */
const gzip = (buf) => gzipSync(buf, { level: 9 });

function walk(dir, visit) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p, visit);
    else visit(p, e);
  }
}

/** READMEs, changelogs and dotfiles of the bundled packages are not needed to run (Debian: docs belong in /usr/share/doc). */
function pruneModuleExtras(modules) {
  walk(modules, (p, e) => {
    const name = e.name;
    if (/^(readme|changelog|history|changes)(\.|$)/i.test(name) || (name.startsWith('.') && e.isFile())) rmSync(p);
  });
}

/** The libraries better_sqlite3.node links, as Debian dependencies (dpkg-shlibdeps needs a debian/control). */
function sharedLibraryDepends(root, objects) {
  const tmp = join(ARTIFACTS, 'work', 'deb-shlibdeps');
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(join(tmp, 'debian'), { recursive: true });
  writeFileSync(join(tmp, 'debian', 'control'), `Source: ${PKG.name}\n\nPackage: ${PKG.name}\nArchitecture: any\n`);
  const out = run('dpkg-shlibdeps', ['-O', ...objects.map((o) => `-e${o}`)], { cwd: tmp });
  rmSync(tmp, { recursive: true, force: true });
  const m = /shlibs:Depends=(.*)/.exec(out);
  return m ? m[1].trim() : '';
}

function changelog(version, date) {
  return `${PKG.name} (${version}) unstable; urgency=medium\n\n  * Package of linotp-migrate ${PKG.version}, built with npm run deb.\n\n -- ${MAINTAINER}  ${date}\n`;
}

await main('deb', async () => {
  const arch = DEB_ARCH[process.arch];
  if (process.platform !== 'linux' || !arch) throw new Error(`no Debian architecture for ${process.platform}-${process.arch}`);
  for (const tool of ['dpkg-deb', 'dpkg-shlibdeps', 'strip']) {
    try {
      run('sh', ['-c', `command -v ${tool}`]);
    } catch {
      throw new Error(`${tool} not found: apt-get install dpkg-dev binutils`);
    }
  }
  const started = Date.now();
  const version = `${PKG.version}-${DEB_REVISION}`;
  const epoch = sourceDateEpoch();
  const root = join(ARTIFACTS, 'work', 'deb-root');
  rmSync(root, { recursive: true, force: true });
  const lib = join(root, 'usr', 'lib', PKG.name);
  const info = stageApp(lib, { nodeShebang: '/usr/bin/node' });
  pruneModuleExtras(join(lib, 'node_modules'));
  removeEmptyDirs(join(lib, 'node_modules'));
  const addon = join(lib, 'node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node');
  run('strip', ['--strip-unneeded', '--remove-section=.comment', '--remove-section=.note', addon]);

  mkdirSync(join(root, 'usr', 'bin'), { recursive: true });
  symlinkSync(`../lib/${PKG.name}/bin/linotp-migrate`, join(root, 'usr', 'bin', 'linotp-migrate'));

  const date = new Date(epoch * 1000);
  const man = join(root, 'usr', 'share', 'man', 'man1');
  mkdirSync(man, { recursive: true });
  writeFileSync(join(man, 'linotp-migrate.1.gz'), gzip(await renderManPage(date.toISOString().slice(0, 10), join(lib, 'dist'))));

  const doc = join(root, 'usr', 'share', 'doc', PKG.name);
  mkdirSync(doc, { recursive: true });
  // Policy 12.3: documentation larger than 4 kB is compressed.
  const docFiles = [join(ROOT, 'README.md'), ...readdirSync(join(ROOT, DOC_DIR)).filter((f) => f.endsWith('.md')).map((f) => join(ROOT, DOC_DIR, f))];
  for (const f of docFiles) {
    const name = f.split('/').pop();
    const text = readFileSync(f);
    if (text.length > 4096) writeFileSync(join(doc, `${name}.gz`), gzip(text));
    else writeFileSync(join(doc, name), text);
  }
  writeFileSync(join(doc, 'changelog.Debian.gz'), gzip(changelog(version, date.toUTCString().replace('GMT', '+0000'))));
  writeFileSync(join(doc, 'copyright'), debianCopyright(lib));
  const overrides = join(root, 'usr', 'share', 'lintian', 'overrides');
  mkdirSync(overrides, { recursive: true });
  writeFileSync(join(overrides, PKG.name), readFileSync(new URL('./lib/lintian-overrides', import.meta.url)));
  normalizeModes(root, [launcherPath(lib)]);

  const depends = [`nodejs (>= ${PKG.engines.node.replace(/^>=\s*/, '')})`, `nodejs (<< ${Number(info.node.split('.')[0]) + 1})`, sharedLibraryDepends(root, [addon])].filter(Boolean).join(', ');
  let installedKiB = 0;
  const sums = [];
  walk(root, (p, e) => {
    if (e.isSymbolicLink()) return;
    installedKiB += Math.ceil(statSync(p).size / 1024);
    sums.push(`${createHash('md5').update(readFileSync(p)).digest('hex')}  ${relative(root, p)}`);
  });
  const control = [
    `Package: ${PKG.name}`,
    `Version: ${version}`,
    `Architecture: ${arch}`,
    `Maintainer: ${MAINTAINER}`,
    `Installed-Size: ${installedKiB}`,
    `Depends: ${depends}`,
    'Section: admin',
    'Priority: optional',
    'Description: upgrade a LinOTP 2 installation to LinOTP 3.4',
    ' linotp-migrate takes a LinOTP 2 server (linotp.ini, encKey, MariaDB,',
    ' PostgreSQL or SQLite database) to LinOTP 3.4: converts the configuration,',
    ' creates and restores backups with the encKey, upgrades the database to',
    ' the 3.4 model, repairs double-encoded text, manages local administrators,',
    ' verifies that database and key belong together, and rehearses the whole',
    ' upgrade on a scratch database with reports.',
    ' .',
    ` Built for Node.js ${info.node.split('.')[0]} (module ABI ${info.abi}); bundles its Node.js`,
    ' dependencies, including better-sqlite3 compiled for this architecture.',
  ];
  mkdirSync(join(root, 'DEBIAN'));
  writeFileSync(join(root, 'DEBIAN', 'control'), control.join('\n') + '\n');
  writeFileSync(join(root, 'DEBIAN', 'md5sums'), sums.sort().join('\n') + '\n');
  normalizeModes(join(root, 'DEBIAN'));

  const deb = join(ARTIFACTS, `${PKG.name}_${version}_${arch}.deb`);
  rmSync(deb, { force: true });
  const packing = Date.now();
  run('dpkg-deb', ['--root-owner-group', '-Zxz', '--build', root, deb], { env: { ...process.env, SOURCE_DATE_EPOCH: String(epoch) } });
  const packSeconds = (Date.now() - packing) / 1000;
  rmSync(root, { recursive: true, force: true });
  recordChecksum(deb);
  process.stderr.write(`wrote ${deb} (${(statSync(deb).size / 1048576).toFixed(1)} MiB; Depends: ${depends}) in ${((Date.now() - started) / 1000).toFixed(1)} s (dpkg-deb ${packSeconds.toFixed(1)} s)\n`);
  process.stdout.write(deb + '\n');
});
