/**
 * junit.xml for CI test-report viewers (GitLab, Jenkins, GitHub test reporters, Azure): one
 * <testcase> per rehearsal check. fail → <failure> with the summary, the items and the hint;
 * skip → <skipped>; warn → passes, with the warning in <system-out>. `failures` therefore equals
 * report.json's counts.fail, and `errors` is always 0 (an operational error is a failing check
 * `step.<id>` like any other, so viewers show it).
 */
import type { RehearsalCheck, RehearsalReport } from '../rehearse/types.js';

/** Characters XML 1.0 does not allow at all (even escaped) are dropped; the rest is escaped. */
export function xmlEscape(s: string): string {
  return s
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '')
    .replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

const attr = (name: string, value: string | number) => `${name}="${xmlEscape(String(value))}"`;

function body(c: RehearsalCheck): string {
  return [c.summary, ...(c.items ?? []).map((i) => `  - ${i}`), ...(c.hint ? [`fix: ${c.hint}`] : [])].join('\n');
}

export function renderJunit(r: RehearsalReport): string {
  const stepTime = new Map(r.steps.map((s) => [s.id, s.seconds]));
  const timed = new Set<string>();
  const cases = r.checks.map((c) => {
    // The step's time goes to its first check, so the suite's times add up to the steps'.
    const time = timed.has(c.step) ? 0 : (stepTime.get(c.step) ?? 0);
    timed.add(c.step);
    const open = `    <testcase ${attr('classname', `rehearse.${c.step}`)} ${attr('name', `${c.title} [${c.id}]`)} ${attr('time', time.toFixed(3))}`;
    switch (c.status) {
      case 'pass':
        return `${open}/>`;
      case 'fail':
        return `${open}>\n      <failure ${attr('message', c.summary)} ${attr('type', c.id)}>${xmlEscape(body(c))}</failure>\n    </testcase>`;
      case 'skip':
        return `${open}>\n      <skipped ${attr('message', c.summary)}/>\n    </testcase>`;
      case 'warn':
        return `${open}>\n      <system-out>${xmlEscape('warning: ' + body(c))}</system-out>\n    </testcase>`;
    }
  });
  const n = r.checks.length;
  const suiteAttrs = [attr('tests', n), attr('failures', r.counts.fail), attr('errors', 0), attr('skipped', r.counts.skip), attr('time', r.seconds.toFixed(3))].join(' ');
  const props = [
    ['outcome', r.outcome],
    ['exitCode', String(r.exitCode)],
    ['backup', r.input.backup],
    ['target', `${r.target.engine} ${r.target.url}`],
    ['tool', `${r.tool.name} ${r.tool.version}`],
  ]
    .map(([k, v]) => `      <property ${attr('name', k)} ${attr('value', v)}/>`)
    .join('\n');
  const warnings = r.warnings.length ? `\n    <system-out>${xmlEscape(r.warnings.map((w) => `warning: ${w}`).join('\n'))}</system-out>` : '';
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites ${attr('name', 'linotp-migrate rehearse')} ${suiteAttrs}>`,
    `  <testsuite ${attr('name', 'LinOTP 2 to 3 upgrade rehearsal')} ${suiteAttrs} ${attr('timestamp', r.startedAt.replace(/\.\d+Z$/, ''))}>`,
    '    <properties>',
    props,
    '    </properties>',
    ...cases,
    warnings.slice(1) || undefined,
    '  </testsuite>',
    '</testsuites>',
    '',
  ]
    .filter((l) => l !== undefined)
    .join('\n');
}
