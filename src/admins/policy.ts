/**
 * Password rules for local admins. LinOTP itself has none ("Insert password policy checks here."
 * in `local_admins_cmd.py`); we refuse what can't be right and warn about what is weak.
 */
import { MAX_PASSWORD_BYTES } from '../crypto/sha512crypt.js';

export const DEFAULT_MIN_LENGTH = 8;

export interface PasswordCheck {
  /** Why the password is refused (nothing is stored). */
  error?: string;
  /** Why it is weak (stored anyway, the user is warned). */
  warnings: string[];
}

const COMMON = new Set([
  'password', 'passwort', 'password1', 'password123', 'passw0rd', 'p@ssw0rd', 'p@ssword', '12345678', '123456789', '1234567890',
  'qwertyui', 'qwertyuiop', 'qwertz123', 'qwerty123', 'asdfghjk', 'iloveyou', 'admin123', 'administrator', 'letmein1', 'welcome1',
  'linotp', 'linotp123', 'linotp2', 'linotp3', 'changeme', 'secret123', 'trustno1', '11111111', '00000000', 'abcdefgh', 'abcd1234',
]);

function isSequence(pw: string): boolean {
  const cps = [...pw.toLowerCase()].map((c) => c.codePointAt(0)!);
  if (cps.length < 4) return false;
  const d = cps[1] - cps[0];
  return Math.abs(d) === 1 && cps.every((c, i) => i === 0 || c - cps[i - 1] === d);
}

export function checkPassword(password: string, opts: { minLength?: number; account?: string } = {}): PasswordCheck {
  const min = opts.minLength ?? DEFAULT_MIN_LENGTH;
  const chars = [...password].length;
  if (chars === 0) return { error: 'the password is empty', warnings: [] };
  if (password.includes('\0')) return { error: 'the password contains a NUL character, which sha512-crypt cannot hash', warnings: [] };
  if (Buffer.byteLength(password, 'utf8') > MAX_PASSWORD_BYTES) return { error: `the password is longer than ${MAX_PASSWORD_BYTES} bytes`, warnings: [] };
  if (chars < min) return { error: `the password has ${chars} characters; at least ${min} are required`, warnings: [] };

  const warnings: string[] = [];
  const lower = password.toLowerCase();
  const classes = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((re) => re.test(password)).length;
  if (COMMON.has(lower)) warnings.push('it is one of the most common passwords');
  else if (new Set(password).size <= 2) warnings.push('it repeats one or two characters');
  else if (isSequence(password)) warnings.push('it is a simple sequence');
  if (opts.account && opts.account.length >= 3 && lower.includes(opts.account.toLowerCase())) warnings.push('it contains the account name');
  if (chars < 12 && classes < 2) warnings.push(`it is short (${chars} characters) and uses only one kind of character`);
  return { warnings };
}
