/**
 * docs/compat.md against the option table: every command and option it says we have exists in
 * src/cli, and every LinOTP 3.4 command and option (branch-v3.4 linotp/cli/*.py, linotp/settings.py)
 * has a row.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadCommandSpecs } from '../../src/cli/commands.js';
import type { CommandSpec } from '../../src/cli/spec.js';

const doc = readFileSync(new URL('../../docs/compat.md', import.meta.url), 'utf8');
const rows = doc
  .split('\n')
  .filter((l) => l.startsWith('| `linotp'))
  .map((l) => l.split('|').slice(1, -1).map((c) => c.trim()));

/** LinOTP 3.4's commands with their options (short and long forms); `[]` = no options. */
const LINOTP_3_4: Record<string, string[]> = {
  '': ['-v', '--verbose', '-q', '--quiet', '--version', '-e', '--env-file', '--help'],
  run: [], shell: [], routes: [],
  'init database': ['--erase-all-data', '--yes'],
  'init enc-key': ['-f', '--force', '--dump', '--keys'],
  'init audit-keys': ['-f', '--force'],
  'init all': ['-f', '--force'],
  'backup create': [],
  'backup restore': ['--file'],
  'dbsnapshot create': [],
  'dbsnapshot restore': ['--file', '--date', '--table'],
  'dbsnapshot list': [],
  'admin fix-db-encoding': [],
  'audit cleanup': ['--max-entries-to-keep', '--cleanup-threshold', '--delete-after-days', '--export', '-e', '--exportdir'],
  'config show': ['-m', '--modified', '-V', '--values'],
  'config explain': ['--sample-file', '--banner', '--no-banner'],
  'local-admins list': ['-f', '--format', '-l', '--long'],
  'local-admins add': ['--phone', '--mobile', '--email', '--surname', '--givenname'],
  'local-admins modify': ['--phone', '--mobile', '--email', '--surname', '--givenname'],
  'local-admins password': ['--password'],
  'local-admins remove': ['--yes'],
  'local-admins enable': [],
  'support set': [], 'support get': [], 'support verify': ['-f', '--filename'],
  'ldap-test': ['--url', '--base', '--binddn', '--bindpw'],
};
const GLOBAL = ['-v', '--verbose', '-q', '--quiet', '--version', '-e', '--env-file', '--help', '--yes', '--json', '--no-color'];

const flagsOf = (s: CommandSpec) => s.options.flatMap((o) => o.flags.split(/[ ,]+/).filter((f) => f.startsWith('-')));

describe('docs/compat.md', () => {
  it('every command and option it names on our side exists in the option table', async () => {
    const specs = await loadCommandSpecs();
    expect(rows.length).toBeGreaterThan(40);
    for (const [, ours, status] of rows) {
      expect(['same', 'different', 'not supported'], ours).toContain(status);
      if (ours === '—') {
        expect(status).toBe('not supported');
        continue;
      }
      const m = /^`([^`]+)`$/.exec(ours);
      expect(m, `second column must be one backticked command: ${ours}`).toBeTruthy();
      const words = m![1].split(' ');
      const opt = words.find((w) => w.startsWith('-'));
      const path = words.filter((w) => !w.startsWith('-'));
      if (!path.length) {
        expect(GLOBAL, ours).toContain(opt);
        continue;
      }
      const spec = specs.find((s) => s.path.join(' ') === path.join(' '));
      expect(spec, `no command ${path.join(' ')}`).toBeTruthy();
      if (opt) expect(flagsOf(spec!), `${path.join(' ')} has no ${opt}`).toContain(opt);
    }
  });

  it('every LinOTP 3.4 command and option has a row', () => {
    // first column: `linotp WORDS… [-o, --option …] [ARGS]`
    const theirs = rows.map(([c]) => {
      const tokens = c.replace(/`/g, '').split(/[\s,/]+/).slice(1);
      const words: string[] = [];
      for (const t of tokens) if (/^[a-z][a-z-]*$/.test(t) && words.length === tokens.indexOf(t)) words.push(t);
      const options = tokens.filter((t) => t.startsWith('-')).map((t) => t.replace(/=.*$/, ''));
      return { cmd: words.join(' '), options };
    });
    for (const [cmd, options] of Object.entries(LINOTP_3_4)) {
      const forCmd = theirs.filter((r) => r.cmd === cmd);
      expect(forCmd.length, `no row for linotp ${cmd}`).toBeGreaterThan(0);
      for (const o of options) expect(forCmd.some((r) => r.options.includes(o)), `no row for linotp ${cmd} ${o}`).toBe(true);
    }
    // and no row names a LinOTP command the inventory does not know
    for (const r of theirs) expect(Object.keys(LINOTP_3_4), r.cmd).toContain(r.cmd);
  });
});
