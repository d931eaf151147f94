/**
 * `local-admins import --htdigest FILE` (issue 16): LinOTP 2's Apache digest admins become LinOTP 3
 * local admins, stored exactly as `local-admins add` + `password` store them (src/admins/store.ts).
 * htdigest keeps only MD5(user:realm:password), so passwords cannot be carried: they come from a
 * `user:password` file, or are generated and written to a 0600 sheet (never printed, never in argv),
 * or the admins get `*` (no login) until `local-admins password`. Existing admins are left alone
 * and listed. Users of the helpdesk realm are listed, not imported: LinOTP 3.2 removed that API.
 * All admins are added in one transaction; a generated sheet is removed again when it fails.
 */
import { randomInt } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import type { Db } from '../db/types.js';
import { InputError, UsageError } from '../errors.js';
import { DIGEST_FILES, readHtdigest } from '../host/htdigest.js';
import { checkPassword } from './policy.js';
import { addAdmins, existingAdmins, validateAccountName, type AdminNames } from './store.js';

export type PasswordSource = { kind: 'file'; file: string } | { kind: 'generate'; sheet: string } | { kind: 'none' };

export interface ImportPlan {
  htdigest: string;
  toAdd: string[];
  existing: string[];
  helpdesk: string[];
  passwords: PasswordSource['kind'];
  sheet?: string;
  /** Weak passwords from the file, by account name (the passwords themselves never appear). */
  warnings: string[];
}

/** `user:password` lines (the password runs to the end of the line; `#` comments and blank lines skipped). */
export function readPasswordFile(file: string): Map<string, string> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new InputError(`cannot read the password file ${file}: ${(e as NodeJS.ErrnoException).code ?? e}`, 'check the path and its permissions');
  }
  const out = new Map<string, string>();
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '' || line.startsWith('#')) return;
    const at = line.indexOf(':');
    // Never quote the line: it holds a password.
    if (at <= 0) throw new InputError(`${file} line ${i + 1}: expected user:password`, 'one admin per line, e.g. admin:<password>');
    const user = line.slice(0, at);
    if (out.has(user)) throw new InputError(`${file} line ${i + 1}: ${user} is given twice`, 'give each admin once');
    out.set(user, line.slice(at + 1));
  });
  return out;
}

const ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789-_.';

/** 20 characters from a 60-letter alphabet without look-alikes: ~118 bits. */
export function generatePassword(): string {
  return Array.from({ length: 20 }, () => ALPHABET[randomInt(ALPHABET.length)]).join('');
}

export async function planImport(db: Db, names: AdminNames, htdigest: string, src: PasswordSource): Promise<{ plan: ImportPlan; passwords: Map<string, string> }> {
  const users = readHtdigest(htdigest);
  const helpdeskRealm = DIGEST_FILES.auth_helpdesk.realm;
  const helpdesk = users.filter((u) => u.realm === helpdeskRealm).map((u) => u.user);
  const candidates = [...new Set(users.filter((u) => u.realm !== helpdeskRealm).map((u) => u.user))];
  for (const n of candidates) validateAccountName(n);
  const existing = await existingAdmins(db, names, candidates);
  const toAdd = candidates.filter((n) => !existing.includes(n));
  const plan: ImportPlan = { htdigest, toAdd, existing, helpdesk, passwords: src.kind, warnings: [], ...(src.kind === 'generate' ? { sheet: src.sheet } : {}) };
  const passwords = new Map<string, string>();
  if (src.kind === 'file') {
    const given = readPasswordFile(src.file);
    const missing = toAdd.filter((n) => !given.has(n));
    if (missing.length) throw new UsageError(`${src.file} has no password for ${missing.join(', ')}`, 'add a user:password line for each, or use --generate-passwords SHEET');
    for (const n of toAdd) {
      const c = checkPassword(given.get(n)!, { account: n });
      if (c.error) throw new UsageError(`the password for ${n} in ${src.file} is refused: ${c.error}`, 'nothing was changed');
      for (const w of c.warnings) plan.warnings.push(`the password for ${n} is weak: ${w}`);
      passwords.set(n, given.get(n)!);
    }
  } else if (src.kind === 'generate') {
    for (const n of toAdd) passwords.set(n, generatePassword());
  }
  return { plan, passwords };
}

function writeSheet(sheet: string, passwords: Map<string, string>, plan: ImportPlan): void {
  let fd: number;
  try {
    fd = openSync(sheet, 'wx', 0o600); // never replace a file: it may be an older sheet
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(`cannot create the password sheet ${sheet}: ${code === 'EEXIST' ? 'it exists' : code}`, 'name a new file; nothing was changed');
  }
  try {
    const lines = [`# LinOTP 3 local admins imported from ${plan.htdigest} by linotp-migrate; give each admin theirs, then delete this file.`, ...[...passwords].map(([u, p]) => `${u}:${p}`), ''];
    writeSync(fd, lines.join('\n'));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export async function applyImport(db: Db, names: AdminNames, plan: ImportPlan, passwords: Map<string, string>): Promise<{ added: string[]; existing: string[] }> {
  if (plan.sheet && plan.toAdd.length) writeSheet(plan.sheet, passwords, plan);
  try {
    return await addAdmins(db, names, plan.toAdd.map((name) => ({ name, ...(passwords.has(name) ? { password: passwords.get(name)! } : {}) })));
  } catch (e) {
    if (plan.sheet && plan.toAdd.length) unlinkSync(plan.sheet);
    throw e;
  }
}
