/** Human rendering of an api-check report (the `api-check` command; `rehearse` may reuse it). */
import type { ChalkInstance } from 'chalk';
import { renderTable } from '../terminal/table.js';
import type { ApiCheckReport } from './report.js';
import type { Verdict } from './rules.js';

const MAX_OK_ROWS = 25;

export function colourVerdict(v: Verdict, c: ChalkInstance): string {
  return v === 'rejected' ? c.red.bold(v) : v === 'deprecated' ? c.yellow(v) : c.green(v);
}

/** `2026-03-01T10:00:00.000Z` → `2026-03-01 10:00:00Z` (the table is wide enough already). */
function short(iso: string): string {
  return iso.replace('T', ' ').replace(/\.\d{3}Z$/, 'Z');
}

export function renderApiCheckReport(r: ApiCheckReport, c: ChalkInstance): string {
  const out: string[] = [];
  const compressed = r.files.filter((f) => f.compressed).length;
  out.push(`Read ${r.files.length} log file${r.files.length === 1 ? '' : 's'}${compressed ? ` (${compressed} gzip)` : ''}: ${r.lines} lines, ${r.requests} requests, ${r.apiCalls} LinOTP API calls` +
    (r.firstSeen && r.lastSeen ? `, ${short(r.firstSeen)} – ${short(r.lastSeen)}` : '') + '.');
  const detected = r.prefixes.filter((p) => p.prefix !== '');
  if (detected.length) out.push(`URL prefixes in front of LinOTP: ${detected.map((p) => `${p.prefix} (${p.calls})`).join(', ')}.`);
  out.push('');

  if (r.findings.length === 0) {
    out.push('No LinOTP API calls found in these logs.' + (r.requests > 0 && !r.options.prefix
      ? ' If LinOTP sits below an unusual URL path, name it with --prefix.' : ''));
  } else {
    // Every rejected and deprecated row; ok rows only up to a screenful (scanner noise can add hundreds).
    const shown = r.findings.filter((f, i) => f.verdict !== 'ok' || i < r.findings.length - r.summary.ok.findings + MAX_OK_ROWS);
    const hidden = r.findings.slice(shown.length);
    const rows = shown.map((f) => [
      colourVerdict(f.verdict, c), f.method, f.endpoint, f.count,
      f.clients.map((x) => `${x.address} (${x.count})`).join(', ') + (f.distinctClients > f.clients.length ? ` +${f.distinctClients - f.clients.length}` : ''),
      short(f.firstSeen), short(f.lastSeen),
    ]);
    out.push(renderTable(['VERDICT', 'METHOD', 'ENDPOINT', 'CALLS', 'TOP CLIENTS', 'FIRST SEEN (UTC)', 'LAST SEEN (UTC)'], rows,
      ['left', 'left', 'left', 'right', 'left', 'left', 'left']));
    if (hidden.length) {
      out.push(c.dim(`… and ${hidden.length} more ok endpoint/method pairs (${hidden.reduce((n, f) => n + f.count, 0)} calls); --json lists them all`));
    }
  }

  const why = new Map<string, string[]>();
  for (const f of r.findings) {
    if (f.verdict === 'ok') continue;
    const key = `${f.reason}\u0000${f.source}`;
    const list = why.get(key) ?? [];
    list.push(`${f.method} ${f.endpoint}`);
    why.set(key, list);
  }
  if (why.size) {
    out.push('', c.bold('Why:'));
    for (const [key, calls] of why) {
      const [reason, source] = key.split('\u0000');
      out.push(`  ${calls.join(', ')}`, `    ${reason}`, c.dim(`    (${source})`));
    }
  }

  if (r.malformed.count) {
    out.push('', c.yellow(`${r.malformed.count} malformed line${r.malformed.count === 1 ? '' : 's'} skipped`) + (r.malformed.samples.length ? ', e.g.:' : '.'));
    for (const s of r.malformed.samples) out.push(`  ${s.file}:${s.line}: ${s.reason}`, c.dim(`    ${s.text}`));
  }
  for (const f of r.files.filter((x) => x.truncated)) out.push(c.yellow(`${f.path}: gzip data ends early; counted what was readable.`));

  const s = r.summary;
  out.push('', `${c.red.bold(String(s.rejected.calls))} rejected calls (${s.rejected.findings} endpoint/method pairs), ` +
    `${c.yellow(String(s.deprecated.calls))} deprecated (${s.deprecated.findings}), ${c.green(String(s.ok.calls))} ok (${s.ok.findings}).`);
  return out.join('\n');
}
