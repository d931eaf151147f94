/**
 * Reader for LinOTP 2 `linotp.ini` files with the semantics of Python 3 `configparser` as
 * PasteDeploy sets it up: `ConfigParser(defaults={'here': <dir>, '__file__': <path>})`,
 * `optionxform = str` (keys keep their case), delimiters `=` and `:`, full-line `#`/`;` comments,
 * NO inline comments (a database password may contain `#` or `;`), indented continuation lines,
 * `[DEFAULT]` inheritance and BasicInterpolation (`%(name)s`, `%%`).
 *
 * Interpolation is lazy, exactly as in Python: a bad `%` only fails when that value is read with
 * interpolation. Which values are read how (PasteDeploy and logging.config.fileConfig):
 * - `[DEFAULT]`, `[app:*]`, `[server:*]`: interpolated (PasteDeploy).
 * - `[logger_*]`, `[handler_*]` (`args`, `level`, `class`, …): interpolated, so `%(here)s` works in `args`.
 * - `[formatter_*]` `format` and `datefmt`: read RAW (they hold `%(asctime)s`, `%Y`).
 * Callers choose with `get()` (Python 3 interpolation), `getLinotp2()` (what LinOTP 2 on Python 2
 * actually read — use it to migrate) or `raw()`.
 *
 * LinOTP 2 itself ran on Python 2.7, whose ConfigParser differs: `getLinotp2()` gives the value
 * as LinOTP 2 saw it (a ` ;` cut the first line, `""` was empty, blank lines inside a value were
 * dropped and indented comment lines kept, `%` stayed as written unless the value used
 * %(name)s), tested against python2.7; the structural differences are also reported as warnings.
 * Python 2 merged duplicate keys/sections silently (last wins); Python 3 (and we, by default)
 * reject them.
 */
import { closeSync, fstatSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { InputError } from '../errors.js';

/** Characters Python's str.isspace() (and `\s` in `re`) accepts; JS `\s` differs (\ufeff, \x1c-\x1f, \x85). */
const PY_WS = '\\t\\n\\x0b\\x0c\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const PY_WS_CHAR = new RegExp(`^[${PY_WS}]$`);
const NONSPACE_RE = new RegExp(`[^${PY_WS}]`);
/** Python 2's str.strip() set, which LinOTP 2 used. */
const PY2_WS_CHAR = /^[ \t\n\r\x0b\x0c]$/;
/** configparser.SECTCRE: `\[(?P<header>.+)\]` matched at the start (greedy, trailing junk ignored). */
const SECTION_RE = /^\[(.+)\]/s;

// Stripping and option splitting are loops, not regexes: `[ws]+$` or a lazy `(.*?)[ws]*=` retried at
// every position of a long run of blanks is quadratic (a 1 MB line would take minutes).
function stripWith(s: string, isWs: RegExp, left: boolean, right: boolean): string {
  let b = 0;
  let e = s.length;
  if (left) while (b < e && isWs.test(s[b])) b++;
  if (right) while (e > b && isWs.test(s[e - 1])) e--;
  return b === 0 && e === s.length ? s : s.slice(b, e);
}
const pyRstrip = (s: string): string => stripWith(s, PY_WS_CHAR, false, true);
const pyLstrip = (s: string): string => stripWith(s, PY_WS_CHAR, true, false);

/**
 * configparser's OPTCRE with delimiters `=` and `:` (`(?P<option>.*?)\s*(?P<vi>=|:)\s*(?P<value>.*)$`):
 * the first delimiter splits; the option loses its trailing, the value its leading blanks.
 */
function splitOption(line: string): [key: string, delimiter: string, value: string] | undefined {
  const eq = line.indexOf('=');
  const colon = line.indexOf(':');
  const at = eq < 0 ? colon : colon < 0 ? eq : Math.min(eq, colon);
  if (at < 0) return undefined;
  return [pyRstrip(line.slice(0, at)), line[at], pyLstrip(line.slice(at + 1))];
}
const KEY_RE = /^%\(([^)]+)\)s/;
const MAX_INTERPOLATION_DEPTH = 10;
export const DEFAULT_SECTION = 'DEFAULT';

export const pyStrip = (s: string): string => stripWith(s, PY_WS_CHAR, true, true);

export interface IniEntry {
  key: string;
  /** The value before interpolation (continuation lines joined with `\n`). */
  raw: string;
  /** The raw value as Python 2's ConfigParser (LinOTP 2) saw it, when that differs from `raw`. */
  raw2?: string;
  /** 1-based line of `key = …`; 0 for the built-in `here`/`__file__`. */
  line: number;
  /** Section the key is written in (`DEFAULT` for inherited ones). */
  section: string;
}

export interface IniReadOptions {
  /** Directory `%(here)s` stands for; default: the ini's directory (like PasteDeploy). */
  here?: string;
  /** `error` (Python 3, default) or `last` (Python 2 / strict=False: later wins, sections merge). */
  duplicates?: 'error' | 'last';
}

export class IniFile {
  readonly defaults = new Map<string, IniEntry>();
  readonly sections = new Map<string, { line: number; entries: Map<string, IniEntry> }>();
  readonly warnings: string[] = [];

  constructor(
    readonly file: string,
    readonly here: string,
  ) {
    this.defaults.set('here', { key: 'here', raw: here, line: 0, section: DEFAULT_SECTION });
    this.defaults.set('__file__', { key: '__file__', raw: file, line: 0, section: DEFAULT_SECTION });
  }

  sectionNames(): string[] {
    return [...this.sections.keys()];
  }

  hasSection(section: string): boolean {
    return section === DEFAULT_SECTION || this.sections.has(section);
  }

  /** Keys visible in a section, in configparser order (defaults first, then the section's own). */
  keys(section: string): string[] {
    const own = section === DEFAULT_SECTION ? undefined : this.sections.get(section)?.entries;
    if (section !== DEFAULT_SECTION && !own) return [];
    const keys = [...this.defaults.keys()];
    for (const k of own?.keys() ?? []) if (!this.defaults.has(k)) keys.push(k);
    return keys;
  }

  /** The entry for a key as configparser finds it (section first, then `[DEFAULT]`). */
  entry(section: string, key: string): IniEntry | undefined {
    if (section !== DEFAULT_SECTION) {
      const own = this.sections.get(section);
      if (!own) return undefined;
      const e = own.entries.get(key);
      if (e) return e;
    }
    return this.defaults.get(key);
  }

  raw(section: string, key: string): string | undefined {
    return this.entry(section, key)?.raw;
  }

  /** The interpolated value, or undefined when absent. Throws InputError for bad `%` syntax, loops, missing names. */
  get(section: string, key: string): string | undefined {
    const e = this.entry(section, key);
    if (!e) return undefined;
    const out: string[] = [];
    this.interpolate(section, e, e.raw, out, 1);
    return out.join('');
  }

  /**
   * The value as LinOTP 2 itself read it: PasteDeploy on Python 2 used the plain
   * `ConfigParser.ConfigParser`, whose interpolation differs from Python 3's: a value without
   * "%(" is used exactly as written (`%` and `%%` stay), and a value with "%(" is %-formatted
   * against the section and [DEFAULT] (`%(name)s` → raw value, `%%` → `%`), again while "%(" remains
   * (at most 10 times). So the unescaped `%` the Debian postinst wrote into passwords worked in
   * LinOTP 2, although Python 3's configparser rejects it. A value LinOTP 2 could not have read
   * (e.g. `%w` next to a `%(here)s`) is an InputError.
   */
  getLinotp2(section: string, key: string): string | undefined {
    const e = this.entry(section, key);
    if (!e) return undefined;
    const where = `${this.file}:${e.line} [${section}] ${e.key}`;
    let value = e.raw2 ?? e.raw;
    for (let depth = MAX_INTERPOLATION_DEPTH; depth > 0; depth--) {
      if (!value.includes('%(')) return value;
      value = this.percentFormat(section, value, where);
    }
    if (value.includes('%(')) {
      throw new InputError(`${where}: interpolation nested deeper than ${MAX_INTERPOLATION_DEPTH} (a reference loop?)`, 'check the %(name)s references of this key');
    }
    return value;
  }

  /** Python 2 `value % mapping` for the forms ConfigParser files use: `%(name)s` and `%%`. */
  private percentFormat(section: string, value: string, where: string): string {
    let out = '';
    for (let i = 0; i < value.length; i++) {
      const c = value[i];
      if (c !== '%') {
        out += c;
        continue;
      }
      const next = value[i + 1];
      if (next === '%') {
        out += '%';
        i++;
        continue;
      }
      const m = next === '(' ? /^%\(([^)]*)\)s/.exec(value.slice(i)) : null;
      if (!m) {
        throw new InputError(`${where}: LinOTP 2 could not read this value ('%' next to a %(name)s reference must be written %%)`, 'write %% for a literal % in values that also use %(name)s');
      }
      const ref = this.entry(section, m[1]);
      if (!ref) throw new InputError(`${where}: interpolation refers to '${m[1]}', which is not set in [${section}] or [DEFAULT]`, 'define it');
      out += ref.raw2 ?? ref.raw;
      i += m[0].length - 1;
    }
    return out;
  }

  /** `(key, interpolated value)` for every key of a section, like `parser.items(section)`. */
  items(section: string, opts: { raw?: boolean } = {}): [string, string][] {
    return this.keys(section).map((k) => [k, (opts.raw ? this.raw(section, k) : this.get(section, k)) as string]);
  }

  /** `file:line` of a key, for messages and `source` fields. */
  origin(section: string, key: string): string {
    const e = this.entry(section, key);
    return e && e.line > 0 ? `${this.file}:${e.line}` : this.file;
  }

  private interpolate(section: string, e: IniEntry, rest: string, out: string[], depth: number): void {
    const where = `${this.file}:${e.line} [${section}] ${e.key}`;
    if (depth > MAX_INTERPOLATION_DEPTH) {
      throw new InputError(`${where}: interpolation nested deeper than ${MAX_INTERPOLATION_DEPTH} (a reference loop?)`,
        'check the %(name)s references of this key; write %% for a literal %');
    }
    while (rest) {
      const p = rest.indexOf('%');
      if (p < 0) {
        out.push(rest);
        return;
      }
      if (p > 0) {
        out.push(rest.slice(0, p));
        rest = rest.slice(p);
      }
      const c = rest.slice(1, 2);
      if (c === '%') {
        out.push('%');
        rest = rest.slice(2);
      } else if (c === '(') {
        const m = KEY_RE.exec(rest);
        if (!m) throw new InputError(`${where}: bad interpolation reference (expected %(name)s)`, 'write %% for a literal %');
        const name = m[1];
        rest = rest.slice(m[0].length);
        const ref = this.entry(section, name);
        if (!ref) {
          throw new InputError(`${where}: interpolation refers to '${name}', which is not set in [${section}] or [DEFAULT]`,
            'define it, or write %% for a literal %');
        }
        if (ref.raw.includes('%')) this.interpolate(section, e, ref.raw, out, depth + 1);
        else out.push(ref.raw);
      } else {
        throw new InputError(`${where}: '%' must be followed by '%' or '('`, 'write %% for a literal %');
      }
    }
  }
}

/**
 * Settings files are a few KB. Anything far larger is the wrong file (a dump, a log): refused before
 * it is read, so memory and time stay small whatever is passed as --ini or LINOTP_CFG.
 */
export const MAX_SETTINGS_FILE_BYTES = 1 << 20;

/** The bytes of an ini or cfg file, refusing files over MAX_SETTINGS_FILE_BYTES (fs errors are thrown as they are). */
export function readSettingsFile(file: string, what: string): Buffer {
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    if (size > MAX_SETTINGS_FILE_BYTES) {
      throw new InputError(`${what} ${file} is ${(size / (1 << 20)).toFixed(1)} MB; LinOTP settings files are a few KB, so this is not one`, 'check the path');
    }
    return readFileSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Reads and parses an ini file. I/O and syntax problems become InputError naming file and line. */
export function readIni(file: string, opts: IniReadOptions = {}): IniFile {
  let buf: Buffer;
  try {
    buf = readSettingsFile(file, 'ini file');
  } catch (err) {
    if (err instanceof InputError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'EISDIR' ? 'it is a directory' : code === 'ENOENT' ? 'no such file' : (code ?? String(err));
    throw new InputError(`cannot read ini file ${file}: ${why}`,
      code === 'EACCES' ? 'run as a user that can read it (e.g. root)' : 'check the path given with --ini', err);
  }
  const abs = path.resolve(file);
  return parseIni(buf, abs, { ...opts, here: opts.here ?? path.dirname(abs) });
}

/** Decodes UTF-8 strictly: a NUL byte or invalid UTF-8 means this is not a text ini. */
function decode(buf: Buffer | string, file: string): string {
  if (typeof buf === 'string') return buf;
  const nul = buf.indexOf(0);
  if (nul >= 0) {
    const line = buf.subarray(0, nul).toString('latin1').split('\n').length;
    throw new InputError(`${file}:${line}: binary data (NUL byte), not an ini file`, 'give the path of linotp.ini');
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(buf);
  } catch (err) {
    const decoder = new TextDecoder('utf-8', { fatal: true });
    let line = 1;
    let start = 0;
    for (;;) {
      const nl = buf.indexOf(10, start);
      const end = nl < 0 ? buf.length : nl + 1;
      try {
        decoder.decode(buf.subarray(start, end));
      } catch {
        break;
      }
      if (nl < 0) break;
      line++;
      start = end;
    }
    throw new InputError(`${file}:${line}: not valid UTF-8`, 'convert it, e.g. iconv -f latin1 -t utf-8 linotp.ini > linotp.utf8.ini', err);
  }
}

/** Parses ini text (a Buffer is decoded as strict UTF-8). `file` is used for messages and `%(__file__)s`. */
export function parseIni(input: Buffer | string, file: string, opts: IniReadOptions = {}): IniFile {
  let text = decode(input, file);
  if (text.startsWith('\ufeff')) text = text.slice(1); // Python 3 would choke on the BOM; we accept it
  const ini = new IniFile(file, opts.here ?? path.dirname(file));
  const strict = (opts.duplicates ?? 'error') === 'error';
  // Python's universal newlines: \r\n, \r and \n end a line.
  const lines = text.split(/\r\n|\r|\n/);
  if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();

  let cur: Map<string, IniEntry> | undefined;
  let curName = '';
  let entry: IniEntry | undefined; // the option continuation lines append to
  let parts: string[] = [];
  let parts2: string[] = [];
  let indentLevel = 0;
  const added = new Set<string>();
  const fail = (lineno: number, msg: string, hint?: string): never => {
    throw new InputError(`${file}:${lineno}: ${msg}`, hint);
  };
  const finish = () => {
    if (!entry) return;
    entry.raw = pyRstrip(parts.join('\n'));
    const raw2 = parts2.join('\n');
    if (raw2 !== entry.raw) entry.raw2 = raw2;
  };
  const py2Space = (ch: string | undefined) => ch !== undefined && /^[ \t\n\r\x0b\x0c]$/.test(ch);

  lines.forEach((line, i) => {
    const lineno = i + 1;
    const stripped = pyStrip(line);
    const isComment = stripped.startsWith('#') || stripped.startsWith(';');
    if (!stripped || isComment) {
      // configparser keeps empty lines inside a value (trimmed at the end), skips comment lines.
      if (!isComment && entry) parts.push('');
      // Python 2 skipped blank lines, but took an indented comment line as part of the value.
      if (isComment && entry && py2Space(line[0])) {
        parts2.push(stripped);
        ini.warnings.push(`${file}:${lineno}: LinOTP 2 (Python 2) read this indented comment as part of [${curName}] ${entry.key}`);
      }
      return;
    }
    const ns = NONSPACE_RE.exec(line);
    const indent = ns ? ns.index : 0;
    if (cur && entry && indent > indentLevel) {
      parts.push(stripped);
      parts2.push(stripped);
      return;
    }
    indentLevel = indent;
    const sm = SECTION_RE.exec(stripped);
    if (sm) {
      finish();
      entry = undefined;
      const name = sm[1];
      curName = name;
      if (name === DEFAULT_SECTION) {
        cur = ini.defaults;
      } else if (ini.sections.has(name)) {
        if (strict && added.has(`s:${name}`)) fail(lineno, `section [${name}] appears twice`, 'merge the two sections into one');
        cur = ini.sections.get(name)!.entries;
        added.add(`s:${name}`);
      } else {
        cur = new Map();
        ini.sections.set(name, { line: lineno, entries: cur });
        added.add(`s:${name}`);
      }
      return;
    }
    if (!cur) fail(lineno, 'text before the first [section] header', 'an ini file starts with a header such as [DEFAULT]');
    const om = splitOption(stripped);
    if (!om) fail(lineno, 'line is neither "[section]" nor "key = value"', 'indent continuation lines; start comments with # or ;');
    const key = om![0];
    if (!key) fail(lineno, `key missing before '${om![1]}'`);
    const id = `o:${curName}\u0000${key}`;
    if (strict && added.has(id)) {
      const first = cur!.get(key)?.line;
      fail(lineno, `key '${key}' set twice in [${curName}]${first ? ` (first at line ${first})` : ''}`,
        'remove one of them (LinOTP 2 used the last one)');
    }
    added.add(id);
    finish();
    const value = pyStrip(om![2]);
    entry = { key, raw: value, line: lineno, section: curName };
    parts = [value];
    // Python 2 cut the first line at a ';' that follows whitespace, and read "" as empty.
    let v2 = splitOption(line.replace(/^[ \t\x0b\x0c]+/, ''))?.[2] ?? om![2]; // with its trailing blanks
    const semi = v2.indexOf(';');
    if (semi >= 0 && py2Space(semi === 0 ? v2[v2.length - 1] : v2[semi - 1])) {
      v2 = v2.slice(0, semi);
      ini.warnings.push(`${file}:${lineno}: [${curName}] ${key} contains ' ;'; LinOTP 2 (Python 2) treated the rest as a comment`);
    }
    v2 = stripWith(v2, PY2_WS_CHAR, true, true);
    parts2 = [v2 === '""' ? '' : v2];
    cur!.set(key, entry);
  });
  finish();
  return ini;
}
