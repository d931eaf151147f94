/**
 * LinOTP 3 effective settings, computed the way LinOTP 3.4 does at start-up (`_configure_app`
 * and `ExtFlaskConfig` in linotp/app.py), without running Python:
 * 1. schema defaults of the production config class (ROOT_DIR = the app root);
 * 2. the files named by `LINOTP_CFG` (set but empty = no files), else by
 *    `<app root>/linotp-cfg-default`, else the Debian list — colon-separated, `-` prefix = no
 *    warning when missing, relative entries below the app root, a directory means `dir/*.cfg`,
 *    a glob in the last component is expanded and sorted; later files win;
 * 3. `LINOTP_<NAME>` environment variables for schema names, converted like LinOTP does.
 * Relative `*_DIR`/`*_FILE` values are resolved on read as `ROOT_DIR + '/./' + value`.
 * Every value keeps its source (`file:line`, `env LINOTP_X`, `default`).
 */
import { accessSync, constants, existsSync, readFileSync, readdirSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { InputError } from '../errors.js';
import { parseCfg, readCfg } from './pyliteral.js';
import { type PyValue } from './pyvalue.js';
import { type LinotpVersion, SettingValueError, checkItem, defaultFor, findSetting, settingsFor, SETTINGS } from './schema.js';

/** Where Debian installs the LinOTP 3 package (app.root_path). */
export const DEBIAN_APP_ROOT = '/usr/lib/python3/dist-packages/linotp';
/** Content of Debian's `linotp-cfg-default` (identical in 3.0–3.4). */
export const DEBIAN_CFG_LIST = '/usr/share/linotp/linotp.cfg:/etc/linotp/linotp.cfg:-/etc/linotp/conf.d';

export type SourceKind = 'default' | 'file' | 'env';
export interface SettingValue {
  value: PyValue;
  kind: SourceKind;
  /** `default`, `/etc/linotp/conf.d/01-debian-database.cfg:3` or `env LINOTP_DATABASE_URI`. */
  source: string;
}

export interface CfgFileReport {
  path: string;
  /** `unreadable`: exists but cannot be read (permissions) — LinOTP itself would stop here. */
  status: 'loaded' | 'missing' | 'unreadable';
  optional: boolean;
}

export interface Linotp3Options {
  appRoot?: string;
  version?: LinotpVersion;
  /** Read-permission check (default: access(2) R_OK); tests running as root replace it. */
  readable?: (file: string) => boolean;
  /**
   * Files as they will be after a planned write (absolute path → text): read instead of the disk and
   * found by directory globs even before they exist, so a plan can say which file will decide a setting.
   */
  virtualFiles?: ReadonlyMap<string, string>;
}

const canRead = (file: string) => {
  try {
    accessSync(file, constants.R_OK);
    return true;
  } catch {
    return false;
  }
};

export class Linotp3Settings {
  readonly values = new Map<string, SettingValue>();
  readonly files: CfgFileReport[] = [];
  readonly warnings: string[] = [];
  /** Files that exist but could not be read: settings from them are unknown. */
  readonly unreadable: string[] = [];
  cfgList = '';
  cfgListSource: 'LINOTP_CFG' | 'linotp-cfg-default' | 'Debian default' = 'Debian default';

  constructor(
    readonly appRoot: string,
    readonly version: LinotpVersion,
  ) {}

  /** The value as LinOTP reads it: relative `*_DIR`/`*_FILE` values below ROOT_DIR. */
  get(name: string): PyValue | undefined {
    return this.resolved(name)?.value;
  }

  resolved(name: string): SettingValue | undefined {
    const v = this.values.get(name);
    if (!v) return undefined;
    const isPath = (name.endsWith('_DIR') || name.endsWith('_FILE')) && name !== 'ROOT_DIR';
    if (isPath && typeof v.value === 'string' && v.value !== '' && !v.value.startsWith('/')) {
      const root = this.values.get('ROOT_DIR')?.value;
      return { ...v, value: pyJoin(typeof root === 'string' ? root : '/ROOT_DIR_UNSET', '.', v.value) };
    }
    if (name === 'BABEL_TRANSLATION_DIRECTORIES' && typeof v.value === 'string') {
      const root = String(this.values.get('ROOT_DIR')?.value ?? '/ROOT_DIR_UNSET');
      return { ...v, value: v.value.split(';').map((p) => (p.startsWith('/') ? p : pyJoin(root, '.', p))).join(';') };
    }
    return v;
  }

  /** True when a cfg file or the environment set the name (not just the schema default). */
  isExplicit(name: string): boolean {
    const k = this.values.get(name)?.kind;
    return k === 'file' || k === 'env';
  }
}

/** os.path.join for POSIX. */
function pyJoin(...parts: string[]): string {
  let out = '';
  for (const p of parts) {
    if (p.startsWith('/')) out = p;
    else if (out === '' || out.endsWith('/')) out += p;
    else out += '/' + p;
  }
  return out;
}

/** Python fnmatch.translate for one path component (case-sensitive, `*` also matches a leading dot). */
function globToRegExp(pat: string): RegExp {
  let re = '';
  for (let i = 0; i < pat.length; i++) {
    const c = pat[i];
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      let j = i + 1;
      if (pat[j] === '!') j++;
      if (pat[j] === ']') j++;
      while (j < pat.length && pat[j] !== ']') j++;
      if (j >= pat.length) re += '\\[';
      else {
        let body = pat.slice(i + 1, j).replace(/\\/g, '\\\\');
        if (body.startsWith('!')) body = '^' + body.slice(1);
        else if (body.startsWith('^')) body = '\\' + body;
        re += `[${body}]`;
        i = j;
      }
    } else re += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^(?:${re})$`, 's');
}

const byCodePoint = (a: string, b: string) => {
  const x = Array.from(a, (c) => c.codePointAt(0)!);
  const y = Array.from(b, (c) => c.codePointAt(0)!);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] - y[i];
  return x.length - y.length;
};

const isDir = (p: string) => {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
};

/** The files one `LINOTP_CFG` entry stands for, in load order. */
export function expandCfgEntry(entry: string, appRoot: string, virtualFiles: ReadonlyMap<string, string> = new Map()): string[] {
  let fn = path.posix.normalize(pyJoin(appRoot, entry)).replace(/\/$/, '') || '/';
  const virtual = [...virtualFiles.keys()];
  if (isDir(fn) || virtual.some((v) => v.startsWith(fn + '/'))) fn = pyJoin(fn, '*.cfg');
  let dir = path.posix.dirname(fn);
  const name = path.posix.basename(fn);
  try {
    dir = realpathSync(dir);
  } catch {
    /* parent missing: nothing matches */
  }
  let matches: string[] = [];
  if (/[*?[]/.test(name)) {
    const re = globToRegExp(name);
    let names: string[] = [];
    try {
      names = readdirSync(dir);
    } catch {
      names = [];
    }
    for (const v of virtual) if (path.posix.dirname(v) === dir && !names.includes(path.posix.basename(v))) names.push(path.posix.basename(v));
    matches = names.filter((n) => re.test(n)).map((n) => path.posix.join(dir, n));
  } else if (existsSync(path.posix.join(dir, name)) || virtualFiles.has(path.posix.join(dir, name))) {
    matches = [path.posix.join(dir, name)];
  }
  return matches.length ? matches.sort(byCodePoint) : [fn];
}

/**
 * A file we may not read (Debian's conf.d/01-debian-database.cfg is mode 0600). LinOTP would stop;
 * we record it so that commands given --database-uri/--enc-key still work, and resolve.ts refuses
 * to guess a value that file might set.
 */
function unreadable(s: Linotp3Settings, file: string, optional: boolean, code: string | undefined): void {
  s.files.push({ path: file, status: 'unreadable', optional });
  s.unreadable.push(file);
  s.warnings.push(`cannot read ${file} (${code ?? 'error'}): settings it may hold are unknown; run as root or as the linotp user`);
}

/** The path with its deepest existing ancestor directory resolved (symlinks), the rest as given. */
export function realParent(p: string): string {
  const rest = [path.posix.basename(p)];
  let dir = path.posix.dirname(path.posix.resolve(p));
  for (;;) {
    try {
      return path.posix.join(realpathSync(dir), ...rest.reverse());
    } catch {
      if (dir === '/') return p;
      rest.push(path.posix.basename(dir));
      dir = path.posix.dirname(dir);
    }
  }
}

/** Computes the effective LinOTP 3 settings for the given environment. */
export function loadLinotp3Settings(env: NodeJS.ProcessEnv, opts: Linotp3Options = {}): Linotp3Settings {
  const appRoot = opts.appRoot ?? DEBIAN_APP_ROOT;
  const version = opts.version ?? '3.4';
  // Planned files are matched against real paths, as the globs below produce them.
  if (opts.virtualFiles) opts = { ...opts, virtualFiles: new Map([...opts.virtualFiles].map(([p, text]) => [realParent(p), text])) };
  const s = new Linotp3Settings(appRoot, version);
  for (const item of settingsFor(version)) s.values.set(item.name, { value: defaultFor(item, version), kind: 'default', source: 'default' });
  s.values.set('ROOT_DIR', { value: appRoot, kind: 'default', source: 'default (the LinOTP app root)' });
  // ProductionConfig (FLASK_ENV unset) points the database at a file next to the package.
  s.values.set('DATABASE_URI', { value: `sqlite:///${path.posix.join(path.posix.dirname(appRoot), 'linotp.sqlite')}`, kind: 'default', source: 'default' });

  if (env.LINOTP_CFG !== undefined) {
    s.cfgList = env.LINOTP_CFG;
    s.cfgListSource = 'LINOTP_CFG';
  } else if (existsSync(path.posix.join(appRoot, 'linotp-cfg-default'))) {
    s.cfgList = readFileSync(path.posix.join(appRoot, 'linotp-cfg-default'), 'utf8').trim();
    s.cfgListSource = 'linotp-cfg-default';
  } else {
    // LinOTP itself would fall back to <app root>/linotp.cfg; without an installed LinOTP 3 we assume Debian's layout.
    s.cfgList = DEBIAN_CFG_LIST;
  }

  if (s.cfgList) {
    for (let entry of s.cfgList.split(':')) {
      const optional = entry.startsWith('-');
      if (optional) entry = entry.slice(1);
      for (const file of expandCfgEntry(entry, appRoot, opts.virtualFiles)) loadFile(s, file, optional, opts.readable ?? canRead, opts.virtualFiles);
    }
  }

  for (const [key, raw] of Object.entries(env)) {
    if (!key.startsWith('LINOTP_') || key === 'LINOTP_CFG' || raw === undefined) continue;
    const item = findSetting(key.slice('LINOTP_'.length), version);
    if (!item) {
      const other = SETTINGS.find((x) => x.name === key.slice('LINOTP_'.length));
      if (other) s.warnings.push(`LinOTP ${version} ignores ${key} (a LinOTP ${other.versions.join('/')} setting)${other.renamedTo ? `; use LINOTP_${other.renamedTo}` : ''}`);
      continue;
    }
    try {
      s.values.set(item.name, { value: checkItem(item, raw, version), kind: 'env', source: `env ${key}` });
    } catch (err) {
      if (!(err instanceof SettingValueError)) throw err;
      throw new InputError(`environment variable ${key}: ${err.message}`, `LinOTP ${version} would refuse to start with this value`);
    }
  }
  return s;
}

function loadFile(s: Linotp3Settings, file: string, optional: boolean, readable: (file: string) => boolean, virtualFiles?: ReadonlyMap<string, string>): void {
  const planned = virtualFiles?.get(file);
  if (planned !== undefined) return addSettings(s, file, parseCfg(planned, file));
  let st;
  try {
    st = statSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTDIR') return unreadable(s, file, optional, code);
  }
  if (!st || st.isDirectory()) {
    s.files.push({ path: file, status: 'missing', optional });
    if (!optional) s.warnings.push(`configuration from ${file} failed (check location and permissions)`);
    return;
  }
  if (!readable(file)) return unreadable(s, file, optional, 'EACCES');
  addSettings(s, file, readCfg(file), optional);
}

function addSettings(s: Linotp3Settings, file: string, cfg: ReturnType<typeof readCfg>, optional = false): void {
  s.files.push({ path: file, status: 'loaded', optional });
  // Flask's from_object walks dir(module): names in sorted order, the last value of each.
  for (const name of [...cfg.settings.keys()].sort()) {
    const a = cfg.settings.get(name)!;
    const where = `${file}:${a.line}`;
    const item = findSetting(name, s.version);
    if (!item) {
      const other = SETTINGS.find((x) => x.name === name);
      if (other) {
        const hint = other.renamedTo ? `; use ${other.renamedTo}` : '';
        s.warnings.push(`${where}: ${name} exists only in LinOTP ${other.versions.join('/')}; LinOTP ${s.version} ignores it${hint}`);
      }
      s.values.set(name, { value: a.value, kind: 'file', source: where });
      continue;
    }
    try {
      s.values.set(name, { value: checkItem(item, a.value, s.version), kind: 'file', source: where });
    } catch (err) {
      if (!(err instanceof SettingValueError)) throw err;
      throw new InputError(`${where}: ${err.message}`, `LinOTP ${s.version} would refuse to start with this file`);
    }
  }
}
