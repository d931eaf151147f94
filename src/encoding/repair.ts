/**
 * The per-value decision of `admin fix-db-encoding` and of verify's mojibake count.
 *
 * A value is repaired only when it is the double-encoded form of valid UTF-8 text: its characters
 * map back to bytes through MySQL latin1 (src/encoding/mysql-latin1.ts) and those bytes are valid
 * UTF-8 that differs from the value. Everything else — ASCII, correct text such as `für` (FC is not
 * valid UTF-8 on its own), `Łódź` (Ł is not in latin1), emoji — is left alone, so running the repair
 * twice changes nothing.
 *
 * LinOTP 3's own `fix-db-encoding` instead runs one blind CONVERT over every row, which aborts (or,
 * without strict mode, writes `?`) on rows that are already correct and converts twice when run
 * twice (linotp-schema.md §5.2, §5.4). Deciding per value avoids all three.
 */
import { isUtf8 } from 'node:buffer';
import { encodeMysqlLatin1 } from './mysql-latin1.js';

const ASCII = /^[\x00-\x7f]*$/;
/**
 * A "repair" that yields C1 control characters is not text anyone wrote; the value is then more
 * likely correct text that happens to decode (`Â…` is correct French/Nordic text far more often
 * than a double-encoded U+0085). Unassigned code points are not excluded: Node's Unicode tables
 * lag behind new emoji.
 */
const IMPLAUSIBLE = /[\u0080-\u009f]/;

export type Verdict =
  /** ASCII or correct text: nothing to do. */
  | { kind: 'ok' }
  /** The double-encoded form of `repaired`. */
  | { kind: 'double'; repaired: string }
  /**
   * Encoded (at least) three times: the one-level repair is itself double-encoded. Reported, and
   * only repaired fully (`repaired` = the innermost text) when the caller asks for it, because a
   * string that really contains `Ã¼` would be indistinguishable.
   */
  | { kind: 'triple'; repaired: string; levels: number };

/**
 * The UTF-8 text whose MySQL latin1 reading `value` is, when there is one and it differs (no C1
 * rule): what src/encoding/mysql-decide.ts calls a candidate.
 */
function latin1Reading(value: string): string | undefined {
  if (ASCII.test(value)) return undefined;
  const bytes = encodeMysqlLatin1(value);
  if (!bytes) return undefined;
  // isUtf8 is strict (no overlongs, surrogates or code points above U+10FFFF) and, unlike a fatal
  // TextDecoder, costs no exception per correct value.
  if (!isUtf8(bytes)) return undefined;
  return bytes.toString('utf8');
}

/** One level: the text whose double encoding `value` is, or undefined. */
export function undoDoubleEncoding(value: string): string | undefined {
  const text = latin1Reading(value);
  if (text === undefined || text === value || IMPLAUSIBLE.test(text)) return undefined;
  return text;
}

/**
 * True when the MySQL server repairs `value` itself (src/encoding/mysql-decide.ts `serverRepair`):
 * a double encoding whose repair is not even a candidate for another level. Then classify() says
 * `double` with the same text; the rest of the doubles (repair is a candidate whose own repair has
 * a C1 character) and all triples are decided here.
 */
export function repairedByServer(value: string | null | undefined): boolean {
  if (value == null || value === '') return false;
  const once = undoDoubleEncoding(value);
  return once !== undefined && latin1Reading(once) === undefined;
}

/** Classifies one stored text value. */
export function classify(value: string | null | undefined): Verdict {
  if (value == null || value === '') return { kind: 'ok' };
  const once = undoDoubleEncoding(value);
  if (once === undefined) return { kind: 'ok' };
  let repaired = once;
  let levels = 2;
  for (let next = undoDoubleEncoding(repaired); next !== undefined && levels < 8; next = undoDoubleEncoding(repaired)) {
    repaired = next;
    levels += 1;
  }
  if (levels === 2) return { kind: 'double', repaired };
  return { kind: 'triple', repaired, levels };
}

/** True when `value` looks double-encoded (what verify counts). */
export function looksDoubleEncoded(value: string | null | undefined): boolean {
  return classify(value).kind !== 'ok';
}
