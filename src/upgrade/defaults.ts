/**
 * The Config rows and the Realm row LinOTP 3.4's `linotp init database` inserts when they are
 * missing (branch-v3.4 `linotp/model/__init__.py` `set_defaults`, `create_admin_resolver`,
 * `create_admin_realm`; `linotp/model/config.py` `set_config`). Facts only; the values are data.
 *
 * LinOTP quirk kept on purpose: `set_defaults` decides "upgrade" with `Key == "Config"` (no
 * `linotp.` prefix), which never matches in 3.x. So 3.4 never writes the welcome_screen rows and
 * always (insert-if-missing) creates the admin resolver and realm. We reproduce that effective
 * behaviour, since it is what a real LinOTP 3.4 upgrade leaves behind.
 */

export interface ConfigDefault {
  key: string;
  value: string;
  type: string;
  description: string;
}

export const DEFAULT_ADMIN_RESOLVER_NAME = 'LinOTP_local_admins';
export const DEFAULT_ADMIN_REALM_NAME = 'linotp_admins';

/** `set_config(key, value, typ, description)` calls of set_defaults, keys with the `linotp.` prefix. */
const SET_DEFAULTS: [string, string, string, string][] = [
  ['DefaultMaxFailCount', '10', 'int', 'The default maximum count for unsuccessful logins'],
  ['DefaultCountWindow', '10', 'int', 'The default lookup window for tokens out of sync '],
  ['DefaultSyncWindow', '1000', 'int', 'The default lookup window for tokens out of sync '],
  ['DefaultChallengeValidityTime', '120', 'int', 'The default time, a challenge is regarded as valid.'],
  ['DefaultResetFailCount', 'True', 'bool', 'The default maximum count for unsucessful logins'],
  ['DefaultOtpLen', '6', 'int', 'The default len of the otp values'],
  ['QRTokenOtpLen', '8', 'int', 'The default len of the otp values'],
  ['QRChallengeValidityTime', '150', 'int', 'The default qrtoken time, a challenge is regarded as valid.'],
  ['QRMaxChallenges', '4', 'int', 'Maximum open QRToken challenges'],
  ['PushChallengeValidityTime', '150', 'int', 'The pushtoken default time, a challenge is regarded as valid.'],
  ['PushMaxChallenges', '4', 'int', 'Maximum open pushtoken challenges'],
  ['PrependPin', 'True', 'bool', 'is the pin prepended - most cases'],
  ['FailCounterIncOnFalsePin', 'True', 'bool', 'increment the FailCounter, if pin did not match'],
  ['SMSProvider', 'smsprovider.HttpSMSProvider.HttpSMSProvider', 'text', 'SMS Default Provider via HTTP'],
  ['SMSProviderTimeout', '300', 'int', 'Timeout until registration must be done'],
  ['SMSBlockingTimeout', '30', 'int', 'Delay until next challenge is created'],
  ['DefaultBlockingTimeout', '0', 'int', 'Delay until next challenge is created'],
  ['totp.timeStep', '30', 'int', 'Time stepping of the time based otp token '],
  ['totp.timeWindow', '300', 'int', 'Lookahead time window of the time based otp token '],
  ['totp.timeShift', '0', 'int', 'Shift between server and totp token'],
  ['AutoResyncTimeout', '240', 'int', 'Autosync timeout for an totp token'],
  ['EmailProvider', 'linotp.provider.emailprovider.SMTPEmailProvider', 'string', 'Default EmailProvider class'],
  ['EmailChallengeValidityTime', '600', 'int', 'Time that an e-mail token challenge stays valid (seconds)'],
  ['EmailBlockingTimeout', '120', 'int', 'Time during which no new e-mail is sent out'],
  ['OATHTokenSupport', 'False', 'bool', 'support for hmac token in oath format'],
  ['certificates.use_system_certificates', 'False', 'bool', 'use system certificate handling'],
  ['user_lookup_cache.enabled', 'False', 'bool', 'enable user loookup caching'],
  ['resolver_lookup_cache.enabled', 'False', 'bool', 'enable realm resolver caching'],
  ['user_lookup_cache.expiration', '64800', 'int', 'expiration of user caching entries'],
  ['resolver_lookup_cache.expiration', '64800', 'int', 'expiration of resolver caching entries'],
  ['policy_action_validation', 'True', 'bool', 'validate policy action values'],
];

export function setDefaultsRows(): ConfigDefault[] {
  return SET_DEFAULTS.map(([k, value, type, description]) => ({ key: `linotp.${k}`, value, type, description }));
}

/**
 * The managed admin resolver (an SQL resolver over imported_user). The Password is LinOTP's fixed
 * dummy, stored with Type `text` (never decrypted), so it must not be treated as a secret.
 */
export function adminResolverRows(resolver: string): ConfigDefault[] {
  const map = JSON.stringify(
    Object.fromEntries(['userid', 'username', 'phone', 'mobile', 'email', 'surname', 'givenname', 'password', 'groupid'].map((c) => [c, c])),
  ).replace(/","/g, '", "').replace(/":"/g, '": "');
  const rows: [string, string, string][] = [
    ['Connect', '', 'text'],
    ['conParams', '', 'text'],
    ['Database', '', 'text'],
    ['Driver', '', 'text'],
    ['Encoding', 'utf-8', 'text'],
    ['Limit', '1000', 'int'],
    ['Map', map, 'text'],
    ['Password', 'a31b6178b78637d5e4fa5fb5f19d5493:599e786159a3f544d1bb0d810830587d', 'text'],
    ['Port', '', 'text'],
    ['readonly', 'True', 'boolean'],
    ['Server', '', 'text'],
    ['Table', 'imported_user', 'text'],
    ['User', '', 'text'],
    ['Where', `groupid = '${resolver}'`, 'text'],
  ];
  return rows.map(([attr, value, type]) => ({ key: `linotp.sqlresolver.${attr}.${resolver}`, value, type, description: 'None' }));
}

/** The realm→resolver mapping row; the realm name is lower-cased as LinOTP does. */
export function adminRealmRow(realm: string, resolver: string): ConfigDefault {
  return {
    key: `linotp.useridresolver.group.${realm.toLowerCase()}`,
    value: `useridresolver.SQLIdResolver.IdResolver.${resolver}`,
    type: 'text',
    description: 'None',
  };
}

/** Everything `set_defaults` inserts into Config (3.4 effective behaviour, see the header). */
export function allDefaultRows(resolver: string, realm: string): ConfigDefault[] {
  return [...adminResolverRows(resolver), adminRealmRow(realm, resolver), ...setDefaultsRows()];
}
