#!/usr/bin/env node
// `npm run demo` (after `npm run build`): shows linotp-migrate on the committed LinOTP 2 demo
// installation in fixtures/demo (SQLite, so no database server is needed). Until `rehearse`
// exists, the demo is `verify`. Nothing is written into fixtures/: verify is read-only, and the
// demo checks that the installation's files are unchanged afterwards.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const demo = join(root, 'fixtures', 'demo');
const files = ['linotp.ini', 'encKey', 'token.db'];
const digest = () => {
  const h = createHash('sha256');
  for (const f of files) h.update(readFileSync(join(demo, f)));
  return h.digest('hex');
};

function step(title, args) {
  process.stdout.write(`\n$ linotp-migrate ${args.join(' ')}\n`);
  const r = spawnSync(process.execPath, [join(root, 'bin', 'linotp-migrate.js'), ...args], { cwd: root, stdio: 'inherit' });
  return r.status ?? 1;
}

const before = digest();
console.log('linotp-migrate demo: a LinOTP 2.12 installation in fixtures/demo (linotp.ini, encKey, SQLite token.db)');
const code = step('verify', ['verify', '--ini', 'fixtures/demo/linotp.ini']);
if (digest() !== before) {
  console.error('demo: fixtures/demo was modified — this is a bug');
  process.exit(1);
}
if (code !== 0) {
  console.error(`demo: verify exited ${code}`);
  process.exit(code);
}
console.log('\ndemo finished: verify passed (exit 0).');
