#!/usr/bin/env node
// `npm run demo` (after `npm run build`): rehearses the LinOTP 2 → 3 upgrade of the committed demo
// installation in fixtures/demo — a linotp-backup-style archive (mariadb-dump with double-encoded
// names + encKey_*.gpg, built by scripts/make-demo-backup.mjs), its passphrase file, linotp.ini and
// the old server's access log — into a temporary SQLite database (no server needed), and prints the
// human report. The reports (report.json, report.md, junit.xml) go to a temporary directory;
// nothing is written into fixtures/ (checked afterwards).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const demo = join(root, 'fixtures', 'demo');
const snapshot = () => {
  const h = createHash('sha256');
  for (const f of readdirSync(demo).sort()) h.update(f).update(readFileSync(join(demo, f)));
  return h.digest('hex');
};

const before = snapshot();
const reportDir = process.env.DEMO_REPORT_DIR ?? mkdtempSync(join(tmpdir(), 'linotp-migrate-demo-'));
const args = [
  'rehearse',
  '--backup', 'fixtures/demo/linotp2.backup.tar.gz',
  '--passphrase-file', 'fixtures/demo/backup-passphrase.txt',
  '--ini', 'fixtures/demo/linotp.ini',
  '--admin', 'admin',
  '--admin-password-file', 'fixtures/demo/admin-password.txt',
  '--access-log', 'fixtures/demo/access.log',
  '--audit-timezone', 'Europe/Berlin',
  '--report-dir', reportDir,
  ...process.argv.slice(2),
];
const { wrapCommand, wrapText } = await import(pathToFileURL(join(root, 'dist', 'terminal', 'text.js')).href);
const { tableWidth } = await import(pathToFileURL(join(root, 'dist', 'terminal', 'width.js')).href);
const width = tableWidth();
console.log(wrapText('linotp-migrate demo: rehearse the upgrade of the LinOTP 2.12 installation in fixtures/demo into a scratch SQLite database', width).join('\n'));
console.log(`\n${wrapCommand(`$ linotp-migrate ${args.join(' ')}`, width)}\n`);
const started = Date.now();
const r = spawnSync(process.execPath, [join(root, 'bin', 'linotp-migrate.js'), ...args], { cwd: root, stdio: 'inherit' });
const seconds = ((Date.now() - started) / 1000).toFixed(1);
const code = r.status ?? 1;
if (snapshot() !== before) {
  console.error('demo: fixtures/demo was modified — this is a bug');
  process.exit(1);
}
if (code !== 0) {
  console.error(`\ndemo: rehearse exited ${code} after ${seconds} s (reports in ${reportDir})`);
  process.exit(code);
}
console.log(`\n${wrapText(`demo finished in ${seconds} s: the rehearsal passed (exit 0). Reports: ${reportDir}/report.md, report.json, junit.xml`, width).join("\n")}`);
