import { spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/index.js';
import type { Db } from '../../src/db/types.js';
import { checkLinotp2Signatures, countLinotp2Signatures, linotp2AuditBytes, linotp2AuditText, signLinotp2Row, loadRsaPublicKey } from '../../src/audit/signatures.js';
import { sealReport, verifySealedReport } from '../../src/audit/seal.js';
import { applyToUtc } from '../../src/audit/to-utc.js';
import { KeyError } from '../../src/errors.js';
import { doubleEncode } from '../../src/encoding/mysql-latin1.js';
import { createTestDatabase, describeEngines } from '../helpers/db.js';
import { type AuditRow, auditRow, createLinotp2AuditTable, insertAuditRows } from './audit-fixture.js';

const old = generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
const fresh = generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs1', format: 'pem' } });

describe('LinOTP 2 signed text', () => {
  it('is getAsString of branch-v2.12 (empty values as "", administrator not repr()d, client last)', () => {
    const row = auditRow(10, '2024-03-31 01:59:59.123456', { administrator: 'admin', info: null, client: '10.0.0.1' });
    expect(linotp2AuditText(row)).toBe(
      'number=10, date=2024-03-31 01:59:59.123456, action=admin/init, 1, serial=LSSP000010, HMAC, user=user10, mydefrealm, ' +
        'admin=admin, serial=LSSP01, tokentype=hmac, , server=linotp2.example.com, INFO, 0, client=10.0.0.1',
    );
    expect(linotp2AuditText(row, { withoutClient: true }).endsWith('INFO, 0')).toBe(true);
    expect(linotp2AuditText({ ...row, user: 'j\\u00fcrgen' }, { uencoded: true })).toContain('user=jürgen,');
  });

  it('accepts signatures made by OpenSSL EVP (what M2Crypto called) over the UTF-8 and UCS-4 text', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'lmt-ossl-'));
    const t = await createTestDatabase('sqlite');
    const db = await openDatabase(t.url);
    try {
      writeFileSync(join(tmp, 'private.pem'), old.privateKey);
      const rows = [auditRow(1, '2024-05-02 10:15:01.123456', { user: 'zoë' }), auditRow(2, '2024-05-02 10:15:02.000001')];
      rows.forEach((r, i) => {
        writeFileSync(join(tmp, 'msg'), linotp2AuditBytes(linotp2AuditText(r), i === 0 ? 'utf-8' : 'ucs-4'));
        const ssl = spawnSync('openssl', ['dgst', '-sha256', '-sign', join(tmp, 'private.pem'), '-out', join(tmp, 'sig'), join(tmp, 'msg')]);
        expect(ssl.status).toBe(0);
        r.signature = readFileSync(join(tmp, 'sig')).toString('hex');
      });
      await createLinotp2AuditTable(db);
      await insertAuditRows(db, rows);
      expect(await checkLinotp2Signatures(db, old.publicKey)).toMatchObject({ valid: 2, invalid: 0, matchedForms: { 'utf-8': 1, 'ucs-4': 1 } });
    } finally {
      await db.close();
      await t.drop();
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('refuses a key that is not an RSA public key', () => {
    expect(() => loadRsaPublicKey('not a key', 'x.pem')).toThrow(KeyError);
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256', publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
    expect(() => loadRsaPublicKey(ec.publicKey, 'ec.pem')).toThrow(/not RSA/);
  });
});

/** 300 signed rows in several byte forms, plus unsigned, LinOTP 3 and tampered ones. */
function buildRows(): { rows: AuditRow[]; tampered: number[]; expectedValid: number } {
  const rows: AuditRow[] = [];
  for (let id = 1; id <= 300; id++) {
    const r = auditRow(id, `2024-10-27 02:${String(id % 60).padStart(2, '0')}:00.${String(id * 1234).padStart(6, '0')}`);
    const form = id % 10 === 1 ? 'ucs-4' : id % 10 === 2 ? 'ucs-2' : 'utf-8';
    const withoutClient = id % 7 === 0 && id % 2 === 0; // client is '' when id % 7 === 0
    r.signature = signLinotp2Row(r, old.privateKey, { form, withoutClient });
    rows.push(r);
  }
  // LinOTP 2 over a latin1 MySQL connection: stored text is mojibake, the signature covers the real text.
  const moj = auditRow(301, '2024-10-27 03:00:00.000000', { user: 'Łukasz', info: 'jürgen ‚quoted‘' });
  moj.signature = signLinotp2Row(moj, old.privateKey);
  moj.user = doubleEncode('Łukasz');
  moj.info = doubleEncode('jürgen ‚quoted‘');
  rows.push(moj);
  rows.push(auditRow(302, '2024-10-27 03:00:01.000000', { signature: '' }));
  rows.push(auditRow(303, '2024-10-27 03:00:02.000000', { signature: null }));
  rows.push(auditRow(304, '2024-11-02T08:15:01.123+00:00', { signature: 'ab'.repeat(256) }));
  const bad = auditRow(305, '2024-10-27 03:00:03.000000');
  bad.signature = 'zz' + 'ab'.repeat(255);
  rows.push(bad);
  return { rows, tampered: [17, 42, 99, 200, 305], expectedValid: 301 - 4 };
}

describeEngines('audit signatures', (engine) => {
  let db: Db;
  let drop: () => Promise<void>;
  let dir: string;
  const { rows, tampered, expectedValid } = buildRows();

  beforeAll(async () => {
    const t = await createTestDatabase(engine);
    drop = t.drop;
    db = await openDatabase(t.url);
    await createLinotp2AuditTable(db);
    await insertAuditRows(db, rows);
    dir = mkdtempSync(join(tmpdir(), 'lmt-seal-'));
  }, 60_000);

  afterAll(async () => {
    await db?.close();
    await drop?.();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('counts LinOTP 2 signatures without a key', async () => {
    expect(await countLinotp2Signatures(db)).toEqual({ table: 'audit', total: 305, unsigned: 2, linotp3Rows: 1, linotp2Signed: 302 });
  });

  it('verifies untouched rows and reports tampered ones as invalid', async () => {
    const clean = await checkLinotp2Signatures(db, old.publicKey);
    expect(clean).toMatchObject({ total: 305, valid: 301, invalid: 1, malformed: 1, invalidIds: [305], unverifiable: 3 });
    expect(clean.unverifiableReasons).toEqual({ unsigned: 2, linotp3Timestamp: 1 });
    const byPrefix = (p: string) => Object.entries(clean.matchedForms).filter(([k]) => k.startsWith(p)).reduce((a, [, n]) => a + n, 0);
    expect(byPrefix('ucs-4')).toBe(30);
    expect(byPrefix('ucs-2')).toBe(30);
    expect(clean.matchedForms['utf-8+no-client']).toBeGreaterThan(0);
    expect(clean.matchedForms['utf-8+mojibake-repaired']).toBe(1);

    await db.execute("UPDATE audit SET action = 'admin/remove' WHERE id = 17");
    await db.execute("UPDATE audit SET success = '1' WHERE id = 42 AND success = '0'");
    await db.execute("UPDATE audit SET user = 'mallory' WHERE id = 99".replace('user', db.dialect.quoteIdent('user')));
    await db.execute("UPDATE audit SET timestamp = '2024-10-27 02:20:00.000001' WHERE id = 200".replace('timestamp', db.dialect.quoteIdent('timestamp')));
    const after = await checkLinotp2Signatures(db, old.publicKey, { maxInvalidIds: 3 });
    expect(after).toMatchObject({ valid: expectedValid, invalid: tampered.length, invalidIds: tampered.slice(0, 3), invalidIdsTruncated: true });

    // Another key: nothing verifies.
    const wrong = await checkLinotp2Signatures(db, fresh.publicKey);
    expect(wrong.valid).toBe(0);
    expect(wrong.invalid).toBe(302);
  });

  it('seals the report with the new audit key (openssl-verifiable detached signature)', async () => {
    const check = await checkLinotp2Signatures(db, old.publicKey);
    const res = sealReport(check, fresh.privateKey, join(dir, 'backup'), { database: 'sqlite:///x', tool: 'linotp-migrate test' });
    expect(readdirSync(join(dir, 'backup')).sort()).toEqual([res.reportPath.split('/').pop(), res.signaturePath.split('/').pop()].sort());
    const doc = verifySealedReport(res.reportPath, fresh.publicKey);
    expect(doc?.check).toEqual(check);
    expect(verifySealedReport(res.reportPath, old.publicKey)).toBeUndefined();
    const pub = join(dir, 'pub.pem');
    writeFileSync(pub, fresh.publicKey);
    const ssl = spawnSync('openssl', ['dgst', '-sha256', '-verify', pub, '-signature', res.signaturePath, res.reportPath], { encoding: 'utf8' });
    if (ssl.error === undefined) expect(ssl.stdout.trim()).toBe('Verified OK');
    writeFileSync(res.reportPath, readFileSync(res.reportPath, 'utf8').replace('"valid": ', '"valid": 1'));
    expect(verifySealedReport(res.reportPath, fresh.publicKey)).toBeUndefined();
  });

  it('after to-utc the old signatures are unverifiable, not invalid', async () => {
    await applyToUtc(db, { timezone: 'Europe/Berlin' });
    const check = await checkLinotp2Signatures(db, old.publicKey);
    expect(check.valid).toBe(0);
    expect(check.unverifiableReasons.linotp3Timestamp).toBe(303);
    expect(await countLinotp2Signatures(db)).toMatchObject({ linotp2Signed: 0, linotp3Rows: 305 });
  });
});
