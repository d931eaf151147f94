/**
 * Reads both sides of `backup catch-up` and makes the plan: checks the new database is LinOTP 3,
 * reads its tokens, reads the old server's tokens in one READ ONLY snapshot, compares seeds, and for
 * --add-new prepares the new tokens' rows (re-encrypted for LinOTP 3, realms checked by name).
 */
import type { EncKey } from '../crypto/enckey.js';
import { describeDbUrl } from '../db/url.js';
import type { Db, Row } from '../db/types.js';
import { InputError } from '../errors.js';
import { detectModelVersion } from '../schema/version.js';
import { prepareNewTokens } from './apply.js';
import { planCatchUp, type CatchUpPlan } from './plan.js';
import { seedComparator } from './seeds.js';
import type { OldServer } from './source.js';
import { findTokenTables, readTokenStates, type TokenTables } from './tokens.js';

export interface CatchUpRead {
  plan: CatchUpPlan;
  targetTables: TokenTables;
  /** --add-new: the rows to insert on the new server, by serial. */
  newRows: Map<string, Row>;
}

export async function requireLinotp3(target: Db): Promise<void> {
  const version = await detectModelVersion(target);
  if (!version.stored || Number(version.stored.split('.')[0]) < 3) {
    throw new InputError(`the new database is not upgraded to LinOTP 3 yet (model ${version.stored ?? 'not stored'})`, 'run `linotp-migrate init database` on it first');
  }
}

export async function readCatchUp(target: Db, old: OldServer, opts: { key?: EncKey; addNew?: boolean; applyDeletes?: boolean }): Promise<CatchUpRead> {
  await requireLinotp3(target);
  const oldTables = await findTokenTables(old.db, old.describe);
  const targetTables = await findTokenTables(target, 'the new database');
  const current = await readTokenStates(target, targetTables);
  // The old server keeps running: one consistent snapshot of it, never a write.
  const { states, rows } = await old.db.transaction(
    async (tx) => {
      const states = await readTokenStates(tx, oldTables);
      const rows = new Map<string, Row>();
      if (opts.addNew) {
        const q = tx.dialect.quoteIdent;
        for (const serial of states.keys()) {
          if (current.has(serial)) continue;
          const r = await tx.query(`SELECT * FROM ${q(oldTables.token)} WHERE ${q('LinOtpTokenSerialnumber')} = ?`, [serial]);
          if (r[0]) rows.set(serial, r[0]);
        }
      }
      return { states, rows };
    },
    { snapshot: true },
  );
  const plan = planCatchUp({
    source: old.describe,
    target: describeDbUrl(target.url),
    old: states,
    current,
    compareSeeds: seedComparator(opts.key),
    seedsDecrypted: Boolean(opts.key),
    addNew: Boolean(opts.addNew),
    applyDeletes: Boolean(opts.applyDeletes),
    sourceHasLastAuth: oldTables.columns.includes('LinOtpLastAuthSuccess'),
  });
  let newRows = new Map<string, Row>();
  if (plan.addNew && plan.added.length) {
    const realms = new Set<string>();
    if (targetTables.realm) {
      const q = target.dialect.quoteIdent;
      for (const r of await target.query(`SELECT ${q('name')} AS n FROM ${q(targetTables.realm)}`)) realms.add(String(r.n).toLowerCase());
    }
    newRows = prepareNewTokens(plan, rows, opts.key, targetTables, realms);
  }
  return { plan, targetTables, newRows };
}
