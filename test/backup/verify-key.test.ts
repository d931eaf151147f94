// backup verify with --enc-key and the passphrase of the backup's own encKey_*.gpg: the passphrase
// is tried (never silently ignored), and a passphrase file is read as editors write it.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBackup } from '../../src/backup/create.js';
import { firstLineOf } from '../../src/cli/prompt.js';
import { fixtureDb, runBackup, tmp } from './helpers.js';

const PASS = 'verify-key passphrase';
let source: Awaited<ReturnType<typeof fixtureDb>>;
let archive: string;
let dir: string;
let keyFile: string;

beforeAll(async () => {
  source = await fixtureDb('sqlite', { tokens: 4, auditRows: 5 });
  dir = tmp();
  archive = (await createBackup(source.db, { outDir: dir, encKey: source.inst.encKey, passphrase: PASS })).file;
  keyFile = join(dir, 'encKey');
  writeFileSync(keyFile, source.inst.encKeyBytes, { mode: 0o600 });
});
afterAll(async () => source?.drop());

describe('backup verify --enc-key with a passphrase', () => {
  it('a wrong passphrase in the environment is tried and refused, not passed over as "OK"', async () => {
    const r = await runBackup('verify', { file: archive, encKey: keyFile }, { LINOTP_MIGRATE_PASSPHRASE: 'Wrong-Pass-17' });
    expect(r.error?.message).toMatch(/wrong passphrase/);
    expect(r.error?.exitCode).toBe(1);
    expect(`${r.stderr} ${r.error?.message}`).not.toContain('Wrong-Pass-17');
  });

  it('the right passphrase opens the backup key and compares it with --enc-key', async () => {
    const r = await runBackup('verify', { file: archive, encKey: keyFile }, { LINOTP_MIGRATE_PASSPHRASE: PASS });
    expect(r.error).toBeUndefined();
    expect(r.doc.ok).toBe(true);
    expect(r.doc.encKey).toMatchObject({ backupKey: 'opened', sameAsGiven: true });
  });

  it('without a passphrase the report says the backup key was not opened', async () => {
    const r = await runBackup('verify', { file: archive, encKey: keyFile });
    expect(r.error).toBeUndefined();
    expect(r.doc.encKey.backupKey).toBe('not-opened');
    expect(r.doc.encKey.check.ok).toBe(true);
  });
});

describe('passphrase files', () => {
  it('firstLineOf strips a UTF-8 BOM and ends the line at CRLF, LF or a lone CR', () => {
    expect(firstLineOf('\uFEFFsecret\r\n')).toBe('secret');
    expect(firstLineOf('secret\rsecond\r')).toBe('secret');
    expect(firstLineOf('secret\nx')).toBe('secret');
    expect(firstLineOf('\uFEFF')).toBe('');
  });

  for (const [what, bytes] of [
    ['a UTF-8 BOM (Notepad)', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(`${PASS}\r\n`)])],
    ['CR-only line ends', Buffer.from(`${PASS}\rsecond line\r`)],
  ] as const) {
    it(`opens the backup with a passphrase file with ${what}`, async () => {
      const f = join(dir, `pass-${what.length}`);
      writeFileSync(f, bytes);
      const r = await runBackup('verify', { file: archive, passphraseFile: f });
      expect(r.error).toBeUndefined();
      expect(r.doc.ok).toBe(true);
      expect(r.doc.encKey.check.ok).toBe(true);
    });
  }
});
