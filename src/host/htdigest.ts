/**
 * Apache htdigest files as LinOTP 2 used them (`admins`, `auth_helpdesk`, `gettoken-api`; written by
 * branch-v2.12 `tools/linotp-create-htdigest`): one `user:realm:md5(user:realm:password)` per line.
 * The names can be carried to LinOTP 3; the passwords cannot (only their digest is stored).
 */
import { readFileSync } from 'node:fs';
import { InputError } from '../errors.js';

export interface DigestUser {
  user: string;
  realm: string;
  line: number;
}

/** The realm each LinOTP 2 file was created with (the Apache site's AuthName). */
export const DIGEST_FILES: Record<string, { realm: string; what: string }> = {
  admins: { realm: 'LinOTP2 admin area', what: 'administrators of /manage, /admin, /system, /audit (Apache digest auth)' },
  auth_helpdesk: { realm: 'LinOTP2 helpdesk area', what: 'helpdesk API users (/api/helpdesk, removed in LinOTP 3.2)' },
  'gettoken-api': { realm: 'LinOTP2 gettoken', what: 'users of /gettoken (Apache digest auth)' },
};

export function parseHtdigest(text: string, file: string): DigestUser[] {
  const out: DigestUser[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i].replace(/\r$/, '');
    if (raw.trim() === '' || raw.trimStart().startsWith('#')) continue;
    // The realm may contain ':'? htdigest forbids it; user and realm are split at the first two colons.
    const m = /^([^:]+):([^:]*):([0-9a-fA-F]{32})$/.exec(raw);
    if (!m) throw new InputError(`${file} line ${i + 1}: not an htdigest line (expected user:realm:<32 hex digits>)`, 'is this an Apache htdigest file? nothing was written');
    out.push({ user: m[1], realm: m[2], line: i + 1 });
  }
  return out;
}

export function readHtdigest(file: string): DigestUser[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new InputError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? e}`, 'run as root or as its owner; nothing was written', e);
  }
  return parseHtdigest(text, file);
}
