/**
 * What a rehearsal is asked to do (its options) and what its steps hand on to each other. Apart
 * from the steps so that the row counting (counts.ts) and the steps can both use it without importing each other.
 */
import type { ApiCheckReport } from '../apicheck/report.js';
import type { VerifyReport as BackupVerifyReport } from '../backup/verify.js';
import type { DumpInfo } from '../backup/inspect.js';
import type { RestorePlan, RestoreResult } from '../backup/restore.js';
import type { BackupSource } from '../backup/source.js';
import type { EncKey } from '../crypto/enckey.js';
import type { FixEncodingReport } from '../encoding/index.js';
import type { UpgradeResult } from '../upgrade/apply.js';
import type { VerifyReport } from '../verify/types.js';
import type { StepRunner } from './runner.js';
import type { ScratchTarget } from './target.js';
import type { RehearsalReport, TableCount } from './types.js';

export interface RehearseOptions {
  backup: string;
  ini?: string;
  encKeyPath?: string;
  passphrase?: string;
  /** Where the passphrase came from (shown in the production commands; never the passphrase). */
  passphraseFile?: string;
  targetDb?: string;
  yes?: boolean;
  admin?: { name: string; password: string };
  accessLogs?: string[];
  keep?: boolean;
  /** Makes api-check findings failing checks: rejected calls, or rejected and deprecated ones. */
  apiFailOn?: 'rejected' | 'deprecated';
  truncateAudit?: boolean;
  /** IANA zone LinOTP 2 wrote audit times in: rehearse `audit to-utc` with it. */
  auditTimezone?: string;
  /** The old server's /etc (or a copy): rehearse `host migrate` from DIR/linotp2 and DIR/apache2. */
  etc?: string;
  cwd?: string;
  /** Parent directory of the scratch SQLite directory (default the OS temp dir). */
  tmpBase?: string;
}

/** What the steps hand on to each other. */
export interface RehearsalState {
  opts: RehearseOptions;
  run: StepRunner;
  target?: ScratchTarget;
  key?: EncKey;
  backup?: { report: BackupVerifyReport; src: BackupSource; info: DumpInfo };
  restore?: { plan: RestorePlan; result: RestoreResult };
  upgrade?: UpgradeResult;
  encoding?: FixEncodingReport;
  verify?: VerifyReport;
  api?: ApiCheckReport;
  tables: TableCount[];
  details: RehearsalReport['details'];
}
