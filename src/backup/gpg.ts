/**
 * The encKey inside a backup: an OpenPGP symmetrically encrypted message (AES-256, iterated and
 * salted S2K, integrity-protected), the same kind `gpg -c --cipher-algo AES256` writes and
 * `gpg -d` reads. openpgp is imported only when a key is actually encrypted or decrypted.
 */
import { InputError, KeyError } from '../errors.js';

export async function encryptKeyBytes(bytes: Buffer, passphrase: string): Promise<Buffer> {
  const openpgp = await import('openpgp');
  const message = await openpgp.createMessage({ binary: new Uint8Array(bytes) });
  const out = await openpgp.encrypt({
    message,
    passwords: [passphrase],
    format: 'binary',
    config: {
      preferredSymmetricAlgorithm: openpgp.enums.symmetric.aes256,
      // v4 packets (SEIPD v1 with MDC): every gpg 2.x decrypts them.
      aeadProtect: false,
      s2kType: openpgp.enums.s2k.iterated,
    },
  });
  return Buffer.from(out as Uint8Array);
}

/** Decrypts a `gpg -c` / our encKey.gpg. A wrong passphrase is a KeyError; garbage is an InputError. */
export async function decryptKeyBytes(data: Buffer, passphrase: string, what: string): Promise<Buffer> {
  const openpgp = await import('openpgp');
  let message;
  try {
    const armored = data.subarray(0, 40).toString('latin1').includes('-----BEGIN PGP');
    message = armored ? await openpgp.readMessage({ armoredMessage: data.toString('latin1') }) : await openpgp.readMessage({ binaryMessage: new Uint8Array(data) });
  } catch (e) {
    throw new InputError(`${what} is not an OpenPGP message: ${(e as Error).message.split('\n')[0]}`, 'it should be the encKey encrypted with gpg -c (or by backup create)');
  }
  try {
    const { data: plain } = await openpgp.decrypt({ message, passwords: [passphrase], format: 'binary', config: { allowUnauthenticatedMessages: false } });
    return Buffer.from(plain as Uint8Array);
  } catch (e) {
    const msg = (e as Error).message ?? '';
    if (/passphrase|session key|Modification detected|decrypt/i.test(msg)) {
      throw new KeyError(`wrong passphrase for ${what}`, 'give the passphrase used when the backup was made (--passphrase-file or LINOTP_MIGRATE_PASSPHRASE)');
    }
    throw new InputError(`cannot decrypt ${what}: ${msg.split('\n')[0]}`);
  }
}
