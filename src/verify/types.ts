/** The typed result of `verify` (rendered by src/cli/verify.ts, printed as is with --json). */
import type { Engine } from '../db/types.js';
import type { ModelVersionInfo } from '../schema/version.js';
import type { ClusterInfo } from '../db/types.js';

export type CheckStatus = 'pass' | 'fail' | 'warn' | 'skip';

export interface CheckResult {
  id: string;
  title: string;
  status: CheckStatus;
  /** One line: what was found. */
  summary: string;
  /** Values examined / failing, where the check counts. */
  checked?: number;
  failed?: number;
  /** Failing items by name (token serials, Config keys …), at most ITEM_LIMIT. */
  items?: string[];
  /** How many more failing items were not listed. */
  moreItems?: number;
  /** What to do about a failure or warning. */
  hint?: string;
}

export type KeyVerdict =
  /** every encrypted value decrypts */
  | 'matches'
  /** none decrypts: the encKey belongs to another installation */
  | 'wrong-key'
  /** some do not: damaged values, or values written with another key */
  | 'partial'
  /** no encrypted value to test the key on */
  | 'nothing-to-check'
  /** no encKey was given */
  | 'not-given';

export interface KeyStats {
  verdict: KeyVerdict;
  /** Encrypted values tried (seeds, PINs, sharedSecrets, Config secrets). */
  checked: number;
  failed: number;
  /** Padding of the values that decrypted: legacy = LinOTP 2/3.0, pkcs7 = after 3.1.0.0. */
  paddings: { legacy: number; pkcs7: number };
}

export interface EncodingSample {
  table: string;
  column: string;
  value: string;
  repaired: string;
}

export interface EncodingStats {
  /** Text values that look double-encoded (latin1/utf8 mojibake). */
  suspicious: number;
  /** Of those, values encoded three or more times. */
  multiple: number;
  /** `Table.column` → count (only columns with findings). */
  byColumn: Record<string, number>;
  samples: EncodingSample[];
  /** Text values examined. */
  scanned: number;
}

export interface VerifyReport {
  ok: boolean;
  database: { url: string; engine: Engine; server: string };
  encKey: { source: string; fingerprint: string } | null;
  model: ModelVersionInfo & { schema: '2.12' | '3.4' };
  tables: { present: string[]; missing: string[]; foreign: string[] };
  tokens: { total: number; byType: Record<string, number> };
  key: KeyStats;
  encoding: EncodingStats;
  /** verify --cluster / --node, or on a Galera node: per-table row counts and SHA-256 per node. */
  cluster?: ClusterReport;
  checks: CheckResult[];
}

export const ITEM_LIMIT = 50;

/** Per-node table checksums (src/verify/cluster.ts). */
export interface NodeSums {
  node: string;
  /** table → `<rows>:<sha256>`; absent table: missing. */
  tables: Record<string, string>;
  error?: string;
}

export interface ClusterReport {
  kind: ClusterInfo['kind'];
  nodes: NodeSums[];
  /** Tables whose checksum differs between nodes (or that some node lacks). */
  different: string[];
}
