/**
 * `host inventory` and `host migrate` end to end on the fixture tree (src/fixtures/etc-tree.ts):
 * the built binary, --json parsed; modes and owners checked against a real `linotp` user.
 */
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeEtcTree } from '../../src/fixtures/etc-tree.js';
import { writeSqliteInstallation } from '../../src/fixtures/generate.js';
import { buildInstallation } from '../../src/fixtures/installation.js';
import { canTestOwnership, ensureLinotpUser } from '../helpers/linotp-user.js';
import { ensureBuilt, runCli } from './global-setup.js';

const tmp = mkdtempSync(join(tmpdir(), 'lmt-e2e-host-'));
const root = canTestOwnership();
const linotpIds = root ? ensureLinotpUser() : undefined;
const tree = writeEtcTree(join(tmp, 'old'));

beforeAll(async () => {
  await writeSqliteInstallation(join(tree.linotp2, 'token.db'), buildInstallation({ providers: true, tokens: 10, auditRows: 5 }));
  await ensureBuilt();
}, 180_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const run = runCli;

const inventoryArgs = (from = tree.linotp2, extra: string[] = []) => ['--json', 'host', 'inventory', '--from', from, '--apache', tree.apache, '--pam', tree.pam, ...extra];

describe('host inventory', () => {
  it('lists every file, the site, PAM and the database findings; exit 3 (decisions needed)', () => {
    const r = run(inventoryArgs(tree.linotp2, ['--ini', join(tree.linotp2, 'linotp.ini')]));
    expect(r.code, r.stderr).toBe(3);
    const inv = r.json;
    const byName = Object.fromEntries(inv.items.map((i: any) => [i.path.slice(tree.linotp2.length + 1), i]));
    for (const n of ['linotp.ini', 'encKey', 'private.pem', 'public.pem', 'admins', 'auth_helpdesk', 'gettoken-api', 'apache-servername.conf', 'apache-site-includes', 'linotpapp.wsgi', 'custom-templates', 'custom-style', 'rlm_perl.ini', 'token.db']) {
      expect(byName[n], n).toBeDefined();
    }
    expect(byName['notes-from-old-admin.txt'].kind).toBe('unknown');
    expect(byName['push-ca.pem'].kind).toBe('provider-file');
    expect(byName.admins.details).toEqual(['admin (realm LinOTP2 admin area)', 'hélène (realm LinOTP2 admin area)']);
    expect(byName['rlm_perl.ini'].migrate).toMatch(/radius inventory/);
    expect(inv.auditPair.matches).toBe(true);
    expect(inv.site).toMatchObject({ enabled: true, differsFromExample: true });
    expect(inv.site.customBlocks).toEqual(['<Location /server-status> (line 63)']);
    expect(inv.site.digestProtected.map((d: any) => d.userFile)).toEqual(['/etc/linotp2/admins', '/etc/linotp2/admins', '/etc/linotp2/auth_helpdesk', '/etc/linotp2/gettoken-api']);
    expect(inv.site.serverNames).toEqual(['ServerName linotp.example.com', 'ServerAlias otp.example.com 2fa.example.com']);
    expect(inv.pamLines).toHaveLength(1);
    expect(inv.database.providerProblems.map((p: any) => `${p.provider}.${p.key}:${p.kind}`)).toContain('corpsms.SERVER_CERTIFICATE:inline-pem');
    expect(inv.database.ldapCaCertificates.map((c: any) => c.resolver)).toEqual(['corpldap']);
    expect(inv.database.tokensPerRealm.map((x: any) => x.realm)).toEqual(['corp', 'zürich']);
    const fx = buildInstallation({ providers: true, tokens: 10, auditRows: 5 });
    const links = [...fx.table('TokenRealm').rows()];
    expect(inv.database.tokensWithoutRealm).toBe(fx.table('Token').count - new Set(links.map((l) => l.token_id)).size);
    expect(inv.database.tokensPerRealm.find((x: any) => x.realm === 'corp').tokens).toBe(links.filter((l) => l.realm_id === 1).length);
    expect(r.stderr).toMatch(/^error: \d+ item\(s\) need an administrator's decision$/m);
  });

  it('a directory that is not LinOTP 2: one error line, exit 1', () => {
    const r = run(['host', 'inventory', '--from', tree.apache]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: --from .*: not a LinOTP 2 configuration directory \(no linotp.ini, no encKey\)$/m);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('a malformed htdigest line, a PEM that is not a key, an Apache file that does not parse: one line each, exit 1', () => {
    const bad = writeEtcTree(join(tmp, 'bad-digest'));
    writeFileSync(join(bad.linotp2, 'admins'), 'admin:LinOTP2 admin area:0123\n');
    let r = run(['host', 'inventory', '--from', bad.linotp2, '--apache', bad.apache, '--pam', bad.pam]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: .*admins line 1: not an htdigest line/m);

    const badKey = writeEtcTree(join(tmp, 'bad-key'));
    rmSync(join(badKey.linotp2, 'private.pem'));
    writeFileSync(join(badKey.linotp2, 'private.pem'), '-----BEGIN RSA PRIVATE KEY-----\nnot a key\n-----END RSA PRIVATE KEY-----\n');
    r = run(['host', 'inventory', '--from', badKey.linotp2, '--apache', badKey.apache, '--pam', badKey.pam]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: .*private\.pem: not a PEM private key$/m);

    const badSite = writeEtcTree(join(tmp, 'bad-site'));
    writeFileSync(join(badSite.apache, 'sites-available/linotp2.conf'), '<VirtualHost *:443>\n  <Location /x>\n</VirtualHost>\n');
    r = run(['host', 'inventory', '--from', badSite.linotp2, '--apache', badSite.apache, '--pam', badSite.pam]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: .*linotp2\.conf line 3: <\/VirtualHost> closes <Location> of line 2$/m);
  });

  it('a site equal to the example next to the ini (what 3.4\'s preinst compares with) does not differ', async () => {
    const { copyFileSync, mkdirSync } = await import('node:fs');
    const same = writeEtcTree(join(tmp, 'same-site'));
    mkdirSync(join(same.linotp2, 'apache2.4-example'));
    copyFileSync(join(same.apache, 'sites-available/linotp2.conf'), join(same.linotp2, 'apache2.4-example/linotp2.conf'));
    const r = run(['--json', 'host', 'inventory', '--from', same.linotp2, '--apache', same.apache, '--pam', same.pam]);
    expect(r.json.site).toMatchObject({ differsFromExample: false, comparedWith: join(same.linotp2, 'apache2.4-example/linotp2.conf') });
    expect(r.json.items.find((i: any) => i.path.endsWith('apache2.4-example')).kind).toBe('apache-example');
  });

  it('a public.pem that does not belong to private.pem is reported', () => {
    const mm = writeEtcTree(join(tmp, 'mismatch-inv'), { mismatchedAuditPair: true });
    const r = run(['--json', 'host', 'inventory', '--from', mm.linotp2, '--apache', mm.apache, '--pam', mm.pam]);
    expect(r.code).toBe(3);
    expect(r.json.auditPair.matches).toBe(false);
    expect(r.json.decisions.some((d: string) => /public\.pem does not belong to .*private\.pem/.test(d))).toBe(true);
  });
});

describe('host migrate', () => {
  const to = join(tmp, 'new', 'etc', 'linotp');
  const apacheTo = join(tmp, 'new', 'etc', 'apache2');
  const args = ['host', 'migrate', '--from', tree.linotp2, '--apache', tree.apache, '--to', to, '--rewrite-paths', '/etc/linotp2=/etc/linotp'];

  it('--plan lists every file and writes nothing', () => {
    const r = run(['--json', ...args, '--plan']);
    expect(r.code, r.stderr).toBe(0);
    const paths = r.json.writes.map((w: any) => w.path);
    for (const f of ['conf.d/01-migrated-database.cfg', 'conf.d/50-linotp2-migration.cfg', 'encKey', 'audit-private.pem', 'audit-public.pem', 'custom-templates/selfservice/custom-login.mako', 'custom-style/manage-style.css', 'apache-site-includes/10-monitoring.conf']) {
      expect(paths).toContain(join(to, f));
    }
    expect(paths).toContain(join(apacheTo, 'sites-available/linotp.conf'));
    expect(r.json.writes.every((w: any) => w.action === 'created')).toBe(true);
    expect(existsSync(to)).toBe(false);
  });

  it('without a terminal and without --yes it refuses and writes nothing', () => {
    const r = run(args);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: confirmation needed/m);
    expect(existsSync(to)).toBe(false);
  });

  it.skipIf(!root)('writes the LinOTP 3 tree with LinOTP 3.4\'s owners and modes; a second run changes nothing', () => {
    const r = run(['--json', '--yes', ...args]);
    expect(r.code, r.stderr).toBe(0);
    const linotp = linotpIds!;
    const check = (rel: string, mode: number, uid?: number) => {
      const st = statSync(join(to, rel));
      expect(st.mode & 0o777, rel).toBe(mode);
      expect(st.gid, rel).toBe(linotp.gid);
      if (uid !== undefined) expect(st.uid, rel).toBe(uid);
    };
    check('encKey', 0o440, linotp.uid);
    check('audit-private.pem', 0o640, linotp.uid);
    check('audit-public.pem', 0o644, linotp.uid);
    check('conf.d/50-linotp2-migration.cfg', 0o640);
    expect(readFileSync(join(to, 'encKey')).equals(readFileSync(join(tree.linotp2, 'encKey')))).toBe(true);
    expect(readFileSync(join(to, 'audit-private.pem'), 'utf8')).toBe(readFileSync(join(tree.linotp2, 'private.pem'), 'utf8'));
    const cfg = readFileSync(join(to, 'conf.d/50-linotp2-migration.cfg'), 'utf8');
    expect(cfg).toMatch(/^SECRET_FILE = '\/etc\/linotp\/encKey'$/m);
    expect(cfg).toMatch(/^AUDIT_PRIVATE_KEY_FILE = '\/etc\/linotp\/audit-private.pem'$/m);
    expect(cfg).toMatch(/^AUDIT_PUBLIC_KEY_FILE = '\/etc\/linotp\/audit-public.pem'$/m);
    const site = readFileSync(join(apacheTo, 'sites-available/linotp.conf'), 'utf8');
    expect(site).toMatch(/^\s+ServerName linotp\.example\.com$/m);
    expect(site).toMatch(/^\s+ServerAlias otp\.example\.com 2fa\.example\.com$/m);
    expect(site).toMatch(/^\s+SSLCertificateChainFile \/etc\/ssl\/certs\/corp-chain\.pem$/m);
    expect(site).toContain('    <Location /server-status>\n        SetHandler server-status\n        Require ip 192.0.2.0/24\n    </Location>');
    expect(site).toMatch(/^\s+WSGIScriptAlias \/ \/etc\/linotp\/linotpapp\.wsgi$/m);
    expect(site.split('\n').filter((l) => !l.trimStart().startsWith('#')).join('\n')).not.toMatch(/AuthType Digest|linotp2/);
    expect(readlinkSync(join(apacheTo, 'sites-enabled/linotp.conf'))).toBe('../sites-available/linotp.conf');
    expect(r.json.result.apacheCheck.ran).toBe(false);

    const again = run(['--json', '--yes', ...args]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.json.result.written).toEqual([]);
    expect(again.json.result.links).toEqual([]);
    expect(again.json.plan.writes.every((w: any) => w.action === 'unchanged')).toBe(true);
  });

  it.skipIf(!root)('a different existing file is a conflict (exit 2, nothing written); --force keeps it as NAME.<date>', () => {
    const custom = join(to, 'custom-style/manage-style.css');
    writeFileSync(custom, 'body { color: red; }\n');
    const before = readdirSync(to).sort();
    const r = run(['--yes', ...args]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: 1 file\(s\) exist with other content: .*manage-style\.css$/m);
    expect(readdirSync(to).sort()).toEqual(before);
    const f = run(['--json', '--yes', ...args, '--force']);
    expect(f.code, f.stderr).toBe(0);
    const backups = readdirSync(join(to, 'custom-style')).filter((n) => /^manage-style\.css\.\d{4}-\d\d-\d\d$/.test(n));
    expect(backups).toHaveLength(1);
    expect(readFileSync(join(to, 'custom-style', backups[0]), 'utf8')).toBe('body { color: red; }\n');
    expect(readFileSync(custom, 'utf8')).toBe(readFileSync(join(tree.linotp2, 'custom-style/manage-style.css'), 'utf8'));
  });

  it.skipIf(!root)('a mismatched audit key pair is reported (exit 3) and the pair is not written', () => {
    const mm = writeEtcTree(join(tmp, 'mismatch'), { mismatchedAuditPair: true });
    const out = join(tmp, 'mismatch-new', 'etc', 'linotp');
    const r = run(['--json', '--yes', 'host', 'migrate', '--from', mm.linotp2, '--apache', mm.apache, '--to', out]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^error: .*public\.pem does not belong to .*private\.pem/m);
    expect(existsSync(join(out, 'audit-private.pem'))).toBe(false);
    expect(existsSync(join(out, 'audit-public.pem'))).toBe(false);
    expect(existsSync(join(out, 'encKey'))).toBe(true);
    expect(lstatSync(join(tmp, 'mismatch-new', 'etc', 'apache2', 'sites-enabled', 'linotp.conf')).isSymbolicLink()).toBe(true);
  });
});

describe('host migrate --database-uri', () => {
  it.skipIf(!root)('writes inline provider PEMs and copies /etc/linotp2 provider files, rewrites the definitions to the final paths; a second run changes nothing', async () => {
    const { openDatabase } = await import('../../src/db/index.js');
    const { readProviders } = await import('../../src/host/providers.js');
    const { readConfigRows, Tables } = await import('../../src/upgrade/sql.js');
    const { SMS_GATEWAY_CA_PEM } = await import('../../src/fixtures/certs.js');
    const dbFile = join(tmp, 'new-server.db');
    const inst = buildInstallation({ providers: true, tokens: 5, auditRows: 2 });
    await writeSqliteInstallation(dbFile, inst);
    const uri = `sqlite:///${dbFile}`;
    expect(run(['--yes', 'init', 'database', '--database-uri', uri, '--enc-key', join(tree.linotp2, 'encKey')]).code).toBe(0);
    const to = join(tmp, 'db-new', 'etc', 'linotp');
    const args = ['--json', '--yes', 'host', 'migrate', '--from', tree.linotp2, '--apache', tree.apache, '--to', to, '--rewrite-paths', '/etc/linotp2=/etc/linotp', '--database-uri', uri];
    const r = run(args);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(join(to, 'providers/sms-corpsms-server_certificate.pem'), 'utf8')).toBe(SMS_GATEWAY_CA_PEM.trim() + '\n');
    expect(readFileSync(join(to, 'push-ca.pem'), 'utf8')).toBe(readFileSync(join(tree.linotp2, 'push-ca.pem'), 'utf8'));
    expect(statSync(join(to, 'push-client.pem')).mode & 0o777).toBe(0o640);
    expect(r.json.result.providersRewritten.sort()).toEqual(['push:corppush (access_certificate, server_certificate)', 'sms:corpsms (SERVER_CERTIFICATE)']);
    const db = await openDatabase(uri);
    try {
      const defs = readProviders(await readConfigRows(db, await Tables.load(db)), inst.encKey);
      expect(defs.find((d) => d.name === 'corpsms')!.config!.SERVER_CERTIFICATE).toBe('/etc/linotp/providers/sms-corpsms-server_certificate.pem');
      expect(defs.find((d) => d.name === 'corppush')!.config).toMatchObject({ server_certificate: '/etc/linotp/push-ca.pem', access_certificate: '/etc/linotp/push-client.pem' });
    } finally {
      await db.close();
    }
    const again = run(args);
    expect(again.code, again.stderr).toBe(0);
    expect(again.json.result.written).toEqual([]);
    expect(again.json.result.providersRewritten).toEqual([]);
  }, 120_000);
});

describe('host migrate onto a Debian-like LinOTP 3 directory', () => {
  it.skipIf(!root)('a fresh encKey that encrypts nothing in the (empty) database is replaced without --force and kept; other existing files still need --force', async () => {
    const { openDatabase } = await import('../../src/db/index.js');
    const { generateEncKey } = await import('../../src/crypto/enckey.js');
    const to = join(tmp, 'debian', 'etc', 'linotp');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(to, { recursive: true });
    writeFileSync(join(to, 'encKey'), generateEncKey().exportBytes(), { mode: 0o440 });
    const dbFile = join(tmp, 'debian', 'empty.db');
    const db = await openDatabase(`sqlite:///${dbFile}`, { create: true });
    await db.close();
    const r = run(['--json', '--yes', 'host', 'migrate', '--from', tree.linotp2, '--apache', tree.apache, '--to', to, '--database-uri', `sqlite:///${dbFile}`]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/encrypts nothing in the database: it is replaced and kept as encKey\.<date>/);
    expect(readFileSync(join(to, 'encKey')).equals(readFileSync(join(tree.linotp2, 'encKey')))).toBe(true);
    expect(readdirSync(to).filter((n) => /^encKey\.\d{4}-\d\d-\d\d/.test(n))).toHaveLength(1);
    // Without a database to check, the same situation is a conflict.
    writeFileSync(join(to, 'encKey'), generateEncKey().exportBytes());
    const c = run(['--yes', 'host', 'migrate', '--from', tree.linotp2, '--apache', tree.apache, '--to', to]);
    expect(c.code).toBe(2);
    expect(c.stderr).toMatch(/exist with other content: .*encKey/);
  }, 60_000);
});
