// What an administrator sees in an 80-column terminal: every line of the demo's commands fits
// (tables wrap inside their columns, commands break with shell continuations). Through a real pty.
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { runPty } from '../helpers/pty.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = `${root}bin/linotp-migrate.js`;

function widest(text: string): string {
  return text
    .replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '')
    .split(/\r?\n|\r/)
    .reduce((a, b) => ([...b].length > [...a].length ? b : a), '');
}

const commands: [string, string[]][] = [
  ['demo (rehearse)', [process.execPath, `${root}scripts/demo.mjs`]],
  ['config convert --dry-run', [process.execPath, bin, 'config', 'convert', '--ini', 'fixtures/demo/linotp.ini', '--dry-run']],
  ['api-check', [process.execPath, bin, 'api-check', '--access-log', 'fixtures/demo/access.log']],
  ['config show --explain', [process.execPath, bin, 'config', 'show', '--explain']],
];

for (const [name, argv] of commands) {
  it(`${name} fits an 80-column terminal`, () => {
    const r = runPty(argv, { cols: 80, cwd: root });
    expect(r.output.length).toBeGreaterThan(100);
    const line = widest(r.output);
    expect([...line].length, line).toBeLessThanOrEqual(80);
  }, 120_000);
}
