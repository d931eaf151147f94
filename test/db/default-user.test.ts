// `postgresql:///db` without a user logs in as libpq does: PGUSER, else the OS user (getpwuid) —
// also when $USER is not set (cron, systemd units), where node-postgres alone sends no user at all.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { userInfo } from 'node:os';
import { beforeAll, expect, it } from 'vitest';
import { describeEngines } from '../helpers/db.js';
import { ensureBuilt, ROOT } from '../e2e/global-setup.js';

beforeAll(() => ensureBuilt(), 180_000);

const socketDir = ['/var/run/postgresql', '/run/postgresql'].find((d) => existsSync(`${d}/.s.PGSQL.5432`));

describeEngines('PostgreSQL URL without a user', () => {
  it.skipIf(!socketDir)('uses the OS user when neither the URL, PGUSER nor $USER names one', () => {
    const script = `
      const { openDatabase } = await import('./dist/db/index.js');
      try {
        const db = await openDatabase('postgresql:///postgres?host=${socketDir}');
        console.log('user=' + (await db.query('SELECT current_user AS u'))[0].u);
        await db.close();
      } catch (e) { console.log('error=' + e.message); }`;
    const env = { ...process.env };
    delete env.USER;
    delete env.PGUSER;
    delete env.LOGNAME;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8', env });
    const me = userInfo().username;
    expect(r.stdout).not.toMatch(/no PostgreSQL user name/);
    // Either the OS user's role exists and we are it, or the server names the OS user it refused.
    expect(r.stdout.trim(), r.stderr).toMatch(new RegExp(`^user=${me}$|role "${me}" does not exist|authentication failed for user "${me}"`));
  });
}, ['postgres']);
