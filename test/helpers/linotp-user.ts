/**
 * The `linotp` system user and group LinOTP 3.4's Debian package creates, created here when
 * missing (tests run as root on the CI machine). Not root: returns false and the caller skips,
 * unless CI is set (then it is a failure).
 */
import { execFileSync } from 'node:child_process';

function exists(kind: 'passwd' | 'group', name: string): boolean {
  try {
    execFileSync('getent', [kind, name], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export function ensureLinotpUser(): boolean {
  if (process.getuid?.() !== 0) {
    if (process.env.CI) throw new Error('these tests need root to create the linotp system user (CI is set, so this is a failure)');
    return false;
  }
  if (!exists('group', 'linotp')) execFileSync('groupadd', ['--system', 'linotp']);
  if (!exists('passwd', 'linotp')) execFileSync('useradd', ['--system', '-g', 'linotp', '--no-create-home', '--shell', '/usr/sbin/nologin', 'linotp']);
  return true;
}

export function idsOf(name: string): { uid: number; gid: number } {
  return { uid: Number(execFileSync('id', ['-u', name]).toString().trim()), gid: Number(execFileSync('id', ['-g', name]).toString().trim()) };
}
