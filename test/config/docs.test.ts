// docs/config.md carries the mapping table generated from src/config/mapping.ts.
import { describe, it, expect } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { mappingHelp, mappingMarkdown } from '../../src/config/docs.js';
import { commands } from '../../src/cli/config.js';
import { MAPPING } from '../../src/config/mapping.js';

const DOC = fileURLToPath(new URL('../../docs/config.md', import.meta.url));
const BEGIN = /<!-- BEGIN GENERATED MAPPING[^>]*-->\n/;
const END = '<!-- END GENERATED MAPPING -->';

describe('mapping docs', () => {
  it('docs/config.md holds the generated mapping table', () => {
    const text = readFileSync(DOC, 'utf8');
    const m = BEGIN.exec(text)!;
    const start = m.index + m[0].length;
    const end = text.indexOf(END);
    const expected = mappingMarkdown() + '\n';
    if (process.env.UPDATE_DOCS) writeFileSync(DOC, text.slice(0, start) + expected + text.slice(end));
    else expect(text.slice(start, end), 'run UPDATE_DOCS=1 npx vitest run test/config/docs.test.ts').toBe(expected);
  });

  it('--help of config convert lists every converted key', () => {
    const help = commands.find((c) => c.path[1] === 'convert')!.description!;
    expect(help).toContain(mappingHelp());
    for (const r of MAPPING.filter((x) => x.kind !== 'drop')) expect(help).toContain(r.key);
  });
});
