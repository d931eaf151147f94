/**
 * `audit seal`: the LinOTP 2 signature check, written as a JSON report into a directory (usually the
 * upgrade's backup directory) with a detached signature made with the NEW (LinOTP 3) audit key.
 *
 * The signature is raw RSA PKCS#1 v1.5 / SHA-256 over the exact bytes of the JSON file, so anyone can
 * check it without this tool:
 *   openssl dgst -sha256 -verify audit-public.pem -signature REPORT.json.sig REPORT.json
 *
 * Both files are written atomically (temporary file in the same directory, fsync, rename); the JSON
 * is renamed into place first, so a crash can leave a report without its .sig (which then fails
 * verification visibly) but never a signature over a half-written report.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { constants, createPrivateKey, createPublicKey, sign as rsaSign, verify as rsaVerify, type KeyObject } from 'node:crypto';
import { InputError, KeyError } from '../errors.js';
import { publicKeyFingerprint } from './signatures.js';
import type { SignatureCheck } from './signatures.js';

export const SEAL_KIND = 'linotp-migrate audit signature report';

export interface SealDocument {
  kind: typeof SEAL_KIND;
  createdAt: string;
  tool: string;
  /** Where the rows came from (URL with the password masked). */
  database: string;
  check: SignatureCheck;
  sealedWith: { algorithm: 'RSA PKCS#1 v1.5 SHA-256'; publicKeySha256: string };
}

export interface SealResult {
  reportPath: string;
  signaturePath: string;
  publicKeySha256: string;
}

export function loadRsaPrivateKey(pem: string, source: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch {
    throw new KeyError(`${source} is not an unencrypted PEM private key`, 'give LinOTP 3\'s audit private key (AUDIT_PRIVATE_KEY_FILE, audit-private.pem; `linotp init audit-keys` makes one)');
  }
  if (key.asymmetricKeyType !== 'rsa') throw new KeyError(`${source} is a ${key.asymmetricKeyType} key, not RSA`, 'LinOTP audit keys are RSA keys');
  return key;
}

function writeAtomic(path: string, data: Buffer, mode: number): void {
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'wx', mode);
  try {
    writeSync(fd, data);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw err;
  }
  closeSync(fd);
  renameSync(tmp, path);
}

function stamp(d: Date): string {
  return d.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z');
}

/** Writes `audit-signature-report-<UTC stamp>.json` and `.json.sig` into `outDir` (created if missing). */
export function sealReport(
  check: SignatureCheck,
  privateKeyPem: string,
  outDir: string,
  meta: { database: string; tool: string; now?: Date },
): SealResult {
  const key = loadRsaPrivateKey(privateKeyPem, 'the audit private key');
  const publicKeySha256 = publicKeyFingerprint(createPublicKey(key));
  const now = meta.now ?? new Date();
  const doc: SealDocument = {
    kind: SEAL_KIND,
    createdAt: now.toISOString(),
    tool: meta.tool,
    database: meta.database,
    check,
    sealedWith: { algorithm: 'RSA PKCS#1 v1.5 SHA-256', publicKeySha256 },
  };
  const json = Buffer.from(JSON.stringify(doc, null, 2) + '\n', 'utf8');
  const signature = rsaSign('sha256', json, { key, padding: constants.RSA_PKCS1_PADDING });
  try {
    mkdirSync(outDir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw new InputError(`cannot create the directory ${outDir}: ${(err as NodeJS.ErrnoException).code ?? err}`, 'check the path and its permissions');
  }
  const reportPath = join(outDir, `audit-signature-report-${stamp(now)}.json`);
  const signaturePath = `${reportPath}.sig`;
  try {
    writeAtomic(reportPath, json, 0o644);
    writeAtomic(signaturePath, signature, 0o644);
  } catch (err) {
    throw new InputError(`cannot write the report into ${outDir}: ${(err as NodeJS.ErrnoException).code ?? err}`, 'check the directory and its permissions');
  }
  return { reportPath, signaturePath, publicKeySha256 };
}

/** Checks a sealed report against the new audit public key; returns the document when it verifies. */
export function verifySealedReport(reportPath: string, publicKeyPem: string): SealDocument | undefined {
  const json = readFileSync(reportPath);
  const sig = readFileSync(`${reportPath}.sig`);
  const ok = rsaVerify('sha256', json, { key: createPublicKey(publicKeyPem), padding: constants.RSA_PKCS1_PADDING }, sig);
  return ok ? (JSON.parse(json.toString('utf8')) as SealDocument) : undefined;
}
