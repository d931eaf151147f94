/**
 * Which actions each LinOTP controller routes — facts read from LinOTP's public source:
 * branch-v3.4 linotp/controllers/*.py (every class-level method not starting with `_` is routed by
 * ControllerMetaClass in base.py; AdminController adds JWTMixin's own `_url_methods` login/logout;
 * auth's `challenge_response` also answers as `challenge-response`), and branch-v2.12
 * linotpd/src/linotp/controllers/*.py (Pylons routed every public method as /{controller}/{action}).
 */

// Not listed, so not checked: selfservice (a controller rule covers it) and the /api/v2 controllers
// (auditlog, realms, resolvers, tokens), whose URLs carry names and serials where an action would be.
export const ACTIONS_34: Readonly<Record<string, readonly string[]>> = {
  admin: ['assign', 'check_serial', 'checkstatus', 'copyTokenPin', 'copyTokenUser', 'disable', 'enable', 'getSerialByOtp', 'getTokenOwner',
    'init', 'loadtokens', 'login', 'logout', 'losttoken', 'remove', 'reset', 'resync', 'set', 'setPin', 'setValidity', 'show', 'testresolver',
    'tokenrealm', 'totp_lookup', 'unassign', 'unpair', 'userlist'],
  audit: ['search'],
  auth: ['challenge_response', 'challenge-response', 'index', 'index3', 'ocra2', 'pushtoken', 'qrtoken'],
  error: ['document', 'img', 'style'],
  gettoken: ['getmultiotp', 'getotp'],
  maintenance: ['check_status', 'setLogLevel'],
  manage: ['audittrail', 'context', 'custom_style', 'help', 'index', 'login', 'policies', 'tokeninfo', 'tokentype', 'tokenview', 'tokenview_flexi',
    'userview', 'userview_flexi'],
  migrate: ['backup', 'restore'],
  monitoring: ['activeUsers', 'config', 'license', 'storageEncryption', 'tokens', 'userinfo'],
  reporting: ['delete_all', 'delete_before', 'maximum', 'period', 'show'],
  system: ['checkPolicy', 'delConfig', 'delPolicy', 'delProvider', 'delRealm', 'delResolver', 'getConfig', 'getDefaultRealm', 'getPolicy',
    'getPolicyDef', 'getProvider', 'getProviderDef', 'getRealms', 'getReportedStatuses', 'getResolver', 'getResolvers', 'getSupportInfo',
    'importPolicy', 'isSupportValid', 'policies_flexi', 'setConfig', 'setDefault', 'setDefaultProvider', 'setDefaultRealm', 'setPolicy',
    'setProvider', 'setRealm', 'setResolver', 'setSupport', 'setupSecurityModule', 'testProvider'],
  tools: ['import_users', 'migrate_resolver', 'setPassword'],
  u2f: ['valid_facets'],
  userservice: ['activateocratoken', 'assign', 'auth', 'context', 'delete', 'delete_cookie', 'disable', 'enable', 'enroll', 'finishocra2token',
    'getSerialByOtp', 'getmultiotp', 'history', 'login', 'logout', 'pre_context', 'reset', 'resync', 'set_cookie', 'setdescription', 'setmpin',
    'setpin', 'unassign', 'userinfo', 'usertokenlist', 'verify', 'webprovision'],
  validate: ['accept_transaction', 'check', 'check_s', 'check_status', 'check_t', 'check_yubikey', 'fail', 'ok', 'pair', 'reject_transaction',
    'samlcheck', 'simplecheck', 'smspin'],
};

/** Actions of controllers that still exist in 3.4 which LinOTP 2.12 had and 3.4 no longer routes. */
export const REMOVED_ACTIONS: Readonly<Record<string, readonly string[]>> = {
  admin: ['dropsession', 'getsession', 'parse_tokeninfo'],
  auth: ['ocra'],
  manage: ['logout'],
  userservice: ['finshocra2token', 'finshocratoken', 'load_form', 'token_call'],
  validate: ['check_url'],
};

/** Actions of the 2.12 controllers that 3.4 dropped entirely (only used to recognise their URLs). */
export const ACTIONS_212_ONLY: Readonly<Record<string, readonly string[]>> = {
  helpdesk: ['dropsession', 'enroll', 'getsession', 'setPin', 'tokens', 'users'],
  ocra: ['calculateOtp', 'check_t', 'checkstatus', 'getActivationCode', 'request'],
  openid: ['associate', 'check', 'check_authentication', 'checkid_setup', 'checkid_submit', 'custom_style', 'id', 'login', 'logout',
    'openidserver', 'status', 'yadis'],
  testing: ['autosms', 'http2sms'],
};

const sets = (t: Readonly<Record<string, readonly string[]>>) => new Map(Object.entries(t).map(([c, a]) => [c, new Set(a)]));
const ROUTED_34 = sets(ACTIONS_34);
const REMOVED = sets(REMOVED_ACTIONS);
const OLD_ONLY = sets(ACTIONS_212_ONLY);

/** 'routed' in 3.4, 'removed' (a 2.12 action 3.4 dropped), 'unknown' (neither), or 'unchecked' (no list for this controller). */
export function actionStatus(controller: string, action: string): 'routed' | 'removed' | 'unknown' | 'unchecked' {
  const routed = ROUTED_34.get(controller);
  if (!routed) return 'unchecked';
  if (routed.has(action)) return 'routed';
  return REMOVED.get(controller)?.has(action) ? 'removed' : 'unknown';
}

/** True when `controller/action` is an endpoint of LinOTP 2.12 or 3.4 (for prefix detection). */
export function isKnownAction(controller: string, action: string): boolean {
  return Boolean(ROUTED_34.get(controller)?.has(action) || REMOVED.get(controller)?.has(action) || OLD_ONLY.get(controller)?.has(action));
}
