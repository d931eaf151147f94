/**
 * pg_dump's archive formats (-Fc, -Fd, -Ft) read as the SQL script `pg_restore -f -` writes: the
 * same text a plain pg_dump gives, so the rest of the tool reads it like any PostgreSQL dump.
 * pg_restore is PostgreSQL's own reader of its formats (postgresql-client); it only converts here,
 * it never connects (no -d), and its argv holds nothing but the archive's path.
 */
import { spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { InputError } from '../errors.js';
import { PG_ARCHIVE_NAMES, type PgArchiveForm } from './format.js';

/** The program run; PATH decides which PostgreSQL version's (Debian's pg_wrapper: the newest installed). */
export const PG_RESTORE = 'pg_restore';

const STDERR_KEEP = 16 << 10;

/**
 * pg_restore since 17.6/16.10/15.14/14.19/13.22 writes `\\restrict <random key>` around the script
 * (against psql meta-commands smuggled into a dump); the random key would make every read of the
 * same archive differ, and a restore compares its reads. This tool never runs psql meta-commands,
 * so a fixed key is given where pg_restore knows the option.
 */
const RESTRICT_KEY = 'linotpmigrate';
let restrictOption: Promise<string[]> | undefined;
function restrictArgs(): Promise<string[]> {
  restrictOption ??= new Promise((resolve) => {
    const probe = spawn(PG_RESTORE, ['--help'], { stdio: ['ignore', 'pipe', 'ignore'], env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C' } });
    let help = '';
    probe.stdout!.on('data', (c: Buffer) => (help += c.toString('utf8')));
    probe.on('error', () => resolve([]));
    probe.on('close', () => resolve(help.includes('--restrict-key') ? [`--restrict-key=${RESTRICT_KEY}`] : []));
  });
  return restrictOption;
}

/**
 * The SQL of a pg_dump archive, streamed from pg_restore's stdout. A gzip-compressed custom or tar
 * archive is gunzipped into pg_restore's stdin (it reads those formats from a pipe). Stopping early
 * ends pg_restore; a failure of pg_restore is one InputError with its first message.
 */
export async function* readPgArchive(path: string, form: PgArchiveForm, gzip: boolean): AsyncGenerator<Buffer> {
  const what = PG_ARCHIVE_NAMES[form];
  const args = ['-f', '-', ...(await restrictArgs()), ...(gzip ? [] : [path])];
  const child = spawn(PG_RESTORE, args, {
    stdio: [gzip ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    // English messages (they are quoted in the error line); nothing of ours in its environment.
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C' },
  });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => {
    if (stderr.length < STDERR_KEEP) stderr += c.toString('utf8');
  });
  const exited = new Promise<{ code: number | null; error?: NodeJS.ErrnoException }>((resolve) => {
    child.on('error', (error: NodeJS.ErrnoException) => resolve({ code: null, error }));
    child.on('close', (code) => resolve({ code }));
  });
  if (gzip) {
    const input = createReadStream(path).pipe(createGunzip());
    input.on('error', () => child.kill());
    child.stdin!.on('error', () => undefined); // pg_restore stopped reading: its exit status tells why
    input.pipe(child.stdin!);
  }
  let complete = false;
  try {
    for await (const chunk of child.stdout! as AsyncIterable<Buffer>) yield chunk;
    complete = true;
  } finally {
    if (!complete) child.kill();
  }
  const { code, error } = await exited;
  if (error?.code === 'ENOENT') {
    throw new InputError(`${path} is a ${what}, and reading it needs pg_restore, which is not installed`, `install the PostgreSQL client (apt install postgresql-client), or convert it where pg_restore is: pg_restore -f linotp.sql ${path}, then give linotp.sql`);
  }
  if (error) throw new InputError(`cannot run pg_restore to read ${path}: ${error.message}`, 'check that pg_restore can be run');
  if (code !== 0) {
    const first = stderr.split('\n').find((l) => /error|fatal/i.test(l)) ?? stderr.split('\n')[0] ?? '';
    const detail = first.replace(/^pg_restore:\s*(error:\s*)?/, '').trim() || `exit status ${code}`;
    const hint = /unsupported version/.test(detail)
      ? 'the archive was made by a newer pg_dump: read it with that version\'s pg_restore (pg_restore -f linotp.sql FILE), then give linotp.sql'
      : 'the archive is truncated or damaged; use another copy';
    throw new InputError(`pg_restore cannot read the ${what} ${path}: ${detail}`, hint);
  }
}
