// The rule table against the seed documents (when present on this machine) and the 3.4 routing facts.
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { classify, ENDPOINT_RULES } from '../../src/apicheck/rules.js';

const SEEDS = '/work/shared/seeds';
const guide = `${SEEDS}/linotp3-migration-guide.txt`;
const userservice = `${SEEDS}/linotp-userservice-api.txt`;

describe('rules vs. the seed documents', () => {
  it.skipIf(!existsSync(guide))('every endpoint of guide §3.9.4 is POST-only: GET and HEAD rejected, POST and OPTIONS ok', () => {
    const text = readFileSync(guide, 'utf8');
    const section = text.slice(text.indexOf('3.9.4. API endpoints requiring POST requests'), text.indexOf('3.9.5.'));
    const endpoints = [...section.matchAll(/•\s+(\w+\/\w+)/g)].map((m) => m[1]);
    expect(endpoints.length).toBe(55);
    for (const e of endpoints) {
      expect(ENDPOINT_RULES.get(e)?.allowed, e).toEqual(['POST']);
      expect(classify(e, 'GET').verdict, e).toBe('rejected');
      expect(classify(e, 'GET').reason, e).toMatch(/only via HTTP POST/);
      expect(classify(e, 'HEAD').verdict, e).toBe('rejected');
      // migrate/* is off by default in 3.4, whatever the method
      const ok = e.startsWith('migrate/') ? 'rejected' : 'ok';
      expect(classify(e, 'OPTIONS').verdict, e).toBe(ok);
      expect(classify(e, 'POST').verdict, e).toBe(ok);
    }
    // the 3.4 source adds two the guide does not list
    const postOnly = [...ENDPOINT_RULES.values()].filter((r) => r.allowed.length === 1 && r.allowed[0] === 'POST').map((r) => r.endpoint);
    expect(postOnly.filter((e) => !endpoints.includes(e)).sort()).toEqual(['admin/login', 'admin/testresolver', 'system/testProvider']);
  });

  it.skipIf(!existsSync(userservice))('userservice methods match the API document (methods and 3.2 deprecations)', () => {
    const text = readFileSync(userservice, 'utf8');
    const blocks = text.split(/\n(?=\w+\(\)\n)/);
    let checked = 0;
    for (const b of blocks) {
      const m = /^(GET, POST|POST) \/userservice\/(\w+)$/m.exec(b);
      if (!m) continue;
      const e = `userservice/${m[2]}`;
      const dep = /Deprecated since version 3\.2: Requests using HTTP (GET|POST) method/.exec(b)?.[1];
      checked++;
      if (m[1] === 'POST') {
        expect(classify(e, 'GET').verdict, e).toBe('rejected');
        expect(classify(e, 'POST').verdict, e).toBe('ok');
      } else {
        expect(dep, e).toBeDefined();
        const other = dep === 'GET' ? 'POST' : 'GET';
        expect(classify(e, dep!).verdict, `${dep} ${e}`).toBe('deprecated');
        expect(classify(e, other).verdict, `${other} ${e}`).toBe('ok');
      }
    }
    expect(checked).toBe(24);
  });
});

describe('classify', () => {
  it.each([
    ['validate/check', 'GET', 'deprecated', /HTTP GET \(the call modifies data\)/],
    ['validate/check', 'HEAD', 'deprecated', /HTTP GET/],
    ['validate/check', 'POST', 'ok', /^$/],
    ['admin/show', 'POST', 'deprecated', /HTTP POST \(the call only reads data\)/],
    ['admin/show', 'PUT', 'rejected', /only GET and POST/],
    ['admin/show', 'DELETE', 'rejected', /only GET and POST/],
    ['admin/testresolver', 'GET', 'rejected', /only via HTTP POST/],
    ['admin/init', 'PUT', 'rejected', /only GET and POST/],
    ['manage/context', 'POST', 'rejected', /only via HTTP GET/],
    ['manage/', 'GET', 'ok', /^$/],
    ['validate/', 'GET', 'rejected', /no route for \/validate without an action/],
    ['admin', 'POST', 'rejected', /no route for \/admin/],
    ['ocra/checkstatus', 'GET', 'rejected', /no longer exists/],
    ['openid/status', 'POST', 'rejected', /no longer exists/],
    ['testing/autosms', 'GET', 'rejected', /no longer exists/],
    ['helpdesk/users', 'GET', 'rejected', /no longer exists/],
    ['gettoken/getotp', 'GET', 'rejected', /DISABLE_CONTROLLERS/],
    ['u2f/valid_facets', 'GET', 'rejected', /ENABLE_CONTROLLERS/],
    ['migrate/backup', 'GET', 'rejected', /ENABLE_CONTROLLERS.*; LinOTP 3 accepts this endpoint only via HTTP POST/],
    ['selfservice/usertokenlist', 'GET', 'deprecated', /selfservice-legacy/],
    ['selfservice', 'GET', 'deprecated', /selfservice-legacy/],
    ['userservice/login', 'GET', 'deprecated', /HTTP GET/],
    ['system/getConfig', 'GET', 'ok', /^$/],
    ['tools/import_users', 'OPTIONS', 'ok', /^$/],
    ['admin/getsession', 'POST', 'rejected', /no longer has this endpoint/],
    ['validate/check_url', 'GET', 'rejected', /no longer has this endpoint/],
    ['userservice/load_form', 'POST', 'rejected', /no longer has this endpoint/],
    ['admin/setpin', 'POST', 'rejected', /not an endpoint of LinOTP 3.4/],
    ['validate/ok', 'GET', 'ok', /^$/],
    ['admin/login', 'POST', 'ok', /^$/],
    ['admin/login', 'GET', 'rejected', /only via HTTP POST/],
    ['admin/logout', 'GET', 'ok', /^$/],
    ['auth/challenge-response', 'GET', 'ok', /^$/],
    ['tokens/OATH0001', 'GET', 'ok', /^$/],
  ])('%s %s → %s', (endpoint, method, verdict, reason) => {
    const c = classify(endpoint, method);
    expect(c.verdict).toBe(verdict);
    expect(c.reason).toMatch(reason);
    if (verdict !== 'ok') expect(c.source).not.toBe('');
  });
});
