// Issue 21 items 3 and 4: the encKey against the data. A wrong key is refused by backup create and
// restore (exit 3, nothing written or changed) unless --allow-key-mismatch; a partial fit is a named
// warning with counts; a fresh key that encrypts nothing in the target is replaced without --force.
import { chmodSync, chownSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EncKey } from '../../src/crypto/enckey.js';
import { decryptTokenSeed, encryptTokenSeed } from '../../src/crypto/values.js';
import { ExitCode } from '../../src/errors.js';
import { describeEngines } from '../helpers/db.js';
import { canTestOwnership, ensureLinotpUser, NOT_ROOT } from '../helpers/linotp-user.js';
import { fixtureDb, freshDb, runBackup, tableContent, tmp, type TestDb } from './helpers.js';

const PASS = 'keys test passphrase';
const WRONG = Buffer.alloc(96, 0x5a);
/** A fresh LinOTP 3 key (binary, as `linotp init enc-key` writes it). */
const FRESH = Buffer.from(Array.from({ length: 96 }, (_, i) => (i * 37 + 200) % 256));

function passFile(dir: string): string {
  const p = join(dir, 'pass');
  writeFileSync(p, PASS + '\n');
  return p;
}

/** Re-encrypts the seeds of `n` tokens with another key: a database whose key fits only partly. */
async function spoilSeeds(t: TestDb, key: EncKey, n: number): Promise<number> {
  const other = new EncKey(Buffer.alloc(96, 0x33), 'other');
  const q = t.db.dialect.quoteIdent;
  const rows = await t.db.query(`SELECT ${q('LinOtpTokenSerialnumber')} AS s, ${q('LinOtpKeyEnc')} AS e, ${q('LinOtpKeyIV')} AS iv FROM ${q('Token')} ORDER BY ${q('LinOtpTokenSerialnumber')}`);
  let done = 0;
  for (const r of rows) {
    if (done >= n) break;
    let d;
    try {
      d = decryptTokenSeed(key, String(r.e ?? ''), String(r.iv ?? ''));
    } catch {
      continue; // the fixture's malformed values
    }
    if (!d.ok || !/^[0-9a-f]+$/.test(d.value)) continue;
    const enc = encryptTokenSeed(other, d.value, String(r.iv), 'legacy');
    await t.db.execute(`UPDATE ${q('Token')} SET ${q('LinOtpKeyEnc')} = ? WHERE ${q('LinOtpTokenSerialnumber')} = ?`, [enc, r.s as string]);
    done++;
  }
  return done;
}

describeEngines('backup create: the encKey must fit the database', (engine) => {
  let source: Awaited<ReturnType<typeof fixtureDb>>;
  beforeAll(async () => {
    source = await fixtureDb(engine, { tokens: 12, auditRows: 5 });
  });
  afterAll(async () => source?.drop());

  it('a wrong key: exit 3, no archive written', async () => {
    const dir = tmp();
    const wrong = join(dir, 'wrong-encKey');
    writeFileSync(wrong, WRONG);
    const out = join(dir, 'out');
    const r = await runBackup('create', { databaseUri: source.url, encKey: wrong, passphraseFile: passFile(dir), out, compressLevel: '1' });
    expect(r.error?.exitCode).toBe(ExitCode.ChecksFailed);
    expect(r.error?.message).toMatch(/^wrong encKey: .*wrong-encKey \(sha256 [0-9a-f]{16}…\) decrypts none of the \d+ sampled encrypted values; nothing was written or changed$/);
    expect(r.error?.hint).toMatch(/--allow-key-mismatch/);
    expect(existsSync(out)).toBe(false);
    expect(r.doc).toBeUndefined();
  });

  it('--allow-key-mismatch writes it, with the warning in --json', async () => {
    const dir = tmp();
    const wrong = join(dir, 'wrong-encKey');
    writeFileSync(wrong, WRONG);
    const r = await runBackup('create', { databaseUri: source.url, encKey: wrong, passphraseFile: passFile(dir), out: dir, compressLevel: '1', allowKeyMismatch: true });
    expect(r.error, r.stderr).toBeUndefined();
    expect(r.doc.keyCheck).toMatchObject({ decrypted: 0 });
    expect(r.doc.warnings.join()).toMatch(/wrong encKey: .* decrypts none/);
    expect(existsSync(r.doc.file)).toBe(true);
  });

  it('the right key: no warning, counts in --json', async () => {
    const dir = tmp();
    const good = join(dir, 'encKey');
    writeFileSync(good, source.inst.encKeyBytes);
    const r = await runBackup('create', { databaseUri: source.url, encKey: good, passphraseFile: passFile(dir), out: dir, compressLevel: '1' });
    expect(r.error, r.stderr).toBeUndefined();
    expect(r.doc.keyCheck.checked).toBeGreaterThan(5);
    expect(r.doc.keyCheck.failed).toBe(0);
    expect(r.doc.warnings).toEqual([]);
  });

  it('some values written with another key: a named warning with counts, backup written', async () => {
    const spoiled = await fixtureDb(engine, { tokens: 12, auditRows: 5, seed: 3 });
    try {
      expect(await spoilSeeds(spoiled, spoiled.inst.encKey, 3)).toBe(3);
      const dir = tmp();
      const good = join(dir, 'encKey');
      writeFileSync(good, spoiled.inst.encKeyBytes);
      const r = await runBackup('create', { databaseUri: spoiled.url, encKey: good, passphraseFile: passFile(dir), out: dir, compressLevel: '1' });
      expect(r.error, r.stderr).toBeUndefined();
      expect(r.doc.keyCheck.failed).toBe(3);
      expect(r.doc.warnings).toEqual([expect.stringMatching(new RegExp(`^key mismatch: the encKey .* decrypts only ${r.doc.keyCheck.checked - 3} of ${r.doc.keyCheck.checked} sampled encrypted values \\(3 fail\\)`))]);
      expect(r.stderr).toMatch(/key mismatch/);
    } finally {
      await spoiled.drop();
    }
  });
});

describeEngines('backup restore: --enc-key must open the backup', (engine) => {
  let source: Awaited<ReturnType<typeof fixtureDb>>;
  let archive: string;
  let dir: string;
  beforeAll(async () => {
    source = await fixtureDb('sqlite', { tokens: 12, auditRows: 5 });
    dir = tmp();
    writeFileSync(join(dir, 'encKey'), source.inst.encKeyBytes);
    const r = await runBackup('create', { databaseUri: source.url, encKey: join(dir, 'encKey'), passphraseFile: passFile(dir), out: dir, compressLevel: '1' });
    expect(r.error, r.stderr).toBeUndefined();
    archive = r.doc.file;
    writeFileSync(join(dir, 'wrong-encKey'), WRONG);
  });
  afterAll(async () => source?.drop());

  it('a wrong key: exit 3 and the target is unchanged; --allow-key-mismatch restores with a warning', async () => {
    const target = await fixtureDb(engine, { tokens: 4, auditRows: 2, seed: 9 });
    try {
      const before = await tableContent(target.db, 'Token');
      const r = await runBackup('restore', { file: archive, databaseUri: target.url, encKey: join(dir, 'wrong-encKey') });
      expect(r.error?.exitCode).toBe(ExitCode.ChecksFailed);
      expect(r.error?.message).toMatch(/^wrong encKey: .*wrong-encKey \(sha256 [0-9a-f]{16}…\) decrypts none of the \d+ sampled encrypted values; nothing was written or changed$/);
      expect(await tableContent(target.db, 'Token')).toEqual(before);
      const allowed = await runBackup('restore', { file: archive, databaseUri: target.url, encKey: join(dir, 'wrong-encKey'), allowKeyMismatch: true });
      expect(allowed.error, allowed.stderr).toBeUndefined();
      expect(allowed.doc.applied).toBe(true);
      expect(allowed.doc.keyCheck).toMatchObject({ decrypted: 0 });
      expect(allowed.doc.warnings.join()).toMatch(/wrong encKey/);
      expect(await tableContent(target.db, 'Token')).toEqual(await tableContent(source.db, 'Token'));
    } finally {
      await target.drop();
    }
  });

  it('the right key restores without a warning', async () => {
    const target = await freshDb(engine);
    try {
      const r = await runBackup('restore', { file: archive, databaseUri: target.url, encKey: join(dir, 'encKey') });
      expect(r.error, r.stderr).toBeUndefined();
      expect(r.doc.warnings).toEqual([]);
      expect(r.doc.keyCheck.failed).toBe(0);
    } finally {
      await target.drop();
    }
  });
});

const root = canTestOwnership();

describe.skipIf(!root)(`backup restore --install-enc-key over a fresh LinOTP 3 key${root ? '' : ` (skipped: ${NOT_ROOT})`}`, () => {
  let source: Awaited<ReturnType<typeof fixtureDb>>;
  let archive: string;
  let dir: string;
  let linotp: { uid: number; gid: number };
  beforeAll(async () => {
    linotp = ensureLinotpUser();
    source = await fixtureDb('sqlite', { tokens: 12, auditRows: 5 });
    dir = tmp();
    writeFileSync(join(dir, 'encKey'), source.inst.encKeyBytes);
    const r = await runBackup('create', { databaseUri: source.url, encKey: join(dir, 'encKey'), passphraseFile: passFile(dir), out: dir, compressLevel: '1' });
    archive = r.doc.file;
  });
  afterAll(async () => source?.drop());

  /** What Debian's postinst leaves: `linotp init enc-key` as linotp, then chgrp linotp, g+r. */
  function debianKey(): string {
    const keyDir = tmp('lmt-etc-');
    chmodSync(keyDir, 0o755);
    const p = join(keyDir, 'encKey');
    writeFileSync(p, FRESH);
    chownSync(p, linotp.uid, linotp.gid);
    chmodSync(p, 0o440);
    return p;
  }

  it('an empty target: the fresh key is replaced without --force, kept as encKey.<date> with its owner and mode', async () => {
    const target = await freshDb('sqlite');
    const secret = debianKey();
    try {
      const plan = await runBackup('restore', { file: archive, databaseUri: target.url, installEncKey: true, passphraseFile: passFile(dir), encKey: secret, plan: true });
      expect(plan.error, plan.stderr).toBeUndefined();
      expect(plan.doc.installEncKey).toMatchObject({ action: 'replaced', user: 'linotp', group: 'linotp', mode: '0440', replacesUnusedKey: { existing: 'different', unused: true, target: { total: 0 } } });
      expect(readFileSync(secret).equals(FRESH)).toBe(true);
      const r = await runBackup('restore', { file: archive, databaseUri: target.url, installEncKey: true, passphraseFile: passFile(dir), encKey: secret });
      expect(r.error, r.stderr).toBeUndefined();
      expect(r.doc.encKey).toMatchObject({ action: 'replaced', replacedUnusedKey: true, user: 'linotp', group: 'linotp', mode: '0440' });
      expect(readFileSync(secret).equals(source.inst.encKeyBytes)).toBe(true);
      const st = statSync(secret);
      expect([st.uid, st.gid, st.mode & 0o777]).toEqual([linotp.uid, linotp.gid, 0o440]);
      const old = r.doc.encKey.backup as string;
      expect(old).toMatch(/encKey\.\d{4}-\d{2}-\d{2}$/);
      const ost = statSync(old);
      expect([ost.uid, ost.gid, ost.mode & 0o777]).toEqual([linotp.uid, linotp.gid, 0o440]);
      expect(readFileSync(old).equals(FRESH)).toBe(true);
    } finally {
      await target.drop();
    }
  });

  it('a target with encrypted values: refused as before (exit 2), nothing changed; --force replaces', async () => {
    const target = await fixtureDb('sqlite', { tokens: 3, auditRows: 1, seed: 5 });
    const secret = debianKey();
    try {
      const before = await tableContent(target.db, 'Token');
      const r = await runBackup('restore', { file: archive, databaseUri: target.url, installEncKey: true, passphraseFile: passFile(dir), encKey: secret });
      expect(r.error?.exitCode).toBe(ExitCode.Usage);
      expect(r.error?.message).toMatch(/holds a different encKey \(sha256 [0-9a-f]{16}…\), and .* holds \d+ encrypted value\(s\) \(\d+ token seeds, \d+ PINs, \d+ ocra secrets, \d+ Config secrets\) that may need it; nothing was changed/);
      expect(readFileSync(secret).equals(FRESH)).toBe(true);
      expect(await tableContent(target.db, 'Token')).toEqual(before);
      expect(readdirSync(join(secret, '..'))).toEqual(['encKey']);
      const forced = await runBackup('restore', { file: archive, databaseUri: target.url, installEncKey: true, force: true, passphraseFile: passFile(dir), encKey: secret });
      expect(forced.error, forced.stderr).toBeUndefined();
      expect(forced.doc.encKey.replacedUnusedKey).toBeUndefined();
      expect(readFileSync(secret).equals(source.inst.encKeyBytes)).toBe(true);
    } finally {
      await target.drop();
    }
  });

  it('no key there and a linotp user: linotp:linotp 0440; --owner overrides', async () => {
    const target = await freshDb('sqlite');
    const keyDir = tmp('lmt-etc-');
    try {
      const secret = join(keyDir, 'encKey');
      const r = await runBackup('restore', { file: archive, databaseUri: target.url, installEncKey: true, passphraseFile: passFile(dir), encKey: secret });
      expect(r.error, r.stderr).toBeUndefined();
      expect(r.doc.encKey).toMatchObject({ action: 'created', user: 'linotp', group: 'linotp', mode: '0440' });
      const other = join(keyDir, 'encKey2');
      const o = await runBackup('restore', { file: archive, databaseUri: target.url, installEncKey: true, passphraseFile: passFile(dir), encKey: other, owner: 'root:linotp' });
      expect(o.error, o.stderr).toBeUndefined();
      expect([statSync(other).uid, statSync(other).gid]).toEqual([0, linotp.gid]);
      const bad = await runBackup('restore', { file: archive, databaseUri: target.url, installEncKey: true, passphraseFile: passFile(dir), encKey: join(keyDir, 'k3'), owner: 'lmt-no-such-user' });
      expect(bad.error?.exitCode).toBe(ExitCode.Usage);
      expect(existsSync(join(keyDir, 'k3'))).toBe(false);
      const none = await runBackup('restore', { file: archive, databaseUri: target.url, installEncKey: true, passphraseFile: passFile(dir), encKey: join(keyDir, 'k4') }, { LINOTP_MIGRATE_SERVICE_USER: 'lmt-no-such-user' });
      expect(none.error, none.stderr).toBeUndefined();
      expect(none.doc.encKey).toMatchObject({ user: 'root', ownerFrom: 'invoking user' });
      expect(none.stderr).toMatch(/warning: there is no user lmt-no-such-user here/);
    } finally {
      await target.drop();
    }
  });
});
