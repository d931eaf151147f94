#!/usr/bin/env node
// `npm run bundle`: the offline bundle for LinOTP servers without npm, a compiler or the internet:
//   artifacts/linotp-migrate-<version>-linux-<arch>-node<ABI>.tar.gz
// holding one folder of the same name: bin/linotp-migrate (launcher; refuses another Node ABI in one
// line), dist/, node_modules/ (production dependencies, better-sqlite3 compiled for this platform),
// package.json, README.md, LICENSE, docs/, and SHA256SUMS over every file (`sha256sum -c SHA256SUMS`).
// artifacts/SHA256SUMS gets the tarball's line, for checking the download. Built with this Node (its
// ABI is the bundle's) from this checkout's node_modules: no npm run, no network.
import { cpSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { c as tarCreate } from 'tar';
import { DOC_DIR, main, PKG, ROOT } from './lib/build.mjs';
import { launcherPath, normalizeModes, stageApp } from './lib/stage.mjs';
import { ARTIFACTS, recordChecksum, sourceDateEpoch, writeSha256Sums } from './lib/artifacts.mjs';

export function bundleName(arch = process.arch) {
  return `linotp-migrate-${PKG.version}-linux-${arch}-node${process.versions.modules}`;
}

await main('bundle', async () => {
  if (process.platform !== 'linux') throw new Error(`the bundle is for Linux servers; this is ${process.platform}`);
  const started = Date.now();
  const name = bundleName();
  // own working folder: `npm run bundle` and `npm run deb` may run at the same time
  const work = join(ARTIFACTS, 'work', 'bundle');
  const dir = join(work, name);
  const info = stageApp(dir);
  cpSync(join(ROOT, 'README.md'), join(dir, 'README.md'));
  cpSync(join(ROOT, 'LICENSE'), join(dir, 'LICENSE'));
  cpSync(join(ROOT, DOC_DIR), join(dir, DOC_DIR), { recursive: true });
  normalizeModes(dir, [launcherPath(dir)]);
  writeSha256Sums(dir);

  const tarball = join(ARTIFACTS, `${name}.tar.gz`);
  rmSync(tarball, { force: true });
  const mtime = new Date(sourceDateEpoch() * 1000);
  await tarCreate({ gzip: { level: 9 }, file: tarball, cwd: work, portable: true, mtime, noDirRecurse: false }, [name]);
  rmSync(work, { recursive: true, force: true });
  recordChecksum(tarball);
  const size = statSync(tarball).size;
  process.stderr.write(
    `wrote ${tarball} (${(size / 1048576).toFixed(1)} MiB; Node ${info.node}, ABI ${info.abi}, SQLite ${info.sqliteVersion}, needs glibc >= ${info.glibc}, ${info.modules} packages) in ${((Date.now() - started) / 1000).toFixed(1)} s\n` +
      `check it with: cd ${ARTIFACTS} && sha256sum -c --ignore-missing SHA256SUMS\n`,
  );
  process.stdout.write(tarball + '\n');
});
