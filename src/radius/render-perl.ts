/**
 * `--module perl`: LinOTP's radius_linotp.pm kept under FreeRADIUS 3.2 (rlm_perl with Debian's
 * `perl_flags = "-T"`; it needs libwww-perl, libconfig-file-perl, libtry-tiny-perl,
 * liblwp-protocol-https-perl) and its rlm_perl.ini rewritten for LinOTP 3. The file is read back with
 * our Config::File reader before anything is written: a value Config::File would read differently
 * stops the conversion.
 */
import { InputError } from '../errors.js';
import { parsePerlIni, perlIniValue, type PerlHash } from './perl-ini.js';
import { confString, safeName } from './render.js';

/** Where Debian's linotp-freeradius-perl package installs the module (debian/linotp-freeradius-perl.install). */
export const DEBIAN_MODULE_PATH = '/usr/lib/linotp/radius_linotp.pm';

export function renderPerlModule(script: string, header: string[]): string {
  return [
    ...header.map((h) => `# ${h}`),
    'perl {',
    `\tfilename = ${confString(script)}`,
    '\t# Debian runs rlm_perl in taint mode; radius_linotp.pm works unchanged with it',
    '\tperl_flags = "-T"',
    '}',
  ].join('\n') + '\n';
}

export const perlAuthTypes = (names: string[], instance = 'perl'): string[][] => names.map((n) => [`\t\tAuth-Type ${safeName(n)} {`, `\t\t\t${instance}`, '\t\t}']);

export interface PerlIniPlan {
  defaults: { URL: string; REALM: string; RESCONF: string; SSL_CHECK: boolean; HTTPS_CA_FILE: string; HTTPS_CA_DIR: string; PREFER_NAS_IDENTIFIER: boolean };
  scopes: { authType: string; URL?: string; REALM?: string; RESCONF?: string }[];
  /** Keys radius_linotp.pm does not read, carried as written. */
  unknown: { key: string; value: string }[];
}

export function renderPerlIni(p: PerlIniPlan, header: string[]): string {
  const lines = header.map((h) => `# ${h}`);
  const expected: PerlHash = Object.create(null);
  const put = (key: string, value: string, pathParts: string[]) => {
    const v = perlIniValue(value);
    if (v.problem) throw new InputError(`rlm_perl.ini: the value of ${key} ${v.problem}, so radius_linotp.pm would read it differently`, 'nothing was written; fix the value in the old rlm_perl.ini');
    lines.push(`${key} = ${v.text}`);
    let cur = expected;
    for (const k of pathParts.slice(0, -1)) cur = (cur[k] ??= Object.create(null)) as PerlHash;
    cur[pathParts[pathParts.length - 1]] = value;
  };
  const d = p.defaults;
  lines.push('', '# LinOTP 3 validate URL (POST; radius_linotp.pm parses :-) / :-( / :-( <transactionid> <message>)');
  put('URL', d.URL, ['URL']);
  put('REALM', d.REALM, ['REALM']);
  put('RESCONF', d.RESCONF, ['RESCONF']);
  lines.push('', '# TLS: only FALSE turns verification off');
  put('SSL_CHECK', d.SSL_CHECK ? 'TRUE' : 'FALSE', ['SSL_CHECK']);
  if (d.HTTPS_CA_FILE) put('HTTPS_CA_FILE', d.HTTPS_CA_FILE, ['HTTPS_CA_FILE']);
  if (d.HTTPS_CA_DIR) put('HTTPS_CA_DIR', d.HTTPS_CA_DIR, ['HTTPS_CA_DIR']);
  put('PREFER_NAS_IDENTIFIER', d.PREFER_NAS_IDENTIFIER ? 'TRUE' : 'FALSE', ['PREFER_NAS_IDENTIFIER']);
  lines.push('', '# TRUE logs every request attribute, PIN+OTP included, in clear');
  put('Debug', 'FALSE', ['Debug']);
  for (const s of p.scopes) {
    lines.push('', `# Auth-Type ${s.authType}`);
    for (const k of ['URL', 'REALM', 'RESCONF'] as const) if (s[k] !== undefined) put(`${s.authType}[${k}]`, s[k] as string, [s.authType, k]);
  }
  if (p.unknown.length) {
    lines.push('', '# carried from the old file; radius_linotp.pm does not read these');
    for (const u of p.unknown) put(u.key, u.value, u.key.split(/[\][]+/).filter((x, i, a) => x !== '' || i < a.length - 1));
  }
  const text = lines.join('\n') + '\n';
  const back = parsePerlIni(Buffer.from(text, 'utf8'), 'rlm_perl.ini');
  if (back.problems.length || JSON.stringify(sorted(back.conf)) !== JSON.stringify(sorted(expected))) {
    throw new InputError('rlm_perl.ini: the rewritten file would not read back as intended with Config::File (a value holding $NAME is replaced by an earlier key)', 'nothing was written; remove the $ from the value in the old rlm_perl.ini');
  }
  return text;
}

function sorted(h: PerlHash): unknown {
  return Object.fromEntries(Object.keys(h).sort().map((k) => [k, typeof h[k] === 'string' ? h[k] : sorted(h[k] as PerlHash)]));
}
