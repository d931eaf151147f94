/**
 * LinOTP 2's audit key pair (`private.pem`/`public.pem`, made by the 2.12 postinst with `openssl
 * genrsa` / `openssl rsa -pubout`) becomes LinOTP 3's `audit-private.pem`/`audit-public.pem`. The
 * pair is checked the way 3.4's preinst means to (it re-derives the public key with `openssl rsa
 * -pubout`): the public key derived from the private one must equal the public file. A mismatch is
 * reported, never "fixed" — which half is right is the administrator's call.
 */
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { InputError } from '../errors.js';

export interface AuditPairCheck {
  matches: boolean;
  /** What LinOTP 3.4's preinst would write as audit-public.pem (SPKI PEM of the private key). */
  derivedPublicPem: string;
  keyType: string;
  bits?: number;
}

function privateKey(pem: string, file: string): KeyObject {
  try {
    return createPrivateKey({ key: pem, format: 'pem' });
  } catch {
    throw new InputError(`${file}: not a PEM private key`, 'give the audit private key of the LinOTP 2 installation (linotpAudit.key.private); nothing was written');
  }
}

function publicKey(pem: string, file: string): KeyObject {
  try {
    return createPublicKey({ key: pem, format: 'pem' });
  } catch {
    throw new InputError(`${file}: not a PEM public key`, 'give the audit public key (linotpAudit.key.public); nothing was written');
  }
}

export function checkAuditPair(privatePem: string, privateFile: string, publicPem: string | undefined, publicFile: string): AuditPairCheck {
  const priv = privateKey(privatePem, privateFile);
  const derived = createPublicKey(priv);
  const derivedPublicPem = derived.export({ type: 'spki', format: 'pem' }).toString();
  const matches = publicPem === undefined ? false : publicKey(publicPem, publicFile).export({ type: 'spki', format: 'der' }).equals(derived.export({ type: 'spki', format: 'der' }));
  return { matches, derivedPublicPem, keyType: priv.asymmetricKeyType ?? 'unknown', bits: priv.asymmetricKeyDetails?.modulusLength };
}
