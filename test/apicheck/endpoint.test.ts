// Request target → LinOTP endpoint: prefixes, query strings, URL-encoding, absolute-form, static files.
import { describe, expect, it } from 'vitest';
import { decodePath, prefixSegments, resolveTarget } from '../../src/apicheck/endpoint.js';

const auto = (t: string) => resolveTarget(t, null);

describe('resolveTarget', () => {
  it.each([
    ['/validate/check?user=a&pass=b', 'validate/check', ''],
    ['/linotp/validate/check', 'validate/check', '/linotp'],
    ['/a/b/c/admin/init?x', 'admin/init', '/a/b/c'],
    ['//validate//check/', 'validate/check', ''],
    ['/admin/set%50in', 'admin/setPin', ''],
    ['/%61dmin/init', 'admin/init', ''],
    ['/my%20proxy/admin/show', 'admin/show', '/my proxy'],
    ['/validate/check%3Fuser=x', 'validate/check?user=x', ''],
    ['/validate/check#frag', 'validate/check', ''],
    ['http://linotp.example.com/validate/check?x=1', 'validate/check', ''],
    ['https://h:8443/linotp/admin/init', 'admin/init', '/linotp'],
    ['/system/getPolicy/mypolicy', 'system/getPolicy', ''],
    ['/validate', 'validate/', ''],
    ['/manage/', 'manage/', ''],
    ['/api/helpdesk/users', 'helpdesk/users', '/api'],
    ['/admin/linotp/validate/check', 'validate/check', '/admin/linotp'],
    ['/bad%zzpath/admin/init', 'admin/init', '/bad%zzpath'],
  ])('%s → %s (prefix %j)', (target, endpoint, prefix) => {
    expect(auto(target)).toEqual({ kind: 'api', endpoint, prefix });
  });

  it.each(['/', '*', '/server-status', '/index.php', '/Validate/check'])('%s is not a LinOTP call', (t) => {
    expect(auto(t)).toEqual({ kind: 'unknownPath' });
  });

  it.each(['/manage/js/linotp.js', '/favicon.ico', '/linotp/manage/style.css?v=2'])('%s is a static file', (t) => {
    expect(auto(t)).toEqual({ kind: 'static' });
  });

  it('--prefix strips exactly the given prefix and leaves everything else outside', () => {
    const p = prefixSegments('/linotp/');
    expect(resolveTarget('/linotp/validate/check', p)).toEqual({ kind: 'api', endpoint: 'validate/check', prefix: '/linotp' });
    expect(resolveTarget('/validate/check', p)).toEqual({ kind: 'outsidePrefix' });
    expect(resolveTarget('/linotpx/validate/check', p)).toEqual({ kind: 'outsidePrefix' });
    expect(resolveTarget('/linotp/foo/validate/check', p)).toEqual({ kind: 'unknownPath' });
    expect(resolveTarget('/validate/check', prefixSegments('/'))).toEqual({ kind: 'api', endpoint: 'validate/check', prefix: '' });
  });

  it('decodePath keeps broken escapes', () => {
    expect(decodePath('/a%2Fb%zz%41')).toBe('/a/b%zzA');
    expect(decodePath('/%E2%82%AC')).toBe('/€');
  });
});
