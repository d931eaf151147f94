/** `radius inventory` / `radius convert` through the built binary: reports, plan, writing rules, bad input. */
import { cpSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../e2e/global-setup.js';
import { cli, FIXTURES, tmp, removeTmp } from './helpers.js';

afterAll(() => removeTmp());

beforeAll(() => ensureBuilt(), 180_000);

const URL3 = 'https://linotp3.example.com/validate/simplecheck';
const old = ['--freeradius', path.join(FIXTURES, 'freeradius2'), '--rlm-perl-ini', path.join(FIXTURES, 'rlm_perl.ini'), '--pam', path.join(FIXTURES, 'pam.d')];
const errorLines = (stderr: string) => stderr.split('\n').filter((l) => l.startsWith('error:'));

describe('radius inventory', () => {
  it('lists Auth-Types, scopes, unknown keys, PAM lines and the LinOTP 3 settings; exit 3 for decisions; no secrets', () => {
    const r = cli(['radius', 'inventory', ...old, '--json']);
    expect(r.code).toBe(3);
    const doc = r.json();
    expect(doc.targets.map((t: { authType: string; realm: string }) => [t.authType, t.realm])).toEqual([['perl', 'employees'], ['scope1', 'vpn #1']]);
    expect(doc.rlmPerlIni.unknown.map((u: { key: string }) => u.key)).toEqual(['TIMEOUT', 'url', 'scope1[SSL_CHECK]']);
    const messages = doc.findings.map((f: { level: string; message: string }) => `${f.level}: ${f.message}`).join('\n');
    expect(messages).toMatch(/warning: Debug = TRUE: .*PIN\+OTP/);
    expect(messages).toMatch(/warning: radius_linotp.pm reads only the hard-coded \/etc\/linotp2\/rlm_perl.ini/);
    expect(messages).toMatch(/decision: pam_py_linotp runs on pam_python with Python 2 only/);
    expect(doc.linotp3.map((s: { name: string }) => s.name)).toEqual(['GET_CLIENT_ADDRESS_FROM_POST_DATA', 'mayOverwriteClient']);
    expect(doc.decisions).toBe(1);
    expect(r.stdout).not.toMatch(/testing123|s3cr#t/);
    expect(errorLines(r.stderr)).toHaveLength(1);
  });

  it('rlm_linotp2: TLS checks off is a decision; unknown keys listed', () => {
    const r = cli(['radius', 'inventory', '--freeradius', path.join(FIXTURES, 'linotp2'), '--pam', path.join(FIXTURES, 'linotp2'), '--rlm-perl-ini', path.join(FIXTURES, 'linotp2', 'none.ini'), '--json']);
    expect(r.code).toBe(1); // an explicitly named file that is missing
    expect(errorLines(r.stderr)[0]).toMatch(/cannot read .*none.ini: ENOENT/);
    const d = tmp('noini');
    const ok = cli(['radius', 'inventory', '--freeradius', path.join(FIXTURES, 'linotp2'), '--pam', d, '--json']);
    const doc = ok.json();
    expect(doc.targets).toEqual([expect.objectContaining({ authType: 'linotp2', source: 'rlm_linotp2', tlsVerifyPeer: false, tlsVerifyHost: false, realm: 'staff', restrictUsername: true })]);
    expect(doc.findings.some((f: { level: string; message: string }) => f.level === 'decision' && /sslcertverify = no, sslhostnameverify = no/.test(f.message))).toBe(true);
    expect(doc.findings.some((f: { message: string }) => /does not know timeout/.test(f.message))).toBe(true);
  });
});

describe('radius inventory: FreeRADIUS 3 layout', () => {
  it('perl module in mods-enabled, Auth-Types chosen by unlang, a scope with its own http URL', () => {
    const r = cli(['radius', 'inventory', '--freeradius', path.join(FIXTURES, 'freeradius3'), '--rlm-perl-ini', path.join(FIXTURES, 'rlm_perl-fr3.ini'), '--pam', tmp('nopam'), '--json']);
    expect(r.code).toBe(3);
    const doc = r.json();
    expect(doc.freeradius.layout).toBe('freeradius3');
    expect(doc.targets.map((t: { authType: string; url: string; realm: string; scope: boolean }) => [t.authType, t.url, t.realm, t.scope])).toEqual([
      ['perl', 'http://linotp2.example.com/validate/simplecheck', '', false],
      ['wlan', 'http://linotp2-wlan.example.com/validate/simplecheck', 'wifi', true],
    ]);
    const decisions = doc.findings.filter((f: { level: string }) => f.level === 'decision').map((f: { message: string }) => f.message).join('\n');
    expect(decisions).toMatch(/Auth-Type wlan posts to its own URL .*--scope-url wlan=URL/);
    expect(decisions).toMatch(/SSL_CHECK = FALSE/);
    expect(doc.findings.some((f: { level: string; message: string }) => f.level === 'warning' && /http:\/\/linotp2.example.com\/validate\/simplecheck is not https/.test(f.message))).toBe(true);
    expect(doc.tree.rules.map((r: { authType: string; kind: string }) => [r.authType, r.kind])).toEqual([['wlan', 'unlang'], ['perl', 'unlang']]);
    expect(doc.tree.logic).toHaveLength(1);
    expect(r.stdout).not.toMatch(/wlan secret/);
  });

  it('a file with a malformed secret line is refused without quoting the secret', () => {
    const tree = path.join(tmp('secret'), 'fr');
    cpSync(path.join(FIXTURES, 'freeradius3'), tree, { recursive: true });
    writeFileSync(path.join(tree, 'clients.conf'), 'client x {\n\tipaddr = 10.0.0.1\n\tsecret topsecret99\n}\n');
    const r = cli(['radius', 'inventory', '--freeradius', tree]);
    expect(r.code).toBe(1);
    expect(errorLines(r.stderr)[0]).toMatch(/clients.conf:3: expected an operator .* after "secret"/);
    expect(r.stderr).not.toContain('topsecret99');
  });
});

describe('radius convert', () => {
  it('--plan writes nothing and shows every file, client secrets masked', () => {
    const out = path.join(tmp('plan'), 'out');
    const r = cli(['radius', 'convert', ...old, '--out', out, '--url', URL3, '--plan', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(out)).toBe(false);
    const doc = r.json();
    expect(doc.files.map((f: { name: string }) => f.name).sort()).toEqual(['clients.conf', 'mods-available/linotp', 'mods-available/linotp_authtypes', 'mods-config/files/linotp-authtypes', 'pam.d/common-linotp', 'pam.d/vpn-py', 'sites-available/linotp']);
    const clients = doc.files.find((f: { name: string }) => f.name === 'clients.conf').text;
    expect(clients).toMatch(/secret = \*\*\*/);
    expect(r.stdout).not.toMatch(/testing123|s3cr#t/);
    expect(doc.steps.join('\n')).toMatch(/after `backup catch-up`/);
  });

  it('writes atomically; identical files are left alone; a different one needs --force', () => {
    const out = path.join(tmp('write'), 'out');
    const args = ['radius', 'convert', ...old, '--out', out, '--url', URL3, '--json'];
    expect(cli(args).code).toBe(0);
    expect(readFileSync(path.join(out, 'clients.conf'), 'utf8')).toContain('secret = "s3cr#t with blanks"');
    expect(readFileSync(path.join(out, 'clients.conf'), 'utf8')).toContain('# virtual_server = default   (left out');
    expect(statSync(path.join(out, 'clients.conf')).mode & 0o777).toBe(0o640);
    expect(statSync(path.join(out, 'pam.d', 'common-linotp')).mode & 0o777).toBe(0o644);
    const pam = readFileSync(path.join(out, 'pam.d', 'common-linotp'), 'utf8');
    expect(pam).toContain(`pam_linotp.so debug nosslcertverify url=${URL3} realm=employees prompt=OTP:`);
    expect(readFileSync(path.join(out, 'pam.d', 'vpn-py'), 'utf8')).toBe(`auth sufficient pam_linotp.so url=${URL3} realm=vpn\n`);
    const again = cli(args);
    expect(again.code).toBe(0);
    expect(again.json().files.every((f: { state: string }) => f.state === 'unchanged')).toBe(true);
    const site = path.join(out, 'sites-available', 'linotp');
    writeFileSync(site, '# edited by hand\n');
    const refused = cli(args);
    expect(refused.code).toBe(2);
    expect(errorLines(refused.stderr)[0]).toMatch(/sites-available\/linotp already exists with other content/);
    expect(readFileSync(site, 'utf8')).toBe('# edited by hand\n');
    expect(cli([...args, '--force']).code).toBe(1); // --force asks; no terminal and no --yes
    expect(cli([...args, '--force', '--yes']).code).toBe(0);
    expect(readFileSync(site, 'utf8')).toMatch(/^server linotp \{/m);
  });

  it('--module perl keeps unknown keys in rlm_perl.ini, turns Debug off, and names the path the module reads', () => {
    const out = path.join(tmp('perl'), 'out');
    const r = cli(['radius', 'convert', ...old, '--module', 'perl', '--out', out, '--url', URL3]);
    expect(r.code, r.stderr).toBe(0);
    const ini = readFileSync(path.join(out, 'linotp2', 'rlm_perl.ini'), 'utf8');
    expect(ini).toMatch(/^URL = https:\/\/linotp3.example.com\/validate\/simplecheck$/m);
    expect(ini).toMatch(/^Debug = FALSE$/m);
    expect(ini).toMatch(/^TIMEOUT = 10$/m);
    expect(ini).toMatch(/^url = https:\/\/typo.example.com\/validate\/simplecheck$/m);
    expect(ini).toMatch(/^scope1\[REALM\] = vpn \\#1$/m);
    expect(ini).toMatch(/^scope1\[SSL_CHECK\] = FALSE$/m);
    expect(r.stderr).toMatch(/TIMEOUT is not read by radius_linotp.pm/);
    expect(r.stdout).toMatch(/install -D -m 0640 -g freerad .*rlm_perl.ini \/etc\/linotp2\/rlm_perl.ini/);
  });

  it('--pam alone writes only the pam.d files', () => {
    const out = path.join(tmp('pamonly'), 'out');
    const r = cli(['radius', 'convert', '--pam', path.join(FIXTURES, 'pam.d'), '--out', out, '--url', URL3, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const written = r.json().files.filter((f: { name: string }) => !f.name.startsWith('pam.d/'));
    // only what a LinOTP module in the default FreeRADIUS directory of this machine would add
    expect(written.every((f: { name: string }) => f.name !== 'clients.conf' || r.json().targets.length > 0)).toBe(true);
    expect(r.json().files.filter((f: { name: string }) => f.name.startsWith('pam.d/')).map((f: { installAs: string }) => f.installAs)).toEqual(['/etc/pam.d/common-linotp', '/etc/pam.d/vpn-py']);
  });

  it('an http URL is warned about', () => {
    const r = cli(['radius', 'convert', ...old, '--out', path.join(tmp('http'), 'o'), '--url', 'http://linotp3/validate/simplecheck', '--plan']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/warning: http:\/\/linotp3\/validate\/simplecheck is not https/);
  });
});

describe('radius: bad input (one line, documented exit, nothing written)', () => {
  it('a FreeRADIUS tree that does not parse', () => {
    const tree = path.join(tmp('broken'), 'freeradius');
    cpSync(path.join(FIXTURES, 'freeradius2'), tree, { recursive: true });
    writeFileSync(path.join(tree, 'sites-enabled', 'default'), readFileSync(path.join(tree, 'sites-enabled', 'default'), 'utf8') + '\nserver other {\n\tauthorize {\n');
    const out = path.join(path.dirname(tree), 'out');
    for (const cmd of [['radius', 'inventory'], ['radius', 'convert', '--out', out, '--url', URL3]]) {
      const r = cli([...cmd, '--freeradius', tree, '--rlm-perl-ini', path.join(FIXTURES, 'rlm_perl.ini')]);
      expect(r.code).toBe(1);
      const errs = errorLines(r.stderr);
      expect(errs).toHaveLength(1);
      expect(errs[0]).toMatch(/sites-enabled\/default:\d+: section "authorize" is never closed/);
      expect(r.stderr).not.toMatch(/at .*\.js:\d+/);
    }
    expect(existsSync(out)).toBe(false);
  });

  it('an unreadable file', () => {
    const dir = tmp('unreadable');
    mkdirSync(path.join(dir, 'rlm_perl.ini'));
    const r = cli(['radius', 'convert', '--out', path.join(dir, 'out'), '--url', URL3, '--rlm-perl-ini', path.join(dir, 'rlm_perl.ini'), '--freeradius', path.join(FIXTURES, 'freeradius2')]);
    expect(r.code).toBe(1);
    expect(errorLines(r.stderr)).toEqual([expect.stringMatching(/cannot read .*rlm_perl.ini: EISDIR/)]);
    expect(existsSync(path.join(dir, 'out'))).toBe(false);
  });

  it('a directory that is not FreeRADIUS, missing options, nothing to convert', () => {
    const empty = tmp('empty');
    const notTree = cli(['radius', 'inventory', '--freeradius', empty]);
    expect(notTree.code).toBe(1);
    expect(errorLines(notTree.stderr)[0]).toMatch(/holds no radiusd.conf/);
    expect(cli(['radius', 'convert', '--out', empty]).code).toBe(2);
    expect(cli(['radius', 'convert', '--out', empty, '--url', 'linotp3']).code).toBe(2);
    expect(cli(['radius', 'convert', '--out', empty, '--url', URL3, '--module', 'bogus']).code).toBe(2);
    expect(cli(['radius', 'convert', '--out', empty, '--url', URL3, '--listen', '1812']).code).toBe(2);
    const none = cli(['radius', 'convert', '--out', path.join(empty, 'o'), '--url', URL3, '--pam', empty, '--freeradius', path.join(FIXTURES, 'linotp2'), '--module', 'perl']);
    expect(none.code).toBe(2);
    expect(errorLines(none.stderr)[0]).toMatch(/uses rlm_linotp2, which has no FreeRADIUS 3 version/);
  });
});
