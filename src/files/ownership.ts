/**
 * Who owns the files LinOTP 3 reads (encKey, audit keys, cfg files), and who can read them.
 *
 * LinOTP 3.4's Debian packaging (branch-v3.4 `debian/postinst`) creates the system user `linotp`
 * (`adduser --system`, primary group `nogroup`), then the group `linotp` with `linotp` and
 * `www-data` as members; `linotp init enc-key` runs as `linotp`, and `set_file_permissions` then
 * makes encKey, audit-private.pem and conf.d/01-debian-database.cfg group `linotp`, group-readable
 * and not world-readable. Accounts are read from /etc/passwd and /etc/group (what `id -G` reports
 * for local accounts), so "can LinOTP read it" is computed, not tried as root.
 */
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from '../errors.js';

export interface Account {
  name: string;
  uid: number;
  /** Primary (login) group. */
  gid: number;
}

export interface Group {
  name: string;
  gid: number;
  members: string[];
}

/** The account databases; tests and chroots may point elsewhere. */
export interface AccountFiles {
  passwd?: string;
  group?: string;
}

function lines(file: string): string[][] {
  try {
    return readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l && !l.startsWith('#'))
      .map((l) => l.split(':'));
  } catch {
    return [];
  }
}

const isId = (s: string) => /^\d+$/.test(s);

export function findUser(nameOrUid: string | number, files: AccountFiles = {}): Account | undefined {
  for (const [name, , uid, gid] of lines(files.passwd ?? '/etc/passwd')) {
    if (!name || !isId(uid ?? '') || !isId(gid ?? '')) continue;
    if (name === String(nameOrUid) || (typeof nameOrUid === 'number' || isId(String(nameOrUid))) && Number(uid) === Number(nameOrUid)) {
      return { name, uid: Number(uid), gid: Number(gid) };
    }
  }
  return undefined;
}

export function findGroup(nameOrGid: string | number, files: AccountFiles = {}): Group | undefined {
  for (const [name, , gid, members] of lines(files.group ?? '/etc/group')) {
    if (!name || !isId(gid ?? '')) continue;
    if (name === String(nameOrGid) || (typeof nameOrGid === 'number' || isId(String(nameOrGid))) && Number(gid) === Number(nameOrGid)) {
      return { name, gid: Number(gid), members: (members ?? '').split(',').map((m) => m.trim()).filter(Boolean) };
    }
  }
  return undefined;
}

/** Primary group plus every group that lists the user as a member (`id -G`). */
export function groupsOf(user: Account, files: AccountFiles = {}): Set<number> {
  const gids = new Set<number>([user.gid]);
  for (const [, , gid, members] of lines(files.group ?? '/etc/group')) {
    if (isId(gid ?? '') && (members ?? '').split(',').map((m) => m.trim()).includes(user.name)) gids.add(Number(gid));
  }
  return gids;
}

/** A resolved owner: numeric ids for chown, names for messages. */
export interface FileOwner {
  uid: number;
  gid: number;
  user: string;
  group: string;
}

const nameOfUid = (uid: number, files: AccountFiles) => findUser(uid, files)?.name ?? String(uid);
const nameOfGid = (gid: number, files: AccountFiles) => findGroup(gid, files)?.name ?? String(gid);

export function ownerOfIds(uid: number, gid: number, files: AccountFiles = {}): FileOwner {
  return { uid, gid, user: nameOfUid(uid, files), group: nameOfGid(gid, files) };
}

/** The group named like the user (Debian's `linotp:linotp`), else the user's primary group. */
function defaultGroupOf(user: Account, files: AccountFiles): number {
  return findGroup(user.name, files)?.gid ?? user.gid;
}

/**
 * `--owner USER[:GROUP]` (names or numeric ids). Without GROUP: the group named like the user when
 * there is one (Debian's `linotp` user has primary group `nogroup` and is a member of `linotp`),
 * else the user's primary group. An unknown user or group is a usage error: nothing is written.
 */
export function parseOwnerSpec(spec: string, files: AccountFiles = {}, option = '--owner'): FileOwner {
  const m = /^([^:\s]+)(?::([^:\s]*))?$/.exec(spec.trim());
  if (!m) throw new UsageError(`${option} ${JSON.stringify(spec)} is not USER[:GROUP]`, `e.g. ${option} linotp:linotp`);
  const user = findUser(m[1]!, files);
  if (!user) throw new UsageError(`${option}: there is no user ${JSON.stringify(m[1])} on this system`, 'create it first (LinOTP 3\'s package creates `linotp`) or name an existing user');
  let gid: number;
  if (m[2]) {
    const group = findGroup(m[2], files);
    if (!group) throw new UsageError(`${option}: there is no group ${JSON.stringify(m[2])} on this system`, 'create it first (e.g. groupadd linotp) or name an existing group');
    gid = group.gid;
  } else gid = defaultGroupOf(user, files);
  return ownerOfIds(user.uid, gid, files);
}

/**
 * The user LinOTP 3 runs as when nothing else says: `linotp`, as the Debian package creates it.
 * LINOTP_MIGRATE_SERVICE_USER names another default (a non-Debian layout, or tests that need
 * "no such user").
 */
export function defaultServiceUser(env: NodeJS.ProcessEnv = process.env): string {
  return env.LINOTP_MIGRATE_SERVICE_USER || 'linotp';
}

/** The service user's account and its default group, or undefined when there is no such user. */
export function serviceOwner(env: NodeJS.ProcessEnv = process.env, files: AccountFiles = {}): FileOwner | undefined {
  const user = findUser(defaultServiceUser(env), files);
  return user ? ownerOfIds(user.uid, defaultGroupOf(user, files), files) : undefined;
}

export function invokingOwner(files: AccountFiles = {}): FileOwner {
  return ownerOfIds(process.getuid?.() ?? 0, process.getgid?.() ?? 0, files);
}

export type AccessNeed = 'read' | 'search';

/**
 * Whether `user` (with the given groups) may read a file, computed from the mode bits of the file
 * and the search (x) bits of every directory above it, as the kernel decides for a non-root
 * process. Returns the first obstacle, or undefined when the user can read it.
 */
export function readObstacle(file: string, user: Account, gids: Set<number>): { path: string; need: AccessNeed; mode: number; uid: number; gid: number } | undefined {
  if (user.uid === 0) return undefined;
  const abs = path.resolve(file);
  const chain: [string, AccessNeed][] = [];
  for (let dir = path.dirname(abs); ; dir = path.dirname(dir)) {
    chain.unshift([dir, 'search']);
    if (dir === path.dirname(dir)) break;
  }
  chain.push([abs, 'read']);
  for (const [p, need] of chain) {
    const st = statSync(p);
    const bit = need === 'read' ? 4 : 1;
    const mode = st.mode & 0o777;
    // The kernel uses the first class that matches (owner, then group, then other), not the best.
    const allowed = st.uid === user.uid ? mode & (bit << 6) : gids.has(st.gid) ? mode & (bit << 3) : mode & bit;
    if (!allowed) return { path: p, need, mode, uid: st.uid, gid: st.gid };
  }
  return undefined;
}

export const formatMode = (mode: number) => '0' + (mode & 0o7777).toString(8).padStart(3, '0');
