/** The api-check report: the JSON document `api-check --json` prints and `rehearse` embeds. */
import type { Layout, LogFormat } from './parse.js';
import type { Verdict } from './rules.js';

export interface FileSummary {
  path: string;
  compressed: boolean;
  bytes: number;
  lines: number;
  blank: number;
  malformed: number;
  requests: number;
  apiCalls: number;
  layouts: Record<Layout, number>;
  /** The gzip stream ended early (a log copied while being rotated): counts cover what was read. */
  truncated: boolean;
}

export interface MalformedSample {
  file: string;
  line: number;
  reason: string;
  /** The line, cut to 200 characters, query values masked. */
  text: string;
}

export interface ClientCount {
  address: string;
  count: number;
}

export interface Finding {
  /** `controller/action` (`controller/` for a bare controller URL). */
  endpoint: string;
  method: string;
  verdict: Verdict;
  count: number;
  clients: ClientCount[];
  distinctClients: number;
  /** ISO 8601 UTC instants. */
  firstSeen: string;
  lastSeen: string;
  /** HTTP status codes LinOTP 2 answered with, and how often. */
  statuses: Record<string, number>;
  reason: string;
  source: string;
}

export interface VerdictCount {
  calls: number;
  findings: number;
}

export interface ApiCheckReport {
  options: { format: LogFormat; prefix: string | null };
  files: FileSummary[];
  lines: number;
  blank: number;
  malformed: { count: number; samples: MalformedSample[] };
  /** Lines holding an HTTP request (LinOTP or not). */
  requests: number;
  apiCalls: number;
  /** Requests and request-less lines that are not LinOTP API calls. */
  notApi: { noRequest: number; invalidRequest: number; staticFiles: number; unknownPath: number; outsidePrefix: number };
  /** URL prefixes in front of the LinOTP endpoints ('' = none) and how many calls used each. */
  prefixes: { prefix: string; calls: number }[];
  firstSeen: string | null;
  lastSeen: string | null;
  findings: Finding[];
  summary: Record<Verdict, VerdictCount>;
}

export type FailOn = 'rejected' | 'deprecated';
export const FAIL_ON: readonly FailOn[] = ['rejected', 'deprecated'];

/** `--fail-on rejected`: any rejected call; `--fail-on deprecated`: any rejected or deprecated call. */
export function failOnTriggered(report: ApiCheckReport, failOn: FailOn | undefined): boolean {
  if (!failOn) return false;
  if (report.summary.rejected.calls > 0) return true;
  return failOn === 'deprecated' && report.summary.deprecated.calls > 0;
}
