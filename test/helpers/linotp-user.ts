/**
 * The `linotp` system user and group as LinOTP 3.4's Debian package creates them (user `linotp`,
 * group `linotp`), for the tests of key and cfg file ownership. Created when missing; needs root.
 * Without root the ownership tests skip with this reason — never in CI, where they must run.
 */
import { execFileSync } from 'node:child_process';
import { findGroup, findUser } from '../../src/files/ownership.js';

export const NOT_ROOT = 'ownership tests need root (they chown files and create the linotp system user)';

export function canTestOwnership(): boolean {
  if (process.getuid?.() === 0) return true;
  if (process.env.CI) throw new Error(`${NOT_ROOT}; CI must run them as root`);
  return false;
}

const quiet = { stdio: ['ignore', 'ignore', 'pipe'] as ['ignore', 'ignore', 'pipe'] };

/** Makes sure `linotp` (user and group) exists; tolerates a parallel test creating it at the same time. */
export function ensureLinotpUser(): { uid: number; gid: number } {
  const tryRun = (cmd: string, args: string[]) => {
    try {
      execFileSync(cmd, args, quiet);
    } catch {
      /* exists already (or raced): checked below */
    }
  };
  if (!findGroup('linotp')) tryRun('groupadd', ['--system', 'linotp']);
  if (!findUser('linotp')) tryRun('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', '--gid', 'linotp', 'linotp']);
  const user = findUser('linotp');
  const group = findGroup('linotp');
  if (!user || !group) throw new Error('could not create the linotp system user and group (useradd/groupadd)');
  return { uid: user.uid, gid: group.gid };
}

/** A second unprivileged system user for "another owner" cases. */
export function ensureUser(name: string): { uid: number; gid: number } {
  if (!findUser(name)) {
    try {
      execFileSync('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', '--user-group', name], quiet);
    } catch {
      /* raced */
    }
  }
  const u = findUser(name);
  if (!u) throw new Error(`could not create the system user ${name}`);
  return { uid: u.uid, gid: u.gid };
}
