import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { execFileSync } from 'node:child_process';
import { EncKey, formatEncKeyDump, generateEncKey, loadEncKey, parseEncKey, writeEncKeyFile } from '../../src/crypto/enckey.js';
import { backupSuffix } from '../../src/files/linotp-file.js';
import { KeyError } from '../../src/errors.js';
import { SAMPLE_KEY_BYTES } from './sample.js';

const sampleHex = SAMPLE_KEY_BYTES.toString('hex');

describe('EncKey', () => {
  const key = new EncKey(SAMPLE_KEY_BYTES, '/etc/linotp/encKey');
  it('slots and fingerprint', () => {
    expect(key.slot(0).toString('hex')).toBe(sampleHex.slice(0, 64));
    expect(key.slot(1).toString('hex')).toBe(sampleHex.slice(64, 128));
    expect(key.slot(2).toString('hex')).toBe(sampleHex.slice(128));
    expect(key.fingerprint()).toMatch(/^[0-9a-f]{64}$/);
    expect(key.fingerprint()).toBe(new EncKey(Buffer.from(SAMPLE_KEY_BYTES), 'x').fingerprint());
    expect(() => key.slot(3 as 0)).toThrow(RangeError);
  });

  it('slot() returns a copy', () => {
    key.slot(0).fill(0);
    expect(key.slot(0)[1]).toBe(1);
  });

  it('never prints key material', () => {
    const shown = [String(key), JSON.stringify({ key }), inspect(key), inspect({ key }, { showHidden: true, depth: 5 }), `${key}`];
    for (const s of shown) {
      expect(s).toContain('/etc/linotp/encKey');
      expect(s).not.toContain(sampleHex.slice(0, 8));
      expect(s).not.toContain('000102');
    }
  });

  it('rejects other sizes', () => {
    expect(() => new EncKey(Buffer.alloc(64), '/x')).toThrow('encKey /x is 64 bytes; LinOTP keys are 96 bytes (three AES-256 keys)');
  });
});

describe('parseEncKey', () => {
  it('raw 96 bytes', () => {
    const k = parseEncKey(SAMPLE_KEY_BYTES, 'f');
    expect(k.form).toBe('raw');
    expect(k.exportBytes().equals(SAMPLE_KEY_BYTES)).toBe(true);
  });

  it.each([
    ['plain', sampleHex],
    ['newline', sampleHex + '\n'],
    ['upper case', sampleHex.toUpperCase()],
    ['spaced', sampleHex.replace(/(.{16})/g, '$1 ')],
    ['lines', sampleHex.replace(/(.{64})/g, '$1\r\n')],
  ])('192-hex text form (%s)', (_n, text) => {
    const k = parseEncKey(Buffer.from(text), 'f');
    expect(k.form).toBe('hex');
    expect(k.exportBytes().equals(SAMPLE_KEY_BYTES)).toBe(true);
  });

  it.each([
    [Buffer.alloc(0), 'encKey f is empty'],
    [Buffer.alloc(64, 7), 'encKey f is 64 bytes; LinOTP keys are 96 bytes (three AES-256 keys)'],
    [Buffer.alloc(97, 7), 'encKey f is 97 bytes; LinOTP keys are 96 bytes'],
    [Buffer.alloc(32, 0xff), 'encKey f is 32 bytes'],
    [Buffer.from(sampleHex.slice(0, 128)), 'encKey f holds 128 hex digits (64 bytes); LinOTP keys are 192 hex digits'],
    [Buffer.from(sampleHex.slice(0, 96)), 'encKey f holds 96 hex digits (48 bytes)'],
    [Buffer.from(sampleHex + 'a'), 'encKey f holds 193 hex digits;'],
    [Buffer.from('sqlalchemy.url = mysql://u:p@h/db\n'), 'neither 192 hex digits nor a `linotp init enc-key --dump` printout'],
  ])('rejects %#', (bytes, msg) => {
    let err: unknown;
    try {
      parseEncKey(bytes, 'f');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(KeyError);
    expect((err as KeyError).message).toContain(msg);
    expect((err as KeyError).hint).toMatch(/96-byte encKey|head -c 96 f/);
  });

  it('a longer binary file: explains that LinOTP reads only the first 96 bytes', () => {
    expect(() => parseEncKey(Buffer.concat([SAMPLE_KEY_BYTES, Buffer.from('\n')]), '/etc/linotp2/encKey')).toThrow(
      expect.objectContaining({ message: expect.stringContaining('is 97 bytes'), hint: expect.stringContaining('head -c 96 /etc/linotp2/encKey > encKey.96') }),
    );
  });
});

describe('--dump paper form', () => {
  const key = new EncKey(SAMPLE_KEY_BYTES, '/etc/linotp/encKey');
  const dump = formatEncKeyDump(key, { now: new Date(2025, 0, 31, 14, 5, 6, 789) });
  const table = dump.split('\n').filter((l) => /^[0-9a-f]{16} [0-9a-f]{8}$|^ {17}[0-9a-f]{8}$/.test(l));

  it('has LinOTP\'s layout', () => {
    expect(dump.split('\n')[0]).toBe('/etc/linotp/encKey 2025-01-31T14:05:06.789000');
    expect(dump).toContain("linotp init enc-key --keys '000102030405...5a5b5c5d5e5f'");
    expect(table).toHaveLength(13);
    expect(dump.endsWith(table[12] + '\n')).toBe(true);
  });

  it('matches an independent Python rendering of the table (binascii.crc32, hashlib.sha1)', () => {
    const py = `
import binascii, hashlib, sys
h = sys.argv[1]
s = hashlib.sha1()
for i in range(0, len(h), 16):
    c = h[i:i+16].encode()
    s.update(c)
    print(c.decode() + " " + format(binascii.crc32(c) & 0xffffffff, "08x"))
print(" " * 16 + " " + s.hexdigest()[:8])
`;
    const out = execFileSync('python3', ['-c', py, sampleHex], { encoding: 'utf8' });
    expect(out).toBe(table.join('\n') + '\n');
  });

  it('round trips (whole printout, table only, without instructions)', () => {
    for (const text of [dump, table.join('\n'), formatEncKeyDump(key, { instructions: false })]) {
      const k = parseEncKey(Buffer.from(text), 'paper');
      expect(k.form).toBe('dump');
      expect(k.equals(key)).toBe(true);
    }
    const rnd = generateEncKey();
    expect(parseEncKey(Buffer.from(formatEncKeyDump(rnd)), 'p').equals(rnd)).toBe(true);
  });

  it('the first column alone is the hex form', () => {
    const firstColumn = table.slice(0, 12).map((l) => l.slice(0, 16)).join('\n');
    expect(parseEncKey(Buffer.from(firstColumn), 'p').equals(key)).toBe(true);
  });

  it('detects a typo through the line CRC and names the line', () => {
    const lines = dump.split('\n');
    const i = lines.indexOf(table[3]);
    lines[i] = (lines[i][0] === '1' ? '2' : '1') + lines[i].slice(1);
    expect(() => parseEncKey(Buffer.from(lines.join('\n')), 'paper')).toThrow(new RegExp(`paper line ${i + 1}: CRC32`));
  });

  it('detects a missing, swapped or duplicated line through the checksum line', () => {
    const swapped = [table[1], table[0], ...table.slice(2)];
    expect(() => parseEncKey(Buffer.from(swapped.join('\n')), 'p')).toThrow(/checksum of the key lines is/);
    const dropped = [...table.slice(0, 5), ...table.slice(6)];
    expect(() => parseEncKey(Buffer.from(dropped.join('\n')), 'p')).toThrow(/11 key lines \(88 bytes\)/);
    const noSum = table.slice(0, 12);
    expect(() => parseEncKey(Buffer.from(noSum.join('\n')), 'p')).toThrow(/without its checksum line/);
    const badSum = [...table.slice(0, 12), ' '.repeat(17) + '00000000'];
    expect(() => parseEncKey(Buffer.from(badSum.join('\n')), 'p')).toThrow(KeyError);
  });
});

describe('loadEncKey / writeEncKeyFile', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'enckey-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('load: missing file, directory, too large', () => {
    expect(() => loadEncKey(join(dir, 'nope'))).toThrow(/does not exist/);
    expect(() => loadEncKey(dir)).toThrow(/is a directory/);
    writeFileSync(join(dir, 'big'), Buffer.alloc(100_000));
    expect(() => loadEncKey(join(dir, 'big'))).toThrow('is 100000 bytes; LinOTP keys are 96 bytes');
  });

  it('writes mode 0440 (LinOTP 3.4 Debian: 0400 + g+r), leaves no temp file, reads back', () => {
    const p = join(dir, 'encKey');
    const key = generateEncKey();
    expect(writeEncKeyFile(p, key)).toMatchObject({ action: 'created', path: p, mode: '0440' });
    expect(statSync(p).mode & 0o777).toBe(0o440);
    expect(readFileSync(p).length).toBe(96);
    expect(loadEncKey(p).equals(key)).toBe(true);
    expect(readdirSync(dir)).toEqual(['encKey']);
  });

  it('same key again is a no-op', () => {
    const p = join(dir, 'encKey');
    const key = generateEncKey();
    writeEncKeyFile(p, key);
    const before = statSync(p);
    expect(writeEncKeyFile(p, new EncKey(key.exportBytes(), 'again')).action).toBe('unchanged');
    expect(statSync(p).ino).toBe(before.ino);
    expect(readdirSync(dir)).toEqual(['encKey']);
  });

  it('never overwrites a different key without force', () => {
    const p = join(dir, 'encKey');
    const old = generateEncKey();
    writeEncKeyFile(p, old);
    expect(() => writeEncKeyFile(p, generateEncKey())).toThrow(/already holds a different encKey .*; not overwriting it/);
    expect(loadEncKey(p).equals(old)).toBe(true);
    expect(readdirSync(dir)).toEqual(['encKey']);
    // a non-key file is protected too
    const q = join(dir, 'other');
    writeFileSync(q, 'hello');
    expect(() => writeEncKeyFile(q, old)).toThrow(/not a valid encKey/);
    expect(readFileSync(q, 'utf8')).toBe('hello');
  });

  it('force keeps the old key as encKey.<YYYY-MM-DD>, then with the time, and never overwrites an earlier backup', () => {
    const p = join(dir, 'encKey');
    const now = new Date(2025, 0, 31, 14, 5);
    expect(backupSuffix(now)).toBe('2025-01-31_14-05');
    const k1 = generateEncKey();
    const k2 = generateEncKey();
    const k3 = generateEncKey();
    const k4 = generateEncKey();
    writeEncKeyFile(p, k1);
    const r2 = writeEncKeyFile(p, k2, { force: true, now });
    expect(r2).toMatchObject({ action: 'replaced', path: p, backup: `${p}.2025-01-31` });
    expect(writeEncKeyFile(p, k3, { force: true, now }).backup).toBe(`${p}.2025-01-31_14-05`);
    expect(writeEncKeyFile(p, k4, { force: true, now }).backup).toBe(`${p}.2025-01-31_14-05.1`);
    expect(loadEncKey(p).equals(k4)).toBe(true);
    expect(loadEncKey(`${p}.2025-01-31`).equals(k1)).toBe(true);
    expect(loadEncKey(`${p}.2025-01-31_14-05`).equals(k2)).toBe(true);
    expect(loadEncKey(`${p}.2025-01-31_14-05.1`).equals(k3)).toBe(true);
    expect(statSync(p).mode & 0o777).toBe(0o440);
    expect(readdirSync(dir).sort()).toEqual(['encKey', 'encKey.2025-01-31', 'encKey.2025-01-31_14-05', 'encKey.2025-01-31_14-05.1']);
  });

  it('is atomic: a failure after the temp file was written leaves the old key and no temp file', () => {
    const p = join(dir, 'encKey');
    const now = new Date(2025, 0, 31, 14, 5);
    const old = generateEncKey();
    writeEncKeyFile(p, old);
    // Occupy every backup name, so keeping the old key fails after the new key was written to a temp file.
    writeFileSync(`${p}.2025-01-31`, 'x');
    for (let i = 0; i < 100; i++) writeFileSync(`${p}.2025-01-31_14-05${i ? `.${i}` : ''}`, 'x');
    expect(() => writeEncKeyFile(p, generateEncKey(), { force: true, now })).toThrow(/cannot keep the old encKey/);
    expect(loadEncKey(p).equals(old)).toBe(true);
    expect(readdirSync(dir).filter((f) => f.includes('tmp'))).toEqual([]);
  });

  it('reports an unwritable directory', () => {
    const p = join(dir, 'not-a-dir', 'encKey');
    writeFileSync(join(dir, 'not-a-dir'), 'file');
    expect(() => writeEncKeyFile(p, generateEncKey())).toThrow(/cannot write encKey .*: ENOTDIR/);
  });

  it('is atomic: the key path is replaced by rename (new inode), never truncated in place', () => {
    const p = join(dir, 'encKey');
    writeEncKeyFile(p, generateEncKey());
    const ino = statSync(p).ino;
    writeEncKeyFile(p, generateEncKey(), { force: true });
    expect(statSync(p).ino).not.toBe(ino);
  });
});
