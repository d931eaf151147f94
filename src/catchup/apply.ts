/**
 * Applies a catch-up plan to the new database in ONE transaction: counters and states, and with
 * the plan's consent new tokens (re-encrypted for LinOTP 3 as `init database` does, realm links
 * by realm name) and deletions. Every update is conditional on the counter the plan saw, so a
 * token the new server used in between stops the whole run instead of being set backwards.
 */
import type { EncKey } from '../crypto/enckey.js';
import type { Db, Row, SqlValue } from '../db/types.js';
import { DatabaseError, InputError } from '../errors.js';
import { undoDoubleEncoding } from '../encoding/repair.js';
import { processTokenRow } from '../upgrade/reencrypt.js';
import type { CatchUpPlan } from './plan.js';
import type { TokenTables } from './tokens.js';

export const LOCK_PURPOSE = 'backup catch-up';

export interface NewTokens {
  /** Full Token rows from the old server, by serial. */
  rows: Map<string, Row>;
}

export interface CatchUpResult {
  updated: number;
  added: number;
  deleted: number;
}

/**
 * Turns the old server's rows of new tokens into rows for the new server: LinOTP 3 padding for
 * every encrypted value, only the columns the new Token table has, no id (the new server assigns it).
 * Problems (a value the key does not open, a realm the new server lacks) go into `plan.problems`.
 */
/**
 * The new server's name for an old server's realm: the same name (LinOTP stores realms in lower
 * case), or — a LinOTP 2 MySQL database stores non-ASCII names double-encoded, the new one after
 * fix-db-encoding correctly — the repaired name.
 */
export function matchRealm<T>(name: string, byName: Map<string, T>): T | undefined {
  const n = name.toLowerCase();
  if (byName.has(n)) return byName.get(n);
  const repaired = undoDoubleEncoding(name);
  return repaired === undefined ? undefined : byName.get(repaired.toLowerCase());
}

export function prepareNewTokens(plan: CatchUpPlan, rows: Map<string, Row>, key: EncKey | undefined, target: TokenTables, targetRealms: Set<string>): Map<string, Row> {
  const out = new Map<string, Row>();
  if (!plan.addNew) return out;
  if (plan.added.length && !key) {
    plan.problems.push('--add-new needs the encKey to re-encrypt the new tokens for LinOTP 3: give it with --enc-key');
    return out;
  }
  for (const a of plan.added) {
    const row = rows.get(a.serial);
    if (!row) continue;
    const r = processTokenRow(key!, row);
    if (r.failures.length) {
      plan.problems.push(`new token ${a.serial}: its ${r.failures[0].kind} does not decrypt with this encKey (${r.failures[0].reason})`);
      continue;
    }
    const known = new Map([...targetRealms].map((n) => [n.toLowerCase(), n]));
    const missing = a.realms.filter((n) => matchRealm(n, known) === undefined);
    if (missing.length) {
      plan.problems.push(`new token ${a.serial}: realm ${missing.join(', ')} does not exist on the new server; create it there, or leave out --add-new`);
      continue;
    }
    const copy: Row = {};
    for (const c of target.columns) if (c !== 'LinOtpTokenId' && c in row) copy[c] = c in r.update ? r.update[c] : row[c];
    out.set(a.serial, copy);
  }
  return out;
}

export async function applyCatchUp(db: Db, t: TokenTables, plan: CatchUpPlan, newRows: Map<string, Row>): Promise<CatchUpResult> {
  if (plan.problems.length) throw new InputError(`catch-up cannot be applied: ${plan.problems[0]}`, plan.problems.length > 1 ? `${plan.problems.length - 1} more problem(s); run with --plan for the list` : 'nothing was changed');
  const q = (n: string) => db.dialect.quoteIdent(n);
  return db.withLock(LOCK_PURPOSE, () =>
    db.transaction(async (tx) => {
      const result: CatchUpResult = { updated: 0, added: 0, deleted: 0 };
      for (const u of plan.updates) {
        const sets = u.changes.map((c) => `${q(c.field)} = ?`).join(', ');
        const params: SqlValue[] = u.changes.map((c) => c.to);
        const n = await tx.execute(`UPDATE ${q(t.token)} SET ${sets} WHERE ${q('LinOtpTokenId')} = ? AND ${q('LinOtpCount')} = ?`, [...params, u.targetId, u.expectCount]);
        if (n !== 1) {
          throw new DatabaseError(`token ${u.serial} changed on the new server since the plan was made (its counter is no longer ${u.expectCount}); nothing was changed`, 'run catch-up again: the new plan sees the current state');
        }
        result.updated++;
      }
      if (plan.addNew && plan.added.length) {
        const realmIds = new Map<string, number>();
        if (t.realm) for (const r of await tx.query(`SELECT ${q('id')} AS id, ${q('name')} AS name FROM ${q(t.realm)}`)) realmIds.set(String(r.name).toLowerCase(), Number(r.id));
        for (const a of plan.added) {
          const row = newRows.get(a.serial);
          if (!row) continue;
          const cols = Object.keys(row);
          await tx.insertMany(t.token, cols, [cols.map((c) => row[c])]);
          const id = Number((await tx.query(`SELECT ${q('LinOtpTokenId')} AS id FROM ${q(t.token)} WHERE ${q('LinOtpTokenSerialnumber')} = ?`, [a.serial]))[0].id);
          if (t.tokenRealm && a.realms.length) {
            await tx.insertMany(t.tokenRealm, ['token_id', 'realm_id'], a.realms.map((n) => [id, matchRealm(n, realmIds)!]));
          }
          result.added++;
        }
      }
      if (plan.applyDeletes) {
        for (const d of plan.deleted) {
          if (t.tokenRealm) await tx.execute(`DELETE FROM ${q(t.tokenRealm)} WHERE ${q('token_id')} = ?`, [d.targetId]);
          const n = await tx.execute(`DELETE FROM ${q(t.token)} WHERE ${q('LinOtpTokenId')} = ? AND ${q('LinOtpTokenSerialnumber')} = ?`, [d.targetId, d.serial]);
          if (n !== 1) throw new DatabaseError(`token ${d.serial} changed on the new server since the plan was made; nothing was changed`, 'run catch-up again');
          result.deleted++;
        }
      }
      return result;
    }),
  );
}
