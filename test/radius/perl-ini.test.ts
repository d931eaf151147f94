/**
 * rlm_perl.ini is read as radius_linotp.pm reads it. Oracle: Perl's own Config::File
 * (Debian libconfig-file-perl) on the same bytes, compared hash for hash.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { moduleSettings, parsePerlIni } from '../../src/radius/perl-ini.js';
import { renderPerlIni } from '../../src/radius/render-perl.js';
import { FIXTURES, tmp, removeTmp } from './helpers.js';

afterAll(() => removeTmp());

const haveOracle = spawnSync('perl', ['-MConfig::File', '-MJSON::PP', '-e', '1']).status === 0;

function perlReads(files: string[]): unknown[] {
  const script = 'use Config::File; use JSON::PP; $SIG{__WARN__} = sub {}; print JSON::PP->new->canonical->encode([map { Config::File::read_config_file($_) } @ARGV]);';
  return JSON.parse(execFileSync('perl', ['-e', script, ...files], { encoding: 'utf8' }));
}

const canonical = (v: unknown): unknown => (v && typeof v === 'object' ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical((v as Record<string, unknown>)[k])])) : v);

const CASES: Record<string, string> = {
  fixture: readFileSync(path.join(FIXTURES, 'rlm_perl.ini'), 'utf8'),
  scopes: 'URL = https://a/validate/simplecheck\nscope1[URL] = https://b/validate/simplecheck\nscope1[REALM] = r1\nscope2[RESCONF]=rc\n',
  comments: '  # comment\nURL = https://a/x#frag\nREALM = a\\#b # trailing\n#REALM = no\n',
  blanks: 'REALM   =    spaced value   \n\tRESCONF=\t\t\nDebug = TRUE\r\n',
  variables: 'BASE = https://linotp\nURL = $BASE/validate/simplecheck\nOTHER = $UNDEFINED/x\n',
  unanchored: 'foo bar = baz\n= nokey\njustaword\nkey with.dot = x\n',
  strictRefs: 'scope1 = plain\nscope1[URL] = lost\nscope2[URL] = kept\nscope2 = replaced\n',
  brackets: 'a[b][c] = deep\n[x] = leading\nz[] = empty\nq]] = odd\n',
  lastWins: 'URL = first\nURL = second\n',
  quotes: "REALM = it's \"quoted\" \\ back\\slash\n",
  utf8: 'REALM = Mitarbeiter-Ü\nscope1[REALM] = ñ\n',
  noNewline: 'URL = https://a/validate/simplecheck',
};

describe.runIf(haveOracle || process.env.CI)('rlm_perl.ini: Config::File exactly', () => {
  it('reads every case as Perl does', () => {
    const dir = tmp('perlini');
    const names = Object.keys(CASES);
    const files = names.map((n) => {
      const f = path.join(dir, `${n}.ini`);
      writeFileSync(f, CASES[n]);
      return f;
    });
    const perl = perlReads(files);
    names.forEach((n, i) => expect(canonical(parsePerlIni(Buffer.from(CASES[n]), n).conf), n).toEqual(canonical(perl[i] ?? {})));
  });

  it('a rewritten file reads back as intended', () => {
    const dir = tmp('perlini-out');
    const text = renderPerlIni(
      {
        defaults: { URL: 'https://n/validate/simplecheck', REALM: 'a#b', RESCONF: '', SSL_CHECK: true, HTTPS_CA_FILE: '/etc/ssl/ca.pem', HTTPS_CA_DIR: '', PREFER_NAS_IDENTIFIER: false },
        scopes: [{ authType: 'vpn', REALM: 'vpn #1' }],
        unknown: [{ key: 'TIMEOUT', value: '10' }],
      },
      ['header'],
    );
    const f = path.join(dir, 'rlm_perl.ini');
    writeFileSync(f, text);
    expect(perlReads([f])[0]).toEqual({ URL: 'https://n/validate/simplecheck', REALM: 'a#b', RESCONF: '', SSL_CHECK: 'TRUE', HTTPS_CA_FILE: '/etc/ssl/ca.pem', PREFER_NAS_IDENTIFIER: 'FALSE', Debug: 'FALSE', vpn: { REALM: 'vpn #1' }, TIMEOUT: '10' });
  });
});

describe('rlm_perl.ini: what radius_linotp.pm makes of it', () => {
  it('scopes, case-sensitive keys, keys the module ignores', () => {
    const s = moduleSettings(parsePerlIni(Buffer.from(CASES.fixture), 'rlm_perl.ini'));
    expect(s).toMatchObject({ url: 'https://linotp2.example.com/validate/simplecheck', realm: 'employees', resConf: '', tlsVerify: true, caFile: '/etc/ssl/certs/linotp-ca.pem', preferNasAddress: true, debug: true });
    expect(s.scopes).toEqual([{ authType: 'scope1', realm: 'vpn #1', ignored: ['SSL_CHECK'] }]);
    expect(s.unknown.map((u) => u.key)).toEqual(['TIMEOUT', 'url', 'scope1[SSL_CHECK]']);
    expect(s.unknown.find((u) => u.key === 'url')?.hint).toMatch(/reads URL/);
  });

  it('only "false" turns SSL_CHECK and PREFER_NAS_IDENTIFIER off, only "true" turns Debug on', () => {
    const read = (t: string) => moduleSettings(parsePerlIni(Buffer.from(t), 'x'));
    expect(read('SSL_CHECK = no\n').tlsVerify).toBe(true);
    expect(read('SSL_CHECK = 0\n').tlsVerify).toBe(true);
    expect(read('SSL_CHECK =  False \n').tlsVerify).toBe(false);
    expect(read('').tlsVerify).toBe(true);
    expect(read('PREFER_NAS_IDENTIFIER = FALSE\n').preferNasAddress).toBe(false);
    expect(read('Debug = yes\n').debug).toBe(false);
    expect(read('DEBUG = TRUE\n').debug).toBe(false);
    expect(read('Debug = true\n').debug).toBe(true);
  });

  it('lines Config::File skips are listed with their line', () => {
    const ini = parsePerlIni(Buffer.from(CASES.unanchored + CASES.strictRefs), 'x');
    expect(ini.problems.map((p) => p.line)).toEqual([2, 3, 4, 6]);
    expect(ini.conf.bar).toBe('baz');
  });
});
