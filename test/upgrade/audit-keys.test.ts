/** `init audit-keys` and `init all` end to end (spawns the built binary; openssl as the oracle for the keys). */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { canTestOwnership, ensureLinotpUser } from '../helpers/linotp-user.js';
import { strftime } from '../../src/settings/strftime.js';
import { runPty } from '../helpers/pty.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = process.env.LMT_BIN ?? `${root}bin/linotp-migrate.js`;
const dir = mkdtempSync(join(tmpdir(), 'lmt-audit-keys-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const owned = canTestOwnership();
if (owned) ensureLinotpUser();

function setup(name: string, extra = '') {
  const d = join(dir, name);
  rmSync(d, { recursive: true, force: true });
  spawnSync('mkdir', ['-p', d]);
  writeFileSync(join(d, 'linotp.cfg'), `ROOT_DIR = '${d}'\nDATABASE_URI = 'sqlite:///${d}/linotp.db'\n${extra}`);
  return d;
}
function run(d: string, args: string[]) {
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('LINOTP_')) delete env[k];
  return spawnSync(process.execPath, [bin, ...args], { cwd: d, encoding: 'utf8', env: { ...env, LINOTP_CFG: join(d, 'linotp.cfg') }, input: '' });
}
const openssl = (args: string[]) => spawnSync('openssl', args, { encoding: 'utf8' });
const mode = (f: string) => (statSync(f).mode & 0o777).toString(8);

describe('init audit-keys', () => {
  it('writes an RSA 2048 pair at the settings paths, with LinOTP 3.4 Debian owner and modes', () => {
    const d = setup('fresh', "AUDIT_PUBLIC_KEY_FILE = 'keys/pub.pem'\n");
    const plan = run(d, ['--json', 'init', 'audit-keys', '--plan']);
    expect(plan.status, plan.stderr).toBe(0);
    expect(JSON.parse(plan.stdout)).toMatchObject({ plan: true, existing: 'none', privateKey: join(d, 'audit-private.pem'), publicKey: join(d, 'keys/pub.pem') });
    expect(existsSync(join(d, 'audit-private.pem'))).toBe(false);
    const r = run(d, ['--json', 'init', 'audit-keys']);
    expect(r.status, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.privateKey).toMatchObject({ path: join(d, 'audit-private.pem'), action: 'created', mode: '0640' });
    expect(doc.publicKey).toMatchObject({ path: join(d, 'keys/pub.pem'), mode: '0644' });
    const priv = join(d, 'audit-private.pem');
    expect(mode(priv)).toBe('640');
    expect(mode(join(d, 'keys/pub.pem'))).toBe('644');
    if (owned) expect(doc.privateKey).toMatchObject({ user: 'linotp', group: 'linotp' });
    const text = openssl(['rsa', '-in', priv, '-noout', '-text']);
    expect(text.stdout).toMatch(/Private-Key: \(2048 bit, 2 primes\)/);
    expect(openssl(['rsa', '-in', priv, '-check', '-noout']).stdout).toContain('RSA key ok');
    expect(openssl(['rsa', '-in', priv, '-pubout']).stdout).toBe(readFileSync(join(d, 'keys/pub.pem'), 'utf8'));
    expect(r.stdout).not.toContain('PRIVATE KEY');
  });

  it('an existing private key: refused without a TTY, kept as <file>.<BACKUP_FILE_TIME_FORMAT> with --force', () => {
    const d = setup('existing', "BACKUP_FILE_TIME_FORMAT = '%Y%m%d-%H%M%S'\n");
    expect(run(d, ['init', 'audit-keys']).status).toBe(0);
    const priv = join(d, 'audit-private.pem');
    const old = readFileSync(priv);
    const refused = run(d, ['init', 'audit-keys']);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/^error: confirmation needed \(There is already a private audit key in .*audit-private\.pem/);
    expect(refused.stderr).toMatch(/hint: rerun with --yes/);
    expect(readFileSync(priv)).toEqual(old);
    const before = new Date();
    const forced = run(d, ['init', 'audit-keys', '-f']);
    expect(forced.status, forced.stderr).toBe(0);
    const backups = readdirSync(d).filter((f) => f.startsWith('audit-private.pem.'));
    expect(backups).toHaveLength(1);
    const stamp = backups[0].slice('audit-private.pem.'.length);
    expect(stamp >= strftime('%Y%m%d-%H%M%S', before) && stamp <= strftime('%Y%m%d-%H%M%S', new Date()), stamp).toBe(true);
    expect(readFileSync(join(d, backups[0]))).toEqual(old);
    expect(readFileSync(priv)).not.toEqual(old);
    expect(forced.stdout).toContain(`Moved existing private audit key to ${join(d, backups[0])}`);
    expect(openssl(['rsa', '-in', priv, '-pubout']).stdout).toBe(readFileSync(join(d, 'audit-public.pem'), 'utf8'));
  });

  it('without a LinOTP 3 installation (no ROOT_DIR, no app root) nothing is created below the package path', () => {
    const env: NodeJS.ProcessEnv = { ...process.env, LINOTP_CFG: '-/nonexistent' };
    for (const k of Object.keys(env)) if (k.startsWith('LINOTP_') && k !== 'LINOTP_CFG') delete env[k];
    const r = spawnSync(process.execPath, [bin, 'init', 'audit-keys'], { cwd: dir, encoding: 'utf8', env, input: '' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^error: no LinOTP 3 installation found to take AUDIT_PRIVATE_KEY_FILE from/);
  });

  it('a BACKUP_FILE_TIME_FORMAT we cannot reproduce is refused before anything is written', () => {
    const d = setup('badfmt', "BACKUP_FILE_TIME_FORMAT = '%Y-%U'\n");
    expect(run(d, ['init', 'audit-keys']).status).toBe(0);
    const old = readFileSync(join(d, 'audit-private.pem'));
    const r = run(d, ['init', 'audit-keys', '-f']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^error: BACKUP_FILE_TIME_FORMAT "%Y-%U" uses %U/);
    expect(readFileSync(join(d, 'audit-private.pem'))).toEqual(old);
  });
});

describe('Ctrl-C at a prompt', () => {
  it('init audit-keys over an existing key: "aborted", exit 130, nothing changed (real pty)', () => {
    const d = setup('ctrl-c');
    expect(run(d, ['init', 'audit-keys']).status).toBe(0);
    const old = readFileSync(join(d, 'audit-private.pem'));
    const r = runPty([process.execPath, bin, 'init', 'audit-keys'], { cwd: d, env: { LINOTP_CFG: join(d, 'linotp.cfg') }, steps: [['Overwrite it', '\x03']] });
    expect(r.status, r.output).toBe(130);
    expect(r.output).toContain('error: aborted: nothing was changed');
    expect(r.output).not.toMatch(/ExitPromptError|\n\s+at /);
    expect(readFileSync(join(d, 'audit-private.pem'))).toEqual(old);
    expect(readdirSync(d).filter((f) => f.startsWith('audit-private.pem.'))).toEqual([]);
  });
});

describe('init all', () => {
  it('creates encKey, audit keys and database in sequence; --json is one document', () => {
    const d = setup('all');
    const r = run(d, ['--json', 'init', 'all']);
    expect(r.status, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(Object.keys(doc)).toEqual(['encKey', 'auditKeys', 'database']);
    expect(doc.encKey).toMatchObject({ action: 'created', path: join(d, 'encKey') });
    expect(doc.auditKeys.privateKey.path).toBe(join(d, 'audit-private.pem'));
    expect(statSync(join(d, 'encKey')).size).toBe(96);
    expect(existsSync(join(d, 'linotp.db'))).toBe(true);
    // a second run stops at the first step that needs a yes, as LinOTP's chain stops at the first exit
    // (the encKey encrypts nothing in the new database, so init enc-key replaces it without asking)
    const auditBefore = readFileSync(join(d, 'audit-private.pem'));
    const again = run(d, ['init', 'all']);
    expect(again.status).toBe(1);
    expect(again.stderr).toMatch(/error: confirmation needed \(There is already a private audit key/);
    expect(readFileSync(join(d, 'audit-private.pem'))).toEqual(auditBefore);
  });
});
