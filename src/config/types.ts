/** Types shared by the config converter's steps. */
import type { PyValue } from '../settings/pyvalue.js';
import type { LinotpVersion } from '../settings/schema.js';

export type RowStatus = 'renamed' | 'converted' | 'dropped' | 'needs-attention';

/** One row per ini key: what happened to it. */
export interface ReportRow {
  section: string;
  key: string;
  line: number;
  /** The ini value, secrets masked. */
  value: string;
  status: RowStatus;
  /** LinOTP 3 settings it went to. */
  to: string[];
  reason: string;
  /** The written values of `to` (secrets masked), filled in at the end of the conversion. */
  newValues?: Record<string, string>;
}

/** One LinOTP 3 setting to write. */
export interface OutSetting {
  name: string;
  value: PyValue;
  /** Comment lines naming the ini origin, e.g. `[app:main] sqlalchemy.url (line 53)`. */
  origins: string[];
  /** `database` settings go to the database snippet with --split. */
  group: 'database' | 'main';
  /** The value for reports (secrets masked). */
  display: string;
}

export interface ConvertOptions {
  target: LinotpVersion;
  /** Path prefix rewrites `OLD=NEW` (e.g. /etc/linotp2 → /etc/linotp), longest first. */
  rebase: [string, string][];
}

export interface StepResult {
  settings: OutSetting[];
  rows: ReportRow[];
  warnings: string[];
}

/** Applies the longest matching --rebase prefix (whole path components only). */
export function rebasePath(p: string, rebase: [string, string][]): { path: string; rebased: boolean } {
  const sorted = [...rebase].sort((a, b) => b[0].length - a[0].length);
  for (const [from, to] of sorted) {
    const f = from.replace(/\/+$/, '') || '/';
    if (p === f || p.startsWith(f === '/' ? '/' : f + '/')) {
      return { path: (to.replace(/\/+$/, '') || '') + p.slice(f === '/' ? 0 : f.length) || '/', rebased: true };
    }
  }
  return { path: p, rebased: false };
}

/** Python logging level names LinOTP 3 accepts (exact upper case); null when there is no sensible mapping. */
export function mapLogLevel(v: string): string | null {
  const u = v.trim().toUpperCase();
  const alias: Record<string, string> = { WARN: 'WARNING', FATAL: 'CRITICAL', NOTSET: 'DEBUG' };
  const m = alias[u] ?? u;
  return ['CRITICAL', 'ERROR', 'WARNING', 'INFO', 'DEBUG'].includes(m) ? m : null;
}

export const origin = (section: string, key: string, line: number) => `[${section}] ${key}${line ? ` (line ${line})` : ''}`;
