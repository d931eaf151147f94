/** The human output of `rehearse`: step lines with timings, the checks, rows per table, a summary. */
import type { ChalkInstance } from 'chalk';
import { renderTable } from '../terminal/table.js';
import { wrapCommand, wrapText } from '../terminal/text.js';
import { tableWidth } from '../terminal/width.js';
import type { RehearsalCheck, RehearsalReport, StepRecord } from '../rehearse/types.js';

const SHOWN_ITEMS = 6;

export function stepLine(s: StepRecord, c: ChalkInstance): string {
  const status = s.status === 'ok' ? c.green('ok     ') : s.status === 'failed' ? c.red('FAILED ') : c.dim('skipped');
  const time = s.status === 'skipped' ? '        ' : `${s.seconds.toFixed(2).padStart(6)} s`;
  const text = s.status === 'skipped' ? (s.reason === 'not-available' ? c.yellow(`${s.title}: ${s.summary}`) : c.dim(`${s.title}: ${s.summary}`)) : `${s.title}: ${s.summary}`;
  return `  ${status} ${time}  ${text}`;
}

function mark(st: RehearsalCheck['status'], c: ChalkInstance): string {
  return st === 'pass' ? c.green('ok') : st === 'fail' ? c.red('FAIL') : st === 'warn' ? c.yellow('warn') : c.dim('skip');
}

/** `stepsShown`: the step lines were already printed live (on a terminal); do not repeat them. */
export function renderText(r: RehearsalReport, c: ChalkInstance, files?: string[], stepsShown = false): string {
  const L: string[] = [];
  const target = r.target.url ? `${r.target.engine} ${r.target.url} (${r.target.scratch ? 'scratch' : '--target-db'}${r.target.kept ? ', kept' : r.target.removed ? ', removed afterwards' : ''})` : '(no target)';
  L.push(`${stepsShown ? '\n' : ''}rehearsal: ${r.input.backup} → ${target}`);
  if (!stepsShown) L.push('', 'steps:', ...r.steps.map((s) => stepLine(s, c)));
  const stopped = r.steps.find((s) => s.status === 'failed');
  if (stopped?.error) {
    L.push('', c.red(`stopped at "${stopped.title}": ${stopped.error.message}`));
    if (stopped.error.hint) L.push(`${c.dim('fix:')} ${stopped.error.hint}`);
  }
  const rows: string[][] = [];
  for (const ch of r.checks) {
    rows.push([mark(ch.status, c), ch.title, ch.summary]);
    if (ch.status !== 'pass' && ch.items?.length) {
      for (const i of ch.items.slice(0, SHOWN_ITEMS)) rows.push(['', '', c.dim(`  ${i}`)]);
      if (ch.items.length > SHOWN_ITEMS) rows.push(['', '', c.dim(`  … and ${ch.items.length - SHOWN_ITEMS} more (see report.md)`)]);
    }
    if (ch.status !== 'pass' && ch.status !== 'skip' && ch.hint) rows.push(['', '', c.dim(`  → ${ch.hint}`)]);
  }
  L.push('', renderTable(['', 'check', 'result'], rows));
  if (r.tables.length) {
    L.push(
      '',
      renderTable(
        ['table', 'backup', 'after', 'by design'],
        r.tables.map((t) => [t.ok ? t.table : c.red(t.table), t.backup, t.after ?? 'missing', t.expectedDelta ? `${t.expectedDelta > 0 ? '+' : ''}${t.expectedDelta} ${c.dim(t.why ?? '')}` : '']),
        ['left', 'right', 'right', 'left'],
      ),
    );
  }
  for (const w of r.warnings) L.push(c.yellow('warning: ') + w);
  L.push('', r.ok ? 'production upgrade (the same steps for real):' : 'production upgrade (once the rehearsal passes):', ...r.production.map((l) => (l.startsWith('#') ? wrapText(`  ${l}`, tableWidth()).map((x) => c.dim(x)).join('\n') : wrapCommand(`  ${l}`, tableWidth()))));
  if (files?.length) L.push('', `reports: ${files.join(', ')}`);
  const total = `${r.counts.pass} passed, ${r.counts.warn} warning(s), ${r.counts.fail} failed, ${r.counts.skip} skipped in ${r.seconds.toFixed(1)} s`;
  L.push('', r.outcome === 'passed' ? c.green(`rehearsal PASSED: ${total}`) : r.outcome === 'failed' ? c.red(`rehearsal FAILED: ${total}`) : c.red(`rehearsal stopped by an error: ${total}`));
  return L.join('\n');
}
