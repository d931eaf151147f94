/**
 * `radius convert` proven with the real FreeRADIUS 3.2: the converted configuration of the fixtures
 * (a FreeRADIUS 2 tree + rlm_perl.ini with a scope; an rlm_linotp2 tree) loads (`freeradius -XC`),
 * and radclient logins through a private server get Access-Accept / Access-Reject / Access-Challenge
 * + State → Access-Accept against a local simplecheck server, which records what was POSTed.
 * TLS: verified with the CA given, refused with a wrong CA, not verified where the old config said so.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../e2e/global-setup.js';
import { checkConfig, cli, FIXTURES, freeUdpPort, haveFreeradius, havePerlModule, makeCa, privateRaddb, radclient, Radiusd, SimplecheckServer, tmp, removeTmp } from './helpers.js';

afterAll(() => removeTmp());

const suite = haveFreeradius || process.env.CI ? describe : describe.skip;
const perlSuite = (haveFreeradius && havePerlModule) || process.env.CI ? describe : describe.skip;

const TX = '871283712837';
/** simplecheck as LinOTP 3.4 answers it (linotp/controllers/validate.py simplecheck). */
function answer(f: Record<string, string>): string {
  if (f.state === TX) return f.pass === '424242' ? ':-)' : ':-(';
  if (f.pass === 'good' || f.pass === 'p&s=+% ü') return ':-)';
  if (f.pass === 'chal') return `:-( ${TX} please enter the OTP from your token`;
  if (f.pass === 'chal2') return ':-( 99887766  100% "sure" %{User-Name}';
  return ':-(';
}
const hex = (s: string) => '0x' + Buffer.from(s).toString('hex');

suite('radius convert → FreeRADIUS 3.2 (rlm_rest)', () => {
  const work = tmp('e2e');
  let good: ReturnType<typeof makeCa>;
  let wrong: ReturnType<typeof makeCa>;
  let linotp: SimplecheckServer;
  const servers: Radiusd[] = [];

  beforeAll(async () => {
    await ensureBuilt();
    good = makeCa(work, 'good');
    wrong = makeCa(work, 'wrong');
    linotp = new SimplecheckServer(answer, { key: good.key, cert: good.cert });
    await linotp.start();
  }, 120_000);
  afterAll(async () => {
    for (const s of servers) await s.stop();
    await linotp?.stop();
  });

  async function convertAndStart(args: string[]): Promise<{ port: number; out: string; server: Radiusd }> {
    const out = path.join(work, `out-${servers.length}`);
    const port = await freeUdpPort();
    const r = cli(['radius', 'convert', '--out', out, '--listen', `127.0.0.1:${port}`, '--json', ...args]);
    expect(r.code, r.stderr).toBe(0);
    const raddb = privateRaddb(out);
    const check = checkConfig(raddb);
    expect(check.ok, check.output).toBe(true);
    const server = new Radiusd(raddb);
    servers.push(server);
    await server.start();
    return { port, out, server };
  }

  const url = () => `https://127.0.0.1:${linotp.port}/validate/simplecheck`;

  it('rlm_perl.ini + FreeRADIUS 2 tree: accept, reject, challenge → accept, scopes, exact POST fields', async () => {
    const { port, out } = await convertAndStart(['--freeradius', path.join(FIXTURES, 'freeradius2'), '--rlm-perl-ini', path.join(FIXTURES, 'rlm_perl.ini'), '--url', url(), '--ca-file', good.caFile]);
    expect(readFileSync(path.join(out, 'mods-available', 'linotp'), 'utf8')).toMatch(/check_cert = yes\n\t\tcheck_cert_cn = yes/);
    linotp.posts = [];

    const ok = await radclient(port, 'User-Name = "alice", User-Password = "good", NAS-IP-Address = 10.1.2.3');
    expect(ok.code).toBe('Access-Accept');
    expect(linotp.posts.at(-1)).toMatchObject({ path: '/validate/simplecheck', contentType: 'application/x-www-form-urlencoded' });
    expect(linotp.posts.at(-1)?.fields).toEqual({ user: 'alice', pass: 'good', realm: 'employees', client: '10.1.2.3' });

    const bad = await radclient(port, 'User-Name = "alice", User-Password = "wrong"');
    expect(bad.code).toBe('Access-Reject');
    expect(linotp.posts.at(-1)?.fields).toEqual({ user: 'alice', pass: 'wrong', realm: 'employees', client: '127.0.0.1' });

    // rlm_rest does not escape data: every value goes through %{urlquote:}
    const odd = await radclient(port, 'User-Name = "bob@example.com", User-Password = "p&s=+% ü"');
    expect(odd.code).toBe('Access-Accept');
    expect(linotp.posts.at(-1)?.fields).toMatchObject({ user: 'bob@example.com', pass: 'p&s=+% ü' });

    const chal = await radclient(port, 'User-Name = "carol", User-Password = "chal"');
    expect(chal.code).toBe('Access-Challenge');
    expect(chal.attrs.State).toBe(hex(TX));
    expect(chal.attrs['Reply-Message']).toBe('please enter the OTP from your token');
    const follow = await radclient(port, `User-Name = "carol", User-Password = "424242", State = ${chal.attrs.State}`);
    expect(follow.code).toBe('Access-Accept');
    expect(linotp.posts.at(-1)?.fields).toEqual({ user: 'carol', pass: '424242', realm: 'employees', client: '127.0.0.1', state: TX });
    // the message is data, never expanded again; blanks after the transaction id are separators (split / +/)
    const chal2 = await radclient(port, 'User-Name = "carol", User-Password = "chal2"');
    expect(chal2.code).toBe('Access-Challenge');
    expect(chal2.attrs.State).toBe(hex('99887766'));
    expect(chal2.attrs['Reply-Message']).toBe('100% \\"sure\\" %{User-Name}');
    const wrongOtp = await radclient(port, `User-Name = "carol", User-Password = "000000", State = ${chal.attrs.State}`);
    expect(wrongOtp.code).toBe('Access-Reject');

    // the users-file rule of the old tree selects Auth-Type scope1, whose rlm_perl.ini scope sets the realm
    const vpn = await radclient(port, 'User-Name = "dave", User-Password = "good", NAS-Identifier = "vpn", NAS-IP-Address = 10.20.0.1');
    expect(vpn.code).toBe('Access-Accept');
    expect(linotp.posts.at(-1)?.fields).toEqual({ user: 'dave', pass: 'good', realm: 'vpn #1', client: '10.20.0.1' });
    expect(vpn.attrs['Reply-Message']).toBe('VPN login');
  });

  it('several logins at once (rlm_rest keeps a pool of connections)', async () => {
    const { port } = await convertAndStart(['--freeradius', path.join(FIXTURES, 'freeradius2'), '--rlm-perl-ini', path.join(FIXTURES, 'rlm_perl.ini'), '--url', url(), '--ca-file', good.caFile]);
    const replies = await Promise.all(Array.from({ length: 8 }, (_, i) => radclient(port, `User-Name = "user${i}", User-Password = "${i % 2 ? 'good' : 'bad'}"`)));
    expect(replies.map((r) => r.code)).toEqual(Array.from({ length: 8 }, (_, i) => (i % 2 ? 'Access-Accept' : 'Access-Reject')));
  });

  it('a FreeRADIUS 3 tree: the unlang choosing the Auth-Type is carried; a scope posting elsewhere (--scope-url) gets its own rest instance', async () => {
    const { port, out } = await convertAndStart(['--freeradius', path.join(FIXTURES, 'freeradius3'), '--rlm-perl-ini', path.join(FIXTURES, 'rlm_perl-fr3.ini'), '--url', url(), '--scope-url', `wlan=https://localhost:${linotp.port}/wlan/validate/simplecheck`, '--tls-verify', 'on', '--ca-file', good.caFile]);
    const mods = readFileSync(path.join(out, 'mods-available', 'linotp'), 'utf8');
    expect(mods.match(/^rest (\S+) \{/gm)).toEqual(['rest linotp {', 'rest linotp_wlan {']);
    expect(mods).not.toMatch(/check_cert = no/);
    const wlan = await radclient(port, 'User-Name = "frank", User-Password = "good", NAS-Identifier = "wlan", NAS-IP-Address = 192.0.2.7');
    expect(wlan.code).toBe('Access-Accept');
    expect(linotp.posts.at(-1)).toMatchObject({ path: '/wlan/validate/simplecheck', fields: { user: 'frank', pass: 'good', realm: 'wifi', client: '192.0.2.7' } });
    const other = await radclient(port, 'User-Name = "frank", User-Password = "good", NAS-Identifier = "vpn"');
    expect(other.code).toBe('Access-Accept');
    expect(linotp.posts.at(-1)).toMatchObject({ path: '/validate/simplecheck', fields: { user: 'frank', pass: 'good', client: '127.0.0.1' } });
    expect(linotp.posts.at(-1)?.fields.realm).toBeUndefined();
  });

  it('a wrong CA: LinOTP is not trusted, every login fails and nothing is POSTed', async () => {
    const { port } = await convertAndStart(['--freeradius', path.join(FIXTURES, 'freeradius2'), '--rlm-perl-ini', path.join(FIXTURES, 'rlm_perl.ini'), '--url', url(), '--ca-file', wrong.caFile]);
    const before = linotp.posts.length;
    const r = await radclient(port, 'User-Name = "alice", User-Password = "good"');
    expect(r.code).toBe('Access-Reject');
    expect(r.attrs['Reply-Message']).toBe('LinOTP server is not available!');
    expect(linotp.posts.length).toBe(before);
  });

  it('rlm_linotp2 with sslcertverify = no: verification stays off (as before), realm and NAS address carried, restrictusername kept', async () => {
    const conv = cli(['radius', 'convert', '--out', path.join(work, 'plan-only'), '--freeradius', path.join(FIXTURES, 'linotp2'), '--url', url(), '--plan', '--json']);
    expect(conv.code).toBe(0);
    expect(conv.stderr).toMatch(/the old config turned TLS verification off \(sslcertverify = no, sslhostnameverify = no\); convert keeps that unless --tls-verify on/);
    const { port, out } = await convertAndStart(['--freeradius', path.join(FIXTURES, 'linotp2'), '--url', url()]);
    expect(readFileSync(path.join(out, 'mods-available', 'linotp'), 'utf8')).toMatch(/check_cert = no\n\t\tcheck_cert_cn = no/);
    const ok = await radclient(port, 'User-Name = "erin", User-Password = "good", NAS-IP-Address = 10.9.8.7');
    expect(ok.code).toBe('Access-Accept');
    expect(linotp.posts.at(-1)?.fields).toEqual({ user: 'erin', pass: 'good', realm: 'staff', client: '10.9.8.7' });
    const before = linotp.posts.length;
    const odd = await radclient(port, 'User-Name = "erin smith", User-Password = "good"');
    expect(odd.code).toBe('Access-Reject');
    expect(linotp.posts.length).toBe(before);
  });

  it('--tls-verify on overrides the old "off": the self-signed certificate is refused without its CA', async () => {
    const { port } = await convertAndStart(['--freeradius', path.join(FIXTURES, 'linotp2'), '--url', url(), '--tls-verify', 'on']);
    const r = await radclient(port, 'User-Name = "erin", User-Password = "good"');
    expect(r.code).toBe('Access-Reject');
    expect(r.attrs['Reply-Message']).toBe('LinOTP server is not available!');
  });
});

perlSuite('radius convert --module perl → FreeRADIUS 3.2 rlm_perl', () => {
  let server: Radiusd | undefined;
  afterAll(async () => server?.stop());

  it('mods-available/perl loads with perl_flags -T; the rewritten rlm_perl.ini reads back with Config::File, per Auth-Type', async () => {
    await ensureBuilt();
    const work = tmp('perl');
    const out = path.join(work, 'out');
    const newUrl = 'https://linotp3.example.com/validate/simplecheck';
    // Not LinOTP's radius_linotp.pm (not ours to copy): a stand-in that loads the same Perl libraries
    // under taint mode and, per request, reads the rewritten rlm_perl.ini with the real Config::File
    // the way the module does (defaults, then $Config->{<Auth-Type>}{REALM}). freeradius -XC does not
    // run a perl script at all, so the proof is a login.
    const pm = path.join(work, 'radius_linotp.pm');
    const ini = path.join(out, 'linotp2', 'rlm_perl.ini');
    writeFileSync(
      pm,
      [
        'use strict;',
        'use LWP 5.64;',
        'use LWP::Protocol::https;',
        'use Config::File;',
        'use Try::Tiny;',
        'use vars qw(%RAD_REQUEST %RAD_REPLY %RAD_CHECK %RAD_CONFIG);',
        'sub authenticate {',
        `  my $c = Config::File::read_config_file('${ini}');`,
        `  return 0 unless $c->{URL} eq '${newUrl}' && $c->{Debug} eq 'FALSE' && $c->{SSL_CHECK} eq 'TRUE' && $c->{TIMEOUT} eq '10';`,
        '  my $realm = $c->{REALM};',
        '  my $at = $RAD_CONFIG{"Auth-Type"};',
        '  $realm = $c->{$at}{REALM} if ref($c->{$at}) && exists $c->{$at}{REALM};',
        '  $RAD_REPLY{"Reply-Message"} = "$at $realm";',
        '  return 2;',
        '}',
        'sub authorize { return 2; }',
        '1;',
        '',
      ].join('\n'),
    );
    const port = await freeUdpPort();
    const r = cli(['radius', 'convert', '--module', 'perl', '--perl-module', pm, '--out', out, '--listen', `127.0.0.1:${port}`, '--freeradius', path.join(FIXTURES, 'freeradius2'), '--rlm-perl-ini', path.join(FIXTURES, 'rlm_perl.ini'), '--url', newUrl, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const doc = r.json();
    expect(doc.files.find((f: { name: string }) => f.name === 'linotp2/rlm_perl.ini').installAs).toBe('/etc/linotp2/rlm_perl.ini');
    const perlConf = readFileSync(path.join(out, 'mods-available', 'perl'), 'utf8');
    expect(perlConf).toContain(`filename = "${pm}"`);
    expect(perlConf).toContain('perl_flags = "-T"');
    const site = readFileSync(path.join(out, 'sites-available', 'linotp'), 'utf8');
    expect(site).toMatch(/Auth-Type perl \{\n\t\t\tperl\n\t\t\}/);
    expect(site).toMatch(/Auth-Type scope1 \{\n\t\t\tperl\n\t\t\}/);
    const raddb = privateRaddb(out);
    const check = checkConfig(raddb);
    expect(check.ok, check.output).toBe(true);
    server = new Radiusd(raddb);
    await server.start();
    const plain = await radclient(port, 'User-Name = "alice", User-Password = "x"');
    expect(plain.code, server.log).toBe('Access-Accept');
    expect(plain.attrs['Reply-Message']).toBe('perl employees');
    const vpn = await radclient(port, 'User-Name = "dave", User-Password = "x", NAS-Identifier = "vpn"');
    expect(vpn.code).toBe('Access-Accept');
    expect(vpn.attrs['Reply-Message']).toBe('scope1 vpn #1');
    // the stand-in really reads the file: another URL in it and the login fails
    writeFileSync(ini, readFileSync(ini, 'utf8').replace(/^URL = .*$/m, 'URL = https://other/validate/simplecheck'));
    expect((await radclient(port, 'User-Name = "alice", User-Password = "x"')).code).toBe('Access-Reject');
  });
});
