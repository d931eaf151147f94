/**
 * `init audit-keys` core (LinOTP 3 `linotp init audit-keys`, linotp-cli.md §2.4): a new RSA 2048
 * key pair for audit signatures at AUDIT_PRIVATE_KEY_FILE / AUDIT_PUBLIC_KEY_FILE. As LinOTP, only
 * the private key is checked: an existing one is replaced only when the caller allows it, and is
 * kept as `<file>.<BACKUP_FILE_TIME_FORMAT>`; the public key is derived from the new private key
 * and overwritten. Unlike LinOTP (openssl with the caller's umask) the key is generated with
 * node:crypto and both files are written atomically with the owner and mode of LinOTP 3.4's Debian
 * package (src/files: audit-private.pem linotp:linotp 0640, audit-public.pem 0644).
 */
import * as fs from 'node:fs';
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import path from 'node:path';
import { InputError, KeyError } from '../errors.js';
import { keepCopy, planLinotpFile, writeLinotpFile, type LinotpFileResult } from '../files/linotp-file.js';
import type { FileOwner } from '../files/ownership.js';
import { strftime } from '../settings/strftime.js';

export interface AuditKeyPaths {
  privateKey: string;
  publicKey: string;
  /** BACKUP_FILE_TIME_FORMAT of the effective settings. */
  timeFormat: string;
}

export interface AuditKeysState {
  privateKey: string;
  publicKey: string;
  /** What is at the private key path now. */
  existing: 'none' | 'key' | 'not-a-key';
  /** The public key at its path matches the existing private key. */
  publicMatches?: boolean;
  /** Where the existing private key will be kept. */
  backup?: string;
}

/** What is there (for --plan and for the question before replacing). Reads only. */
export function inspectAuditKeys(p: AuditKeyPaths, now = new Date()): AuditKeysState {
  const privateKey = path.resolve(p.privateKey);
  const publicKey = path.resolve(p.publicKey);
  const st = statOrUndefined(privateKey);
  if (!st) return { privateKey, publicKey, existing: 'none' };
  if (!st.isFile()) throw new InputError(`${privateKey} is ${st.isDirectory() ? 'a directory' : 'not a regular file'}; AUDIT_PRIVATE_KEY_FILE must name a file`, 'set AUDIT_PRIVATE_KEY_FILE to the key file\'s path');
  let pem: string;
  try {
    pem = fs.readFileSync(privateKey, 'utf8');
  } catch (e) {
    throw new InputError(`cannot read the existing audit private key ${privateKey}: ${(e as NodeJS.ErrnoException).code ?? e}`, 'run as root or as its owner; nothing was changed');
  }
  const backup = `${privateKey}.${strftime(p.timeFormat, now)}`;
  try {
    const pub = createPublicKey(createPrivateKey(pem)).export({ type: 'spki', format: 'pem' }).toString();
    let publicMatches = false;
    try {
      publicMatches = createPublicKey(fs.readFileSync(publicKey, 'utf8')).export({ type: 'spki', format: 'pem' }).toString() === pub;
    } catch {
      /* missing or not a key */
    }
    return { privateKey, publicKey, existing: 'key', publicMatches, backup };
  } catch {
    return { privateKey, publicKey, existing: 'not-a-key', backup };
  }
}

export interface AuditKeysResult {
  privateKey: LinotpFileResult;
  publicKey: LinotpFileResult;
  /** The replaced private key, kept as LinOTP keeps it. */
  backup?: string;
  /** sha256 of the public key (DER), first 16 hex digits: identifies the pair without revealing it. */
  fingerprint: string;
}

export interface WriteAuditKeysOptions {
  /** Replace an existing private key (kept as a backup). Without it an existing key is a KeyError. */
  replace: boolean;
  owner?: FileOwner;
  env?: NodeJS.ProcessEnv;
  now?: Date;
}

/** The files that would be written (for --plan): owner, group and mode each would get. */
export function planAuditKeys(state: AuditKeysState, opts: Omit<WriteAuditKeysOptions, 'now'>) {
  const placeholder = 'new key';
  return {
    privateKey: planLinotpFile(state.privateKey, placeholder, { kind: 'audit-private-key', owner: opts.owner, env: opts.env, existing: 'overwrite' }),
    publicKey: planLinotpFile(state.publicKey, placeholder, { kind: 'audit-public-key', owner: opts.owner, env: opts.env, existing: 'overwrite' }),
  };
}

export function writeAuditKeys(state: AuditKeysState, opts: WriteAuditKeysOptions): AuditKeysResult {
  if (state.existing !== 'none' && !opts.replace) {
    throw new KeyError(`there is already a private audit key in ${state.privateKey}; not overwriting it`, 'add --force to replace it (the old key is kept as a dated backup)');
  }
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicExponent: 65537,
    // What `openssl genrsa` / `openssl rsa -pubout` of OpenSSL 3 (Debian 12, LinOTP 3.4) write.
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  let backup: string | undefined;
  if (state.existing !== 'none') backup = keepBackup(state.privateKey, state.backup!);
  let priv: LinotpFileResult;
  try {
    priv = writeLinotpFile(state.privateKey, privateKey, { kind: 'audit-private-key', owner: opts.owner, env: opts.env, existing: 'overwrite' });
  } catch (e) {
    if (backup) fs.rmSync(backup, { force: true }); // the old key is still in place: no copy needed
    throw e;
  }
  // The public key follows the private one (LinOTP overwrites it without asking).
  const pub = writeLinotpFile(state.publicKey, publicKey, { kind: 'audit-public-key', owner: opts.owner, env: opts.env, existing: 'overwrite' });
  const der = createPublicKey(publicKey).export({ type: 'spki', format: 'der' });
  return { privateKey: priv, publicKey: pub, ...(backup ? { backup } : {}), fingerprint: createHash('sha256').update(der).digest('hex').slice(0, 16) };
}

/** LinOTP's backup name for the old key, then numbered variants (src/files keepCopy: link or copy, owner and mode kept). */
function keepBackup(file: string, name: string): string {
  return keepCopy(file, 'audit private key', [name, ...Array.from({ length: 99 }, (_, i) => `${name}.${i + 1}`)]);
}

function statOrUndefined(p: string): fs.Stats | undefined {
  try {
    return fs.statSync(p);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw new InputError(`cannot look at ${p}: ${code ?? e}`, 'check the permissions of its directory');
  }
}
