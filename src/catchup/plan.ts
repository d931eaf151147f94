/**
 * Pure: what `backup catch-up` would change on the new server, from the token states of both.
 * Rules (docs/catch-up.md):
 * - LinOtpCount: the larger of the two — never backwards, so no OTP the old server accepted is
 *   accepted again;
 * - LinOtpFailCount, LinOtpIsactive: the old server's value (it is the authority until cut-over:
 *   a success there resets the fail counter, so "the larger" would be wrong);
 * - LinOtpLastAuthSuccess / LinOtpLastAuthMatch: the later of the two;
 * - a token whose counter on the new server is already ahead is in use there: left alone, reported;
 * - a token whose seed (decrypted) or type differs was re-enrolled: reported, never overwritten.
 */
import type { TokenState } from './tokens.js';

export type Field = 'LinOtpCount' | 'LinOtpFailCount' | 'LinOtpIsactive' | 'LinOtpLastAuthSuccess' | 'LinOtpLastAuthMatch';

export interface FieldChange {
  field: Field;
  from: number | boolean | string | null;
  to: number | boolean | string | null;
}

export interface TokenUpdate {
  serial: string;
  /** LinOtpTokenId on the new server. */
  targetId: number;
  /** The new server's counter when planned: the update applies only if it is still this. */
  expectCount: number;
  changes: FieldChange[];
}

export type SeedComparison = 'same' | 'different' | 'unknown';

export interface CatchUpPlan {
  source: string;
  target: string;
  tokens: { source: number; target: number };
  updates: TokenUpdate[];
  unchanged: number;
  /** The new server's counter is ahead: in use there already, left alone. */
  ahead: { serial: string; sourceCount: number; targetCount: number }[];
  /** On the old server only (enrolled after the backup). */
  added: { serial: string; type: string; realms: string[] }[];
  /** On the new server only (deleted on the old one after the backup). */
  deleted: { serial: string; type: string; targetId: number }[];
  /** Same serial, different seed or type: enrolled again on the old server. */
  reenrolled: { serial: string; reason: string }[];
  /** true when seeds were compared decrypted (an encKey was given); false: only IVs and stored values. */
  seedsCompared: boolean;
  /** Tokens in both databases whose seeds could not be compared (no key, or a value the key does not open). */
  seedsUnknown: number;
  addNew: boolean;
  applyDeletes: boolean;
  /** What stops `apply` (e.g. a new token whose realm the new server lacks); nothing is changed while there are any. */
  problems: string[];
}

export interface PlanInput {
  source: string;
  target: string;
  old: Map<string, TokenState>;
  current: Map<string, TokenState>;
  compareSeeds?: (old: TokenState, current: TokenState) => SeedComparison;
  /** The comparison decrypts the seeds (an encKey was given). */
  seedsDecrypted?: boolean;
  addNew?: boolean;
  applyDeletes?: boolean;
  /** Source has the last-authentication columns (LinOTP 2.12); older models do not. */
  sourceHasLastAuth?: boolean;
}

// Normalised timestamps (tokens.ts) order correctly as strings.
const later = (a: string | null, b: string | null): boolean => a !== null && (b === null || a > b);

export function planCatchUp(input: PlanInput): CatchUpPlan {
  const plan: CatchUpPlan = {
    source: input.source,
    target: input.target,
    tokens: { source: input.old.size, target: input.current.size },
    updates: [],
    unchanged: 0,
    ahead: [],
    added: [],
    deleted: [],
    reenrolled: [],
    seedsCompared: Boolean(input.compareSeeds && input.seedsDecrypted),
    seedsUnknown: 0,
    addNew: Boolean(input.addNew),
    applyDeletes: Boolean(input.applyDeletes),
    problems: [],
  };
  const serials = [...input.old.keys()].sort();
  for (const serial of serials) {
    const o = input.old.get(serial)!;
    const c = input.current.get(serial);
    if (!c) {
      plan.added.push({ serial, type: o.type, realms: o.realms });
      continue;
    }
    if (o.type.toLowerCase() !== c.type.toLowerCase()) {
      plan.reenrolled.push({ serial, reason: `token type ${o.type} on the old server, ${c.type} on the new one` });
      continue;
    }
    const seeds = input.compareSeeds?.(o, c) ?? 'unknown';
    if (seeds === 'unknown') plan.seedsUnknown++;
    if (seeds === 'different') {
      plan.reenrolled.push({ serial, reason: input.seedsDecrypted ? 'the seed differs' : 'a new seed IV (compared without the encKey)' });
      continue;
    }
    if (c.count > o.count) {
      plan.ahead.push({ serial, sourceCount: o.count, targetCount: c.count });
      continue;
    }
    const changes: FieldChange[] = [];
    if (o.count > c.count) changes.push({ field: 'LinOtpCount', from: c.count, to: o.count });
    if (o.failCount !== c.failCount) changes.push({ field: 'LinOtpFailCount', from: c.failCount, to: o.failCount });
    if (o.active !== c.active) changes.push({ field: 'LinOtpIsactive', from: c.active, to: o.active });
    if (input.sourceHasLastAuth !== false) {
      if (later(o.lastAuthSuccess, c.lastAuthSuccess)) changes.push({ field: 'LinOtpLastAuthSuccess', from: c.lastAuthSuccess, to: o.lastAuthSuccess });
      if (later(o.lastAuthMatch, c.lastAuthMatch)) changes.push({ field: 'LinOtpLastAuthMatch', from: c.lastAuthMatch, to: o.lastAuthMatch });
    }
    if (changes.length) plan.updates.push({ serial, targetId: c.id, expectCount: c.count, changes });
    else plan.unchanged++;
  }
  for (const [serial, c] of [...input.current].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    if (!input.old.has(serial)) plan.deleted.push({ serial, type: c.type, targetId: c.id });
  }
  return plan;
}

/** Anything for `apply` to do? */
export function planHasWork(p: CatchUpPlan): boolean {
  return p.updates.length > 0 || (p.addNew && p.added.length > 0) || (p.applyDeletes && p.deleted.length > 0);
}
