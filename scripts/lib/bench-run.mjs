// Timing primitives of `npm run bench`: every command runs as its own process under
// /usr/bin/time, so peak RSS is the process's own, and ours and the native tool alternate run by
// run, so load on the machine hits both alike.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('../..', import.meta.url));
export const bin = join(root, 'bin/linotp-migrate.js');
/** The median; of an even number of runs the mean of the middle two (of two runs: their mean, not the slower). */
export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** Runs a command; returns seconds, peak RSS in MB and its stdout. Throws on failure. */
export function timed(cmd, argv, { input, env, cwd } = {}) {
  const t = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', '%M', cmd, ...argv], {
    input,
    cwd,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    maxBuffer: 1 << 30,
    stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  });
  const seconds = Number(process.hrtime.bigint() - t) / 1e9;
  const lines = (r.stderr ?? '').trim().split('\n');
  const rssMb = Number(lines[lines.length - 1]) / 1024;
  if (r.status !== 0) throw new Error(`${cmd} ${argv.join(' ')} failed (${r.status}): ${lines.slice(-4, -1).join(' | ')}`);
  return { seconds, rssMb, stdout: r.stdout };
}

/** A shell pipeline (pipefail), timed. */
export const sh = (script, env) => timed('bash', ['-c', `set -o pipefail; ${script}`], { env });
/** Our built binary, timed; with `--json` in argv the parsed document is in `.json`. */
export function ours(argv, env) {
  const r = timed(process.execPath, [bin, ...argv], { env });
  if (argv.includes('--json')) r.json = JSON.parse(r.stdout);
  return r;
}

/**
 * One row of the bench table. `ratio` is of the medians; `pairedRatio` the median of each run's own
 * ours/native (the runs alternate, so a pair shares the machine's state: on this kind of machine the
 * same native load spreads by up to 2x between runs, and the pairs show what that leaves of a ratio).
 */
export function benchRow(name, oursRuns, nativeRuns, extra = {}) {
  const o = median(oursRuns.map((r) => r.seconds));
  const n = nativeRuns?.length ? median(nativeRuns.map((r) => r.seconds)) : undefined;
  const rss = Math.max(...oursRuns.map((r) => r.rssMb));
  const paired = nativeRuns?.length === oursRuns.length ? median(oursRuns.map((r, i) => r.seconds / nativeRuns[i].seconds)) : undefined;
  return { name, ours: o, native: n, ratio: n ? o / n : undefined, ...(paired === undefined ? {} : { pairedRatio: paired }), peakRssMb: Math.round(rss), ...extra };
}
