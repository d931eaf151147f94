/**
 * The one table of what LinOTP keeps encrypted with the encKey in a Token row (linotp-schema.md §6):
 * which column holds it, which column (if any) its IV, how to tell that a row holds one, and how it
 * decrypts and re-encrypts. `verify` (decrypts every one), `init database` step 3.1.0.0 (re-encrypts
 * the legacy-padded ones) and catch-up (re-encrypts new tokens) all walk this table, so a kind of
 * secret cannot be checked by one and missed by another. Encrypted Config values are the other
 * half (src/crypto/chunks.ts, isEncryptedConfigType).
 */
import type { EncKey } from './enckey.js';
import {
  classifyOtpPin,
  classifyTokenSeed,
  decryptOcraSharedSecret,
  decryptOtpPin,
  decryptTokenSeed,
  decryptUserPin,
  reencryptOcraSharedSecret,
  reencryptOtpPin,
  reencryptTokenSeed,
  reencryptUserPin,
  type Decrypted,
  type Rewrite,
} from './values.js';

export type TokenSecretKind = 'seed' | 'otpPin' | 'userPin' | 'soPin' | 'ocraSecret';

type TokenRow = Record<string, unknown>;

export interface TokenSecret {
  kind: TokenSecretKind;
  /** The column holding the ciphertext (the one re-encryption rewrites). */
  column: string;
  /** The column holding its IV, where it has one of its own. */
  ivColumn?: string;
  /** How reports name it after the serial ("TOTP0001 (OTP PIN)"); '' where the serial alone says it (the seed; ocra secrets, tallied apart). */
  label: string;
  /** A value without its IV is left alone by re-encryption (user/SO PINs: LinOTP itself never writes one). */
  rewriteNeedsIv?: boolean;
  /** Does this row hold such a value encrypted with the encKey? */
  present(row: TokenRow): boolean;
  decrypt(key: EncKey, row: TokenRow): Decrypted<unknown> | undefined;
  /** `to` (default PKCS#7): the padding written, or `check` to only decrypt and classify (value ''). */
  reencrypt(key: EncKey, row: TokenRow, to?: Rewrite): Decrypted<string> | undefined;
}

export const text = (v: unknown): string => (v === null || v === undefined ? '' : Buffer.isBuffer(v) ? v.toString('utf8') : String(v));

function userPin(kind: 'userPin' | 'soPin', column: string, label: string): TokenSecret {
  const ivColumn = `${column}IV`;
  return {
    kind,
    column,
    ivColumn,
    label,
    rewriteNeedsIv: true,
    present: (row) => text(row[column]) !== '',
    decrypt: (key, row) => decryptUserPin(key, text(row[column]), text(row[ivColumn])),
    reencrypt: (key, row, to) => reencryptUserPin(key, text(row[column]), text(row[ivColumn]), to),
  };
}

export const TOKEN_SECRETS: readonly TokenSecret[] = [
  {
    kind: 'seed',
    column: 'LinOtpKeyEnc',
    ivColumn: 'LinOtpKeyIV',
    label: '',
    // Not pw tokens (a crypt hash, unencrypted), nor qr/push (no seed).
    present: (row) => classifyTokenSeed({ keyEnc: text(row.LinOtpKeyEnc), keyIv: text(row.LinOtpKeyIV), tokenType: text(row.LinOtpTokenType) }) === 'encrypted',
    decrypt: (key, row) => decryptTokenSeed(key, text(row.LinOtpKeyEnc), text(row.LinOtpKeyIV)),
    reencrypt: (key, row, to) => reencryptTokenSeed(key, text(row.LinOtpKeyEnc), text(row.LinOtpKeyIV), to),
  },
  {
    kind: 'otpPin',
    column: 'LinOtpPinHash',
    label: 'OTP PIN',
    // `@@` + IV + ciphertext; the IV for 3.4 is LinOtpSeed (src/crypto/values.ts).
    present: (row) => classifyOtpPin(text(row.LinOtpPinHash)) === 'encrypted',
    decrypt: (key, row) => decryptOtpPin(key, text(row.LinOtpPinHash)),
    reencrypt: (key, row, to) => reencryptOtpPin(key, text(row.LinOtpPinHash), to),
  },
  userPin('userPin', 'LinOtpTokenPinUser', 'user PIN'),
  userPin('soPin', 'LinOtpTokenPinSO', 'SO PIN'),
  {
    kind: 'ocraSecret',
    column: 'LinOtpTokenInfo',
    label: '',
    present: (row) => text(row.LinOtpTokenInfo).includes('sharedSecret'),
    decrypt: (key, row) => decryptOcraSharedSecret(key, text(row.LinOtpTokenInfo)),
    reencrypt: (key, row, to) => reencryptOcraSharedSecret(key, text(row.LinOtpTokenInfo), to),
  },
];

/** The Token columns a secrets pass reads: identity and type, then every secret and IV column. */
export const TOKEN_SECRET_COLUMNS: readonly string[] = [
  'LinOtpTokenId',
  'LinOtpTokenSerialnumber',
  'LinOtpTokenType',
  ...new Set(TOKEN_SECRETS.flatMap((s) => (s.ivColumn ? [s.column, s.ivColumn] : [s.column]))),
];
