/**
 * LinOTP 2 audit timestamps → LinOTP 3 audit timestamps.
 *
 * LinOTP 2 (and 3.0) wrote `datetime.now().strftime("%Y-%m-%d %H:%M:%S.%f")`: the server's local
 * wall-clock time with microseconds and no zone. LinOTP 3.1+ writes
 * `datetime.now(UTC).isoformat(timespec="milliseconds")`, e.g. `2024-05-02T08:15:01.123+00:00`
 * (linotp-schema.md §1.6, §2).
 *
 * Rules (docs/audit.md):
 * - Precision: microseconds are TRUNCATED to milliseconds, exactly as Python's
 *   `isoformat(timespec="milliseconds")` does for the rows LinOTP 3 writes itself. Truncation never
 *   carries into the next second/day and keeps the order of rows.
 * - Ambiguous local times (the repeated hour when DST ends) are resolved by `ambiguous`:
 *   'order' (default for the audit commands) — rows come in id order, the order LinOTP wrote them
 *     in. A repeated-hour time takes the first pass until a row's first-pass instant lies more than
 *     ORDER_SLACK_MS before the previous row's instant (the clock has gone back); from then on every
 *     row in that day's repeated hour takes the second pass. Small disorder (several servers, slow
 *     requests) within the slack stays in the first pass. With no previous row: the first pass.
 *   'earlier' — always the first pass (Python's `fold=0`); 'later' — always the second (`fold=1`).
 * - Non-existent local times (the hour skipped when DST starts) are read with the offset in force
 *   BEFORE the change (Python's `fold=0` again): a clock that had not been moved yet. 02:30 on
 *   31 March 2024 in Europe/Berlin → 01:30 UTC.
 * - Values already in LinOTP 3 form are recognised and left alone (idempotent); anything else
 *   that is not a LinOTP 2 timestamp is "unparseable": counted and reported, never changed.
 *
 * Only Intl is used (no tz database package): the zone offset at an instant is read from
 * `Intl.DateTimeFormat#formatToParts`, which uses the ICU zone data bundled with Node.
 */
import { UsageError } from '../errors.js';

export type AmbiguousRule = 'order' | 'earlier' | 'later';

/**
 * How far back in time a row may lie behind the previous one (several servers writing to one audit
 * table with slightly different clocks) before an ambiguous time is taken as the second pass.
 */
export const ORDER_SLACK_MS = 5 * 60_000;

export type TimestampKind = 'linotp2' | 'linotp3' | 'unparseable';

/** How one LinOTP 2 local time maps to UTC. */
export interface Conversion {
  /** The LinOTP 3 form, e.g. `2024-10-27T00:30:00.000+00:00`. */
  utc: string;
  /** UTC milliseconds since the epoch (already truncated to ms). */
  epochMs: number;
  /** 'normal', 'ambiguous' (repeated hour, resolved by the rule) or 'nonexistent' (skipped hour). */
  resolution: 'normal' | 'ambiguous' | 'nonexistent';
}

const LINOTP2_RE = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?$/;
const LINOTP3_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+00:00$/;

/** The form LinOTP 3.1+ writes (29 characters, always `+00:00`). */
export function isLinotp3Timestamp(value: string): boolean {
  return LINOTP3_RE.test(value);
}

/** Parses a LinOTP 2 local timestamp into wall-clock milliseconds ("as if UTC"), or undefined. */
export function parseLinotp2Timestamp(value: string): number | undefined {
  const m = LINOTP2_RE.exec(value);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number);
  const ms = m[7] ? Math.floor(Number(m[7].padEnd(6, '0')) / 1000) : 0;
  if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 59) return undefined;
  const wall = Date.UTC(y, mo - 1, d, h, mi, s, ms);
  // Date.UTC rolls 31 February over into March: reject dates that do not exist.
  const check = new Date(wall);
  if (check.getUTCFullYear() !== y || check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d) return undefined;
  // Date.UTC maps years 0–99 to 1900–1999; LinOTP never wrote such years.
  if (y < 1000) return undefined;
  return wall;
}

export function classifyTimestamp(value: string | null | undefined): TimestampKind {
  if (value == null) return 'unparseable';
  if (isLinotp3Timestamp(value)) return 'linotp3';
  return parseLinotp2Timestamp(value) === undefined ? 'unparseable' : 'linotp2';
}

/** Formats UTC epoch milliseconds the way LinOTP 3 does. */
export function formatLinotp3(epochMs: number): string {
  // toISOString gives `YYYY-MM-DDTHH:MM:SS.mmmZ`; LinOTP 3 (Python isoformat) writes `+00:00`.
  return new Date(epochMs).toISOString().replace(/Z$/, '+00:00');
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/**
 * One zone's offset arithmetic. Offsets are cached per UTC hour and resolutions per local minute:
 * audit rows cluster in time, so 200k rows cost a few thousand Intl calls, not a million.
 */
export class ZoneConverter {
  readonly zone: string;
  private readonly fmt: Intl.DateTimeFormat;
  /** UTC hour → its offset, or null when the offset changes inside that hour. */
  private readonly hourCache = new Map<number, number | null>();
  private readonly minuteCache = new Map<number, number>();
  /** 'order' rule: the local day whose repeated hour has reached its second pass. */
  private secondPassDay: number | undefined;
  private readonly resolveCache = new Map<number, number[]>();

  constructor(zone: string, readonly ambiguous: AmbiguousRule = 'earlier') {
    this.zone = validateZone(zone);
    this.fmt = new Intl.DateTimeFormat('en-US', {
      timeZone: this.zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      era: 'short',
    });
  }

  /**
   * Offset (local − UTC, ms) in force at a UTC instant. Cached per UTC hour: when the offsets at the
   * hour's first and last minute agree, no change happens inside it (tz transitions fall on whole
   * minutes); otherwise that hour is resolved minute by minute. Exact, and ~2 Intl calls per hour.
   */
  offsetAt(epochMs: number): number {
    const hour = Math.floor(epochMs / HOUR);
    let known = this.hourCache.get(hour);
    if (known === undefined) {
      const first = this.rawOffset(hour * HOUR);
      const last = this.rawOffset(hour * HOUR + HOUR - MINUTE);
      known = first === last ? first : null;
      if (this.hourCache.size > 100_000) this.hourCache.clear();
      this.hourCache.set(hour, known);
    }
    if (known !== null) return known;
    const minute = Math.floor(epochMs / MINUTE);
    let offset = this.minuteCache.get(minute);
    if (offset === undefined) {
      offset = this.rawOffset(minute * MINUTE);
      if (this.minuteCache.size > 100_000) this.minuteCache.clear();
      this.minuteCache.set(minute, offset);
    }
    return offset;
  }

  private rawOffset(epochMs: number): number {
    const parts: Record<string, string> = {};
    for (const p of this.fmt.formatToParts(new Date(epochMs))) parts[p.type] = p.value;
    let year = Number(parts.year);
    if (parts.era === 'BC' || parts.era === 'B') year = 1 - year;
    const wall = Date.UTC(year, Number(parts.month) - 1, Number(parts.day), Number(parts.hour), Number(parts.minute), Number(parts.second));
    // Intl shows whole seconds; drop the instant's own milliseconds before subtracting.
    return wall - Math.floor(epochMs / 1000) * 1000;
  }

  /**
   * All UTC instants whose local wall-clock time is `wallMs` (0 = skipped, 2 = repeated), earliest first.
   * Candidate offsets are those in force a day either side; zones never change twice within 48 h.
   */
  instantsFor(wallMs: number): number[] {
    const minute = Math.floor(wallMs / MINUTE);
    const rest = wallMs - minute * MINUTE;
    let base = this.resolveCache.get(minute);
    if (!base) {
      const wallMinute = minute * MINUTE;
      const offsets = new Set([this.offsetAt(wallMinute - DAY), this.offsetAt(wallMinute), this.offsetAt(wallMinute + DAY)]);
      base = [...offsets].map((o) => wallMinute - o).filter((t) => this.offsetAt(t) === wallMinute - t);
      base = [...new Set(base)].sort((a, b) => a - b);
      if (this.resolveCache.size > 200_000) this.resolveCache.clear();
      this.resolveCache.set(minute, base);
    }
    return rest === 0 ? base : base.map((t) => t + rest);
  }

  /**
   * Converts one LinOTP 2 local timestamp; undefined when it is not one. `previousMs` is the instant
   * of the row before it in id order (used by the 'order' rule only).
   */
  convert(value: string, previousMs?: number): Conversion | undefined {
    const wall = parseLinotp2Timestamp(value);
    if (wall === undefined) return undefined;
    const instants = this.instantsFor(wall);
    let epochMs: number;
    let resolution: Conversion['resolution'];
    if (instants.length === 1) {
      epochMs = instants[0];
      resolution = 'normal';
    } else if (instants.length > 1) {
      const first = instants[0];
      const last = instants[instants.length - 1];
      if (this.ambiguous === 'later') epochMs = last;
      else if (this.ambiguous === 'earlier') epochMs = first;
      else {
        // 'order': once the clock has clearly gone back inside this day's repeated hour, every later
        // row in that hour belongs to the second pass (a zone repeats at most one hour a day).
        const day = Math.floor(wall / DAY);
        if (this.secondPassDay !== day && previousMs !== undefined && first < previousMs - ORDER_SLACK_MS) this.secondPassDay = day;
        epochMs = this.secondPassDay === day ? last : first;
      }
      resolution = 'ambiguous';
    } else {
      // In a gap: use the offset in force just before the change (the one a day earlier).
      epochMs = wall - this.offsetAt(wall - DAY);
      resolution = 'nonexistent';
    }
    return { utc: formatLinotp3(epochMs), epochMs, resolution };
  }
}

/** Returns the canonical zone name; throws UsageError naming an unknown zone. */
export function validateZone(zone: string): string {
  if (!zone || typeof zone !== 'string') throw new UsageError('no time zone given', 'name the zone LinOTP 2 ran in, e.g. --timezone Europe/Berlin');
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: zone }).resolvedOptions().timeZone;
  } catch {
    throw new UsageError(`unknown time zone "${zone}"`, 'use an IANA zone name such as Europe/Berlin or UTC (see `timedatectl list-timezones`)');
  }
}
