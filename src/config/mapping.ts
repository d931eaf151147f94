/**
 * The LinOTP 2 ini → LinOTP 3 settings mapping as data. One source for the converter
 * (src/config/convert.ts), `config convert --help` and docs/config.md, so they cannot disagree.
 * Facts: linotp-config.md §3 (mapping), §2.4 (names per version), §6 (logging), and the removed
 * settings of the LinOTP 3 migration guide §3.9.1.
 *
 * A rule matches an ini key exactly or, with a trailing `*`, by prefix; the first match wins.
 * `kind` selects the converter step; `to` names the LinOTP 3 setting(s) for the docs.
 */
import type { LinotpVersion } from '../settings/schema.js';

export type RuleKind =
  | 'database' // sqlalchemy.url → DATABASE_URI
  | 'secret' // linotpSecretFile → SECRET_FILE
  | 'audit' // linotpAudit.type / .sql.url → AUDIT_DATABASE_URI
  | 'auditKey' // linotpAudit.key.* → AUDIT_*_KEY_FILE
  | 'setting' // a plain rename with a value conversion
  | 'controllers' // service.* and linotp.tools → controller settings
  | 'getotp' // linotpGetotp.active / service.getotp
  | 'tokenModules' // linotpTokenModules → TOKEN_MODULES
  | 'drop' // no LinOTP 3 equivalent
  | 'attention'; // cannot be decided automatically

export interface MappingRule {
  key: string;
  kind: RuleKind;
  /** LinOTP 3 setting per version (the newest entry ≤ the target applies), for kind `setting`. */
  target?: Partial<Record<LinotpVersion, string | null>>;
  /** How the value converts, for kind `setting`. */
  valueType?: 'str' | 'bool' | 'int' | 'path';
  /** Text for the docs' "LinOTP 3" column. */
  to: string;
  /** Why / how (shown in the report and the docs). */
  reason: string;
}

const DB_SEED = 'database seed: LinOTP 2 copied it into the Config table on first start; the value lives in the database now';
const PYLONS = 'Pylons/Paste only; LinOTP 3 is a Flask WSGI app';
const SERVER = 'no built-in server in LinOTP 3: configure host, port and TLS in Apache/uWSGI/gunicorn';
const CANNOT_SET = 'LinOTP 3 cannot set it: only UPPERCASE schema names are read from .cfg files';

export const MAPPING: MappingRule[] = [
  { key: 'sqlalchemy.url', kind: 'database', to: 'DATABASE_URI', reason: 'scheme as LinOTP 3 uses it (mysql+mysqldb, postgresql), %(here)s expanded, user and password percent-encoded' },
  { key: 'linotpSecretFile', kind: 'secret', to: 'SECRET_FILE', reason: 'absolute path of the same encKey (after --rebase); never lose this key' },
  { key: 'linotpAudit.type', kind: 'audit', to: 'AUDIT_DATABASE_URI', reason: "unset → 'OFF' (LinOTP 2 had no audit); SQLAudit into the main database → 'SHARED'; another database → its URL" },
  { key: 'linotpAudit.sql.url', kind: 'audit', to: 'AUDIT_DATABASE_URI', reason: "'SHARED' when it is the main database, else the converted URL; ignored without linotpAudit.type" },
  { key: 'linotpAudit.key.private', kind: 'auditKey', target: { '3.0': 'AUDIT_PRIVATE_KEY_FILE' }, to: 'AUDIT_PRIVATE_KEY_FILE', reason: "absolute path; private.pem becomes audit-private.pem when --rebase moves it (Debian's upgrade renames it)" },
  { key: 'linotpAudit.key.public', kind: 'auditKey', target: { '3.0': 'AUDIT_PUBLIC_KEY_FILE' }, to: 'AUDIT_PUBLIC_KEY_FILE', reason: "absolute path; public.pem becomes audit-public.pem when --rebase moves it (Debian regenerates it)" },
  { key: 'linotpAudit.error_on_truncation', kind: 'setting', valueType: 'bool', target: { '3.0': 'AUDIT_ERROR_ON_TRUNCATION' }, to: 'AUDIT_ERROR_ON_TRUNCATION', reason: "True only for the exact string 'True' (LinOTP 2 compared strings)" },
  { key: 'linotpAudit.sql.pool_recyle', kind: 'setting', valueType: 'int', target: { '3.0': 'AUDIT_POOL_RECYCLE', '3.1': null }, to: 'AUDIT_POOL_RECYCLE (3.0 only)', reason: 'removed in LinOTP 3.1' },
  { key: 'linotpAudit.sql.highwatermark', kind: 'drop', to: '—', reason: 'now a command option: linotp audit cleanup --max-entries-to-keep (3.0–3.3: --max)' },
  { key: 'linotpAudit.sql.lowwatermark', kind: 'drop', to: '—', reason: 'now a command option: linotp audit cleanup --cleanup-threshold (3.0–3.3: --min)' },
  { key: 'linotpAudit.sql.table_prefix', kind: 'attention', to: '—', reason: "LinOTP 3 has no audit table prefix: rename the table <prefix>audit to 'audit' or old entries are not seen" },
  { key: 'linotpAudit.*', kind: 'drop', to: '—', reason: 'not read by LinOTP 3' },
  { key: 'service.*', kind: 'controllers', to: 'CONTROLLERS (≤3.2); ENABLE_CONTROLLERS/DISABLE_CONTROLLERS (3.3+)', reason: "[app:main] only; enabled only by the exact string 'True'; ocra/openid were removed in 3.0, helpdesk/testing in 3.2" },
  { key: 'linotp.tools', kind: 'controllers', to: 'tools controller', reason: "[DEFAULT] only; enabled unless set to something other than 'True'" },
  { key: 'linotpGetotp.active', kind: 'getotp', to: 'GETOTP_ENABLED (3.0); gettoken controller + database config (3.1+)', reason: "[DEFAULT] only; from 3.1 on the switch is the database config entry linotpGetotp.active" },
  { key: 'linotpTokenModules', kind: 'tokenModules', to: 'TOKEN_MODULES', reason: 'split on commas and lines, joined with spaces; OCRA and Vasco tokens were removed in 3.0' },
  { key: 'linotp.maintenance_verify_client_env_var', kind: 'setting', valueType: 'str', target: { '3.0': 'MAINTENANCE_VERIFY_CLIENT_ENV_VAR' }, to: 'MAINTENANCE_VERIFY_CLIENT_ENV_VAR', reason: 'string' },
  { key: 'radius.nas_identifier', kind: 'setting', valueType: 'str', target: { '3.0': 'RADIUS_NAS_IDENTIFIER' }, to: 'RADIUS_NAS_IDENTIFIER', reason: 'string' },
  { key: 'linotpHelp.url', kind: 'setting', valueType: 'str', target: { '3.0': 'HELP_URL' }, to: 'HELP_URL', reason: 'string ({0} = major version)' },
  { key: 'custom_templates', kind: 'setting', valueType: 'path', target: { '3.0': 'CUSTOM_TEMPLATES_DIR' }, to: 'CUSTOM_TEMPLATES_DIR', reason: 'absolute path (after --rebase), trailing / removed' },
  { key: 'beaker.cache.type', kind: 'setting', valueType: 'str', target: { '3.0': 'BEAKER_CACHE_TYPE' }, to: 'BEAKER_CACHE_TYPE', reason: "only 'memory' and 'file' exist in LinOTP 3" },
  { key: 'cache_dir', kind: 'drop', to: '(CACHE_DIR stays the distribution default)', reason: 'LinOTP 3 keeps caches in CACHE_DIR (Debian: /var/cache/linotp), which must exist; Debian deletes the old data directory' },
  { key: 'beaker.*', kind: 'drop', to: '—', reason: 'the Beaker cache location is fixed to CACHE_DIR/beaker; sessions are not Beaker sessions any more' },
  { key: 'sqlalchemy.*', kind: 'drop', to: '—', reason: 'no LinOTP 3 setting; Flask-SQLAlchemy builds the engine' },
  { key: 'linotpActiveSecurityModule', kind: 'attention', to: 'ACTIVE_SECURITY_MODULE', reason: "HSM: set ACTIVE_SECURITY_MODULE = 'pkcs11' and HSM_PKCS11_CONFIG = {module, library, password, slotid, defaultLabel, …} by hand ('default' needs nothing)" },
  { key: 'linotpSecurity.*', kind: 'attention', to: 'HSM_DEFAULT_CONFIG / HSM_PKCS11_CONFIG', reason: 'HSM settings: write them into HSM_PKCS11_CONFIG (slotid and *Handle as numbers) and test with the HSM' },
  { key: 'linotpOpenID.*', kind: 'drop', to: '—', reason: 'OpenID was removed in LinOTP 3.0' },
  { key: 'linotpImport.vasco_dll', kind: 'drop', to: '—', reason: 'Vasco tokens were removed in LinOTP 3.0' },
  { key: 'linotp.uencode_data', kind: 'drop', to: '—', reason: CANNOT_SET },
  { key: 'linotp.imprint_directory', kind: 'drop', to: '—', reason: CANNOT_SET },
  { key: 'linotp.selfTest', kind: 'drop', to: '—', reason: 'test only' },
  { key: 'linotp.*', kind: 'drop', to: '—', reason: DB_SEED },
  { key: 'enclinotp.*', kind: 'drop', to: '—', reason: DB_SEED },
  { key: 'linotpSQL.implicit_returning', kind: 'drop', to: '—', reason: CANNOT_SET },
  { key: 'oracle.sql.column_prefix', kind: 'drop', to: '—', reason: CANNOT_SET },
  { key: 'linotpPolicy.*', kind: 'drop', to: '—', reason: CANNOT_SET },
  { key: 'linotpNoSessionCheck', kind: 'drop', to: '—', reason: 'removed setting (migration guide)' },
  { key: 'linotpManual.*', kind: 'drop', to: '—', reason: CANNOT_SET },
  { key: 'linotpLicenseFile', kind: 'drop', to: '—', reason: CANNOT_SET },
  { key: 'licfile', kind: 'drop', to: '—', reason: 'removed setting (migration guide)' },
  { key: 'mobile_app_protocol_id', kind: 'drop', to: '—', reason: CANNOT_SET },
  { key: 'linotpadmin.*', kind: 'drop', to: '—', reason: 'Apache digest admins are replaced by LinOTP 3 local admins (linotp-migrate local-admins)' },
  { key: 'radius.dictfile', kind: 'drop', to: '—', reason: 'LinOTP 3 always uses its packaged RADIUS dictionary' },
  { key: 'profile', kind: 'drop', to: '(PROFILE)', reason: 'developer profiling; leave off in production' },
  { key: 'debug', kind: 'drop', to: '—', reason: 'Pylons debug mode; never in production' },
  { key: 'set debug', kind: 'drop', to: '—', reason: 'Pylons debug mode; never in production' },
  { key: 'unitTest', kind: 'drop', to: '—', reason: 'test only' },
  { key: 'email_to', kind: 'drop', to: '—', reason: `error mails: ${PYLONS}` },
  { key: 'smtp_server', kind: 'drop', to: '—', reason: `error mails: ${PYLONS}` },
  { key: 'error_email_from', kind: 'drop', to: '—', reason: `error mails: ${PYLONS}` },
  { key: 'email_error_from', kind: 'drop', to: '—', reason: `error mails: ${PYLONS}` },
  { key: 'use', kind: 'drop', to: '—', reason: PYLONS },
  { key: 'full_stack', kind: 'drop', to: '—', reason: PYLONS },
  { key: 'static_files', kind: 'drop', to: '—', reason: PYLONS },
  { key: 'who.*', kind: 'drop', to: '—', reason: PYLONS },
  { key: 'alembic.*', kind: 'drop', to: '—', reason: 'the schema is upgraded by linotp init database / linotp-migrate init database' },
  { key: 'host', kind: 'drop', to: '—', reason: SERVER },
  { key: 'port', kind: 'drop', to: '—', reason: SERVER },
  { key: 'ssl_pem', kind: 'drop', to: '—', reason: SERVER },
  { key: 'here', kind: 'drop', to: '—', reason: 'the %(here)s interpolation variable' },
  { key: '__file__', kind: 'drop', to: '—', reason: 'the %(__file__)s interpolation variable' },
  { key: 'selfservice.auth_expiry', kind: 'drop', to: '—', reason: CANNOT_SET },
];

function matches(rule: MappingRule, key: string): boolean {
  return rule.key.endsWith('*') ? key.startsWith(rule.key.slice(0, -1)) : key === rule.key;
}

export function findRule(key: string): MappingRule | undefined {
  return MAPPING.find((r) => matches(r, key));
}

/** The setting a version-dependent target resolves to (null: not in that version). */
export function targetFor(t: Partial<Record<LinotpVersion, string | null>>, version: LinotpVersion): string | null {
  const versions: LinotpVersion[] = ['3.0', '3.1', '3.2', '3.3', '3.4'];
  let name: string | null = null;
  for (const v of versions.slice(0, versions.indexOf(version) + 1)) if (v in t) name = t[v] ?? null;
  return name;
}

/** Logging settings per target version (§6). `null`: the version has no such setting. */
export const LOG_NAMES: Record<string, Partial<Record<LinotpVersion, string | null>>> = {
  level: { '3.0': 'LOGGING_LEVEL', '3.3': 'LOG_LEVEL' },
  dbLevel: { '3.0': 'SQLALCHEMY_LOGGING_LEVEL', '3.2': 'LOGGING_SQLALCHEMY_LEVEL', '3.3': 'LOG_LEVEL_DB_CLIENT' },
  fileLevel: { '3.0': 'LOGGING_FILE_LEVEL', '3.3': 'LOG_FILE_LEVEL' },
  consoleLevel: { '3.0': 'LOGGING_CONSOLE_LEVEL', '3.3': 'LOG_CONSOLE_LEVEL' },
  fileDir: { '3.0': 'LOGFILE_DIR', '3.2': 'LOG_FILE_DIR' },
  fileName: { '3.0': 'LOGFILE_NAME', '3.2': 'LOG_FILE_NAME' },
  maxLength: { '3.0': 'LOGFILE_MAX_LENGTH', '3.2': 'LOG_FILE_MAX_LENGTH' },
  maxVersions: { '3.0': 'LOGFILE_MAX_VERSIONS', '3.2': 'LOG_FILE_MAX_VERSIONS' },
  fileFormat: { '3.0': 'LOGFILE_FILE_LINE_FORMAT', '3.2': 'LOG_FILE_LINE_FORMAT' },
  consoleFormat: { '3.0': null, '3.2': 'LOG_CONSOLE_LINE_FORMAT' },
  config: { '3.0': 'LOGGING', '3.3': 'LOG_CONFIG' },
};

/** Rows for the logging sections, for the docs (the converter handles them in src/config/logging.ts). */
export const LOGGING_DOC: { key: string; to: string; reason: string }[] = [
  { key: '[logger_root] level (or [logger_*] with qualname = linotp)', to: 'LOGGING_LEVEL (≤3.2) / LOG_LEVEL (3.3+)', reason: 'WARN → WARNING, FATAL → CRITICAL, NOTSET → DEBUG, upper case' },
  { key: '[logger_*] qualname = sqlalchemy.engine: level', to: 'SQLALCHEMY_LOGGING_LEVEL (≤3.1) / LOGGING_SQLALCHEMY_LEVEL (3.2) / LOG_LEVEL_DB_CLIENT (3.3+)', reason: 'same level mapping' },
  { key: 'file handler level', to: 'LOGGING_FILE_LEVEL (≤3.2) / LOG_FILE_LEVEL (3.3+)', reason: 'no level = NOTSET → DEBUG' },
  { key: 'StreamHandler level', to: 'LOGGING_CONSOLE_LEVEL (≤3.2) / LOG_CONSOLE_LEVEL (3.3+)', reason: 'same level mapping' },
  { key: 'file handler args[0]', to: 'LOGFILE_DIR + LOGFILE_NAME (≤3.1) / LOG_FILE_DIR + LOG_FILE_NAME (3.2+)', reason: 'Python tuple literal after %(here)s; the directory must exist' },
  { key: 'RotatingFileHandler args[2], args[3]', to: 'LOG(FILE)_MAX_LENGTH, LOG(FILE)_MAX_VERSIONS', reason: 'a plain FileHandler becomes max length 0 (never rotate)' },
  { key: '[formatter_*] format (read raw)', to: 'LOGFILE_FILE_LINE_FORMAT (≤3.1) / LOG_FILE_LINE_FORMAT, LOG_CONSOLE_LINE_FORMAT (3.2+)', reason: 'of the formatter the file/console handler uses' },
  { key: 'datefmt, formatter class, other handlers and loggers', to: 'LOGGING (≤3.2) / LOG_CONFIG (3.3+)', reason: 'needs attention: only a complete dictConfig can express them' },
];
