// Where the release artifacts go (artifacts/, gitignored), their checksum list, and the one timestamp
// written into them (the last commit's, or SOURCE_DATE_EPOCH), so two builds of one commit agree.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { ARTIFACTS, ROOT, sha256File } from './build.mjs';

export { ARTIFACTS };

export function sourceDateEpoch() {
  if (process.env.SOURCE_DATE_EPOCH) return Number(process.env.SOURCE_DATE_EPOCH);
  try {
    return Number(execFileSync('git', ['log', '-1', '--format=%ct'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
  } catch {
    return Math.floor(Date.now() / 1000);
  }
}

/** dir/SHA256SUMS over every file below dir, in `sha256sum -c` form, sorted by path. */
export function writeSha256Sums(dir) {
  const lines = [];
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && p !== join(dir, 'SHA256SUMS')) lines.push(`${sha256File(p)}  ${relative(dir, p)}`);
    }
  };
  walk(dir);
  lines.sort((a, b) => (a.slice(66) < b.slice(66) ? -1 : 1));
  writeFileSync(join(dir, 'SHA256SUMS'), lines.join('\n') + '\n');
  return lines.length;
}

/** Adds or replaces the artifact's line in artifacts/SHA256SUMS (the list published next to the downloads). */
export function recordChecksum(file) {
  const list = join(ARTIFACTS, 'SHA256SUMS');
  const name = basename(file);
  const kept = existsSync(list) ? readFileSync(list, 'utf8').split('\n').filter((l) => l && l.slice(66) !== name) : [];
  kept.push(`${sha256File(file)}  ${name}`);
  kept.sort((a, b) => (a.slice(66) < b.slice(66) ? -1 : 1));
  writeFileSync(list, kept.join('\n') + '\n');
}
