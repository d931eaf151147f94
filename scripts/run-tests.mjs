#!/usr/bin/env node
// Runs the Vitest suite and ends with the plain `N passed, N failed, N skipped` line that CI reads.
// Extra arguments are passed to vitest (e.g. `npm test -- test/crypto`).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dir = mkdtempSync(join(tmpdir(), 'linotp-migrate-tests-'));
const report = join(dir, 'vitest.json');
const args = ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...process.argv.slice(2)];
const run = spawnSync('npx', args, { stdio: 'inherit' });

let passed = 0, failed = 0, skipped = 0;
try {
  const doc = JSON.parse(readFileSync(report, 'utf8'));
  passed = doc.numPassedTests ?? 0;
  failed = (doc.numFailedTests ?? 0) + (doc.numRuntimeErrorTestSuites ?? 0);
  skipped = (doc.numPendingTests ?? 0) + (doc.numTodoTests ?? 0);
  // A suite that failed to load counts as a failure even when it had no tests.
  for (const suite of doc.testResults ?? []) {
    if (suite.status === 'failed' && (suite.assertionResults ?? []).length === 0) failed += 1;
  }
} catch {
  failed = Math.max(failed, 1);
}
rmSync(dir, { recursive: true, force: true });
const code = run.status === 0 && failed === 0 ? 0 : 1;
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(code);
