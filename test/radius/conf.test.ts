/** The FreeRADIUS configuration reader, the tree discovery, and PAM lines. */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { findSections, parseConf, type ConfPair } from '../../src/radius/conf.js';
import { authTypeLogic, renderItems } from '../../src/radius/unlang.js';
import { parsePamText, rewritePamLine } from '../../src/radius/pam.js';
import { readRadiusTree } from '../../src/radius/tree.js';
import { FIXTURES } from './helpers.js';

describe('FreeRADIUS configuration grammar', () => {
  it('sections, instance names, pairs with = and :, conditions with regexes, includes, one-line sections', () => {
    const c = parseConf(
      [
        'rest linotp {',
        '\ttls { }',
        '\turi = http://h:80/validate/simplecheck?a=b',
        '\tdata = "user=%{urlquote:%{User-Name}}&x=\\"q\\""',
        "\tmethod = 'post'",
        '}',
        'authorize {',
        '\tif (&reply:REST-HTTP-Body =~ /^:-\\( +([^ ]+) {1}(.*)$/) {',
        '\t\tupdate control {',
        '\t\t\t&Auth-Type := linotp',
        '\t\t}',
        '\t}',
        '\telsif ("%{User-Name}" == "a b") { reject }',
        '}',
        '$INCLUDE ${confdir}/modules/',
        'modules {',
        '\tperl # comment {',
        '}',
      ].join('\n'),
      'x.conf',
    );
    const rest = findSections(c.items, (s) => s.name === 'rest')[0].section;
    expect(rest.name2).toBe('linotp');
    const pairs = Object.fromEntries(rest.children.filter((x): x is ConfPair => x.kind === 'pair').map((p) => [p.key, p.value]));
    expect(pairs).toEqual({ uri: 'http://h:80/validate/simplecheck?a=b', data: 'user=%{urlquote:%{User-Name}}&x="q"', method: 'post' });
    expect(findSections(c.items, (s) => s.name === 'if')[0].section.name2).toContain('([^ ]+) {1}');
    expect(findSections(c.items, (s) => s.name === 'update')).toHaveLength(1);
    expect(c.items.find((i) => i.kind === 'include')).toMatchObject({ path: '${confdir}/modules/' });
  });

  it('keeps only the Auth-Type choice of an authorize section, with whole if/elsif/else chains', () => {
    const c = parseConf(
      'authorize {\n\tpreprocess\n\tif (&NAS-Identifier == "a") {\n\t\tpap\n\t}\n\telsif (&NAS-Identifier =~ /^vpn-{1}/) {\n\t\tupdate control {\n\t\t\t&Auth-Type := scope1\n\t\t\t&Tmp-String-0 := x\n\t\t}\n\t}\n\telse {\n\t\tupdate control {\n\t\t\tAuth-Type := PAP\n\t\t}\n\t}\n\tif (ok) {\n\t\tfiles\n\t}\n\tupdate control {\n\t\tAuth-Type := perl\n\t}\n}\n',
      'x',
    );
    const auth = findSections(c.items, (s) => s.name === 'authorize')[0].section;
    expect(renderItems(authTypeLogic(auth.children, new Set(['scope1', 'perl'])) ?? [], 0)).toEqual([
      'if (&NAS-Identifier == "a") {',
      '\tnoop',
      '}',
      'elsif (&NAS-Identifier =~ /^vpn-{1}/) {',
      '\tupdate control {',
      '\t\t&Auth-Type := scope1',
      '\t}',
      '}',
      'else {',
      '\tnoop',
      '}',
      'update control {',
      '\tAuth-Type := perl',
      '}',
    ]);
    expect(authTypeLogic(auth.children, new Set(['other']))).toBeUndefined();
  });

  it.each([
    ['authorize {\n\tfiles\n', /x:1: section "authorize" is never closed/],
    ['files\n}\n', /x:2: unexpected "}"/],
    ['a = "open\n', /x:1: unterminated "string/],
    ['if (&User-Name == "x" {\n}\n', /x:1: unterminated condition/],
    ['a b c\n', /x:1: expected an operator/],
  ])('refuses %j with file and line', (text, msg) => {
    expect(() => parseConf(text, 'x')).toThrow(InputError);
    expect(() => parseConf(text, 'x')).toThrow(msg);
  });

  it.runIf(existsSync('/etc/freeradius/3.0/radiusd.conf'))("reads every file of Debian's FreeRADIUS 3.2 configuration", () => {
    const root = '/etc/freeradius/3.0';
    const files = ['radiusd.conf', 'clients.conf', 'proxy.conf', ...['mods-available', 'sites-available', 'policy.d'].flatMap((d) => readdirSync(path.join(root, d)).map((f) => `${d}/${f}`))].filter((f) => statSync(path.join(root, f)).isFile() && !/README/.test(f));
    for (const f of files) expect(() => parseConf(readFileSync(path.join(root, f), 'utf8'), f), f).not.toThrow();
    expect(files.length).toBeGreaterThan(100);
    const tree = readRadiusTree(root);
    expect(tree.layout).toBe('freeradius3');
    expect(tree.perl.filter((p) => p.linotp)).toEqual([]);
  });

  it('finds the LinOTP pieces of the FreeRADIUS 2 fixture', () => {
    const t = readRadiusTree(path.join(FIXTURES, 'freeradius2'));
    expect(t.layout).toBe('freeradius2');
    expect(t.perl).toEqual([expect.objectContaining({ instance: 'perl', script: '/usr/lib/linotp/radius_linotp.pm', linotp: true })]);
    expect(t.authTypes.map((a) => a.name)).toEqual(['perl', 'scope1']);
    expect(t.rules.map((r) => [r.authType, r.kind])).toEqual([['scope1', 'users'], ['perl', 'users']]);
    expect(t.rules[0].text).toBe('DEFAULT\tNAS-Identifier == "vpn", Auth-Type := scope1\n\tReply-Message = "VPN login"');
    expect(t.clients.map((c) => c.name)).toEqual(['localhost', 'vpn-gateways']);
    expect(t.clients[1].pairs.find((p) => p.key === 'secret')).toEqual({ key: 'secret', value: 's3cr#t with blanks', quote: '"' });
    expect(t.listens.filter((l) => l.type === 'auth')).toHaveLength(1);
  });

  it('reads rlm_linotp2 with its defaults and lists keys it does not know', () => {
    const t = readRadiusTree(path.join(FIXTURES, 'linotp2'));
    expect(t.linotp2).toEqual([expect.objectContaining({ instance: 'linotp2', unknown: ['timeout'] })]);
    expect(t.linotp2[0].settings).toMatchObject({ validateurl: 'https://linotp2.example.com/validate/simplecheck', sslcertverify: false, sslhostnameverify: false, realm: 'staff', prefer_nas_identifier: true, loguser: true, logpassword: false });
    expect(t.authTypes).toEqual([expect.objectContaining({ name: 'linotp2', module: 'linotp2' })]);
    expect(t.rules).toEqual([expect.objectContaining({ authType: 'linotp2', kind: 'unlang' })]);
  });
});

describe('PAM lines', () => {
  const text = readFileSync(path.join(FIXTURES, 'pam.d', 'common-linotp'), 'utf8');
  it('reads pam_linotp options as the module does (case-insensitive names, bracketed controls)', () => {
    const [l] = parsePamText(text, 'common-linotp');
    expect(l).toMatchObject({ kind: 'pam_linotp', control: '[success=1 default=ignore]', url: 'https://linotp2.example.com/validate/simplecheck', realm: 'employees', noCertVerify: true, debug: true, unknown: [] });
    expect(parsePamText('auth required pam_linotp.so URL=https://x/v REALM=r ca_FILE=/c foo\n', 'f')[0]).toMatchObject({ url: 'https://x/v', realm: 'r', caFile: '/c', unknown: ['foo'] });
  });
  it('rewrites only the url= argument, or adds one', () => {
    const [l] = parsePamText(text, 'common-linotp');
    expect(rewritePamLine(l, 'https://n/validate/simplecheck')).toBe(l.text.replace('https://linotp2.example.com/validate/simplecheck', 'https://n/validate/simplecheck'));
    const [bare] = parsePamText('auth sufficient pam_linotp.so   # no url\n', 'f');
    expect(rewritePamLine(bare, 'https://n/v')).toBe('auth sufficient pam_linotp.so url=https://n/v   # no url');
  });
  it('flags pam_python running pam_linotp.py', () => {
    expect(parsePamText(readFileSync(path.join(FIXTURES, 'pam.d', 'vpn-py'), 'utf8'), 'vpn-py')[0]).toMatchObject({ kind: 'pam_py_linotp', url: 'http://linotp2.example.com/validate/simplecheck', realm: 'vpn' });
  });
});
