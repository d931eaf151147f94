/**
 * Where the LinOTP installation is: the database URL and the encKey path every command needs,
 * from the command line, the environment, LinOTP 3 cfg files and a LinOTP 2 linotp.ini.
 *
 * Database: --database-uri > LINOTP_DATABASE_URI > DATABASE_URI set in a cfg file > --ini
 *   `[app:main] sqlalchemy.url`.
 * encKey:   --enc-key > LINOTP_SECRET_FILE > SECRET_FILE set in a cfg file > the ini's
 *   `linotpSecretFile` > LinOTP 3's default `ROOT_DIR/./encKey`, but only when ROOT_DIR itself was
 *   configured (a LinOTP 3 installation is present).
 *
 * LinOTP 2 values follow PasteDeploy: a key in [DEFAULT] beats the same key in [app:main]
 * (PasteDeploy skips it there) unless [app:main] says `set key = …`; `%` is read as LinOTP 2 on
 * Python 2 read it (IniFile.getLinotp2), so an unescaped `%` in a password works as it did.
 *
 * A cfg file that exists but cannot be read (Debian's 01-debian-database.cfg is mode 0600) may set
 * the database or the key: then only the command line or the environment can name them; we do not
 * fall back to the ini and risk working on the wrong database.
 *
 * Decision: a cfg value counts only when a cfg file (or the environment) actually set it. The
 * schema defaults (`sqlite:///…/linotp.sqlite`, `encKey` below the Python package directory) exist
 * on every machine, also on a LinOTP 2 host without LinOTP 3, and must never silently beat an
 * explicit `--ini`. A database URL is therefore never taken from a default.
 */
import path from 'node:path';
import { InputError, UsageError } from '../errors.js';
import { readIni, type IniFile } from './ini.js';
import { loadLinotp3Settings, type Linotp3Options, type Linotp3Settings } from './linotp3.js';

export interface InstallationFlags {
  databaseUri?: string;
  ini?: string;
  encKey?: string;
}

export interface Sourced<T> {
  value: T;
  /** `--database-uri`, `env LINOTP_DATABASE_URI`, `/etc/linotp/conf.d/01-debian-database.cfg:3`, `/etc/linotp2/linotp.ini:53`, … */
  source: string;
}

export interface Installation {
  databaseUri?: Sourced<string>;
  encKeyPath?: Sourced<string>;
  ini?: IniFile;
  settings: Linotp3Settings;
  warnings: string[];
  /** Why a value could not be determined (an unreadable cfg file may set it). */
  unresolved: { databaseUri?: string; encKeyPath?: string };
}

/** The LinOTP 2 app section: PasteDeploy's `[app:main]` (keys inherit from `[DEFAULT]`). */
export const INI_APP_SECTION = 'app:main';

export function resolveInstallation(
  flags: InstallationFlags,
  env: NodeJS.ProcessEnv,
  cwd: string,
  opts: Linotp3Options = {},
): Installation {
  const warnings: string[] = [];
  let settings: Linotp3Settings;
  try {
    settings = loadLinotp3Settings(env, opts);
  } catch (err) {
    // With both values on the command line the cfg files are not needed to find the installation.
    if (!(err instanceof InputError) || flags.databaseUri === undefined || flags.encKey === undefined) throw err;
    warnings.push(`LinOTP 3 settings ignored: ${err.message}`);
    settings = loadLinotp3Settings({ ...env, LINOTP_CFG: '' }, opts);
  }
  // Without LinOTP 3 installed the assumed Debian files are usually absent: that is no news.
  const quiet = settings.cfgListSource === 'Debian default';
  warnings.push(...settings.warnings.filter((w) => !(quiet && w.startsWith('configuration from '))));
  const ini = flags.ini ? readIni(path.resolve(cwd, flags.ini)) : undefined;
  warnings.push(...(ini?.warnings ?? []));
  const unresolved: Installation['unresolved'] = {};
  const blocked = settings.unreadable.length
    ? `cannot read ${settings.unreadable.join(', ')}, which may set it`
    : undefined;

  let databaseUri: Sourced<string> | undefined;
  if (flags.databaseUri !== undefined) {
    databaseUri = { value: flags.databaseUri, source: '--database-uri' };
  } else if (settings.resolved('DATABASE_URI')?.kind === 'env' || (!blocked && settings.isExplicit('DATABASE_URI'))) {
    const v = settings.resolved('DATABASE_URI')!;
    databaseUri = { value: String(v.value), source: v.source };
  } else if (blocked) {
    unresolved.databaseUri = blocked;
  } else if (ini) {
    databaseUri = linotp2Value(ini, 'sqlalchemy.url');
  }

  let encKeyPath: Sourced<string> | undefined;
  if (flags.encKey !== undefined) {
    encKeyPath = { value: path.resolve(cwd, flags.encKey), source: '--enc-key' };
  } else if (settings.resolved('SECRET_FILE')?.kind === 'env' || (!blocked && settings.isExplicit('SECRET_FILE'))) {
    const v = settings.resolved('SECRET_FILE')!;
    encKeyPath = { value: String(v.value), source: v.source };
  } else if (blocked) {
    unresolved.encKeyPath = blocked;
  } else if (ini && linotp2Value(ini, 'linotpSecretFile')) {
    const v = linotp2Value(ini, 'linotpSecretFile')!;
    encKeyPath = { value: path.resolve(path.dirname(ini.file), v.value), source: v.source };
  } else if (settings.isExplicit('ROOT_DIR')) {
    const v = settings.resolved('SECRET_FILE')!;
    encKeyPath = { value: String(v.value), source: `default SECRET_FILE below ROOT_DIR (${settings.resolved('ROOT_DIR')!.source})` };
  }

  return { databaseUri, encKeyPath, ini, settings, warnings, unresolved };
}

/**
 * A key as LinOTP 2 saw it (PasteDeploy): `set key` in [app:main] beats [DEFAULT], and [DEFAULT]
 * beats a plain [app:main] key of the same name (PasteDeploy skips those). Interpolated.
 */
export function linotp2Value(ini: IniFile, key: string): Sourced<string> | undefined {
  if (ini.hasSection(INI_APP_SECTION) && ini.entry(INI_APP_SECTION, `set ${key}`)) {
    return { value: ini.getLinotp2(INI_APP_SECTION, `set ${key}`)!, source: ini.origin(INI_APP_SECTION, `set ${key}`) };
  }
  const d = ini.entry('DEFAULT', key);
  if (d && d.line > 0) return { value: ini.getLinotp2('DEFAULT', key)!, source: ini.origin('DEFAULT', key) };
  if (ini.hasSection(INI_APP_SECTION) && ini.entry(INI_APP_SECTION, key)) {
    return { value: ini.getLinotp2(INI_APP_SECTION, key)!, source: ini.origin(INI_APP_SECTION, key) };
  }
  return undefined;
}

const DB_WAYS =
  'give --database-uri URL, set LINOTP_DATABASE_URI, set DATABASE_URI in a LinOTP 3 cfg file (LINOTP_CFG), or give --ini /etc/linotp2/linotp.ini';
const KEY_WAYS =
  'give --enc-key FILE, set LINOTP_SECRET_FILE, set SECRET_FILE in a LinOTP 3 cfg file (LINOTP_CFG), or give --ini /etc/linotp2/linotp.ini';

/** The database URL, or a UsageError listing the four ways to give it. */
export function requireDatabaseUri(inst: Installation): Sourced<string> {
  if (!inst.databaseUri && inst.unresolved.databaseUri) throw new InputError(`database URL unknown: ${inst.unresolved.databaseUri}`, `run as root or the linotp user, or ${DB_WAYS}`);
  if (!inst.databaseUri) throw new UsageError('no database given', DB_WAYS);
  if (!inst.databaseUri.value.trim()) throw new UsageError(`the database URL from ${inst.databaseUri.source} is empty`, DB_WAYS);
  return inst.databaseUri;
}

/** The encKey path, or a UsageError listing the four ways to give it. */
export function requireEncKeyPath(inst: Installation): Sourced<string> {
  if (!inst.encKeyPath && inst.unresolved.encKeyPath) throw new InputError(`encKey path unknown: ${inst.unresolved.encKeyPath}`, `run as root or the linotp user, or ${KEY_WAYS}`);
  if (!inst.encKeyPath) throw new UsageError('no encKey given', KEY_WAYS);
  if (!inst.encKeyPath.value.trim()) throw new UsageError(`the encKey path from ${inst.encKeyPath.source} is empty`, KEY_WAYS);
  return inst.encKeyPath;
}
