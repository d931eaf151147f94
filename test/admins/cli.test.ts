// `linotp-migrate local-admins …` end to end: spawns the built binary (npm test builds first) on every
// engine; the password prompt is driven through a pseudo-terminal (python3's pty module).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { verifySha512Crypt } from '../../src/crypto/sha512crypt.js';
import { describeEngines } from '../helpers/db.js';
import { runPty as runPtyCommand } from '../helpers/pty.js';
import { adminDatabase, RESOLVER, type AdminDb } from './setup.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = `${root}bin/linotp-migrate.js`;

function run(args: string[], opts: { input?: string; env?: Record<string, string> } = {}) {
  const r = spawnSync(process.execPath, [bin, 'local-admins', ...args], {
    cwd: root,
    encoding: 'utf8',
    input: opts.input ?? '',
    env: { ...process.env, LINOTP_CFG: '', NO_COLOR: '1', ...opts.env },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Runs the CLI on a pseudo-terminal, answering prompts: steps are [text to wait for, line to type]. */
function runPty(args: string[], steps: [string, string][]) {
  return runPtyCommand([process.execPath, bin, 'local-admins', ...args], { steps, cwd: root });
}

describeEngines('local-admins CLI', (engine) => {
  let a: AdminDb;
  let db: string[];
  let before: unknown;
  beforeAll(async () => {
    a = await adminDatabase(engine);
    db = ['--database-uri', a.url];
    before = await a.otherRows();
  });
  afterAll(async () => {
    await a?.close();
  });

  /** stdout of a run that must succeed; the failure message carries stderr. */
  const ok = (args: string[], opts: { input?: string; env?: Record<string, string> } = {}) => {
    const r = run([...args, ...db], opts);
    expect(r.status, `${args.join(' ')}: ${r.stderr}`).toBe(0);
    return r.stdout;
  };

  const hashOf = async (name: string) =>
    String((await a.db.query('SELECT password FROM imported_user WHERE groupid = ? AND userid = ?', [RESOLVER, name]))[0]?.password);

  it('add / already exists / does not exist: LinOTP wording and exit codes', () => {
    const r = run(['add', 'admin', '--givenname', 'Ada', '--surname', 'Lovelace', '--email', 'ada@example.com', ...db]);
    expect(r).toMatchObject({ status: 0, stdout: '' });
    const again = run(['add', 'admin', ...db]);
    expect(again.status).toBe(1);
    expect(again.stderr).toContain('error: User admin already exists');
    const missing = run(['modify', 'nobody', '--email', 'x', ...db]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('error: User nobody does not exist');
    const bad = run(['add', 'two words', ...db]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('contains whitespace');
  });

  it('list: default, --long, --format, --json (no hashes), unknown key exit 1', () => {
    ok(['add', 'bob']);
    expect(ok(['list'])).toBe('admin\nbob\n');
    expect(ok(['list', '-l'])).toBe('admin:Ada Lovelace:ada@example.com::\nbob::::\n');
    expect(ok(['list', '--format', '{username} <{email}> {password}'])).toBe('admin <ada@example.com> *\nbob <> *\n');
    const j = JSON.parse(ok(['list', '--json']));
    expect(j.admins.map((x: any) => [x.username, x.hasPassword, 'password' in x])).toEqual([['admin', false, false], ['bob', false, false]]);
    const bad = run(['list', '-f', '{nope}', ...db]);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain("error: invalid key 'nope' in template");
  });

  it('modify changes only the given fields', async () => {
    ok(['modify', 'admin', '--mobile', '+49 170', '--email', '']);
    expect(ok(['list', '-l'])).toBe('admin:Ada Lovelace:::+49 170\nbob::::\n');
  });

  it('password from stdin (--password -): stored hash verifies, password never printed', async () => {
    const pw = 'Stdin-Passw0rd-Ä';
    const r = run(['password', 'admin', '--password', '-', ...db], { input: pw + '\n' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout + r.stderr).not.toContain(pw);
    const h = await hashOf('admin');
    expect(h).toMatch(/^\$6\$rounds=656000\$[./0-9A-Za-z]{16}\$[./0-9A-Za-z]{86}$/);
    expect(verifySha512Crypt(pw, h)).toBe(true);
    // What LinOTP 3 itself runs (passlib's sha512_crypt), when the system python has it (CI installs python3-passlib).
    const passlib = spawnSync('/usr/bin/python3', ['-c', 'import sys; from passlib.hash import sha512_crypt; print(sha512_crypt.verify(sys.stdin.readline().rstrip("\\n"), sys.argv[1]))', h], { input: pw + '\n', encoding: 'utf8' });
    if (passlib.status === 0) expect(passlib.stdout.trim()).toBe('True');
    else if (process.env.CI) throw new Error(`passlib check failed: ${passlib.stderr}`);
  });

  it('password: short warned (refused with --min-length), weak warned, VALUE refused, file read, no TTY without --password fails', async () => {
    const h0 = await hashOf('admin');
    const short = run(['password', 'admin', '--password', '-', '--min-length', '8', ...db], { input: 'abc\n' });
    expect(short.status).toBe(2);
    expect(short.stderr).toContain('the password has 3 characters; at least 8 are required; nothing was changed');
    expect(await hashOf('admin')).toBe(h0);
    const shortOk = run(['password', 'admin', '--password', '-', ...db], { input: 'abc\n' });
    expect(shortOk.status, shortOk.stderr).toBe(0);
    expect(shortOk.stderr).toContain('warning: weak password: the password has 3 characters; at least 8 are recommended (give --min-length to enforce a minimum)');
    expect(await hashOf('admin')).not.toBe(h0);
    const value = run(['password', 'bob', '--password', 'Secret-Value-1', ...db]);
    expect(value.status).toBe(2);
    expect(value.stderr).toMatch(/^error: --password takes only - \(read the password from stdin\)/);
    expect(value.stderr).not.toContain('Secret-Value-1');
    const weak = run(['password', 'bob', '--password', '-', ...db], { input: 'password\n' });
    expect(weak.status, weak.stderr).toBe(0);
    expect(weak.stderr).toContain('warning: weak password: it is one of the most common passwords');
    const tmp = mkdtempSync(join(tmpdir(), 'lmt-admins-pw-'));
    try {
      writeFileSync(join(tmp, 'pw.txt'), 'From-A-File-9\nignored\n');
      ok(['password', 'bob', '--password-file', join(tmp, 'pw.txt'), '--min-length', '3']);
      expect(verifySha512Crypt('From-A-File-9', await hashOf('bob'))).toBe(true);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
    const noTty = run(['password', 'bob', ...db]);
    expect(noTty.status).toBe(2);
    expect(noTty.stderr).toContain('a password is needed but stdin is not a terminal');
    const nobody = run(['password', 'nobody', '--password', '-', ...db], { input: 'Whatever-123\n' });
    expect(nobody.status).toBe(1);
    expect(nobody.stderr).toContain('User nobody does not exist');
  });

  it('password prompt on a terminal: asked twice, hidden, mismatch asked again', async () => {
    const pw = 'Pty-Secret-42x';
    const r = runPty(['password', 'admin', ...db], [
      ['Password:', pw],
      ['Password (again):', pw + 'typo'],
      ['Password:', pw],
      ['Password (again):', pw],
    ]);
    expect(r.output).toContain('the two entries differ');
    expect(r.status, r.output).toBe(0);
    expect(r.output).not.toContain(pw);
    expect(verifySha512Crypt(pw, await hashOf('admin'))).toBe(true);
  });

  it('remove asks on a terminal, needs --yes otherwise', async () => {
    const noTty = run(['remove', 'bob', ...db]);
    expect(noTty.status).toBe(1);
    expect(noTty.stderr).toContain('Are you sure you want to remove the account?');
    const declined = runPty(['remove', 'bob', ...db], [['Are you sure you want to remove the account?', 'n']]);
    expect(declined.status, declined.output).toBe(1);
    expect(ok(['list'])).toBe('admin\nbob\n');
    ok(['remove', 'bob', '--yes']);
    expect(ok(['list'])).toBe('admin\n');
  });

  it('enable (and the warning while the resolver is not in the admin realm), settings from the environment, other resolvers untouched', async () => {
    const q = (n: string) => a.db.dialect.quoteIdent(n);
    await a.db.execute(`UPDATE ${q('Config')} SET ${q('Value')} = ? WHERE ${q('Key')} = ?`, ['useridresolver.LDAPIdResolver.IdResolver.corp', 'linotp.useridresolver.group.linotp_admins']);
    const added = run(['add', 'carol', ...db]);
    expect(added.status, added.stderr).toBe(0);
    expect(added.stderr).toContain('does not include the local admin resolver LinOTP_local_admins, so this account cannot log in yet; run: linotp-migrate local-admins enable');
    ok(['enable']);
    expect(await a.config('linotp.useridresolver.group.linotp_admins')).toBe(`useridresolver.SQLIdResolver.IdResolver.${RESOLVER},useridresolver.LDAPIdResolver.IdResolver.corp`);
    expect(run(['remove', 'carol', '--yes', ...db]).stderr).not.toContain('does not include');
    ok(['enable']);
    const other = run(['list', ...db], { env: { LINOTP_ADMIN_RESOLVER_NAME: 'Other' } });
    expect(other.status).toBe(1);
    expect(other.stderr).toContain('the local admin resolver Other is not defined in this database');
    expect(other.stderr).toContain('linotp-migrate init database');
    expect(await a.otherRows()).toEqual(before);
  });
});
