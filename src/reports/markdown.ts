/**
 * report.md: the rehearsal for humans — outcome, steps with timings, every check, rows per table,
 * what changed, warnings, api-check findings, and the exact commands for the production upgrade.
 */
import type { RehearsalCheck, RehearsalReport, StepRecord } from '../rehearse/types.js';

const OUTCOME = { passed: 'PASSED', failed: 'FAILED', error: 'ERROR' } as const;
const MARK: Record<RehearsalCheck['status'], string> = { pass: '✅ pass', fail: '❌ FAIL', warn: '⚠️ warn', skip: '⏭ skip' };

/** A table cell: no line breaks, pipes escaped. */
export function cell(s: string | number | null | undefined): string {
  return String(s ?? '').replace(/\r?\n/g, ' ').replace(/\|/g, '\\|');
}

function table(headers: string[], rows: (string | number | null | undefined)[][], right: number[] = []): string[] {
  const sep = headers.map((_, i) => (right.includes(i) ? '---:' : '---'));
  return [`| ${headers.map(cell).join(' | ')} |`, `| ${sep.join(' | ')} |`, ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`)];
}

export function stepStatusText(s: StepRecord): string {
  if (s.status === 'ok') return 'ok';
  if (s.status === 'failed') return 'FAILED';
  return s.reason === 'not-available' ? 'skipped (not available)' : s.reason === 'earlier-failure' ? 'skipped (earlier failure)' : 'skipped';
}

export function renderMarkdown(r: RehearsalReport): string {
  const L: string[] = [];
  L.push(`# LinOTP 2 → 3 upgrade rehearsal: ${OUTCOME[r.outcome]}`, '');
  L.push(
    `- **Result:** ${r.counts.pass} passed, ${r.counts.warn} warning(s), ${r.counts.fail} failed, ${r.counts.skip} skipped — exit code ${r.exitCode}`,
    `- **When:** ${r.startedAt} (${r.seconds.toFixed(1)} s), ${r.tool.name} ${r.tool.version}`,
    `- **Backup:** \`${r.input.backup}\`${r.input.backupKind ? ` (${r.input.backupKind}, ${r.input.dumpDialect} dump, LinOTP model ${r.input.modelVersion ?? 'not stored'})` : ''}`,
    `- **encKey:** ${r.input.encKey ? `${r.input.encKey.source} (sha256 ${r.input.encKey.fingerprint.slice(0, 16)}…)` : 'none'}`,
    `- **linotp.ini:** ${r.input.ini ? `\`${r.input.ini}\`` : 'not given'}`,
    `- **Target:** ${r.target.engine} \`${r.target.url}\` (${r.target.scratch ? 'scratch' : 'given with --target-db'}, ${r.target.kept ? 'kept' : r.target.removed ? 'removed afterwards' : 'left in place'})`,
    '',
  );
  const stopped = r.steps.find((s) => s.status === 'failed');
  if (stopped) {
    L.push(`> **The rehearsal stopped at “${stopped.title}”:** ${stopped.error?.message ?? stopped.summary}`);
    if (stopped.error?.hint) L.push(`>`, `> **What to fix:** ${stopped.error.hint}`);
    L.push('');
  }
  L.push('## Steps', '', ...table(['step', 'result', 'seconds', 'what happened'], r.steps.map((s) => [s.title, stepStatusText(s), s.seconds.toFixed(2), s.summary]), [2]), '');
  L.push('## Checks', '', ...table(['', 'check', 'result'], r.checks.map((c) => [MARK[c.status], c.title, c.summary])), '');
  const notable = r.checks.filter((c) => c.status === 'fail' || c.status === 'warn');
  for (const c of notable) {
    L.push(`### ${c.status === 'fail' ? '❌' : '⚠️'} ${c.title}`, '', c.summary, '');
    for (const i of c.items ?? []) L.push(`- ${i}`);
    if (c.items?.length) L.push('');
    if (c.hint) L.push(`**What to do:** ${c.hint}`, '');
  }
  if (r.tables.length) {
    L.push('## Rows per table', '', ...table(['table', 'backup', 'after upgrade', 'expected change', 'why', ''], r.tables.map((t) => [t.table, t.backup, t.after ?? 'missing', t.expectedDelta ? (t.expectedDelta > 0 ? `+${t.expectedDelta}` : t.expectedDelta) : '', t.why ?? '', t.ok ? '✅' : '❌']), [1, 2, 3]), '');
  }
  const d = r.details;
  const found: string[] = [];
  const backupRows = r.tables.reduce((n, t) => n + t.backup, 0);
  if (r.tables.length) found.push(`- The backup holds ${backupRows} rows in ${r.tables.length} tables (LinOTP model ${r.input.modelVersion ?? 'not stored'}).`);
  if (d.verify) {
    const types = Object.entries(d.verify.tokensByType).sort((a, b) => b[1] - a[1]).map(([t, n]) => `${n} ${t}`).join(', ');
    found.push(`- ${d.verify.tokens} tokens${types ? ` (${types})` : ''}; ${d.verify.valuesChecked - d.verify.valuesFailed} of ${d.verify.valuesChecked} encrypted values decrypt with the encKey.`);
  }
  if (d.encoding) found.push(`- ${d.encoding.repairedValues} double-encoded text value(s) (latin1/utf8 mojibake).`);
  if (d.audit) found.push(`- ${d.audit.total} audit rows, ${d.audit.converted} of them in LinOTP 2 local time (${d.audit.timezone}).`);
  if (d.config) found.push(`- linotp.ini: ${d.config.needsAttention.length} key(s) need attention in LinOTP 3.`);
  if (d.apiCheck) found.push(`- Access logs: ${d.apiCheck.apiCalls} API calls, ${d.apiCheck.rejected.calls} that LinOTP 3 rejects, ${d.apiCheck.deprecated.calls} deprecated.`);
  if (found.length) L.push('## What was found', '', ...found, '');
  const changed: string[] = [];
  if (d.restore) changed.push(`- Restored ${d.restore.rows} rows in ${d.restore.tables} tables (${d.restore.crossEngine ? 'into another engine: tables created from the LinOTP schema model' : 'same engine: the dump\'s own DDL'}).`);
  if (d.upgrade) changed.push(`- \`init database\`: model ${d.upgrade.from ?? '(none)'} → ${d.upgrade.to}; ${d.upgrade.actions.map((a) => `${a.id} (${a.title})`).join('; ')}.`);
  if (d.encoding) {
    changed.push(`- \`admin fix-db-encoding\`: repaired ${d.encoding.repairedValues} double-encoded value(s) in ${d.encoding.changedRows} row(s)${d.encoding.multiple ? `; ${d.encoding.multiple} value(s) encoded three or more times left as they are` : ''}.`);
    for (const x of d.encoding.samples) changed.push(`  - ${x.where}: \`${JSON.stringify(x.before)}\` → \`${JSON.stringify(x.after)}\``);
  }
  if (d.audit) changed.push(`- \`audit to-utc\`: ${d.audit.converted} audit timestamps ${d.audit.timezone} → UTC.`);
  if (d.admin) changed.push(`- Local admin \`${d.admin.name}\` ${d.admin.action === 'created' ? 'created' : 'password reset'} (sha512_crypt).`);
  if (d.config) changed.push(`- \`config convert\` (plan only): ${Object.entries(d.config.counts).map(([k, n]) => `${n} ${k}`).join(', ')}.`);
  if (changed.length) L.push('## What changed', '', ...changed, '');
  if (d.apiCheck && d.apiCheck.findings.length) {
    L.push('## API calls to change (api-check)', '', `${d.apiCheck.apiCalls} API calls in ${d.apiCheck.lines} log lines: ${d.apiCheck.rejected.calls} rejected by LinOTP 3, ${d.apiCheck.deprecated.calls} deprecated.`, '');
    L.push(...table(['verdict', 'method', 'endpoint', 'calls', 'clients'], d.apiCheck.findings.map((f) => [f.verdict, f.method, f.endpoint, f.count, f.clients.join(', ')]), [3]), '');
  }
  if (r.warnings.length) L.push('## Warnings', '', ...r.warnings.map((w) => `- ${w}`), '');
  L.push('## The production upgrade', '', r.ok ? 'The rehearsal passed. Run these on production (the same steps, against the LinOTP 3 installation):' : 'Fix what failed above and rehearse again before running these on production:', '', '```sh', ...r.production, '```', '');
  L.push('Reference: docs/upgrade-guide.md (the procedure) and docs/commands.md (every option).', '');
  return L.join('\n');
}
