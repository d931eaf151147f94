/** The mapping table rendered for `config convert --help` and docs/config.md (same data as the converter). */
import { LOGGING_DOC, MAPPING } from './mapping.js';

const STATUS: Record<string, string> = {
  drop: 'dropped',
  attention: 'needs attention',
};

/** Compact plain-text table for --help. */
export function mappingHelp(): string {
  const lines = ['Mapping (LinOTP 2 key → LinOTP 3 setting; * = prefix):'];
  for (const r of MAPPING) {
    if (r.kind === 'drop') continue;
    lines.push(`  ${r.key} → ${r.to}${r.kind === 'attention' ? ' (needs attention)' : ''}`);
  }
  for (const r of LOGGING_DOC) lines.push(`  ${r.key} → ${r.to}`);
  const dropped = MAPPING.filter((r) => r.kind === 'drop').map((r) => r.key);
  lines.push(`Dropped with a reason: ${dropped.join(', ')}, [server:main] keys.`);
  lines.push('Unknown keys are reported as needs-attention. Full table with reasons: docs/config.md.');
  return lines.join('\n');
}

const md = (s: string) => s.replace(/\|/g, '\\|');

/** Markdown table for docs/config.md (between the GENERATED markers). */
export function mappingMarkdown(): string {
  const out = ['| LinOTP 2 key | LinOTP 3 | Status | How / why |', '|---|---|---|---|'];
  for (const r of MAPPING) {
    out.push(`| \`${md(r.key)}\` | ${md(r.to)} | ${STATUS[r.kind] ?? 'converted'} | ${md(r.reason)} |`);
  }
  for (const r of LOGGING_DOC) out.push(`| ${md(r.key)} | ${md(r.to)} | ${r.to.startsWith('LOGGING (') ? 'needs attention' : 'converted'} | ${md(r.reason)} |`);
  out.push('| any other key | — | needs attention | unknown to the converter: check whether the installation relied on it |');
  return out.join('\n');
}
