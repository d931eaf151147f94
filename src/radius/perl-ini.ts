/**
 * `rlm_perl.ini`, read exactly as LinOTP's radius_linotp.pm reads it: with Perl's Config::File
 * (`read_config_file`, Debian libconfig-file-perl 1.54), which is NOT an ini/configparser reader:
 * - no sections; `KEY = value`, keys case-sensitive, `[A-Za-z0-9_-]` plus `[`/`]`;
 *   `scope1[URL] = …` becomes the nested hash `{scope1: {URL: …}}` (split on runs of `[`/`]`);
 * - a line whose first non-blank is `#` is a comment; elsewhere `#` starts a comment unless written `\#`;
 * - `$NAME` anywhere in the line is replaced by the value of an earlier top-level key;
 * - the key is the first `[^\s=]+` followed by `=` (the match is not anchored: `a b = c` sets `b`);
 *   a line without `=`, or a key with other characters, is skipped with a warning;
 * - the value loses surrounding blanks; the last assignment wins; assigning below a key that holds a
 *   string fails silently (Perl's strict refs inside an unchecked eval).
 * The file is read as bytes (Perl does), so `\s` is ASCII whitespace only.
 * radius_linotp.pm then reads URL, REALM, RESCONF, SSL_CHECK, HTTPS_CA_FILE, HTTPS_CA_DIR,
 * PREFER_NAS_IDENTIFIER and Debug, and per Auth-Type `<Auth-Type>[URL|REALM|RESCONF]`.
 */
import { readFileSync } from 'node:fs';
import { InputError } from '../errors.js';

/** Where radius_linotp.pm looks (`our $CONFIG_FILE`, hard-coded). */
export const RLM_PERL_INI_PATH = '/etc/linotp2/rlm_perl.ini';

export const TOP_KEYS = ['URL', 'REALM', 'RESCONF', 'SSL_CHECK', 'HTTPS_CA_FILE', 'HTTPS_CA_DIR', 'PREFER_NAS_IDENTIFIER', 'Debug'] as const;
export const SCOPE_KEYS = ['URL', 'REALM', 'RESCONF'] as const;

export type PerlValue = string | PerlHash;
export interface PerlHash {
  [key: string]: PerlValue;
}

export interface PerlIniLine {
  line: number;
  /** The key as written (`scope1[URL]`). */
  key: string;
  path: string[];
  value: string;
}

export interface PerlIniProblem {
  line: number;
  message: string;
}

export interface PerlIni {
  file: string;
  /** The hash read_config_file returns. */
  conf: PerlHash;
  lines: PerlIniLine[];
  /** Lines Config::File skipped or could not store (it only warns). */
  problems: PerlIniProblem[];
}

const WS = '[ \\t\\n\\r\\f\\v]';
const COMMENT_LINE = new RegExp(`^${WS}*#`);
const BLANK = new RegExp(`^${WS}*$`);
const ASSIGN = new RegExp(`${WS}*([^ \\t\\n\\r\\f\\v=]+)${WS}*=${WS}*(.*?)${WS}*$`);
const KEY_CHARS = /^[\][A-Za-z0-9_-]+$/;

/** Bytes as Perl sees them (one char per byte) back to text. */
const text = (s: string) => Buffer.from(s, 'latin1').toString('utf8');

export function parsePerlIni(bytes: Buffer, file: string): PerlIni {
  const conf: PerlHash = Object.create(null);
  const lines: PerlIniLine[] = [];
  const problems: PerlIniProblem[] = [];
  const raw = bytes.toString('latin1');
  const all = raw.split('\n');
  if (all[all.length - 1] === '') all.pop();
  all.forEach((orig, idx) => {
    const lineNo = idx + 1;
    let line = orig;
    if (COMMENT_LINE.test(line)) return;
    line = line.replace(/(?<!\\)#.*$/, '').replace(/\\#/g, '#');
    if (BLANK.test(line)) return;
    line = line.replace(/\$(\w+)/g, (m, name: string) => {
      if (!(name in conf)) return m;
      const v = conf[name];
      if (typeof v === 'string') return v;
      problems.push({ line: lineNo, message: `$${name} names a group of keys; Perl inserts a text like HASH(0x55d0…) here` });
      return 'HASH(0x0)';
    });
    const m = ASSIGN.exec(line);
    if (!m) {
      problems.push({ line: lineNo, message: `not KEY = VALUE; Config::File skips it: ${JSON.stringify(text(orig))}` });
      return;
    }
    const [, key, value] = m;
    if (!KEY_CHARS.test(key)) {
      problems.push({ line: lineNo, message: `key ${JSON.stringify(text(key))} has characters Config::File refuses (A-Z a-z 0-9 _ - [ ] only); the line is skipped` });
      return;
    }
    const parts = key.split(/[\][]+/);
    while (parts.length > 1 && parts[parts.length - 1] === '') parts.pop(); // Perl's split drops trailing empty fields
    let cur: PerlHash = conf;
    for (let i = 0; i < parts.length - 1; i++) {
      const k = parts[i];
      const next = cur[k];
      if (next === undefined) cur = cur[k] = Object.create(null) as PerlHash;
      else if (typeof next === 'string') {
        problems.push({ line: lineNo, message: `${text(key)}: ${parts.slice(0, i + 1).join('][')} already holds a value, so Perl cannot store this below it; the line has no effect` });
        return;
      } else cur = next;
    }
    cur[parts[parts.length - 1]] = value;
    lines.push({ line: lineNo, key: text(key), path: parts.map(text), value: text(value) });
  });
  return { file, conf: decodeHash(conf), lines, problems };
}

function decodeHash(h: PerlHash): PerlHash {
  const out: PerlHash = Object.create(null);
  for (const [k, v] of Object.entries(h)) out[text(k)] = typeof v === 'string' ? text(v) : decodeHash(v);
  return out;
}

export function readPerlIni(file: string): PerlIni {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputError(`cannot read ${file}: ${code ?? String(e)}`, code === 'EACCES' ? 'run as a user who may read it (root), or copy it somewhere readable' : 'check the path given with --rlm-perl-ini');
  }
  if (bytes.includes(0)) throw new InputError(`${file}: binary data (NUL byte), not an rlm_perl.ini`, 'give the rlm_perl.ini radius_linotp.pm reads (/etc/linotp2/rlm_perl.ini)');
  return parsePerlIni(bytes, file);
}

/** What radius_linotp.pm makes of the file: its defaults, per-Auth-Type overrides, and every key it ignores. */
export interface PerlModuleSettings {
  url?: string;
  realm: string;
  resConf: string;
  /** SSL_CHECK: only `false` (any case, blanks around) turns verification off. */
  tlsVerify: boolean;
  caFile: string;
  caDir: string;
  /** PREFER_NAS_IDENTIFIER: only `false` turns it off. */
  preferNasAddress: boolean;
  debug: boolean;
  scopes: { authType: string; url?: string; realm?: string; resConf?: string; ignored: string[] }[];
  /** Keys the module never reads (kept in a rewritten file, and listed). */
  unknown: { key: string; line: number; hint?: string }[];
}

const isFalse = (v: PerlValue | undefined) => typeof v === 'string' && /^\s*false\s*$/i.test(v);
const str = (v: PerlValue | undefined) => (typeof v === 'string' ? v : '');

export function moduleSettings(ini: PerlIni): PerlModuleSettings {
  const c = ini.conf;
  const lineOf = (path: string[]) => [...ini.lines].reverse().find((l) => l.path.join('\0') === path.join('\0'))?.line ?? 0;
  const unknown: PerlModuleSettings['unknown'] = [];
  const scopes: PerlModuleSettings['scopes'] = [];
  for (const [k, v] of Object.entries(c)) {
    if (typeof v !== 'string') {
      const s = { authType: k, ignored: [] as string[] } as PerlModuleSettings['scopes'][number];
      for (const [sk, sv] of Object.entries(v)) {
        const known = (SCOPE_KEYS as readonly string[]).includes(sk) && typeof sv === 'string';
        if (known) s[sk === 'URL' ? 'url' : sk === 'REALM' ? 'realm' : 'resConf'] = sv as string;
        else {
          s.ignored.push(sk);
          const near = (SCOPE_KEYS as readonly string[]).find((n) => n.toLowerCase() === sk.toLowerCase());
          unknown.push({ key: `${k}[${sk}]`, line: lineOf([k, sk]), hint: near ? `radius_linotp.pm reads ${k}[${near}] (keys are case-sensitive)` : `radius_linotp.pm reads only ${SCOPE_KEYS.join(', ')} per Auth-Type` });
        }
      }
      scopes.push(s);
    } else if (!(TOP_KEYS as readonly string[]).includes(k)) {
      const near = TOP_KEYS.find((n) => n.toLowerCase() === k.toLowerCase());
      unknown.push({ key: k, line: lineOf([k]), hint: near ? `radius_linotp.pm reads ${near} (keys are case-sensitive)` : undefined });
    }
  }
  return {
    url: typeof c.URL === 'string' ? c.URL : undefined,
    realm: str(c.REALM),
    resConf: str(c.RESCONF),
    tlsVerify: !isFalse(c.SSL_CHECK),
    caFile: str(c.HTTPS_CA_FILE),
    caDir: str(c.HTTPS_CA_DIR),
    preferNasAddress: !isFalse(c.PREFER_NAS_IDENTIFIER),
    debug: typeof c.Debug === 'string' && /^\s*true\s*$/i.test(c.Debug),
    scopes,
    unknown,
  };
}

/** What the module uses when the file does not exist at RLM_PERL_INI_PATH (radius_linotp.pm, `else` branch). */
export const MISSING_FILE_FALLBACK = { url: 'https://localhost/validate/simplecheck', realm: '', resConf: '', debug: false, tlsVerify: false } as const;

/**
 * One value written so Config::File reads it back unchanged, or the reason it cannot be: `#` is
 * escaped; `$NAME` cannot be escaped (it would be replaced by an earlier key); surrounding blanks
 * and line breaks are lost.
 */
export function perlIniValue(v: string): { text: string; problem?: string } {
  if (/[\r\n]/.test(v)) return { text: v.replace(/[\r\n]+/g, ' '), problem: 'contains a line break' };
  if (/^\s|\s$/.test(v)) return { text: v.trim(), problem: 'starts or ends with blanks, which Config::File drops' };
  if (/\\#/.test(v)) return { text: v, problem: 'contains \\#, which Config::File cannot represent' };
  return { text: v.replace(/#/g, '\\#') };
}
