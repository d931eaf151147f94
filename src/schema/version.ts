/**
 * The LinOTP database model version: where it is stored, what a stored value means, and which
 * migration steps LinOTP 3.4 (model 3.2.3.0) still has to run (linotp-schema.md §2, §3.1;
 * branch-v3.4 `linotp/model/migrate.py`, branch-v2.10…2.12 `model/migrate.py`).
 *
 * LinOTP stores the version in the Config row `linotp.sql_data_model_version`. The key appeared with
 * LinOTP 2.10's migration framework, so a used database without it was last run by LinOTP ≤ 2.9.
 * A database without the `linotp.Config` row (the last-change timestamp every config write updates)
 * is "untouched": LinOTP 3.4 runs no step on it and only stamps the target version.
 *
 * Where LinOTP is careless we are stricter: LinOTP 3.4 silently runs nothing for an unknown or newer
 * stored version and then overwrites it with 3.2.3.0; we flag both and let the caller refuse.
 */
import type { Db } from '../db/types.js';

export const MODEL_VERSION_KEY = 'linotp.sql_data_model_version';
/** The Config row whose presence marks a database LinOTP has used (3.x `is_db_untouched`). */
export const CONFIG_TIMESTAMP_KEY = 'linotp.Config';
/** Model version LinOTP 3.2.3 … 3.4.x require; the target of this tool. */
export const TARGET_MODEL_VERSION = '3.2.3.0';

/** LinOTP 3.4's ordered migration chain (the leading `None` of LinOTP's list is implicit). */
export const MIGRATION_STEPS = [
  '2.9.1.0',
  '2.10.1.0',
  '2.12.0.0',
  '3.0.0.0',
  '3.1.0.0',
  '3.2.0.0',
  '3.2.2.0',
  '3.2.3.0',
] as const;
export type MigrationStep = (typeof MIGRATION_STEPS)[number];

/** What each step does, in one line (details in src/upgrade). */
export const STEP_SUMMARIES: Record<MigrationStep, string> = {
  '2.9.1.0': 'challenges: add lchallenge and ptransid (+ index) if missing',
  '2.10.1.0': 'challenges: add bchallenge and bdata (binary) if missing',
  '2.12.0.0': 'Token: add LinOtpCreationDate, LinOtpLastAuthSuccess, LinOtpLastAuthMatch (+ indexes) if missing',
  '3.0.0.0': 'MySQL: convert latin1 tables to utf8mb4, or suggest fix-db-encoding; 2.x audit signatures become invalid',
  '3.1.0.0': 're-encrypt token seeds and encrypted config values from the 2.x padding to PKCS#7',
  '3.2.0.0': 'create the local admin resolver (LinOTP_local_admins) and admin realm (linotp_admins)',
  '3.2.2.0': 'delete all open challenges',
  '3.2.3.0': 'no change (version marker for LinOTP 3.2.3 … 3.4.x)',
};

/** Which LinOTP releases write / run on a stored version (3.x refuses to start on any other value). */
export const VERSION_RELEASES: Record<string, string> = {
  '2.9.1.0': 'none (intermediate step of the LinOTP 2.10 migration chain)',
  '2.10.1.0': 'LinOTP 2.10 – 2.11',
  '2.12.0.0': 'LinOTP 2.12',
  '3.0.0.0': 'LinOTP 3.0',
  '3.1.0.0': 'LinOTP 3.1',
  '3.2.0.0': 'LinOTP 3.2.0 – 3.2.1',
  '3.2.2.0': 'LinOTP 3.2.2',
  '3.2.3.0': 'LinOTP 3.2.3 – 3.4.x',
  '4.0.0.0': 'LinOTP 4.0 (development branch)',
};

export type ModelState =
  /** no Config table: not a LinOTP database (or an empty one) */
  | 'no-linotp'
  /** Config exists but LinOTP never ran against it (no linotp.Config row): nothing to migrate */
  | 'untouched'
  /** used database without the version key: LinOTP ≤ 2.9, every step runs */
  | 'pre-2.10'
  /** a version of the migration chain */
  | 'known'
  /** a version from a LinOTP newer than 3.4 (4.0 dev): 3.4 must not touch it */
  | 'newer'
  /** anything else: refuse, LinOTP would overwrite it blindly */
  | 'unknown';

export interface ModelVersionInfo {
  state: ModelState;
  /** The stored value of linotp.sql_data_model_version, null when absent. */
  stored: string | null;
  /** Human description of the releases that belong to the state. */
  releases: string;
  /** true when the stored version is exactly the target 3.2.3.0. */
  current: boolean;
  /** Steps LinOTP 3.4's `init database` would still run, in order (empty when current/untouched). */
  remainingSteps: MigrationStep[];
  /** false for newer/unknown versions and non-LinOTP databases: the upgrade must not proceed. */
  upgradable: boolean;
  /** One-line notes worth showing (unknown version, downgrade refusal …). */
  notes: string[];
}

export interface StoredVersion {
  /** Is there a Config table at all? */
  configTable: boolean;
  /** Value of linotp.sql_data_model_version, or null. */
  stored: string | null;
  /** Is there a linotp.Config row? */
  touched: boolean;
}

/** Pure: what the stored facts mean for an upgrade to model 3.2.3.0. */
export function describeModelVersion(s: StoredVersion): ModelVersionInfo {
  const base = { stored: s.stored, current: s.stored === TARGET_MODEL_VERSION, notes: [] as string[] };
  if (!s.configTable) {
    return { ...base, state: 'no-linotp', releases: 'not a LinOTP database (no Config table)', remainingSteps: [], upgradable: false };
  }
  const idx = s.stored === null ? -1 : (MIGRATION_STEPS as readonly string[]).indexOf(s.stored);
  if (s.stored !== null && idx < 0) {
    const newer = isNewerThanTarget(s.stored);
    return {
      ...base,
      state: newer ? 'newer' : 'unknown',
      releases: VERSION_RELEASES[s.stored] ?? (newer ? 'a LinOTP newer than 3.4' : 'unknown'),
      remainingSteps: [],
      upgradable: false,
      notes: [
        newer
          ? `model version ${s.stored} is newer than ${TARGET_MODEL_VERSION}: LinOTP 3.4 cannot use this database`
          : `unknown model version ${JSON.stringify(s.stored)} (LinOTP 3.4 would silently overwrite it without migrating)`,
      ],
    };
  }
  if (!s.touched) {
    return {
      ...base,
      state: 'untouched',
      releases: s.stored === null ? 'fresh database (LinOTP has not run on it)' : VERSION_RELEASES[s.stored],
      remainingSteps: [],
      upgradable: true,
      notes: base.current ? [] : [`no ${CONFIG_TIMESTAMP_KEY} row: LinOTP treats the database as fresh and runs no migration step`],
    };
  }
  if (s.stored === null) {
    return {
      ...base,
      state: 'pre-2.10',
      releases: 'LinOTP ≤ 2.9 (no model version stored)',
      remainingSteps: [...MIGRATION_STEPS],
      upgradable: true,
    };
  }
  return {
    ...base,
    state: 'known',
    releases: VERSION_RELEASES[s.stored],
    remainingSteps: MIGRATION_STEPS.slice(idx + 1),
    upgradable: true,
  };
}

/** Numeric comparison of dotted versions; non-numeric parts make the value "not newer". */
export function isNewerThanTarget(v: string): boolean {
  const a = v.split('.');
  if (!a.every((p) => /^\d+$/.test(p))) return false;
  const b = TARGET_MODEL_VERSION.split('.').map(Number);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = Number(a[i] ?? 0);
    const y = b[i] ?? 0;
    if (x !== y) return x > y;
  }
  return false;
}

/** Steps after `from` up to and including `to` (both in MIGRATION_STEPS or null = start). */
export function stepsBetween(from: string | null, to: MigrationStep = TARGET_MODEL_VERSION): MigrationStep[] {
  const start = from === null ? 0 : (MIGRATION_STEPS as readonly string[]).indexOf(from) + 1;
  const end = MIGRATION_STEPS.indexOf(to) + 1;
  if (from !== null && start === 0) throw new Error(`${from} is not a migration step`);
  return MIGRATION_STEPS.slice(start, end);
}

/** Reads the stored facts (Config table, version key, linotp.Config row) from a database. */
export async function readStoredVersion(db: Db): Promise<StoredVersion> {
  const tables = await db.listTables();
  const config = tables.find((t) => t.toLowerCase() === 'config');
  if (!config) return { configTable: false, stored: null, touched: false };
  const q = (n: string) => db.dialect.quoteIdent(n);
  const rows = await db.query<{ k: string; v: string | null }>(
    `SELECT ${q('Key')} AS k, ${q('Value')} AS v FROM ${q(config)} WHERE ${q('Key')} IN (?, ?)`,
    [MODEL_VERSION_KEY, CONFIG_TIMESTAMP_KEY],
  );
  // Compare exactly: a case-insensitive MySQL collation may also return look-alike keys.
  const version = rows.find((r) => r.k === MODEL_VERSION_KEY);
  return {
    configTable: true,
    stored: version ? String(version.v ?? '') : null,
    touched: rows.some((r) => r.k === CONFIG_TIMESTAMP_KEY),
  };
}

export async function detectModelVersion(db: Db): Promise<ModelVersionInfo> {
  return describeModelVersion(await readStoredVersion(db));
}
