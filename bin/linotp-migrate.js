#!/usr/bin/env node
// Tiny launcher: everything lives in dist/ (built by `npm run build`).
import('../dist/cli/main.js')
  .then((m) => m.main(process.argv))
  .catch((err) => {
    process.stderr.write(`linotp-migrate: cannot start: ${err && err.message ? err.message : err}\n`);
    process.exitCode = 1;
  });
