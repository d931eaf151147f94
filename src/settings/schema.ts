/**
 * LinOTP 3 settings schema as data, after `linotp/settings.py` (`_config_schema`) of branch-v3.4,
 * with the names of 3.0–3.3 that 3.4 no longer has (for `config convert --target` and for
 * warning about settings a newer LinOTP silently ignores). Descriptions are our own summaries.
 *
 * Conversion and validation follow `ConfigSchema.check_item` (3.4):
 * - `*_DIR`/`*_FILE` names (ROOT_DIR included): value → Python str();
 * - a str value for a non-str item is converted (bool: to_boolean, int: int(), dict: json.loads,
 *   list: split(',') without strip); non-str values from a .cfg are NOT converted, only validated;
 * - the validator runs (log levels: exact upper-case membership, ints ≥ min, ROOT_DIR absolute).
 */
import { PyDict, PyFloat, type PyValue, pyStr } from './pyvalue.js';

export type SettingType = 'str' | 'int' | 'bool' | 'dict' | 'list' | 'bytes';
export type LinotpVersion = '3.0' | '3.1' | '3.2' | '3.3' | '3.4';
export const LINOTP_VERSIONS: LinotpVersion[] = ['3.0', '3.1', '3.2', '3.3', '3.4'];

export type Validator =
  | { kind: 'absolutePath' }
  | { kind: 'intMin'; min: number }
  | { kind: 'oneOf'; values: string[] }
  | { kind: 'pkcs11Config' };

export interface SettingItem {
  name: string;
  type: SettingType;
  /** The schema default (ROOT_DIR's real default is the app root, set at start-up). */
  default: PyValue;
  validate?: Validator;
  /** `TRUSTED_PROXIES`: an empty string converts to [] instead of ['']. */
  emptyListWhenEmpty?: boolean;
  description: string;
  /** LinOTP versions whose schema has this name. */
  versions: LinotpVersion[];
  /** Name that replaces it in later versions. */
  renamedTo?: string;
  /** Defaults that differ in older versions. */
  defaultIn?: Partial<Record<LinotpVersion, PyValue>>;
}

export const LOG_LEVELS = ['CRITICAL', 'ERROR', 'WARNING', 'INFO', 'DEBUG'];
const level: Validator = { kind: 'oneOf', values: LOG_LEVELS };
const min0: Validator = { kind: 'intMin', min: 0 };
const ALL: LinotpVersion[] = LINOTP_VERSIONS;
const from = (v: LinotpVersion) => LINOTP_VERSIONS.slice(LINOTP_VERSIONS.indexOf(v));
const upTo = (v: LinotpVersion) => LINOTP_VERSIONS.slice(0, LINOTP_VERSIONS.indexOf(v) + 1);
const LOG_LINE = '%(asctime)s %(levelname)s: %(message)s [in %(pathname)s:%(lineno)d]';

function item(name: string, type: SettingType, dflt: PyValue, description: string, extra: Partial<SettingItem> = {}): SettingItem {
  return { name, type, default: dflt, description, versions: ALL, ...extra };
}

export const SETTINGS: SettingItem[] = [
  item('ROOT_DIR', 'str', '', 'Directory that relative *_DIR/*_FILE values are resolved against (default: the app root; Debian: /etc/linotp).', { validate: { kind: 'absolutePath' } }),
  item('BACKUP_DIR', 'str', 'backup', 'Directory for backup files (linotp backup, audit cleanup --export).'),
  item('BACKUP_FILE_TIME_FORMAT', 'str', '%Y-%m-%d_%H-%M', 'strftime format of the time stamp in backup file names.'),
  item('CACHE_DIR', 'str', 'cache', 'Directory for caches (resolvers, beaker); must exist.'),
  item('DATA_DIR', 'str', 'data', 'Directory for transient runtime data (Mako template cache); must exist.', { versions: upTo('3.2') }),
  item('CONTROLLERS', 'str', 'admin audit auth gettoken maintenance manage monitoring reporting selfservice system tools userservice validate',
    'Space-separated enabled controllers, name[:url_prefix].', { versions: upTo('3.2'), renamedTo: 'ENABLE_CONTROLLERS' }),
  item('ENABLE_CONTROLLERS', 'str', 'ALL', 'Space-separated controllers to enable (ALL = all available); name[:/prefix].', { versions: from('3.3') }),
  item('DISABLE_CONTROLLERS', 'str', 'gettoken', 'Space-separated controllers to disable; beats ENABLE_CONTROLLERS.', { versions: from('3.3') }),
  item('TOKEN_MODULES', 'str', '', 'Space-separated token modules to load (empty = all).'),
  item('ADMIN_USERNAME', 'str', '', "Administrator user name for 'cloud mode'."),
  item('ADMIN_PASSWORD', 'str', '', "Administrator password for 'cloud mode'."),
  item('SESSION_COOKIE_SECURE', 'bool', true, 'Mark the session cookie secure (HTTPS only).'),
  item('LOGFILE_DIR', 'str', 'logs', 'Directory for log files; must exist.', { versions: upTo('3.1'), renamedTo: 'LOG_FILE_DIR' }),
  item('LOGFILE_NAME', 'str', 'linotp.log', 'Name of the main log file.', { versions: upTo('3.1'), renamedTo: 'LOG_FILE_NAME' }),
  item('LOGFILE_FILE_LINE_FORMAT', 'str', LOG_LINE, 'Log line format.', { versions: upTo('3.1'), renamedTo: 'LOG_FILE_LINE_FORMAT' }),
  item('LOGFILE_MAX_LENGTH', 'int', 10485760, 'Rotate the log file at this size (bytes).', { versions: upTo('3.1'), validate: min0, renamedTo: 'LOG_FILE_MAX_LENGTH' }),
  item('LOGFILE_MAX_VERSIONS', 'int', 10, 'Number of rotated log files kept.', { versions: upTo('3.1'), validate: min0, renamedTo: 'LOG_FILE_MAX_VERSIONS' }),
  item('LOGGING_LEVEL', 'str', 'WARNING', 'Minimum level logged (deprecated since 3.3: LOG_LEVEL).', { validate: level, defaultIn: { '3.0': 'INFO', '3.1': 'INFO', '3.2': 'INFO' } }),
  item('SQLALCHEMY_LOGGING_LEVEL', 'str', 'WARNING', 'Minimum level of SQLAlchemy messages.', { versions: upTo('3.1'), validate: level, renamedTo: 'LOGGING_SQLALCHEMY_LEVEL' }),
  item('LOGGING_SQLALCHEMY_LEVEL', 'str', 'WARNING', 'Minimum level of SQLAlchemy messages.', { versions: ['3.2'], validate: level, renamedTo: 'LOG_LEVEL_DB_CLIENT' }),
  item('LOGGING_FILE_LEVEL', 'str', 'WARNING', 'Minimum level written to the log file.', { versions: upTo('3.2'), validate: level, renamedTo: 'LOG_FILE_LEVEL' }),
  item('LOGGING_CONSOLE_LEVEL', 'str', 'WARNING', 'Minimum level written to the console.', { versions: upTo('3.2'), validate: level, renamedTo: 'LOG_CONSOLE_LEVEL' }),
  item('LOGGING', 'dict', null, 'Complete logging.dictConfig dictionary replacing the built-in setup.', { versions: upTo('3.2'), renamedTo: 'LOG_CONFIG' }),
  item('LOG_LEVEL', 'str', 'WARNING', 'Minimum level logged.', { versions: from('3.3'), validate: level }),
  item('LOG_CONSOLE_LEVEL', 'str', 'DEBUG', 'Minimum level written to the console (after LOG_LEVEL).', { versions: from('3.3'), validate: level }),
  item('LOG_CONSOLE_LINE_FORMAT', 'str', '%(levelname)s: %(message)s [in %(pathname)s:%(lineno)d]', 'Console log line format.', { versions: from('3.2') }),
  item('LOG_FILE_LEVEL', 'str', 'DEBUG', 'Minimum level written to the log file (after LOG_LEVEL).', { versions: from('3.3'), validate: level }),
  item('LOG_FILE_DIR', 'str', 'logs', 'Directory for log files; must exist.', { versions: from('3.2') }),
  item('LOG_FILE_NAME', 'str', 'linotp.log', 'Name of the main log file.', { versions: from('3.2') }),
  item('LOG_FILE_LINE_FORMAT', 'str', LOG_LINE, 'Log file line format.', { versions: from('3.2') }),
  item('LOG_FILE_MAX_LENGTH', 'int', 10485760, 'Rotate the log file at this size (bytes).', { versions: from('3.2'), validate: min0 }),
  item('LOG_FILE_MAX_VERSIONS', 'int', 10, 'Number of rotated log files kept.', { versions: from('3.2'), validate: min0 }),
  item('LOG_LEVEL_DB_CLIENT', 'str', 'WARNING', 'Minimum level of SQLAlchemy messages.', { versions: from('3.3'), validate: level }),
  item('LOG_CONFIG', 'dict', null, 'Complete logging.dictConfig dictionary replacing the built-in setup.', { versions: from('3.3') }),
  item('BEAKER_CACHE_TYPE', 'str', 'memory', 'Beaker cache type (file: in CACHE_DIR/beaker).', { validate: { kind: 'oneOf', values: ['memory', 'file'] } }),
  item('SECRET_FILE', 'str', 'encKey', 'The encryption key file (encKey, 96 bytes).'),
  item('DATABASE_URI', 'str', 'sqlite:///{}', 'SQLAlchemy URL of the LinOTP database.'),
  item('SQLALCHEMY_TRACK_MODIFICATIONS', 'bool', false, 'SQLAlchemy modification signalling (unused by LinOTP).'),
  item('AUDIT_DATABASE_URI', 'str', 'SHARED', "Audit trail: 'OFF', 'SHARED' (main database) or an SQLAlchemy URL."),
  item('AUDIT_ERROR_ON_TRUNCATION', 'bool', false, 'Treat truncated audit data as an error.'),
  item('AUDIT_PUBLIC_KEY_FILE', 'str', 'audit-public.pem', 'Public key for audit signatures.'),
  item('AUDIT_PRIVATE_KEY_FILE', 'str', 'audit-private.pem', 'Private key for audit signatures.'),
  item('AUDIT_POOL_RECYCLE', 'int', 3600, 'Connection recycle time of the audit database pool (s).', { versions: ['3.0'], validate: min0 }),
  item('CUSTOM_TEMPLATES_DIR', 'str', null, 'Directory with additional Mako templates.'),
  item('MAKO_TRANSLATE_EXCEPTIONS', 'bool', false, 'Let Mako translate exceptions.'),
  item('MAKO_DEFAULT_FILTERS', 'list', ['h'], 'Mako default filters (comma-separated in the environment).'),
  item('BABEL_TRANSLATION_DIRECTORIES', 'str', 'i18n', 'Semicolon-separated directories with *.mo files (relative ones below ROOT_DIR).'),
  item('BABEL_DOMAIN', 'str', 'linotp', 'Message catalog name.'),
  item('HELP_URL', 'str', 'https://linotp.org/doc/{0}/index.html', 'Online help URL ({0} = major version).'),
  item('SITE_ROOT_REDIRECT', 'str', '', 'Where "/" redirects to (default: selfservice).'),
  item('TRUSTED_PROXIES', 'list', [], 'Comma-separated proxies trusted for X-Forwarded-For.', { versions: ['3.4'], emptyListWhenEmpty: true }),
  item('GET_CLIENT_ADDRESS_FROM_POST_DATA', 'bool', true, 'Accept the deprecated client= POST parameter.', { versions: ['3.4'] }),
  item('GETOTP_ENABLED', 'bool', false, 'Allow retrieving OTP values (3.1+: DB config linotpGetotp.active).', { versions: ['3.0'] }),
  item('MAINTENANCE_VERIFY_CLIENT_ENV_VAR', 'str', '', 'Environment variable a client certificate must set for /maintenance (e.g. SSL_CLIENT_S_DN_CN).'),
  item('RADIUS_NAS_IDENTIFIER', 'str', 'LinOTP', 'RADIUS NAS-Identifier for outgoing requests.'),
  item('TLS_CA_CERTIFICATES_FILE', 'str', '/etc/ssl/certs/ca-certificates.crt', 'CA bundle for verifying remote TLS certificates.'),
  item('JWT_TOKEN_LOCATION', 'str', 'cookies', 'Where JWTs travel in requests.', { versions: from('3.2') }),
  item('JWT_SESSION_COOKIE', 'bool', false, 'JWT cookies are session cookies.', { versions: from('3.2') }),
  item('JWT_ACCESS_TOKEN_EXPIRES', 'int', 1800, 'JWT lifetime (s).', { versions: from('3.2'), validate: min0, defaultIn: { '3.2': 900, '3.3': 900 } }),
  item('JWT_ACCESS_TOKEN_REFRESH', 'int', 300, 'Refresh JWTs this many seconds before expiry.', { versions: from('3.2'), validate: min0 }),
  item('JWT_SECRET_KEY', 'bytes', null, 'JWT secret (hex); default derived from SECRET_FILE.', { versions: ['3.2'] }),
  item('JWT_SECRET_SALT', 'bytes', null, 'Salt for deriving the JWT secret (hex).', { versions: ['3.2'] }),
  item('JWT_SECRET_ITERATIONS', 'int', 500000, 'PBKDF2 iterations for the JWT secret.', { versions: from('3.2'), validate: { kind: 'intMin', min: 1 } }),
  item('JWT_CSRF_CHECK_FORM', 'bool', true, 'Check the CSRF token in form data too.', { versions: from('3.2') }),
  item('JWT_BLACKLIST_ENABLED', 'bool', true, 'Check JWTs against the block list.', { versions: from('3.3') }),
  item('ADMIN_REALM_NAME', 'str', 'linotp_admins', 'Realm holding the administrators.', { versions: from('3.2') }),
  item('ADMIN_RESOLVER_NAME', 'str', 'LinOTP_local_admins', 'Resolver of the local administrators (linotp local-admins).', { versions: from('3.2') }),
  item('ACTIVE_SECURITY_MODULE', 'str', 'default', "Security module: 'default' (encKey file) or 'pkcs11' (HSM)."),
  item('HSM_DEFAULT_CONFIG', 'dict', new PyDict([['module', 'linotp.lib.security.default.DefaultSecurityModule'], ['tokenHandle', 2],
    ['configHandle', 1], ['valueHandle', 3], ['defaultHandle', 0], ['poolsize', 20], ['crypted', 'FALSE']]), 'Default security module configuration (file = SECRET_FILE).'),
  item('HSM_PKCS11_CONFIG', 'dict', new PyDict([['module', 'linotp.lib.security.pkcs11.Pkcs11SecurityModule'], ['library', 'libCryptoki2_64.so'],
    ['password', '<your password>'], ['slotid', 0], ['configLabel', ''], ['tokenLabel', ''], ['valueLabel', ''], ['defaultLabel', 'default'],
    ['configHandle', null], ['tokenHandle', null], ['valueHandle', null], ['defaultHandle', null], ['poolsize', 10]]),
  'PKCS#11 HSM configuration.', { validate: { kind: 'pkcs11Config' } }),
  item('PROFILE', 'bool', false, 'WSGI profiling (developers only).'),
];

const BY_NAME = new Map(SETTINGS.map((s) => [s.name, s]));

/** The schema item of a name in a LinOTP version (default 3.4), or undefined. */
export function findSetting(name: string, version: LinotpVersion = '3.4'): SettingItem | undefined {
  const s = BY_NAME.get(name);
  return s && s.versions.includes(version) ? s : undefined;
}

/** All items of one version, in schema order. */
export function settingsFor(version: LinotpVersion = '3.4'): SettingItem[] {
  return SETTINGS.filter((s) => s.versions.includes(version));
}

export function defaultFor(s: SettingItem, version: LinotpVersion = '3.4'): PyValue {
  return s.defaultIn && version in s.defaultIn ? (s.defaultIn[version] as PyValue) : s.default;
}

/** A conversion or validation failure; the caller adds where the value came from. */
export class SettingValueError extends Error {}

/** The whitespace Python's int() skips (str.isspace() minus \x1c-\x1f, checked against python3). */
const PY_WS = /^[\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+|[\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+$/g;

/** Python int(s) for base 10: surrounding whitespace, sign, `_` between digits, any Unicode decimal digits. */
export function pyInt(s: string): number | bigint {
  const t = s.replace(PY_WS, '');
  const m = /^([+-]?)((?:\p{Nd}(?:_?\p{Nd})*))$/u.exec(t);
  if (!m) throw new SettingValueError(`invalid literal for int(): ${JSON.stringify(s)}`);
  let n = 0n;
  for (const ch of m[2].replace(/_/g, '')) n = n * 10n + BigInt(digitValue(ch));
  if (m[1] === '-') n = -n;
  return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
}

/** Unicode encodes every decimal digit set as a contiguous 0–9 run, so the value is the position in the run. */
function digitValue(ch: string): number {
  let cp = ch.codePointAt(0)!;
  if (cp >= 0x30 && cp <= 0x39) return cp - 0x30;
  let k = 0;
  while (/\p{Nd}/u.test(String.fromCodePoint(cp - 1))) {
    cp--;
    k++;
  }
  return k % 10;
}

/** LinOTP 3.4 `to_boolean` on a string: true/yes/1, false/no/0, case-insensitive (since 3.3; 3.0–3.2 knew only true/yes/false/no). */
export function toBoolean(s: string, version: LinotpVersion = '3.4'): boolean {
  const v = s.toLowerCase();
  const numeric = version === '3.3' || version === '3.4';
  if (v === 'true' || v === 'yes' || (numeric && v === '1')) return true;
  if (v === 'false' || v === 'no' || (numeric && v === '0')) return false;
  throw new SettingValueError(`unable to convert ${JSON.stringify(s)} to a boolean (use true/false or yes/no)`);
}

/** JSON (json.loads) into Python-like values: objects become PyDicts, non-integral numbers PyFloats. */
export function fromJson(s: string): PyValue {
  let parsed: unknown;
  try {
    parsed = JSON.parse(s);
  } catch (err) {
    throw new SettingValueError(`not valid JSON: ${(err as Error).message}`);
  }
  const conv = (v: unknown): PyValue => {
    if (Array.isArray(v)) return v.map(conv);
    if (v !== null && typeof v === 'object') return new PyDict(Object.entries(v).map(([k, x]) => [k, conv(x)]));
    if (typeof v === 'number' && !Number.isSafeInteger(v)) return new PyFloat(v);
    return v as PyValue;
  };
  return conv(parsed);
}

/** `check_item`: convert and validate a value assigned to a schema item (from a .cfg or the environment). */
export function checkItem(s: SettingItem, value: PyValue, version: LinotpVersion = '3.4'): PyValue {
  if (s.name.endsWith('_DIR') || s.name.endsWith('_FILE')) value = pyStr(value);
  if (s.type !== 'str' && typeof value === 'string') value = convertString(s, value, version);
  if (s.validate) validate(s, value);
  return value;
}

function convertString(s: SettingItem, v: string, version: LinotpVersion): PyValue {
  switch (s.type) {
    case 'bool':
      return toBoolean(v, version);
    case 'int':
      return pyInt(v);
    case 'dict':
      return fromJson(v);
    case 'list':
      return s.emptyListWhenEmpty && v === '' ? [] : v.split(',');
    case 'bytes':
      if (!/^(?:[0-9a-fA-F]{2}|\s)*$/.test(v)) throw new SettingValueError('expected hexadecimal digits');
      return v;
    default:
      return v;
  }
}

function validate(s: SettingItem, value: PyValue): void {
  const v = s.validate!;
  if (v.kind === 'absolutePath') {
    if (typeof value !== 'string' || !value.startsWith('/')) throw new SettingValueError(`${s.name} must be an absolute path, not ${JSON.stringify(value)}`);
  } else if (v.kind === 'oneOf') {
    if (typeof value !== 'string' || !v.values.includes(value)) {
      throw new SettingValueError(`${s.name} is ${JSON.stringify(value)} but must be one of ${v.values.join(', ')} (exact spelling)`);
    }
  } else if (v.kind === 'intMin') {
    let n: number | bigint;
    if (typeof value === 'boolean') n = value ? 1 : 0;
    else if (typeof value === 'number' || typeof value === 'bigint') n = value;
    else if (value instanceof PyFloat && Number.isFinite(value.value)) n = Math.trunc(value.value);
    else if (typeof value === 'string') n = pyInt(value);
    else throw new SettingValueError(`${s.name} must be an integer`);
    if (n < v.min) throw new SettingValueError(`${s.name} is ${n} but must be at least ${v.min}`);
  } else {
    checkPkcs11(s.name, value);
  }
}

/** The JSON schema of LinOTP's Pkcs11SecurityModule: required keys and their types. */
function checkPkcs11(name: string, value: PyValue): void {
  if (!(value instanceof PyDict)) throw new SettingValueError(`${name} must be a dict`);
  const map = new Map(value.entries.filter(([k]) => typeof k === 'string') as [string, PyValue][]);
  for (const k of ['module', 'library', 'password', 'slotid', 'defaultLabel']) {
    if (!map.has(k)) throw new SettingValueError(`${name} lacks the required key '${k}'`);
  }
  const isNum = (x: PyValue | undefined) => typeof x === 'number' || typeof x === 'bigint' || x instanceof PyFloat;
  for (const [k, x] of map) {
    const ok = ['module', 'library', 'password', 'configLabel', 'tokenLabel', 'valueLabel', 'defaultLabel'].includes(k)
      ? typeof x === 'string'
      : ['slotid', 'poolsize'].includes(k)
        ? isNum(x)
        : k.endsWith('Handle')
          ? isNum(x) || x === null
          : true;
    if (!ok) throw new SettingValueError(`${name}: '${k}' has the wrong type`);
  }
}
