import { describe, it, expect } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  DEFAULT_ROUNDS,
  generateSalt,
  parseSha512Crypt,
  sha512Crypt,
  sha512CryptReference,
  verifySha512Crypt,
} from '../../src/crypto/sha512crypt.js';
import { sha512ViaBlock } from '../../src/crypto/sha512wasm.js';

/** passlib comes from Debian's python3-passlib for the system python (see the report / .ci/run). */
const SYSTEM_PY = '/usr/bin/python3';
function passlibAvailable(): boolean {
  const ok = spawnSync(SYSTEM_PY, ['-c', 'import passlib.hash'], { stdio: 'ignore' }).status === 0;
  if (!ok && process.env.CI) throw new Error(`passlib is not importable by ${SYSTEM_PY}: apt-get install -y python3-passlib`);
  return ok;
}
const hasPasslib = passlibAvailable();

function passlib(script: string, input: object): any {
  const out = execFileSync(SYSTEM_PY, ['-c', `import json,sys\nfrom passlib.hash import sha512_crypt\nd=json.load(sys.stdin)\n${script}`], {
    input: JSON.stringify(input),
    encoding: 'utf8',
  });
  return JSON.parse(out);
}

function openssl(password: string, salt: string): string {
  return execFileSync('openssl', ['passwd', '-6', '-salt', salt, '-stdin'], { input: password + '\n', encoding: 'utf8' }).trim();
}

describe('SHA-512 block function (WebAssembly)', () => {
  it('matches node:crypto for lengths 0..400 and random data', () => {
    for (let n = 0; n <= 400; n++) {
      const d = randomBytes(n);
      expect(sha512ViaBlock(d).equals(createHash('sha512').update(d).digest())).toBe(true);
    }
  });
});

describe('sha512Crypt', () => {
  it("Drepper's specification examples (as openssl computes them)", () => {
    expect(sha512Crypt('Hello world!', { salt: 'saltstring', rounds: 5000, explicitRounds: false })).toBe(
      '$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1',
    );
    expect(sha512Crypt('Hello world!', { salt: 'saltstringsaltst', rounds: 10000 })).toBe(
      '$6$rounds=10000$saltstringsaltst$OW1/O6BYHV6BcXZu8QVeXbDWra3Oeqh0sbHbbMCVNSnCM/UrjmM0Dp8vOuZeHBy/YTBmSK6H9qs/y3RnOaw5v.',
    );
  });

  it('the pw token hash of the sample data set', () => {
    const h = '$6$saltsaltsaltsalt$udB/J.3/tANza8WcWKHFhc...zELbmEjzWS7BUutLeS0Qw4YusPhqwvabcgD5uu./dp7glJvkHETJ1t4QFbbE.';
    expect(verifySha512Crypt('Test123!', h)).toBe(true);
    expect(verifySha512Crypt('Test123?', h)).toBe(false);
  });

  it('agrees with openssl passwd -6 for many passwords, salts and lengths (5000 rounds)', () => {
    const pws = ['a', 'pässwörd', '0123456789abcde', '0123456789abcdef', 'x'.repeat(63), 'y'.repeat(64), 'z'.repeat(65), 'long-'.repeat(50) /* openssl truncates at 256 */];
    for (const pw of pws) {
      for (const salt of ['a', generateSalt(), generateSalt().slice(0, 7)]) {
        expect(sha512Crypt(pw, { salt, rounds: 5000, explicitRounds: false })).toBe(openssl(pw, salt));
      }
    }
  });

  it('agrees with openssl for explicit rounds and with the node:crypto reference rounds', () => {
    for (const rounds of [1000, 1001, 1234, 7777]) {
      const salt = generateSalt();
      const pw = randomBytes(12).toString('base64');
      const h = sha512Crypt(pw, { salt, rounds });
      expect(h).toBe(openssl(pw, `rounds=${rounds}$${salt}`));
      expect(h).toBe(sha512CryptReference(pw, salt, rounds));
    }
  });

  it('new hashes have passlib\'s shape: rounds=656000, 16-char salt, 86-char hash, 120 chars', () => {
    const h = sha512Crypt('correct horse battery');
    expect(h).toMatch(/^\$6\$rounds=656000\$[./0-9A-Za-z]{16}\$[./0-9A-Za-z]{86}$/);
    expect(h.length).toBe(120);
    expect(verifySha512Crypt('correct horse battery', h)).toBe(true);
    expect(verifySha512Crypt('correct horse batterx', h)).toBe(false);
  });

  it('verification: implicit 5000, clamped rounds, non-$6$ input', () => {
    const implicit = openssl('pw', 'abcdefgh');
    expect(verifySha512Crypt('pw', implicit)).toBe(true);
    expect(parseSha512Crypt(implicit)).toMatchObject({ rounds: 5000, explicitRounds: false, salt: 'abcdefgh' });
    // glibc clamps rounds below 1000 up to 1000
    const h1000 = sha512Crypt('pw', { salt: 'abc', rounds: 1000 });
    expect(verifySha512Crypt('pw', h1000.replace('rounds=1000', 'rounds=10'))).toBe(true);
    for (const bad of ['*', '', '$5$abc$def', '$6$abc', '$6$abc$short', implicit + 'x']) expect(verifySha512Crypt('pw', bad)).toBe(false);
  });

  it('rejects bad parameters', () => {
    expect(() => sha512Crypt('x', { salt: 'has$dollar' })).toThrow(RangeError);
    expect(() => sha512Crypt('x', { salt: 'a'.repeat(17) })).toThrow(RangeError);
    expect(() => sha512Crypt('x', { rounds: 999 })).toThrow(RangeError);
    expect(() => sha512Crypt('x', { rounds: 6000, explicitRounds: false })).toThrow(RangeError);
    expect(() => sha512Crypt('x'.repeat(5000), { rounds: 1000 })).toThrow(RangeError);
  });

  it('takes well under a second for the default 656000 rounds (CPU time, so a busy machine does not fail it)', () => {
    sha512Crypt('warm-up', { rounds: 1000 });
    const t = performance.now();
    const cpu = process.cpuUsage();
    sha512Crypt('measure-me-please');
    const used = process.cpuUsage(cpu);
    const cpuMs = (used.user + used.system) / 1000;
    console.log(`sha512_crypt with ${DEFAULT_ROUNDS} rounds: ${cpuMs.toFixed(0)} ms CPU, ${(performance.now() - t).toFixed(0)} ms wall`);
    expect(cpuMs).toBeLessThan(1000);
  });
});

describe.skipIf(!hasPasslib)('passlib cross-check', () => {
  it('passlib verifies our default hashes (incl. non-ASCII and long passwords)', () => {
    const pws = ['Adm1n-pa55word', 'pässwörd €', 'x'.repeat(100), '', 'long '.repeat(300)];
    const hashes = pws.map((pw) => sha512Crypt(pw));
    const res = passlib('print(json.dumps([sha512_crypt.verify(p, h) for p, h in zip(d["p"], d["h"])] + [sha512_crypt.verify("wrong", d["h"][0])]))', { p: pws, h: hashes });
    expect(res).toEqual([true, true, true, true, true, false]);
  });

  it('we verify passlib hashes of other round counts and salt sizes, and the default', () => {
    const cases = [
      { pw: 'one', rounds: 5000, salt: 'abc' },
      { pw: 'twö', rounds: 1000, salt: 'saltsaltsaltsalt' },
      { pw: 'three', rounds: 12345, salt: 'Zz./09' },
      { pw: 'four', rounds: 656000, salt: null },
    ];
    const hashes: string[] = passlib(
      'print(json.dumps([sha512_crypt.using(rounds=c["rounds"], **({"salt": c["salt"]} if c["salt"] else {})).hash(c["pw"]) for c in d]))',
      cases,
    );
    expect(hashes[0]).toMatch(/^\$6\$abc\$/); // passlib writes 5000 rounds implicitly
    hashes.forEach((h, i) => {
      expect(verifySha512Crypt(cases[i].pw, h)).toBe(true);
      expect(verifySha512Crypt(cases[i].pw + '!', h)).toBe(false);
    });
  });
});
