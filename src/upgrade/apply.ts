/**
 * `init database`, part 2: apply. Under a lock, plans again (so the plan is current), refuses on
 * any blocker before changing anything, then runs the actions in order.
 *
 * Idempotent and resumable: every DDL statement is check-then-act (MySQL DDL commits implicitly),
 * every data step runs in one transaction together with its version stamp (PostgreSQL and SQLite
 * also roll back their DDL with it), and each step only changes what is still in the old state
 * (re-encryption skips PKCS#7 values). A killed run therefore continues where it stopped.
 */
import type { Db } from '../db/types.js';
import { DatabaseError, KeyError } from '../errors.js';
import { addColumnSql, addIndexSql, createTableStatements } from '../schema/ddl.js';
import { getTable, LINOTP_3_4 } from '../schema/tables.js';
import { MODEL_VERSION_KEY, TARGET_MODEL_VERSION, type MigrationStep } from '../schema/version.js';
import { allDefaultRows, DEFAULT_ADMIN_REALM_NAME, DEFAULT_ADMIN_RESOLVER_NAME } from './defaults.js';
import { applyMysqlUtf8 } from './mysql-utf8.js';
import { fixSequences, laggingSequences } from './pg-sequences.js';
import { COLUMN_STEPS, planUpgrade, realmExists, stepIndexes, type ActionId, type PlannedAction, type UpgradeOptions, type UpgradePlan } from './plan.js';
import { runReencryption, totalCount } from './reencrypt.js';
import { configKeyExists, insertConfig, Tables, upsertConfigValue } from './sql.js';
import { applyAuditTimezone } from '../audit/integration.js';
import { applyAuditMove } from './move-audit.js';

export const LOCK_PURPOSE = 'init database';

export interface UpgradeHooks {
  /** A progress bar for long work (re-encryption); `total` is the number of tokens. */
  progress?: (label: string, total: number) => { tick(n?: number): void; finish(): void };
  /** Called inside a step's transaction after its work, before commit (tests inject failures here). */
  beforeCommit?: (action: ActionId) => void | Promise<void>;
  onAction?: (a: PlannedAction) => void;
}

export interface AppliedAction {
  id: ActionId;
  title: string;
  result: Record<string, number | string | string[] | boolean>;
}

export interface UpgradeResult {
  plan: UpgradePlan;
  applied: AppliedAction[];
  version: string;
  upToDate: boolean;
}

export async function applyUpgrade(db: Db, opts: UpgradeOptions = {}, hooks: UpgradeHooks = {}): Promise<UpgradeResult> {
  return db.withLock(LOCK_PURPOSE, async () => {
    const plan = await planUpgrade(db, opts);
    if (plan.blockers.length) {
      const first = plan.blockers[0];
      const keyProblem = /encKey/.test(first);
      const hint = 'nothing was changed' + (plan.blockers.length > 1 ? ` (${plan.blockers.length} problems; see --plan)` : '');
      throw keyProblem ? new KeyError(first, `${hint}; give the installation's key with --enc-key`) : new DatabaseError(first, hint);
    }
    const result: UpgradeResult = { plan, applied: [], version: plan.version.stored ?? '', upToDate: plan.upToDate };
    if (plan.upToDate) return result;
    const resolver = opts.adminResolverName ?? DEFAULT_ADMIN_RESOLVER_NAME;
    const realm = (opts.adminRealmName ?? DEFAULT_ADMIN_REALM_NAME).toLowerCase();
    let t = await Tables.load(db);

    const stamp = async (tx: Db, version: string) => {
      await upsertConfigValue(tx, t, MODEL_VERSION_KEY, version);
      result.version = version;
    };
    // One transaction per step: work, test hook, then the stamp.
    const inTx = <T>(id: ActionId, body: (tx: Db) => Promise<T>, version?: string) =>
      db.transaction(async (tx) => {
        const r = await body(tx);
        await hooks.beforeCommit?.(id);
        if (version) await stamp(tx, version);
        return r;
      });

    for (const action of plan.actions) {
      hooks.onAction?.(action);
      const done: AppliedAction = { id: action.id, title: action.title, result: {} };
      switch (action.id) {
        case 'erase':
          for (const table of plan.internal.dropTables) {
            if ((await db.listTables()).includes(table)) await db.execute(`DROP TABLE ${db.dialect.quoteIdent(table)}`);
          }
          if (plan.internal.dropAuditDbTable && opts.auditDb) {
            const audit = opts.auditDb;
            if ((await audit.listTables()).includes(plan.internal.dropAuditDbTable)) await audit.execute(`DROP TABLE ${audit.dialect.quoteIdent(plan.internal.dropAuditDbTable)}`);
          }
          done.result.droppedTables = plan.internal.dropTables;
          t = await Tables.load(db);
          break;
        case 'create-tables':
          done.result.createdTables = await inTx(action.id, async (tx) => createTables(tx, plan.internal.createTables));
          t = await Tables.load(db);
          break;
        case 'repair-padding':
          done.result = await inTx(action.id, (tx) => reencrypt(tx, t, opts, hooks, plan.internal.reencrypt?.tokens));
          break;
        case 'fix-sequences': {
          const lagging = await laggingSequences(db, t);
          await inTx(action.id, (tx) => fixSequences(tx, lagging));
          done.result.sequencesFixed = lagging.map((l) => l.sequence);
          break;
        }
        case 'create-audit':
          done.result.createdTables = await opts.auditDb!.transaction((tx) => createTables(tx, ['audit']));
          break;
        case 'move-audit':
          done.result = await applyAuditMove(db, opts.auditDb!);
          t = await Tables.load(db);
          break;
        case 'truncate-audit': {
          let n = t.has('audit') ? await inTx(action.id, (tx) => tx.execute(`DELETE FROM ${t.t('audit')}`)) : 0;
          if (opts.auditDb) {
            const at = await Tables.load(opts.auditDb);
            if (at.has('audit')) n += await opts.auditDb.transaction((tx) => tx.execute(`DELETE FROM ${at.t('audit')}`));
          }
          done.result.auditRowsDeleted = n;
          break;
        }
        case 'audit-to-utc':
          // Runs its own keyed, resumable transactions inside this lock (it takes no lock of its own).
          done.result = await applyAuditTimezone(opts.auditDb ?? db, {
            timezone: opts.auditTimezone!,
            ambiguous: opts.auditAmbiguous,
            progress: hooks.progress?.('audit timestamps', 0),
          });
          break;
        case 'defaults':
          done.result = await inTx(action.id, (tx) => insertDefaults(tx, t, resolver, realm));
          break;
        case 'stamp':
          await inTx(action.id, async () => undefined, TARGET_MODEL_VERSION);
          done.result.version = TARGET_MODEL_VERSION;
          break;
        default:
          done.result = await runStep(db, t, action.id, plan, opts, hooks, inTx, { resolver, realm });
      }
      result.applied.push(done);
    }
    return result;
  });
}

/** CREATE TABLE + indexes for each table still missing; indexes of an existing table are completed. */
async function createTables(db: Db, names: string[]): Promise<string[]> {
  const created: string[] = [];
  for (const name of names) {
    const def = getTable(LINOTP_3_4, name);
    const t = await Tables.load(db);
    if (!t.has(name)) {
      const [table] = createTableStatements(def, db.engine, { mysqlTable: 'utf8mb4' });
      await db.execute(table);
      created.push(name);
    }
    await ensureIndexes(db, name, def.indexes.map((i) => i.name));
  }
  return created;
}

async function ensureIndexes(db: Db, table: string, names: string[]): Promise<string[]> {
  const t = await Tables.load(db);
  const def = getTable(LINOTP_3_4, table);
  const have = new Set((await db.listIndexes(t.stored(table))).map((i) => i.name.toLowerCase()));
  const made: string[] = [];
  for (const ix of def.indexes) {
    if (!names.includes(ix.name) || have.has(ix.name.toLowerCase())) continue;
    await db.execute(addIndexSql({ ...def, name: t.stored(table) }, ix.name, db.engine));
    made.push(ix.name);
  }
  return made;
}

type InTx = <T>(id: ActionId, body: (tx: Db) => Promise<T>, version?: string) => Promise<T>;

async function runStep(
  db: Db,
  t: Tables,
  step: MigrationStep,
  plan: UpgradePlan,
  opts: UpgradeOptions,
  hooks: UpgradeHooks,
  inTx: InTx,
  names: { resolver: string; realm: string },
): Promise<AppliedAction['result']> {
  const cs = COLUMN_STEPS[step];
  if (cs) {
    return inTx(
      step,
      async (tx) => {
        const def = getTable(LINOTP_3_4, cs.table);
        const have = new Set((await tx.listColumns(t.stored(cs.table))).map((c) => c.name));
        const added: string[] = [];
        for (const col of cs.columns) {
          if (have.has(col)) continue;
          await tx.execute(addColumnSql({ ...def, name: t.stored(cs.table) }, col, tx.engine));
          added.push(col);
        }
        return { columnsAdded: added, indexesCreated: await ensureIndexes(tx, cs.table, stepIndexes(step)) };
      },
      step,
    );
  }
  switch (step) {
    case '3.0.0.0': {
      // MySQL DDL cannot be part of a transaction (applyMysqlUtf8 records what it converts); its data
      // repair runs in this step's transaction and so commits together with the stamp.
      const utf8 = plan.internal.utf8;
      if (!utf8) return inTx(step, async () => ({}), step);
      const u = await applyMysqlUtf8(db, t, utf8, (body) => inTx(step, body, step), utf8.convert.length ? hooks.progress?.('converting tables to utf8mb4', utf8.convert.length) : undefined);
      return { convertedTables: u.converted, repairedRows: u.repairedRows, utf8ConversionSuggested: u.suggested };
    }
    case '3.1.0.0':
      return inTx(step, (tx) => reencrypt(tx, t, opts, hooks, plan.internal.reencrypt?.tokens), step);
    case '3.2.0.0':
      return inTx(step, (tx) => insertDefaults(tx, t, names.resolver, names.realm, true), step);
    case '3.2.2.0':
      return inTx(step, async (tx) => ({ challengesDeleted: t.has('challenges') ? await tx.execute(`DELETE FROM ${t.t('challenges')}`) : 0 }), step);
    default:
      return inTx(step, async () => ({}), step);
  }
}

async function reencrypt(tx: Db, t: Tables, opts: UpgradeOptions, hooks: UpgradeHooks, planned?: number): Promise<AppliedAction['result']> {
  if (!opts.encKey) throw new KeyError('the encKey is needed to re-encrypt', 'give it with --enc-key');
  // The bar's total: the tokens the plan's key check just walked under this lock (no second count).
  const tokens = planned ?? (t.has('Token') ? Number((await tx.query<{ n: number }>(`SELECT COUNT(*) AS n FROM ${t.t('Token')}`))[0]?.n ?? 0) : 0);
  const bar = hooks.progress?.('re-encrypting tokens', tokens);
  const sum = await runReencryption(tx, t, opts.encKey, { write: true, skipFailures: opts.skipUndecryptable, onTokens: (n) => bar?.tick(n) });
  bar?.finish();
  if (sum.failures.length && !opts.skipUndecryptable) {
    // The plan checked every value; a failure now means the data changed under us.
    throw new KeyError(`${sum.failures.length} values no longer decrypt (first: ${sum.failures[0].where})`, 'nothing of this step was committed; run init database again');
  }
  return { ...sum.legacy, reencrypted: totalCount(sum.legacy), alreadyPkcs7: totalCount(sum.pkcs7), skipped: sum.failures.length };
}

/** set_defaults / step 3.2.0.0: insert-if-missing of the default rows, the admin resolver and realm. */
async function insertDefaults(tx: Db, t: Tables, resolver: string, realm: string, adminOnly = false): Promise<AppliedAction['result']> {
  let inserted = 0;
  const rows = allDefaultRows(resolver, realm);
  for (const r of adminOnly ? rows.filter((x) => x.key.includes(resolver) || x.key.startsWith('linotp.useridresolver.group.')) : rows) {
    if (await configKeyExists(tx, t, r.key)) continue;
    await insertConfig(tx, t, r.key, r.value, r.type, r.description);
    inserted++;
  }
  let realms = 0;
  if (!(await realmExists(tx, t, realm))) {
    // Python-side defaults of the Realm model: default=False, option=''.
    await tx.execute(`INSERT INTO ${t.t('Realm')} (${t.c('name')}, ${t.c('default')}, ${t.c('option')}) VALUES (?, ?, ?)`, [realm, false, '']);
    realms = 1;
  }
  return { configRowsInserted: inserted, realmRowsInserted: realms };
}
