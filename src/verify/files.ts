/**
 * `verify`: can the user LinOTP 3 runs as read every file it needs — the encKey, the audit keys
 * (unless AUDIT_DATABASE_URI is OFF), and the cfg files of LINOTP_CFG? Computed from owner, group,
 * mode and the service user's groups (/etc/passwd, /etc/group), including the search bit of every
 * directory above, so a root `verify` cannot pass a key that LinOTP gets PermissionError on.
 */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Linotp3Settings } from '../settings/linotp3.js';
import { FILE_KINDS, type LinotpFileKind } from '../files/linotp-file.js';
import { defaultServiceUser, findGroup, findUser, formatMode, groupsOf, ownerOfIds, readObstacle, type Account, type AccountFiles } from '../files/ownership.js';
import { ITEM_LIMIT, type CheckResult } from './types.js';

export interface NeededFile {
  path: string;
  kind: LinotpFileKind;
  /** Missing is a failure (the encKey, or a file a setting names explicitly). */
  required: boolean;
}

/** The files LinOTP 3 opens at start-up or on the first request, from the effective settings. */
export function filesLinotpReads(settings: Linotp3Settings, encKeyPath: string | undefined): NeededFile[] {
  const out: NeededFile[] = [];
  if (encKeyPath) out.push({ path: encKeyPath, kind: 'enc-key', required: true });
  if (String(settings.get('AUDIT_DATABASE_URI') ?? 'SHARED') !== 'OFF') {
    for (const [name, kind] of [['AUDIT_PRIVATE_KEY_FILE', 'audit-private-key'], ['AUDIT_PUBLIC_KEY_FILE', 'audit-public-key']] as const) {
      const p = settings.get(name);
      if (typeof p === 'string' && p) out.push({ path: p, kind, required: settings.isExplicit(name) });
    }
  }
  for (const f of settings.files) if (f.status !== 'missing') out.push({ path: f.path, kind: 'cfg', required: true });
  // LinOTP joins ROOT_DIR/./encKey: shown (and fixed) as the plain path.
  return out.map((f) => ({ ...f, path: path.normalize(f.path) }));
}

export interface ServiceUserChoice {
  account?: Account;
  /** How it was chosen, for the report. */
  from: '--service-user' | 'owner of the encKey' | 'default service user' | 'none';
}

/**
 * `--service-user`, else the encKey's owner when that is not root, else the default service user
 * (`linotp`, LINOTP_MIGRATE_SERVICE_USER). A root-owned key does not name the service user: it is
 * the mistake this check exists for (LinOTP runs as `linotp` and cannot read it).
 */
export function chooseServiceUser(given: string | undefined, encKeyPath: string | undefined, env: NodeJS.ProcessEnv, accounts: AccountFiles = {}): ServiceUserChoice {
  if (given !== undefined) return { account: findUser(given, accounts), from: '--service-user' };
  if (encKeyPath && existsSync(encKeyPath)) {
    const uid = statSync(encKeyPath).uid;
    if (uid !== 0) {
      const account = findUser(uid, accounts);
      if (account) return { account, from: 'owner of the encKey' };
    }
  }
  const account = findUser(defaultServiceUser(env), accounts);
  return account ? { account, from: 'default service user' } : { from: 'none' };
}

const quote = (p: string) => (/^[\w@%+=:,./-]+$/.test(p) ? p : `'${p.replace(/'/g, `'\\''`)}'`);

/** The command that makes `file` readable as LinOTP 3.4's package leaves it. */
function fixFor(file: NeededFile, obstaclePath: string, need: 'read' | 'search', user: Account, accounts: AccountFiles): string {
  // Debian: user linotp, group linotp (the user's primary group there is nogroup).
  const group = findGroup(user.name, accounts)?.name ?? ownerOfIds(user.uid, user.gid, accounts).group;
  if (need === 'search') return `chgrp ${group} ${quote(obstaclePath)} && chmod g+x ${quote(obstaclePath)}`;
  const mode = formatMode(FILE_KINDS[file.kind].mode);
  if (file.kind === 'cfg') return `chgrp ${group} ${quote(file.path)} && chmod ${mode} ${quote(file.path)}`;
  return `chown ${user.name}:${group} ${quote(file.path)} && chmod ${mode} ${quote(file.path)}`;
}

export function checkFileAccess(files: NeededFile[], choice: ServiceUserChoice, given: string | undefined, accounts: AccountFiles = {}): CheckResult {
  const base = { id: 'file-access', title: 'LinOTP can read its files' };
  if (!choice.account) {
    if (given !== undefined) return { ...base, status: 'fail', summary: `--service-user ${given}: there is no such user on this system`, hint: 'name the user LinOTP 3 runs as (Debian: linotp)' };
    return { ...base, status: 'skip', summary: `no service user to check for: the encKey is owned by root and there is no user ${defaultServiceUser(process.env)} here`, hint: 'give --service-user USER (the user LinOTP 3 runs as)' };
  }
  const user = choice.account;
  const gids = groupsOf(user, accounts);
  // Audit keys at their default paths are optional: absent ones are not counted.
  files = files.filter((f) => f.required || existsSync(f.path));
  const items: string[] = [];
  const hints: string[] = [];
  let failed = 0;
  for (const f of files) {
    let problem: string | undefined;
    if (!existsSync(f.path)) {
      if (f.required) problem = `${f.path} (${FILE_KINDS[f.kind].what}) does not exist`;
    } else {
      const ob = readObstacle(f.path, user, gids);
      if (ob) {
        const owner = ownerOfIds(ob.uid, ob.gid, accounts);
        problem = ob.need === 'read'
          ? `${f.path} (${FILE_KINDS[f.kind].what}, ${owner.user}:${owner.group} ${formatMode(ob.mode)}) is not readable by ${user.name}`
          : `${f.path}: ${user.name} cannot enter ${ob.path} (${owner.user}:${owner.group} ${formatMode(ob.mode)})`;
        if (hints.length < 3) hints.push(fixFor(f, ob.path, ob.need, user, accounts));
      }
    }
    if (problem) {
      failed++;
      if (items.length < ITEM_LIMIT) items.push(problem);
    }
  }
  const who = `${user.name} (${choice.from})`;
  if (!failed) return { ...base, status: 'pass', summary: `${who} can read all ${files.length} file(s): ${files.map((f) => f.path).join(', ')}`, checked: files.length, failed: 0 };
  return {
    ...base,
    status: 'fail',
    summary: `${failed} of ${files.length} file(s) LinOTP needs cannot be read by ${who}: LinOTP 3 fails with PermissionError`,
    checked: files.length,
    failed,
    items,
    hint: hints.length ? hints.join('; ') : `create the missing file(s) (linotp-migrate init enc-key / backup restore --install-enc-key)`,
  };
}
