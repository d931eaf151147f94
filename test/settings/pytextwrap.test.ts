import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { pyWrap } from '../../src/settings/pytextwrap.js';
import { SETTINGS } from '../../src/settings/schema.js';

const samples = [
  ...SETTINGS.map((s) => `  Description: ${s.description}`),
  ...SETTINGS.map((s) => `${s.name}: ${s.description}`),
  'a well-known hyphen-ated text with some--dashes and a-b c--d and x-ray-ish words '.repeat(3),
  'averyveryveryveryveryveryveryveryveryveryveryveryveryveryveryveryveryverylong-word-with-hyphens-and more',
  'tabs\there\tand\nnewlines   and    runs of spaces, /usr/lib/python3/dist-packages/linotp/a/very/long/path/that/does/not/fit/anywhere/in/seventy',
];
const python = spawnSync('python3', ['-c', 'import sys'], { encoding: 'utf8' }).status === 0;

describe('pyWrap (Python textwrap.fill)', () => {
  it.skipIf(!python && !process.env.CI)('matches python3 textwrap for every schema description and odd cases', () => {
    const cases = samples.flatMap((t) => [
      { t, w: 70, i: '', s: '    ' },
      { t, w: 70, i: '# ', s: '# ' },
      { t, w: 30, i: '', s: '' },
    ]);
    const code = 'import json,sys,textwrap\nfor c in json.load(sys.stdin): print(json.dumps(textwrap.wrap(c["t"], width=c["w"], initial_indent=c["i"], subsequent_indent=c["s"])))';
    const r = spawnSync('python3', ['-c', code], { input: JSON.stringify(cases), encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const want = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    cases.forEach((c, k) => expect(pyWrap(c.t, { width: c.w, initialIndent: c.i, subsequentIndent: c.s }), c.t).toEqual(want[k]));
  });
});
