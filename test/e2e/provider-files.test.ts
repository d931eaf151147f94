/**
 * Issue 21 item 7 / issue 16: the SMS provider whose definition carries its CA inline. `verify`
 * names it (exit 3), `init database --plan` warns, `init database --provider-files-dir` writes the
 * PEM to a file (0640, linotp) and points the re-encrypted, chunked definition there; a second run
 * changes nothing. Built binary, every engine.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/index.js';
import { LDAP_CA_PEM, SMS_GATEWAY_CA_PEM } from '../../src/fixtures/certs.js';
import { buildInstallation, FIXTURE_PROVIDERS } from '../../src/fixtures/installation.js';
import { writeInstallation } from '../../src/fixtures/write.js';
import { readProviders } from '../../src/host/providers.js';
import { readConfigRows, Tables } from '../../src/upgrade/sql.js';
import { createTestDatabase, describeEngines } from '../helpers/db.js';
import { canTestOwnership, ensureLinotpUser } from '../helpers/linotp-user.js';
import { ensureBuilt, runCli } from './global-setup.js';

const tmp = mkdtempSync(join(tmpdir(), 'lmt-e2e-providers-'));
const inst = buildInstallation({ providers: true, tokens: 10, auditRows: 5 });
const keyFile = join(tmp, 'encKey');
writeFileSync(keyFile, inst.encKeyBytes);
const root = canTestOwnership();
const linotpIds = root ? ensureLinotpUser() : undefined;

beforeAll(() => ensureBuilt(), 180_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const run = runCli;

async function smsDefinition(url: string) {
  const db = await openDatabase(url);
  try {
    const defs = readProviders(await readConfigRows(db, await Tables.load(db)), inst.encKey);
    return defs.find((d) => d.type === 'sms' && d.name === FIXTURE_PROVIDERS.sms.name)!;
  } finally {
    await db.close();
  }
}

describeEngines('provider files', (engine) => {
  let url: string;
  let drop: () => Promise<void>;
  const dir = join(tmp, engine, 'providers');
  const caDir = join(tmp, engine, 'ca');
  beforeAll(async () => {
    ({ url, drop } = await createTestDatabase(engine, engine === 'mysql' ? { charset: 'utf8' } : {}));
    const db = await openDatabase(url);
    try {
      await writeInstallation(db, inst);
    } finally {
      await db.close();
    }
  }, 60_000);
  afterAll(() => drop?.());

  it('verify fails naming the provider and key (exit 3)', () => {
    const r = run(['--json', 'verify', '--database-uri', url, '--enc-key', keyFile, '--skip-encoding']);
    expect(r.code, r.stderr).toBe(3);
    const check = r.json.checks.find((c: any) => c.id === 'providers');
    expect(check.status).toBe('fail');
    expect(check.items).toContain('sms:corpsms.SERVER_CERTIFICATE (inline-pem)');
    expect(check.items).toContain('push:corppush.server_certificate (old-path)');
    expect(r.stderr).toMatch(/error: verify found problems: .*providers/);
    expect(r.json.checks.find((c: any) => c.id === 'ldap-ca-certificates').items).toEqual(['corpldap']);
  });

  it('init database --plan warns about it and changes nothing', () => {
    const r = run(['--json', 'init', 'database', '--database-uri', url, '--enc-key', keyFile, '--plan']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json.warnings.some((w: string) => w.startsWith('sms provider corpsms key SERVER_CERTIFICATE: ') && w.includes('--provider-files-dir'))).toBe(true);
    expect(r.json.warnings.some((w: string) => w.startsWith('LDAP resolver corpldap'))).toBe(true);
  });

  it('--provider-files-dir without an absolute path is a usage error before anything changes', () => {
    const r = run(['init', 'database', '--database-uri', url, '--enc-key', keyFile, '--provider-files-dir', 'relative/dir']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: --provider-files-dir relative\/dir: give an absolute path/m);
  });

  it('--plan shows the file and the rewrite', async () => {
    const r = run(['--json', 'init', 'database', '--database-uri', url, '--enc-key', keyFile, '--plan', '--provider-files-dir', dir, '--ca-out', caDir]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json.providerFiles.files).toHaveLength(1);
    expect(r.json.providerFiles.files[0]).toMatchObject({ path: join(dir, 'sms-corpsms-server_certificate.pem'), action: 'created', mode: '0640' });
    expect(r.json.providerFiles.rewrites[0]).toMatchObject({ configKey: 'linotp.SMSProvider.corpsms.Config', keys: ['SERVER_CERTIFICATE'], encrypted: true });
    expect(existsSync(dir)).toBe(false);
    expect((await smsDefinition(url)).config!.SERVER_CERTIFICATE).toBe(SMS_GATEWAY_CA_PEM);
  });

  it('an existing different file at the target path is refused (exit 2) before the upgrade changes anything', () => {
    const file = join(dir, 'sms-corpsms-server_certificate.pem');
    mkdirSync(dir, { recursive: true });
    writeFileSync(file, 'someone else\'s certificate\n');
    try {
      const r = run(['--yes', 'init', 'database', '--database-uri', url, '--enc-key', keyFile, '--provider-files-dir', dir]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^error: .*sms-corpsms-server_certificate\.pem already exists with other content; nothing was written$/m);
      const p = run(['--json', 'init', 'database', '--database-uri', url, '--enc-key', keyFile, '--plan']);
      expect(p.json.version.stored).toBe('2.12.0.0');
      expect(readFileSync(file, 'utf8')).toBe('someone else\'s certificate\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.skipIf(!root)('writes the PEM to a linotp-owned 0640 file and points the re-encrypted definition at it; a second run changes nothing', async () => {
    const r = run(['--json', 'init', 'database', '--database-uri', url, '--enc-key', keyFile, '--provider-files-dir', dir, '--ca-out', caDir]);
    expect(r.code, r.stderr).toBe(0);
    const file = join(dir, 'sms-corpsms-server_certificate.pem');
    const st = statSync(file);
    expect(st.mode & 0o777).toBe(0o640);
    expect({ uid: st.uid, gid: st.gid }).toEqual(linotpIds!);
    expect(readFileSync(file, 'utf8')).toBe(SMS_GATEWAY_CA_PEM.trim() + '\n');
    const def = await smsDefinition(url);
    expect(def.encrypted).toBe(true);
    expect(def.configType).toBe('encrypted_data');
    expect(def.config!.SERVER_CERTIFICATE).toBe(file);
    expect(def.config!.PASSWORD).toBe('sms-Pässwört-2024');
    const ca = join(caDir, 'linotp-ldap-corpldap.crt');
    expect(readFileSync(ca, 'utf8')).toBe(LDAP_CA_PEM.trim() + '\n');
    expect(statSync(ca).mode & 0o777).toBe(0o644);
    expect(r.json.providerFiles.caInstall).toEqual([`cp ${ca} /usr/local/share/ca-certificates/`, 'update-ca-certificates']);

    const again = run(['--json', 'init', 'database', '--database-uri', url, '--enc-key', keyFile, '--provider-files-dir', dir, '--ca-out', caDir]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.json.upToDate).toBe(true);
    expect(again.json.providerFiles.files).toEqual([]);
    expect(again.json.providerFiles.rewrites).toEqual([]);
    expect(again.json.providerFiles.caFiles.map((f: any) => f.action)).toEqual(['unchanged']);

    const v = run(['--json', 'verify', '--database-uri', url, '--enc-key', keyFile, '--skip-encoding']);
    const check = v.json.checks.find((c: any) => c.id === 'providers');
    expect(check.items.filter((i: string) => i.startsWith('sms:'))).toEqual([]);
  });
});
