/**
 * Typed errors. Every error a command can raise on purpose carries the exit code the
 * process ends with and, where there is one, the fix to suggest. The CLI prints
 * `error: <message>` (+ `hint: <hint>`) on one or two lines; stack traces only with -v.
 * Exit codes are documented in docs/exit-codes.md.
 */
export const ExitCode = {
  /** Everything passed / done. */
  Ok: 0,
  /** The operation failed; nothing was changed. */
  Failed: 1,
  /** Bad usage: unknown option, missing argument, invalid value. */
  Usage: 2,
  /** The operation ran but its checks found problems (verify, rehearse, api-check --fail-on). */
  ChecksFailed: 3,
  /** Interrupted by SIGINT (Ctrl-C) after cleaning up: nothing was changed (128 + 2, as a shell reports it). */
  Interrupted: 130,
  /** Interrupted by SIGTERM after cleaning up: nothing was changed (128 + 15). */
  Terminated: 143,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export class MigrateError extends Error {
  readonly exitCode: ExitCodeValue;
  readonly hint?: string;
  constructor(message: string, opts: { exitCode?: ExitCodeValue; hint?: string; cause?: unknown } = {}) {
    super(message, opts.cause !== undefined ? { cause: opts.cause } : undefined);
    this.name = new.target.name;
    this.exitCode = opts.exitCode ?? ExitCode.Failed;
    this.hint = opts.hint;
  }
}

/** Bad command line or option value (exit 2). */
export class UsageError extends MigrateError {
  constructor(message: string, hint?: string) {
    super(message, { exitCode: ExitCode.Usage, hint });
  }
}

/** Bad input file (ini, cfg, dump, key …) — nothing was changed (exit 1). */
export class InputError extends MigrateError {
  constructor(message: string, hint?: string, cause?: unknown) {
    super(message, { exitCode: ExitCode.Failed, hint, cause });
  }
}

/** A database could not be reached or refused an operation (exit 1). */
export class DatabaseError extends MigrateError {
  constructor(message: string, hint?: string, cause?: unknown) {
    super(message, { exitCode: ExitCode.Failed, hint, cause });
  }
}

/** A wrong, missing or malformed encKey (exit 1). */
export class KeyError extends MigrateError {
  constructor(message: string, hint?: string, cause?: unknown) {
    super(message, { exitCode: ExitCode.Failed, hint, cause });
  }
}

/** The user declined a confirmation, or one was needed without a TTY (exit 1, nothing changed). */
export class AbortedError extends MigrateError {
  constructor(message = 'aborted: nothing was changed', hint?: string) {
    super(message, { exitCode: ExitCode.Failed, hint });
  }
}

/** SIGINT/SIGTERM stopped a command, which cleaned up first (exit 130 / 143, nothing changed). */
export class InterruptedError extends MigrateError {
  constructor(signal: NodeJS.Signals, what: string) {
    super(`interrupted by ${signal}: ${what}`, { exitCode: signal === 'SIGTERM' ? ExitCode.Terminated : ExitCode.Interrupted });
  }
}

/** Checks ran and found problems (exit 3). The result document is still printed. */
export class ChecksFailedError extends MigrateError {
  constructor(message: string, hint?: string) {
    super(message, { exitCode: ExitCode.ChecksFailed, hint });
  }
}

/**
 * Removes credentials from any text before it is shown: `scheme://user:password@` → `scheme://user:***@`,
 * `?password=secret` → `?password=***`.
 * Used on every error message that may quote a URL or a driver message.
 */
export function redactSecrets(text: string): string {
  // The lookbehind starts a scheme only at the beginning of a word: without it every position inside
  // a long run of letters is tried and the scan is quadratic (a 50 MB ini value took minutes).
  // The password runs to the last `@` (as the URL parser reads `u:p@ss@host`), so no tail of it shows.
  // A password in the query (`?password=…`, MySQLdb's `&passwd=…`) runs to the next parameter.
  return text
    .replace(/(?<![a-z0-9+.-])([a-z][a-z0-9+.-]*:\/\/[^:/@\s]*:)(\S*)@/gi, '$1***@')
    .replace(/([?&;](?:password|passwd)=)[^&#\s]*/gi, '$1***');
}

/**
 * Text from a backup or a database (member, table and file names, values quoted in messages) made safe
 * to print: C0/C1 control bytes, DEL and the Unicode bidirectional overrides are shown escaped
 * (`\x1b`, `\u202e`), so a hostile name cannot move the cursor, recolour the terminal, set its title
 * or reorder what the administrator reads. A backslash itself is left alone (names rarely hold one,
 * and doubling it would make ordinary Windows paths unreadable). Output applies it to every status,
 * warning and error line; renderers apply it to each name they put in a table.
 */
export function printable(text: string): string {
  return text.replace(/[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, (ch) => {
    const code = ch.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/** `printable` line by line: the line breaks a message has on purpose stay. */
export function printableLines(text: string): string {
  return text.split('\n').map(printable).join('\n');
}
