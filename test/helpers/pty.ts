// Runs a command on a real pseudo-terminal (python3's pty module) of a given size, answering prompts.
import { spawnSync } from 'node:child_process';

export interface PtyRun {
  status: number;
  output: string;
}

const DRIVER = String.raw`
import fcntl, json, os, pty, select, struct, sys, termios, time
argv, steps, cols, rows, env = json.loads(sys.argv[1])
pid, fd = pty.fork()
if pid == 0:
    fcntl.ioctl(sys.stdout.fileno(), termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    os.environ.update(env)
    os.execv(argv[0], argv)
out = b""
seen = 0  # prompts are searched only in output that arrived after the last answer
def read_until(pat, timeout=30):
    global out
    end = time.time() + timeout
    while pat.encode() not in out[seen:]:
        r, _, _ = select.select([fd], [], [], max(0, end - time.time()))
        if not r:
            raise SystemExit("timeout waiting for %r; got %r" % (pat, out.decode(errors="replace")))
        try:
            data = os.read(fd, 4096)
        except OSError:
            raise SystemExit("child ended waiting for %r; got %r" % (pat, out.decode(errors="replace")))
        out += data
for pat, line in steps:
    read_until(pat)
    time.sleep(0.1)
    seen = len(out)
    if line == "\x03":
        os.write(fd, b"\x03")
    else:
        os.write(fd, line.encode() + b"\r")
while True:
    r, _, _ = select.select([fd], [], [], 60)
    if not r:
        break
    try:
        data = os.read(fd, 4096)
    except OSError:
        break
    if not data:
        break
    out += data
_, status = os.waitpid(pid, 0)
print(json.dumps({"status": os.waitstatus_to_exitcode(status), "output": out.decode(errors="replace")}))
`;

/**
 * `steps`: [text to wait for, line to type] (a lone "\x03" sends Ctrl-C). `cols`/`rows`: the
 * terminal's size, as the program reads it from the TTY (COLUMNS is removed from its environment).
 */
export function runPty(
  argv: string[],
  opts: { steps?: [string, string][]; cols?: number; rows?: number; cwd?: string; env?: Record<string, string> } = {},
): PtyRun {
  const env: NodeJS.ProcessEnv = { ...process.env, LINOTP_CFG: '', NO_COLOR: '1', ...opts.env };
  delete env.COLUMNS;
  const r = spawnSync('python3', ['-c', DRIVER, JSON.stringify([argv, opts.steps ?? [], opts.cols ?? 80, opts.rows ?? 40, {}])], {
    cwd: opts.cwd,
    encoding: 'utf8',
    env,
    timeout: 120_000,
  });
  if (r.status !== 0) throw new Error(`pty driver failed: ${r.stdout}${r.stderr}`);
  return JSON.parse(r.stdout) as PtyRun;
}
