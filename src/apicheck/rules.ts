/**
 * What LinOTP 3.4 does with each LinOTP 2 API call, as data: which endpoints accept only POST,
 * which method of an endpoint is deprecated since 3.2, which controllers are gone or off by
 * default. docs/api-check.md shows this table (test/apicheck/docs.test.ts keeps them equal).
 *
 * Sources (facts, checked against LinOTP's public source):
 * - POST-only: seed linotp3-migration-guide.txt §3.9.4, and `@methods(["POST"])` in
 *   branch-v3.4 linotp/controllers/*.py (which adds admin/testresolver, system/testProvider and
 *   admin/login, missing from the guide's list).
 * - Which actions exist at all: routes.ts.
 * - Deprecations: seed linotp-userservice-api.txt for userservice, `@deprecated_methods` in
 *   branch-v3.4 linotp/controllers/*.py for the rest (first present in branch-v3.2).
 * - Routing: branch-v3.4 linotp/controllers/base.py gives undecorated methods ("GET", "POST");
 *   Flask adds HEAD where GET is allowed and answers OPTIONS itself; anything else is 405.
 * - Controllers: branch-v3.4 linotp/app.py AVAILABLE_CONTROLLERS (no migrate, no u2f),
 *   settings.py DISABLE_CONTROLLERS default "gettoken"; helpdesk, ocra, openid and testing exist
 *   in branch-v2.12 only; debian/changelog 3.0-1 moves the legacy selfservice to /selfservice-legacy.
 */

import { actionStatus, REMOVED_ACTIONS } from './routes.js';

export type Verdict = 'rejected' | 'deprecated' | 'ok';
export const VERDICTS: readonly Verdict[] = ['rejected', 'deprecated', 'ok'];

export interface EndpointRule {
  /** `controller/action`, as LinOTP routes it (case-sensitive). */
  endpoint: string;
  /** Methods the LinOTP 3.4 route registers (HEAD follows GET, OPTIONS is always answered). */
  allowed: readonly string[];
  /** Methods still accepted but deprecated since 3.2. */
  deprecated: readonly string[];
  reason: string;
  source: string;
}

export interface ControllerRule {
  controller: string;
  verdict: Exclude<Verdict, 'ok'>;
  reason: string;
  source: string;
}

export const SEED_POST_ONLY = 'linotp3-migration-guide.txt §3.9.4 "API endpoints requiring POST requests"';
const POST_ONLY_REASON = 'LinOTP 3 accepts this endpoint only via HTTP POST (CSRF protection); GET and HEAD get 405';

const POST_ONLY_IN_GUIDE: Record<string, string[]> = {
  admin: ['assign', 'copyTokenPin', 'copyTokenUser', 'disable', 'enable', 'init', 'loadtokens', 'losttoken', 'remove', 'reset',
    'resync', 'set', 'setPin', 'setValidity', 'tokenrealm', 'unassign', 'unpair'],
  maintenance: ['setLogLevel'],
  migrate: ['backup', 'restore'],
  reporting: ['delete_all', 'delete_before'],
  system: ['delConfig', 'delPolicy', 'delProvider', 'delRealm', 'delResolver', 'importPolicy', 'setConfig', 'setDefault',
    'setDefaultProvider', 'setDefaultRealm', 'setPolicy', 'setProvider', 'setRealm', 'setResolver', 'setSupport', 'setupSecurityModule'],
  tools: ['import_users', 'migrate_resolver', 'setPassword'],
  userservice: ['activateocratoken', 'assign', 'delete', 'disable', 'enable', 'enroll', 'finishocra2token', 'reset', 'resync',
    'setdescription', 'setmpin', 'setpin', 'unassign', 'webprovision'],
};

/** POST-only in the 3.4 source but not in the guide's list. */
const POST_ONLY_SOURCE_ONLY: Record<string, string[]> = {
  admin: ['testresolver', 'login'], // login: JWTMixin in base.py (new in 3; LinOTP 2 had no admin/login)
  system: ['testProvider'],
};

const GET_DEPRECATED: Record<string, string[]> = {
  userservice: ['auth', 'login', 'verify'],
  validate: ['check', 'check_status', 'check_yubikey', 'samlcheck', 'check_t', 'accept_transaction', 'reject_transaction',
    'check_s', 'simplecheck', 'smspin', 'pair'],
};

const POST_DEPRECATED: Record<string, string[]> = {
  userservice: ['usertokenlist', 'userinfo', 'pre_context', 'context', 'getSerialByOtp', 'getmultiotp', 'history'],
  admin: ['getTokenOwner', 'show', 'getSerialByOtp', 'check_serial', 'userlist', 'totp_lookup', 'checkstatus'],
  audit: ['search'],
  maintenance: ['check_status'],
  manage: ['index', 'login', 'tokentype', 'policies', 'audittrail', 'tokenview', 'userview', 'custom_style', 'tokenview_flexi',
    'userview_flexi', 'tokeninfo', 'help'],
  monitoring: ['tokens', 'config', 'storageEncryption', 'license', 'userinfo', 'activeUsers'],
  reporting: ['maximum', 'period', 'show'],
  system: ['getConfig', 'getRealms', 'getResolvers', 'getResolver', 'getDefaultRealm', 'policies_flexi', 'getPolicyDef',
    'checkPolicy', 'getPolicy', 'getSupportInfo', 'isSupportValid', 'getProvider', 'getProviderDef', 'getReportedStatuses'],
};

const GET_DEPRECATED_REASON = 'deprecated since 3.2: HTTP GET (the call modifies data); LinOTP will accept only POST in the future';
const POST_DEPRECATED_REASON = 'deprecated since 3.2: HTTP POST (the call only reads data); LinOTP will accept only GET in the future';

function deprecationSource(controller: string): string {
  return controller === 'userservice'
    ? 'linotp-userservice-api.txt "Deprecated since version 3.2"'
    : `branch-v3.4 linotp/controllers/${controller}.py @deprecated_methods`;
}

function buildRules(): Map<string, EndpointRule> {
  const rules = new Map<string, EndpointRule>();
  for (const [c, actions] of Object.entries(POST_ONLY_IN_GUIDE)) {
    for (const a of actions) rules.set(`${c}/${a}`, { endpoint: `${c}/${a}`, allowed: ['POST'], deprecated: [], reason: POST_ONLY_REASON, source: SEED_POST_ONLY });
  }
  for (const [c, actions] of Object.entries(POST_ONLY_SOURCE_ONLY)) {
    for (const a of actions) {
      rules.set(`${c}/${a}`, {
        endpoint: `${c}/${a}`, allowed: ['POST'], deprecated: [], reason: POST_ONLY_REASON,
        source: `branch-v3.4 linotp/controllers/${c}.py @methods(["POST"]) (not in §3.9.4)`,
      });
    }
  }
  const addDeprecation = (table: Record<string, string[]>, method: string, reason: string) => {
    for (const [c, actions] of Object.entries(table)) {
      for (const a of actions) rules.set(`${c}/${a}`, { endpoint: `${c}/${a}`, allowed: ['GET', 'POST'], deprecated: [method], reason, source: deprecationSource(c) });
    }
  };
  addDeprecation(GET_DEPRECATED, 'GET', GET_DEPRECATED_REASON);
  addDeprecation(POST_DEPRECATED, 'POST', POST_DEPRECATED_REASON);
  rules.set('manage/context', {
    endpoint: 'manage/context', allowed: ['GET'], deprecated: [], reason: 'LinOTP 3 accepts this endpoint only via HTTP GET',
    source: 'branch-v3.4 linotp/controllers/manage.py @methods(["GET"])',
  });
  return rules;
}

export const ENDPOINT_RULES: ReadonlyMap<string, EndpointRule> = buildRules();

export const CONTROLLER_RULES: readonly ControllerRule[] = [
  ...['helpdesk', 'ocra', 'openid', 'testing'].map((controller): ControllerRule => ({
    controller, verdict: 'rejected', reason: 'this LinOTP 2 controller no longer exists in LinOTP 3 (404)',
    source: 'branch-v2.12 vs branch-v3.4 linotp/controllers/',
  })),
  {
    controller: 'gettoken', verdict: 'rejected', reason: 'disabled by default in LinOTP 3 (DISABLE_CONTROLLERS="gettoken"); enable it only if these clients need it',
    source: 'branch-v3.4 linotp/settings.py DISABLE_CONTROLLERS',
  },
  ...['migrate', 'u2f'].map((controller): ControllerRule => ({
    controller, verdict: 'rejected', reason: 'not enabled by default in LinOTP 3.4 (not in AVAILABLE_CONTROLLERS); add it to ENABLE_CONTROLLERS if these clients need it',
    source: 'branch-v3.4 linotp/app.py AVAILABLE_CONTROLLERS',
  })),
  {
    controller: 'selfservice', verdict: 'deprecated',
    reason: 'the legacy Selfservice UI is deprecated and moved to /selfservice-legacy; /selfservice is the new Selfservice (it talks to /userservice)',
    source: 'branch-v3.4 debian/changelog 3.0-1; linotp/controllers/selfservice.py default_url_prefix',
  },
];

const CONTROLLER_RULE_BY_NAME = new Map(CONTROLLER_RULES.map((r) => [r.controller, r]));

/** Controllers whose bare URL (`/manage/`) still routes in 3.4: those with an `index` method. */
const HAS_INDEX = new Set(['auth', 'manage', 'selfservice']);

/** Every controller name LinOTP 2.12 or 3.4 routes (3.4's /api/v2/<name> ones included). */
export const KNOWN_CONTROLLERS: ReadonlySet<string> = new Set([
  'admin', 'audit', 'auth', 'error', 'gettoken', 'helpdesk', 'maintenance', 'manage', 'migrate', 'monitoring', 'ocra',
  'openid', 'reporting', 'selfservice', 'system', 'testing', 'tools', 'u2f', 'userservice', 'validate',
  'auditlog', 'realms', 'resolvers', 'tokens', 'selfservice-legacy',
]);

/** Methods LinOTP 3 routes for an endpoint without a decorator (base.py) — plus what Flask adds. */
const DEFAULT_ALLOWED = ['GET', 'POST'];

export interface Classification {
  verdict: Verdict;
  reason: string;
  source: string;
  /** LinOTP 3 has no route for the call at all (404), rather than refusing its method (405). */
  missing?: boolean;
}

const OK: Classification = { verdict: 'ok', reason: '', source: '' };

/** The verdict for one call: `endpoint` is `controller/action` (`controller/` or `controller` for the bare controller URL). */
export function classify(endpoint: string, method: string): Classification {
  const slash = endpoint.indexOf('/');
  const controller = slash < 0 ? endpoint : endpoint.slice(0, slash);
  const action = slash < 0 ? '' : endpoint.slice(slash + 1);
  const found: Classification[] = [];

  const cRule = CONTROLLER_RULE_BY_NAME.get(controller);
  if (cRule) found.push({ verdict: cRule.verdict, reason: cRule.reason, source: cRule.source, missing: cRule.verdict === 'rejected' });

  if (action === '' && !HAS_INDEX.has(controller) && !cRule) {
    found.push({
      verdict: 'rejected',
      reason: `LinOTP 3 has no route for /${controller} without an action (LinOTP 2 mapped some bare controller URLs to a default action); call /${controller}/<action>`,
      source: 'branch-v3.4 linotp/controllers/base.py (index is the only bare route)',
      missing: true,
    });
  }

  if (!cRule && action !== '') {
    const status = actionStatus(controller, action);
    if (status === 'removed') {
      return { verdict: 'rejected', reason: 'LinOTP 3 no longer has this endpoint (it existed in LinOTP 2.12); 404', source: `branch-v2.12 vs branch-v3.4 linotp/controllers/${controller}.py`, missing: true };
    }
    if (status === 'unknown') {
      return { verdict: 'rejected', reason: 'not an endpoint of LinOTP 3.4 (404); names are case-sensitive', source: `branch-v3.4 linotp/controllers/${controller}.py`, missing: true };
    }
  }

  const rule = ENDPOINT_RULES.get(endpoint);
  const allowed = rule?.allowed ?? DEFAULT_ALLOWED;
  // Flask serves HEAD through the GET view and answers OPTIONS for every route.
  const effective = method === 'HEAD' ? 'GET' : method;
  if (method !== 'OPTIONS' && !allowed.includes(effective)) {
    // A rule's reason only explains the method it restricts (GET on POST-only); PUT & co. get the routing reason.
    const restricted = rule && DEFAULT_ALLOWED.includes(effective) && rule.deprecated.length === 0;
    found.push(restricted
      ? { verdict: 'rejected', reason: rule.reason, source: rule.source }
      : { verdict: 'rejected', reason: 'LinOTP 3 routes answer only GET and POST (plus HEAD and OPTIONS); other methods get 405', source: 'branch-v3.4 linotp/controllers/base.py' });
  } else if (rule && rule.deprecated.includes(effective)) {
    found.push({ verdict: 'deprecated', reason: rule.reason, source: rule.source });
  }

  if (found.length === 0) return OK;
  const verdict: Verdict = found.some((f) => f.verdict === 'rejected') ? 'rejected' : 'deprecated';
  // The worst verdict's reasons first; all reasons are kept so the fix is complete.
  found.sort((a, b) => VERDICTS.indexOf(a.verdict) - VERDICTS.indexOf(b.verdict));
  return { verdict, reason: found.map((f) => f.reason).join('; '), source: found.map((f) => f.source).join('; '), missing: found.some((f) => f.missing) };
}

/** The rule table as Markdown (docs/api-check.md embeds exactly this). */
export function rulesMarkdown(): string {
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  const lines = ['| Endpoint | LinOTP 3.4 accepts | Deprecated since 3.2 | Why | Source |', '|---|---|---|---|---|'];
  const rows = [...ENDPOINT_RULES.values()].sort((a, b) => (a.endpoint < b.endpoint ? -1 : a.endpoint > b.endpoint ? 1 : 0));
  for (const r of rows) {
    lines.push(`| \`${r.endpoint}\` | ${r.allowed.join(', ')} | ${r.deprecated.join(', ') || '–'} | ${esc(r.reason)} | ${esc(r.source)} |`);
  }
  lines.push('', '| Controller | Verdict for every call | Why | Source |', '|---|---|---|---|');
  for (const r of CONTROLLER_RULES) lines.push(`| \`${r.controller}/*\` | ${r.verdict} | ${esc(r.reason)} | ${esc(r.source)} |`);
  lines.push('', '| Endpoint of LinOTP 2.12 | Verdict | Why |', '|---|---|---|');
  for (const [c, actions] of Object.entries(REMOVED_ACTIONS)) {
    for (const a of actions) lines.push(`| \`${c}/${a}\` | rejected | LinOTP 3.4 no longer routes it (404) |`);
  }
  return lines.join('\n');
}
