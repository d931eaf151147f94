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
 * Decision: a cfg value counts only when a cfg file (or the environment) actually set it. The
 * schema defaults (`sqlite:///…/linotp.sqlite`, `encKey` below the Python package directory) exist
 * on every machine, also on a LinOTP 2 host without LinOTP 3, and must never silently beat an
 * explicit `--ini`. A database URL is therefore never taken from a default.
 */
import path from 'node:path';
import { UsageError } from '../errors.js';
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
}

/** The LinOTP 2 app section: PasteDeploy's `[app:main]` (keys inherit from `[DEFAULT]`). */
export const INI_APP_SECTION = 'app:main';

export function resolveInstallation(
  flags: InstallationFlags,
  env: NodeJS.ProcessEnv,
  cwd: string,
  opts: Linotp3Options = {},
): Installation {
  const settings = loadLinotp3Settings(env, opts);
  const ini = flags.ini ? readIni(path.resolve(cwd, flags.ini)) : undefined;
  const warnings = [...settings.warnings, ...(ini?.warnings ?? [])];
  const iniSection = ini && ini.hasSection(INI_APP_SECTION) ? INI_APP_SECTION : 'DEFAULT';

  let databaseUri: Sourced<string> | undefined;
  if (flags.databaseUri !== undefined) {
    databaseUri = { value: flags.databaseUri, source: '--database-uri' };
  } else if (settings.isExplicit('DATABASE_URI')) {
    const v = settings.resolved('DATABASE_URI')!;
    databaseUri = { value: String(v.value), source: v.source };
  } else if (ini) {
    const url = ini.get(INI_APP_SECTION, 'sqlalchemy.url');
    if (url !== undefined) databaseUri = { value: url, source: ini.origin(INI_APP_SECTION, 'sqlalchemy.url') };
  }

  let encKeyPath: Sourced<string> | undefined;
  if (flags.encKey !== undefined) {
    encKeyPath = { value: path.resolve(cwd, flags.encKey), source: '--enc-key' };
  } else if (settings.isExplicit('SECRET_FILE')) {
    const v = settings.resolved('SECRET_FILE')!;
    encKeyPath = { value: String(v.value), source: v.source };
  } else if (ini && ini.entry(iniSection, 'linotpSecretFile')) {
    const file = ini.get(iniSection, 'linotpSecretFile')!;
    encKeyPath = { value: path.resolve(path.dirname(ini.file), file), source: ini.origin(iniSection, 'linotpSecretFile') };
  } else if (settings.isExplicit('ROOT_DIR')) {
    const v = settings.resolved('SECRET_FILE')!;
    encKeyPath = { value: String(v.value), source: `default SECRET_FILE below ROOT_DIR (${settings.resolved('ROOT_DIR')!.source})` };
  }

  return { databaseUri, encKeyPath, ini, settings, warnings };
}

const DB_WAYS =
  'give --database-uri URL, set LINOTP_DATABASE_URI, set DATABASE_URI in a LinOTP 3 cfg file (LINOTP_CFG), or give --ini /etc/linotp2/linotp.ini';
const KEY_WAYS =
  'give --enc-key FILE, set LINOTP_SECRET_FILE, set SECRET_FILE in a LinOTP 3 cfg file (LINOTP_CFG), or give --ini /etc/linotp2/linotp.ini';

/** The database URL, or a UsageError listing the four ways to give it. */
export function requireDatabaseUri(inst: Installation): Sourced<string> {
  if (!inst.databaseUri) throw new UsageError('no database given', DB_WAYS);
  if (!inst.databaseUri.value.trim()) throw new UsageError(`the database URL from ${inst.databaseUri.source} is empty`, DB_WAYS);
  return inst.databaseUri;
}

/** The encKey path, or a UsageError listing the four ways to give it. */
export function requireEncKeyPath(inst: Installation): Sourced<string> {
  if (!inst.encKeyPath) throw new UsageError('no encKey given', KEY_WAYS);
  if (!inst.encKeyPath.value.trim()) throw new UsageError(`the encKey path from ${inst.encKeyPath.source} is empty`, KEY_WAYS);
  return inst.encKeyPath;
}
