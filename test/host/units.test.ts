/** src/host pieces: audit pair check (openssl as the oracle), htdigest, Apache parsing, provider problems. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AUDIT_PRIVATE_PEM, AUDIT_PUBLIC_PEM, OTHER_PUBLIC_PEM, SMS_GATEWAY_CA_PEM } from '../../src/fixtures/certs.js';
import { fixtureApacheSite } from '../../src/fixtures/etc-tree.js';
import { analyzeSite, parseApache, rebaseText } from '../../src/host/apache.js';
import { checkAuditPair } from '../../src/host/audit-keys.js';
import { parseHtdigest } from '../../src/host/htdigest.js';
import { providerProblems, type ProviderDefinition } from '../../src/host/providers.js';

const tmp = mkdtempSync(join(tmpdir(), 'lmt-host-unit-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('audit key pair', () => {
  it('derives the public key as `openssl rsa -pubout` does', () => {
    const f = join(tmp, 'p.pem');
    writeFileSync(f, AUDIT_PRIVATE_PEM);
    const oracle = execFileSync('openssl', ['rsa', '-in', f, '-pubout'], { stdio: ['ignore', 'pipe', 'ignore'] }).toString();
    const r = checkAuditPair(AUDIT_PRIVATE_PEM, f, AUDIT_PUBLIC_PEM, 'public.pem');
    expect(r.derivedPublicPem).toBe(oracle);
    expect(r).toMatchObject({ matches: true, keyType: 'rsa', bits: 2048 });
  });
  it('reports a public key of another pair', () => {
    expect(checkAuditPair(AUDIT_PRIVATE_PEM, 'private.pem', OTHER_PUBLIC_PEM, 'public.pem').matches).toBe(false);
  });
  it('a PEM that is not a key is an input error naming the file', () => {
    expect(() => checkAuditPair(SMS_GATEWAY_CA_PEM, '/x/private.pem', undefined, 'p')).toThrow(/^\/x\/private\.pem: not a PEM private key$/);
    expect(() => checkAuditPair(AUDIT_PRIVATE_PEM, 'private.pem', 'garbage', '/x/public.pem')).toThrow(/^\/x\/public\.pem: not a PEM public key$/);
  });
});

describe('htdigest', () => {
  it('reads users and realms, skips blank lines and comments', () => {
    expect(parseHtdigest('# c\nadmin:LinOTP2 admin area:0123456789abcdef0123456789abcdef\n\n', 'admins')).toEqual([{ user: 'admin', realm: 'LinOTP2 admin area', line: 2 }]);
  });
  it('names the malformed line', () => {
    expect(() => parseHtdigest('a:b:0123456789abcdef0123456789abcdef\nadmin:nohash\n', 'admins')).toThrow(/^admins line 2: not an htdigest line/);
  });
});

describe('Apache site', () => {
  it('finds names, SSL, custom and digest blocks of the fixture site', () => {
    const a = analyzeSite(parseApache(fixtureApacheSite(), 'site'), 'site', () => 'ServerName a.example\nServerAlias b.example\n');
    expect(a.serverNames.map((d) => d.text)).toEqual(['ServerName a.example', 'ServerAlias b.example']);
    expect(a.ssl.map((d) => d.name)).toEqual(['SSLCertificateFile', 'SSLCertificateKeyFile', 'SSLCertificateChainFile']);
    expect(a.customBlocks.map((b) => b.args[0])).toEqual(['/server-status']);
    expect(a.digestBlocks).toHaveLength(4);
    expect(a.gettokenWasProtected).toBe(true);
    expect(a.notCarried).toEqual([]);
  });
  it('lists top-level directives it does not carry; refuses a site without VirtualHost', () => {
    const a = analyzeSite(parseApache('<VirtualHost *:443>\nRewriteEngine On\n</VirtualHost>\n', 's'), 's', () => undefined);
    expect(a.notCarried.map((d) => d.text)).toEqual(['RewriteEngine On']);
    expect(() => analyzeSite(parseApache('Listen 443\n', 's'), 's', () => undefined)).toThrow(/no <VirtualHost> section/);
  });
  it('joins continuation lines and reports an unclosed section', () => {
    const n = parseApache('Header set X \\\n   "y"\n', 'f');
    expect(n[0]).toMatchObject({ kind: 'directive', name: 'Header', args: ['set', 'X', 'y'] });
    expect(() => parseApache('<Location /a>\n', 'f')).toThrow(/^f: <Location> of line 1 is never closed$/);
  });
  it('rebases whole path prefixes only', () => {
    expect(rebaseText('/etc/linotp2/a /etc/linotp2 /etc/linotp22/x "/etc/linotp2"', [['/etc/linotp2', '/etc/linotp']])).toBe('/etc/linotp/a /etc/linotp /etc/linotp22/x "/etc/linotp"');
  });
});

describe('provider problems', () => {
  const def = (config: Record<string, unknown>): ProviderDefinition => ({ type: 'sms', name: 'p', className: 'HttpSMSProvider', classKey: 'linotp.SMSProvider.p', configKey: 'k', rowKeys: ['k'], configType: 'encrypted_data', configDescription: '', encrypted: true, config });
  const exists = (p: string) => p === '/etc/linotp/ca.pem' || p === '/etc/linotp2/ok.pem';
  it('inline PEM, missing file, old path; false/empty are fine (load_server_cert)', () => {
    expect(providerProblems(def({ SERVER_CERTIFICATE: SMS_GATEWAY_CA_PEM }), { exists }).map((p) => p.kind)).toEqual(['inline-pem']);
    expect(providerProblems(def({ SERVER_CERTIFICATE: 'false', server_certificate: '', CLIENT_CERTIFICATE_FILE: '/etc/linotp/ca.pem' }), { exists })).toEqual([]);
    expect(providerProblems(def({ access_certificate: '/nope.pem' }), { exists })[0]).toMatchObject({ kind: 'missing-file', severity: 'error', key: 'access_certificate' });
    expect(providerProblems(def({ certfile: '/etc/linotp2/ok.pem' }), { exists })[0]).toMatchObject({ kind: 'old-path', severity: 'warning' });
    expect(providerProblems(def({ URL: 'https://x' }), { exists })).toEqual([]);
  });
  it('an unreadable config is an error', () => {
    expect(providerProblems({ ...def({}), config: undefined, unreadable: 'not-json' })[0]).toMatchObject({ kind: 'not-json', severity: 'error' });
  });
});

describe('provider class names', () => {
  it('a full module path LinOTP 2 imported absolutely is not loadable in 3.4; the registered name is suggested and rewritten', async () => {
    const { planProviderFiles } = await import('../../src/host/provider-files.js');
    const def: ProviderDefinition = { type: 'sms', name: 'p', className: 'linotp.provider.smsprovider.HttpSMSProvider.HttpSMSProvider', classKey: 'linotp.SMSProvider.p', configKey: 'linotp.SMSProvider.p.Config', rowKeys: ['linotp.SMSProvider.p.Config'], configType: 'text', configDescription: '', encrypted: false, config: { URL: 'https://x' } };
    const [p] = providerProblems(def, { exists: () => true });
    expect(p).toMatchObject({ kind: 'unknown-class', severity: 'error', key: 'Class' });
    expect(p.detail).toContain('smsprovider.HttpSMSProvider.HttpSMSProvider');
    const plan = planProviderFiles([def], undefined, '/etc/linotp/providers', undefined);
    expect(plan.rewrites[0].classFix).toEqual({ key: 'linotp.SMSProvider.p', from: def.className, to: 'smsprovider.HttpSMSProvider.HttpSMSProvider' });
    expect(providerProblems({ ...def, className: 'smsprovider.HttpSMSProvider.HttpSMSProvider' }, { exists: () => true })).toEqual([]);
  });
});
