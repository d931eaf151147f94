/**
 * The independent computation: python3's zoneinfo (system tz data, not ICU), batched in one process.
 * Input: LinOTP 2 local timestamps; output: what `datetime.fromisoformat(v).replace(tzinfo=zone, fold=F)
 * .astimezone(UTC).isoformat(timespec="milliseconds")` gives — LinOTP 3's own formatting code path.
 */
import { spawnSync } from 'node:child_process';

const SCRIPT = `
import sys, datetime, zoneinfo
zone = zoneinfo.ZoneInfo(sys.argv[1])
fold = int(sys.argv[2])
out = []
for line in sys.stdin.read().split("\\n"):
    if not line:
        continue
    local = datetime.datetime.strptime(line, "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=zone, fold=fold)
    out.append(local.astimezone(datetime.timezone.utc).isoformat(timespec="milliseconds"))
sys.stdout.write("\\n".join(out))
`;

export function pythonToUtc(zone: string, values: string[], fold: 0 | 1 = 0): string[] {
  const run = spawnSync('python3', ['-c', SCRIPT, zone, String(fold)], { input: values.join('\n') + '\n', encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (run.status !== 0) throw new Error(`python3 failed: ${run.stderr}`);
  return run.stdout.split('\n');
}

const LOCAL_SCRIPT = `
import sys, datetime, zoneinfo
zone = zoneinfo.ZoneInfo(sys.argv[1])
out = []
for line in sys.stdin.read().split("\\n"):
    if not line:
        continue
    us = int(line)
    t = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc) + datetime.timedelta(microseconds=us)
    out.append(t.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S.%f"))
sys.stdout.write("\\n".join(out))
`;

/** What LinOTP 2's `datetime.now().strftime(...)` wrote at these instants (µs since the epoch) on a server in `zone`. */
export function pythonLocalTimes(zone: string, epochMicros: number[]): string[] {
  const run = spawnSync('python3', ['-c', LOCAL_SCRIPT, zone], { input: epochMicros.join('\n') + '\n', encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (run.status !== 0) throw new Error(`python3 failed: ${run.stderr}`);
  return run.stdout.split('\n');
}
