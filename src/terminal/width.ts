/**
 * How wide the terminal is: `COLUMNS` when set (as shells and `stty` scripts set it), else the
 * width of the terminal the stream writes to, else 80 — the width to fit when nobody can tell.
 */
export const DEFAULT_WIDTH = 80;
/** Below this, wrapping makes output harder to read than overlong lines do. */
const MIN_WIDTH = 40;

export function terminalWidth(stream: { isTTY?: boolean; columns?: number } = process.stdout, env: NodeJS.ProcessEnv = process.env): number {
  const fromEnv = Number.parseInt(env.COLUMNS ?? '', 10);
  if (Number.isFinite(fromEnv) && fromEnv > 0) return Math.max(MIN_WIDTH, fromEnv);
  if (stream.isTTY && stream.columns && stream.columns > 0) return Math.max(MIN_WIDTH, stream.columns);
  return DEFAULT_WIDTH;
}

/**
 * The width tables are fitted to: the terminal's when stdout is one (or COLUMNS asks for a width);
 * none for a pipe or a file, whose readers grep whole lines (the full text is in --json anyway).
 */
export function tableWidth(stream: { isTTY?: boolean; columns?: number } = process.stdout, env: NodeJS.ProcessEnv = process.env): number {
  if (!stream.isTTY && !(Number.parseInt(env.COLUMNS ?? '', 10) > 0)) return Infinity;
  return terminalWidth(stream, env);
}
