// The validation pass's checksum on a worker thread: the same digest as an inline SHA-256 over the
// same chunks, whatever their sizes (larger than a slot, empty, tiny), and a worker that can be stopped.
import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { BackgroundSha256, sha256Hasher } from '../../src/backup/background-hash.js';

describe('BackgroundSha256', () => {
  it('digests exactly what an inline hash of the same chunks gives', async () => {
    const chunks = [randomBytes(3 << 20), Buffer.alloc(0), randomBytes(7), randomBytes(1 << 20), randomBytes((1 << 20) + 1), ...Array.from({ length: 40 }, (_, i) => randomBytes(1000 * i))];
    const inline = createHash('sha256');
    const bg = new BackgroundSha256();
    for (const c of chunks) {
      inline.update(c);
      await bg.update(c);
      c.fill(0); // the worker has its own copy once update() returned
    }
    expect(await bg.digest()).toBe(inline.digest('hex'));
  });

  it('small inputs are hashed inline; a stopped worker ends', async () => {
    const h = sha256Hasher(10);
    expect(h).not.toBeInstanceOf(BackgroundSha256);
    await h.update(Buffer.from('abc'));
    expect(await h.digest()).toBe(createHash('sha256').update('abc').digest('hex'));
    const bg = sha256Hasher(1 << 30);
    expect(bg).toBeInstanceOf(BackgroundSha256);
    await bg.update(randomBytes(4 << 20));
    await bg.abandon();
  });
});
