#!/usr/bin/env node
// Builds the demo's LinOTP 2 `linotp-backup`-style archive from the committed demo installation:
//   fixtures/demo/linotp2.backup.tar.gz = linotp_backup_<stamp>.sql (the real mariadb-dump of the
//   double-encoded MariaDB demo database) + encKey_<stamp>.gpg (`gpg -c --cipher-algo AES256` of
//   fixtures/demo/encKey with the passphrase in fixtures/demo/backup-passphrase.txt),
// packed with tar -czf as the LinOTP migration guide (§3.9.6) packs the backup for the new server.
//
// Deterministic where possible: <stamp> comes from the dump's "Dump completed on" line, the tar has
// sorted members, a fixed mtime and owner, and gzip stores no name or time. gpg output is random
// (salt, session key), so the encKey_<stamp>.gpg of an existing archive is reused when it still
// decrypts to the current encKey with the passphrase — re-running the script then reproduces the
// archive byte for byte.
//
// Usage: node scripts/make-demo-backup.mjs [--check]   (--check: exit 1 if the archive is stale)
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const demo = join(root, 'fixtures', 'demo');
const dumpFile = join(demo, 'linotp2-mysql.sql');
const keyFile = join(demo, 'encKey');
const passFile = join(demo, 'backup-passphrase.txt');
const archive = join(demo, 'linotp2.backup.tar.gz');
const GPG = process.env.GPG ?? '/usr/bin/gpg';
const check = process.argv.includes('--check');

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'buffer', ...opts });
  if (r.error) throw new Error(`${cmd}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr.toString().trim()}`);
  return r.stdout;
}

const dump = readFileSync(dumpFile, 'latin1');
const done = /-- Dump completed on (\d{4})-(\d{2})-(\d{2})\s+(\d{1,2}):(\d{2})/.exec(dump);
if (!done) throw new Error(`${dumpFile}: no "Dump completed on" line`);
// linotp-backup names its files with date +%y%m%d%H%M
const stamp = `${done[1].slice(2)}${done[2]}${done[3]}${done[4].padStart(2, '0')}${done[5]}`;
const passphrase = readFileSync(passFile, 'utf8').split(/\r?\n/)[0];

const work = mkdtempSync(join(tmpdir(), 'linotp-demo-backup-'));
try {
  const home = join(work, 'gnupg');
  mkdirSync(home, { mode: 0o700 });
  const gpgArgs = ['--homedir', home, '--batch', '--quiet', '--pinentry-mode', 'loopback', '--passphrase-file', passFile];
  const key = readFileSync(keyFile);
  // Reuse the committed encrypted key when it still opens to the current key (keeps the archive stable).
  const sqlName = `linotp_backup_${stamp}.sql`;
  const gpgName = `encKey_${stamp}.gpg`;
  const old = join(work, 'old');
  mkdirSync(old);
  const keyCache = join(old, gpgName);
  let reuse = false;
  if (existsSync(archive)) {
    try {
      run('tar', ['-xzf', archive, '-C', old, gpgName]);
      reuse = run(GPG, [...gpgArgs, '--decrypt', keyCache]).equals(key);
    } catch {
      reuse = false;
    }
  }
  const members = join(work, 'members');
  mkdirSync(members);
  copyFileSync(dumpFile, join(members, sqlName));
  if (reuse) {
    copyFileSync(keyCache, join(members, gpgName));
  } else {
    if (check) throw new Error(`${archive} is missing or its ${gpgName} does not decrypt to fixtures/demo/encKey: run node scripts/make-demo-backup.mjs`);
    copyFileSync(keyFile, join(work, 'encKey'));
    run(GPG, [...gpgArgs, '--symmetric', '--cipher-algo', 'AES256', '--output', join(members, gpgName), join(work, 'encKey')]);
  }
  const tarFile = join(work, 'backup.tar');
  run('tar', ['--format=ustar', '--sort=name', '--mtime=@0', '--owner=0', '--group=0', '--numeric-owner', '--mode=u=rw,go=r', '-C', members, '-cf', tarFile, gpgName, sqlName]);
  const gz = run('gzip', ['-n', '-9', '-c', tarFile]);
  if (check) {
    if (!existsSync(archive) || !readFileSync(archive).equals(gz)) {
      console.error(`${archive} is stale: run node scripts/make-demo-backup.mjs`);
      process.exit(1);
    }
    console.log(`${archive} is up to date`);
  } else {
    writeFileSync(archive, gz);
    console.log(`wrote ${archive} (${sqlName}, ${gpgName}${reuse ? ', encrypted key reused' : ', key newly encrypted'})`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
