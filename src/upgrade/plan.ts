/**
 * `init database`, part 1: the plan. Reads the database (never writes) and lists what the upgrade
 * to LinOTP 3.4's model (3.2.3.0) would do, with counts: tables to create, columns to add, tables
 * to convert, values to re-encrypt, rows to delete, defaults to insert. The same function runs
 * again under the lock right before applying, so the plan that is executed is always current.
 *
 * Flow = LinOTP 3.4 `init_db_tables`: [drop_all] → create_all → migration steps from the stored
 * version → set_defaults. Differences from LinOTP are noted where they happen.
 */
import type { EncKey } from '../crypto/enckey.js';
import type { Db, Engine } from '../db/types.js';
import { UNREPLICATED_HINT, unreplicatedMessage, unreplicatedTables } from '../db/cluster.js';
import { describeDbUrl } from '../db/url.js';
import { LINOTP_2_12, LINOTP_3_4, findTable, getTable, type TableDef } from '../schema/tables.js';
import { describeModelVersion, readStoredVersion, STEP_SUMMARIES, TARGET_MODEL_VERSION, type MigrationStep, type ModelVersionInfo } from '../schema/version.js';
import { adminRealmRow, adminResolverRows, allDefaultRows, DEFAULT_ADMIN_REALM_NAME, DEFAULT_ADMIN_RESOLVER_NAME } from './defaults.js';
import { isLinotpTable, mysqlLargePrefixProblem, planMysqlUtf8, type Utf8Plan } from './mysql-utf8.js';
import { runReencryption, totalCount, type ReencryptSummary } from './reencrypt.js';
import { laggingSequences } from './pg-sequences.js';
import { configKeyExists, countRows, Tables } from './sql.js';
import { planAuditTimezone } from '../audit/integration.js';
import { planAuditMove } from './move-audit.js';
import type { AmbiguousRule } from '../audit/timezone.js';
import { once, quiet } from './promises.js';

export interface UpgradeOptions {
  /** Needed when values must be re-encrypted (3.1.0.0 or a padding repair). */
  encKey?: EncKey;
  adminResolverName?: string;
  adminRealmName?: string;
  /** Delete all audit rows (LinOTP 3.3+ only suggests it; 2.x signatures never verify in 3.x). */
  truncateAudit?: boolean;
  /** Drop LinOTP's tables first (`--erase-all-data`). */
  eraseAllData?: boolean;
  /** Create the audit table in this database (AUDIT_DATABASE_URI=SHARED, the default). */
  createAudit?: boolean;
  /**
   * The separate database LinOTP 3.4 writes its audit trail to (AUDIT_DATABASE_URI = another URL,
   * or the `<file>_audit` sibling of a SQLite database, see audit-target.ts). Its audit table is
   * created there; the main database's audit table is then not required.
   */
  auditDb?: Db;
  /** The audit database's URL when it does not exist yet (plan only: the plan must not create a SQLite file). */
  auditDbMissing?: string;
  /**
   * Create admin_users as LinOTP 3.4's `init database` does with the tools controller loaded (default
   * true; src/settings/model-tables.ts `createsAdminUsers` decides from the settings).
   */
  createAdminUsers?: boolean;
  /** Leave values the key cannot decrypt untouched instead of refusing. */
  skipUndecryptable?: boolean;
  /**
   * IANA zone the LinOTP 2 server wrote its audit timestamps in (`--audit-timezone`): they are converted
   * to LinOTP 3's UTC form. Never guessed: without it, local rows are only reported.
   */
  auditTimezone?: string;
  /** The caller converts the audit times itself afterwards (rehearse's `audit to-utc` step): no plan, no warning here. */
  auditConvertedSeparately?: boolean;
  /** How times in the repeated autumn hour are placed (src/audit/timezone.ts). */
  auditAmbiguous?: AmbiguousRule;
}

export type ActionId = 'erase' | 'create-tables' | 'create-audit' | 'move-audit' | 'fix-sequences' | MigrationStep | 'repair-padding' | 'truncate-audit' | 'audit-to-utc' | 'defaults' | 'stamp';

export interface PlannedAction {
  id: ActionId;
  title: string;
  /** Machine-readable effect counts / names. */
  effects: Record<string, number | string[]>;
  notes: string[];
  /** false for steps that only stamp the version. */
  changesData: boolean;
}

export interface KeyCheck {
  fingerprint: string;
  legacy: number;
  pkcs7: number;
  failures: number;
}

export interface UpgradePlan {
  database: string;
  engine: Engine;
  version: ModelVersionInfo;
  target: string;
  /** true when the database is treated as fresh (LinOTP's "untouched"): no migration step runs. */
  fresh: boolean;
  actions: PlannedAction[];
  /** Nothing to do: already at 3.2.3.0 with everything LinOTP 3.4 expects. */
  upToDate: boolean;
  keyCheck?: KeyCheck;
  /** Reasons apply refuses (wrong key, unknown version …); nothing is changed when any exist. */
  blockers: string[];
  warnings: string[];
  /** Internals apply reuses (not rendered). */
  internal: {
    utf8?: Utf8Plan;
    reencrypt?: ReencryptSummary;
    dropTables: string[];
    createTables: string[];
    dropAuditDbTable?: string;
  };
}

/** Tables LinOTP 3.4's `drop_all` removes: the metadata tables (admin_users when the tools controller is loaded). */
const ERASE_ORDER = ['TokenRealm', 'Token', 'Realm', 'Config', 'challenges', 'REPORTING', 'logging_config', 'imported_user', 'admin_users', 'audit'];

/** The tables LinOTP 3.4's `create_all` creates in the main database. */
export function requiredTables(createAudit: boolean, createAdminUsers = true): TableDef[] {
  return LINOTP_3_4.tables.filter((t) => t.presence === 'always' || (t.presence === 'audit' && createAudit) || (t.presence === 'tools' && createAdminUsers));
}

function missingColumns(present: Set<string>, wanted: string[]): string[] {
  return wanted.filter((c) => !present.has(c));
}

async function columnSet(db: Db, t: Tables, table: string): Promise<Set<string>> {
  return new Set((await db.listColumns(t.stored(table))).map((c) => c.name));
}

async function indexSet(db: Db, t: Tables, table: string): Promise<Set<string>> {
  return new Set((await db.listIndexes(t.stored(table))).map((i) => i.name.toLowerCase()));
}

/** Columns (with their `ix_` index, if any) the 2.x column steps add when missing. */
export const COLUMN_STEPS: Partial<Record<MigrationStep, { table: string; columns: string[] }>> = {
  '2.9.1.0': { table: 'challenges', columns: ['lchallenge', 'ptransid'] },
  '2.10.1.0': { table: 'challenges', columns: ['bchallenge', 'bdata'] },
  '2.12.0.0': { table: 'Token', columns: ['LinOtpCreationDate', 'LinOtpLastAuthSuccess', 'LinOtpLastAuthMatch'] },
};

export function stepIndexes(step: MigrationStep): string[] {
  const cs = COLUMN_STEPS[step];
  if (!cs) return [];
  const def = getTable(LINOTP_3_4, cs.table);
  return def.indexes.filter((i) => i.columns.some((c) => cs.columns.includes(c))).map((i) => i.name);
}

export async function planUpgrade(db: Db, opts: UpgradeOptions = {}): Promise<UpgradePlan> {
  const resolver = opts.adminResolverName ?? DEFAULT_ADMIN_RESOLVER_NAME;
  const realm = (opts.adminRealmName ?? DEFAULT_ADMIN_REALM_NAME).toLowerCase();
  let t = await Tables.load(db);
  const stored = await readStoredVersion(db);
  const plan: UpgradePlan = {
    database: describeDbUrl(db.url),
    engine: db.engine,
    version: describeModelVersion(stored),
    target: TARGET_MODEL_VERSION,
    fresh: false,
    actions: [],
    upToDate: false,
    blockers: [],
    warnings: [],
    internal: { dropTables: [], createTables: [] },
  };
  const v = plan.version;
  if (!v.upgradable && v.state !== 'no-linotp' && !opts.eraseAllData) plan.blockers.push(v.notes[0] ?? `model version ${v.stored} cannot be upgraded`);

  // A database of another application (its tables, none of LinOTP's) is the wrong --database-uri far more
  // often than a deliberate shared database: refused, so nothing is created next to someone else's data.
  const foreign = t.all().filter((n) => !findTable(LINOTP_3_4, n) && !findTable(LINOTP_2_12, n));
  if (v.state === 'no-linotp' && foreign.length > 0) {
    plan.blockers.push(
      `${plan.database} has no LinOTP Config table but ${foreign.length} table(s) of another application (${foreign.slice(0, 5).join(', ')}${foreign.length > 5 ? ', …' : ''}): not the LinOTP database; give LinOTP's own (or an empty) database`,
    );
  }

  // -- erase: afterwards the database is planned as if it were empty.
  if (opts.eraseAllData) {
    const drop = ERASE_ORDER.filter((n) => t.has(n) && (n !== 'admin_users' || opts.createAdminUsers !== false)).map((n) => t.stored(n));
    plan.internal.dropTables = drop;
    // LinOTP's drop_all covers every bind: the audit table of a separate audit database goes too.
    const auditStored = opts.auditDb ? (await Tables.load(opts.auditDb)).all().find((n) => n.toLowerCase() === 'audit') : undefined;
    if (auditStored) plan.internal.dropAuditDbTable = auditStored;
    const notes = auditStored ? [`and the audit table of the audit database ${describeDbUrl(opts.auditDb!.url)}`] : [];
    plan.actions.push({ id: 'erase', title: 'drop LinOTP tables (erase all data)', effects: { tablesToDrop: drop }, notes, changesData: drop.length > 0 || Boolean(auditStored) });
    t = new Tables(db, t.all().filter((n) => !drop.includes(n)));
  }

  // -- create_all
  const required = requiredTables(opts.createAudit !== false && !opts.auditDb, opts.createAdminUsers !== false);
  const create = required.filter((d) => !t.has(d.name)).map((d) => d.name);
  // An empty model table without all its indexes is what a run killed inside CREATE TABLE … / CREATE
  // INDEX leaves on MySQL (DDL commits one statement at a time); its indexes are completed. Tables
  // with data are left as LinOTP's create_all leaves them (a unique index could fail on old data).
  const incomplete: string[] = [];
  const indexes: string[] = [];
  for (const d of required.filter((x) => t.has(x.name) && x.indexes.length)) {
    const have = await indexSet(db, t, d.name);
    const missingIx = d.indexes.filter((i) => !have.has(i.name.toLowerCase())).map((i) => i.name);
    if (missingIx.length && (await countRows(db, t, d.name)) === 0) {
      incomplete.push(d.name);
      indexes.push(...missingIx);
    }
  }
  plan.internal.createTables = [...create, ...incomplete];
  const unreplicated = await unreplicatedTables(db, t.all().filter(isLinotpTable));
  if (unreplicated.length) plan.blockers.push(`${unreplicatedMessage(unreplicated)}; ${UNREPLICATED_HINT}`);
  if (db.engine === 'mysql' && create.length) {
    const problem = await mysqlLargePrefixProblem(db);
    if (problem) plan.blockers.push(`cannot create utf8mb4 tables: ${problem}; set innodb_large_prefix=ON and innodb_file_format=Barracuda`);
  }
  if (create.length || incomplete.length) {
    plan.actions.push({
      id: 'create-tables',
      title: 'create missing tables with LinOTP 3.4 DDL',
      effects: { tablesToCreate: create, ...(indexes.length ? { indexesToCreate: indexes } : {}) },
      notes: db.engine === 'mysql' ? ['MySQL: new tables are InnoDB utf8mb4 (utf8mb4_unicode_ci, ROW_FORMAT=DYNAMIC)'] : [],
      changesData: true,
    });
  }

  if (opts.auditDb ? plan.internal.dropAuditDbTable || !(await Tables.load(opts.auditDb)).has('audit') : opts.auditDbMissing) {
    plan.actions.push({
      id: 'create-audit',
      title: 'create the audit table in the audit database',
      effects: { tablesToCreate: ['audit'] },
      notes: [`audit database: ${opts.auditDb ? describeDbUrl(opts.auditDb.url) : opts.auditDbMissing}`],
      changesData: true,
    });
  }

  // LinOTP 2's audit rows in the main database, while LinOTP 3.4 reads another (src/upgrade/move-audit.ts).
  const move = (opts.auditDb || opts.auditDbMissing) && t.has('audit') ? await planAuditMove(db, opts.auditDb) : undefined;
  if (move) {
    // With --truncate-audit every row is deleted afterwards: colliding ids do not matter (they are skipped).
    if (move.conflict && !opts.truncateAudit) plan.blockers.push(move.conflict);
    const to = opts.auditDb ? describeDbUrl(opts.auditDb.url) : opts.auditDbMissing!;
    plan.actions.push({
      id: 'move-audit',
      title: 'move the audit rows to the audit database LinOTP 3.4 reads',
      effects: { auditRowsToMove: move.rows - move.alreadyThere - move.collisions, ...(move.alreadyThere ? { auditRowsAlreadyThere: move.alreadyThere } : {}) },
      notes: [
        `LinOTP 3.4 reads the audit trail from ${to} (AUDIT_DATABASE_URI; SQLite with SHARED: <file>_audit), not from ${plan.database}`,
        "the main database's audit table is dropped after the copy committed",
      ],
      changesData: true,
    });
  }

  const lagging = opts.eraseAllData ? [] : await laggingSequences(db, t);
  if (lagging.length) {
    plan.actions.push({
      id: 'fix-sequences',
      title: 'move PostgreSQL id sequences behind the existing ids forward',
      effects: { sequences: lagging.map((l) => `${l.sequence} ${l.lastValue} → ${l.maxId}`) },
      notes: ['otherwise the next insert (the admin realm, LinOTP\'s next token) fails with a duplicate key'],
      changesData: true,
    });
  }

  // -- fresh or upgrade? LinOTP: no `linotp.Config` row = untouched. We also require an empty Token
  // table, so a database with tokens is never stamped current without migrating them.
  const tokens = opts.eraseAllData ? 0 : await countRows(db, t, 'Token');
  plan.fresh = opts.eraseAllData === true || v.state === 'no-linotp' || (v.state === 'untouched' && tokens === 0);
  if (!plan.fresh && v.state === 'untouched') plan.warnings.push(`no linotp.Config row but ${tokens} tokens: migrating anyway (LinOTP would only stamp the version)`);
  const steps: MigrationStep[] = plan.fresh ? [] : v.state === 'untouched' ? describeModelVersion({ ...stored, touched: true }).remainingSteps : v.remainingSteps;

  // The audit table's counts (1M rows: ~0.4 s) are the database's work alone: started here, they run
  // on another pooled connection while the key check below keeps us busy decrypting, and are awaited
  // where the plan uses them, so its contents and their order are as before. Reads only.
  const auditRows = once(() => countRows(db, t, 'audit'));
  const tzTarget = move ? db : (opts.auditDb ?? db);
  const rowsOf = (table: string) => (tzTarget === db && t.has('audit') && t.stored('audit') === table ? auditRows() : undefined);
  // LinOTP 2 wrote local times that LinOTP 3 shows as UTC (issue: audit trail across the upgrade).
  // Before a move the rows are still in the main database (moved unchanged, converted afterwards).
  const auditTz =
    !opts.truncateAudit && !opts.auditConvertedSeparately ? quiet(planAuditTimezone(tzTarget, { timezone: opts.auditTimezone, ambiguous: opts.auditAmbiguous, rowsOf })) : undefined;

  const needsKey = steps.includes('3.1.0.0');
  if (opts.encKey && !plan.fresh) {
    const sum = await runReencryption(db, t, opts.encKey, { write: false });
    plan.internal.reencrypt = sum;
    plan.keyCheck = { fingerprint: opts.encKey.fingerprint().slice(0, 16), legacy: totalCount(sum.legacy), pkcs7: totalCount(sum.pkcs7), failures: sum.failures.length };
    if (sum.failures.length) {
      const decrypted = totalCount(sum.legacy) + totalCount(sum.pkcs7);
      const msg =
        decrypted === 0
          ? `the encKey ${opts.encKey.source} decrypts none of the ${sum.failures.length} encrypted values: it is not this database's key`
          : `${sum.failures.length} of ${decrypted + sum.failures.length} encrypted values do not decrypt with the encKey (first: ${sum.failures[0].where} ${sum.failures[0].kind}: ${sum.failures[0].reason})`;
      if (decrypted === 0 || !opts.skipUndecryptable) plan.blockers.push(msg);
      else plan.warnings.push(`${msg}; they are left unchanged (--skip-undecryptable)`);
    }
    for (const p of sum.chunkProblems) plan.warnings.push(`config ${p.key}: ${p.detail}; left unchanged`);
  } else if (needsKey) {
    plan.blockers.push('step 3.1.0.0 re-encrypts token seeds and secrets: the encKey is needed');
  } else if (!plan.fresh) {
    plan.warnings.push('no encKey given: values LinOTP 3.1 left in the old padding (encrypted PINs, user PINs, chunked secrets) were not checked');
  }

  // -- set_defaults rows (insert-if-missing); step 3.2.0.0 inserts the admin part of them first.
  const missing: string[] = [];
  const configExists = t.has('Config') && !create.includes('Config');
  for (const r of allDefaultRows(resolver, realm)) if (!configExists || !(await configKeyExists(db, t, r.key))) missing.push(r.key);
  let realmMissing = !(t.has('Realm') && !create.includes('Realm')) || !(await realmExists(db, t, realm));
  const adminKeys = new Set([...adminResolverRows(resolver), adminRealmRow(realm, resolver)].map((r) => r.key));
  let restMissing = missing;

  for (const step of steps) {
    const a = await planStep(db, t, step, plan, { resolver, realm, opts, create, auditRows });
    if (step === '3.2.0.0') {
      const admin = missing.filter((k) => adminKeys.has(k));
      a.effects = { configRowsToInsert: admin.length, realmRowsToInsert: realmMissing ? 1 : 0 };
      a.changesData = admin.length > 0 || realmMissing;
      restMissing = missing.filter((k) => !adminKeys.has(k));
      realmMissing = false;
    }
    plan.actions.push(a);
  }

  if (!needsKey && plan.internal.reencrypt && totalCount(plan.internal.reencrypt.legacy) > 0) {
    plan.actions.push({
      id: 'repair-padding',
      title: 're-encrypt values LinOTP 3.1 left in the LinOTP 2 padding',
      effects: { ...plan.internal.reencrypt.legacy },
      notes: ['LinOTP 3.4 cannot use these values (encrypted PINs never match, user PINs and chunked secrets fail to decrypt)'],
      changesData: true,
    });
  }

  const auditT = opts.auditDb ? await Tables.load(opts.auditDb) : undefined;
  if (opts.truncateAudit && ((t.has('audit') && !create.includes('audit')) || auditT?.has('audit') || move)) {
    const n = (move ? move.rows - move.alreadyThere - move.collisions : await auditRows()) + (opts.auditDb && auditT ? await countRows(opts.auditDb, auditT, 'audit') : 0);
    plan.actions.push({ id: 'truncate-audit', title: 'delete all audit rows (--truncate-audit)', effects: { auditRowsToDelete: n }, notes: [], changesData: n > 0 });
  }
  if (auditTz) {
    const audit = await auditTz;
    plan.warnings.push(...audit.warnings);
    if (audit.action) plan.actions.push({ id: 'audit-to-utc', ...audit.action });
  }

  if (restMissing.length || realmMissing) {
    plan.actions.push({
      id: 'defaults',
      title: 'insert LinOTP 3.4 default settings, admin resolver and admin realm where missing',
      effects: { configRowsToInsert: restMissing.length, realmRowsToInsert: realmMissing ? 1 : 0 },
      notes: [],
      changesData: true,
    });
  }
  if (plan.fresh && v.stored !== TARGET_MODEL_VERSION) {
    plan.actions.push({ id: 'stamp', title: `stamp model version ${TARGET_MODEL_VERSION}`, effects: {}, notes: ['fresh database: no migration step runs (as in LinOTP)'], changesData: true });
  }
  plan.blockers.push(...(await galeraWriteSetBlockers(db, plan, opts)));
  plan.upToDate = plan.actions.length === 0 && v.current;
  return plan;
}

/**
 * Steps are all or nothing (work and stamp in one transaction), and on Galera one transaction is
 * one write set: with wsrep_max_ws_rows set, a step changing more rows would be refused at commit.
 * Said before anything changes, with the fix (the limit is a server setting, off by default).
 */
async function galeraWriteSetBlockers(db: Db, plan: UpgradePlan, opts: UpgradeOptions): Promise<string[]> {
  const info = await db.cluster();
  if (info.kind !== 'galera' || info.maxWsRows <= 0) return [];
  const out: string[] = [];
  const fix = `raise it for the upgrade (SET GLOBAL wsrep_max_ws_rows = 0 on ${info.nodeName || 'this node'}), then run init database again`;
  const values = plan.internal.reencrypt ? totalCount(plan.internal.reencrypt.legacy) : 0;
  if (values > info.maxWsRows) out.push(`step 3.1.0.0 re-encrypts ${values} values in one transaction, more rows than this Galera node's wsrep_max_ws_rows (${info.maxWsRows}) lets one write set change; ${fix}`);
  const audit = Number(plan.actions.find((a) => a.id === '3.0.0.0')?.effects.auditRows ?? 0);
  if (opts.truncateAudit && audit > info.maxWsRows) out.push(`--truncate-audit deletes ${audit} audit rows in one transaction, more than wsrep_max_ws_rows (${info.maxWsRows}) allows; ${fix}`);
  return out;
}

/** Database equality (see configKeyExists): Realm.name is UNIQUE under the table's collation. */
export async function realmExists(db: Db, t: Tables, name: string): Promise<boolean> {
  const rows = await db.query<{ n: string }>(`SELECT ${t.c('name')} AS n FROM ${t.t('Realm')} WHERE ${t.c('name')} = ?`, [name]);
  return rows.length > 0;
}

interface StepCtx {
  resolver: string;
  realm: string;
  opts: UpgradeOptions;
  create: string[];
  /** The main database's audit row count, taken once per plan. */
  auditRows: () => Promise<number>;
}

async function planStep(db: Db, t: Tables, step: MigrationStep, plan: UpgradePlan, ctx: StepCtx): Promise<PlannedAction> {
  const a: PlannedAction = { id: step, title: STEP_SUMMARIES[step], effects: {}, notes: [], changesData: false };
  const cs = COLUMN_STEPS[step];
  if (cs) {
    if (t.has(cs.table) && !ctx.create.includes(cs.table)) {
      const cols = missingColumns(await columnSet(db, t, cs.table), cs.columns);
      const ix = await indexSet(db, t, cs.table);
      const idx = stepIndexes(step).filter((i) => !ix.has(i.toLowerCase()));
      a.effects = { columnsToAdd: cols, indexesToCreate: idx };
      a.changesData = cols.length + idx.length > 0;
    }
    return a;
  }
  switch (step) {
    case '3.0.0.0': {
      const audit = await ctx.auditRows();
      a.effects.auditRows = audit;
      // The charset conversion is MySQL-only: other engines' plans do not mention it.
      if (db.engine !== 'mysql') a.title = 'mark the 3.0 model; 2.x audit signatures become invalid (the MySQL charset conversion does not apply here)';
      if (audit > 0 && !ctx.opts.truncateAudit) a.notes.push(`${audit} audit rows are kept (LinOTP 3.3+ behaviour); their 2.x signatures do not verify in LinOTP 3 — use --truncate-audit to delete them`);
      if (db.engine === 'mysql') {
        const u = await planMysqlUtf8(db, t);
        plan.internal.utf8 = u;
        a.effects.tablesToConvert = u.convert.map((c) => c.table);
        if (u.pending.length) a.effects.tablesToRepair = u.pending;
        if (u.foreignLatin1.length) a.notes.push(`latin1 tables of other applications are not touched: ${u.foreignLatin1.join(', ')}`);
        for (const c of u.convert.filter((x) => x.dynamic)) a.notes.push(`${c.table}: ROW_FORMAT=DYNAMIC is added (utf8mb4 keys exceed COMPACT's 767-byte limit)`);
        if (u.suggest) a.notes.push('no LinOTP table is latin1: linotp.utf8_conversion=suggested is set (run `linotp-migrate admin fix-db-encoding`)');
        plan.blockers.push(...u.blocked);
        a.changesData = u.convert.length + u.pending.length > 0 || u.suggest;
      }
      return a;
    }
    case '3.1.0.0': {
      const sum = plan.internal.reencrypt;
      if (sum) {
        a.effects = { ...sum.legacy, alreadyPkcs7: totalCount(sum.pkcs7), tokensScanned: sum.tokens };
        a.changesData = totalCount(sum.legacy) > 0;
      }
      a.notes.push('beyond LinOTP: also @@ OTP PINs, user/SO PINs, ocra2 sharedSecret and chunked secrets');
      return a;
    }
    case '3.2.0.0': {
      // Counted by planUpgrade (the same rows set_defaults ensures).
      a.notes.push(`admin resolver ${ctx.resolver}, admin realm ${ctx.realm}`);
      return a;
    }
    case '3.2.2.0': {
      const n = ctx.create.includes('challenges') ? 0 : await countRows(db, t, 'challenges');
      a.effects.challengesToDelete = n;
      a.changesData = n > 0;
      return a;
    }
    default:
      return a;
  }
}
