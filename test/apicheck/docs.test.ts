// docs/api-check.md shows exactly the rule table the code uses.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { rulesMarkdown } from '../../src/apicheck/rules.js';

it('docs/api-check.md embeds the current rule table', () => {
  const doc = readFileSync(fileURLToPath(new URL('../../docs/api-check.md', import.meta.url)), 'utf8');
  const m = /<!-- rules:begin[^>]*-->\n([\s\S]*?)\n<!-- rules:end -->/.exec(doc);
  expect(m, 'rules markers missing').not.toBeNull();
  expect(m![1]).toBe(rulesMarkdown());
});
