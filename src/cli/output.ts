/**
 * Everything the tool shows goes through Output:
 * - with --json, stdout carries exactly one JSON document (`result`) and everything else goes to stderr;
 * - humans get colour (off with --no-color, NO_COLOR, or when the stream is not a terminal),
 *   tables, and progress bars on stderr (only when stderr is a terminal and not --json/--quiet).
 */
import { Chalk, type ChalkInstance } from 'chalk';
import { printable, printableLines, redactSecrets } from '../errors.js';

export interface OutputOptions {
  json: boolean;
  quiet: boolean;
  verbose: number;
  color: boolean;
  stdout?: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  stderr?: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
}

export type Align = 'left' | 'right';

export class Output {
  readonly json: boolean;
  readonly quiet: boolean;
  readonly verbose: number;
  readonly c: ChalkInstance;
  readonly stdout: NonNullable<OutputOptions['stdout']>;
  readonly stderr: NonNullable<OutputOptions['stderr']>;
  private resultWritten = false;

  constructor(opts: OutputOptions) {
    this.json = opts.json;
    this.quiet = opts.quiet;
    this.verbose = opts.verbose;
    this.stdout = opts.stdout ?? process.stdout;
    this.stderr = opts.stderr ?? process.stderr;
    const useColor = opts.color && !opts.json && Boolean(this.stdout.isTTY || this.stderr.isTTY);
    this.c = new Chalk({ level: useColor ? 1 : 0 });
  }

  /**
   * The command's result: one JSON document on stdout with --json, else the rendered text
   * (suppressed by --quiet). Call it once per command.
   */
  result<T>(doc: T, render: (doc: T, c: ChalkInstance) => string): void {
    if (this.resultWritten) throw new Error('Output.result called twice');
    this.resultWritten = true;
    if (this.json) {
      this.stdout.write(JSON.stringify(doc, jsonReplacer, 2) + '\n');
    } else if (!this.quiet) {
      const text = render(doc, this.c);
      if (text) this.stdout.write(text.endsWith('\n') ? text : text + '\n');
    }
  }

  get hasResult(): boolean {
    return this.resultWritten;
  }

  /** Progress and status lines (stderr; hidden by --quiet). */
  info(msg: string): void {
    if (!this.quiet) this.stderr.write(printableLines(redactSecrets(msg)) + '\n');
  }

  /** Details only shown with -v (stderr). */
  debug(msg: string): void {
    if (this.verbose > 0) this.stderr.write(this.c.dim(printableLines(redactSecrets(msg))) + '\n');
  }

  warn(msg: string): void {
    this.stderr.write(this.c.yellow('warning: ') + printableLines(redactSecrets(msg)) + '\n');
  }

  error(msg: string, hint?: string): void {
    this.stderr.write(this.c.red('error: ') + printable(oneLine(redactSecrets(msg))) + '\n');
    if (hint) this.stderr.write(this.c.dim('hint: ') + printable(oneLine(redactSecrets(hint))) + '\n');
  }

  /** A bar on stderr while work runs; a no-op when stderr is not a terminal, or with --json/--quiet. */
  /** Are progress bars drawn (a terminal, no --json, no -q)? Work done only for a bar can be skipped otherwise. */
  get showsProgress(): boolean {
    return Boolean(this.stderr.isTTY) && !this.json && !this.quiet;
  }

  progress(label: string, total: number): Progress {
    return new Progress(this.stderr, label, total, this.showsProgress);
  }
}

/** Longest error or hint line shown; longer ones quote some huge input (a path, a value) and are cut in the middle. */
export const MAX_MESSAGE_CHARS = 1000;

/** An error stays one readable line: line breaks become spaces, and a huge quoted input is elided. */
export function oneLine(text: string): string {
  const flat = text.replace(/\r\n?|\n/g, ' ');
  if (flat.length <= MAX_MESSAGE_CHARS) return flat;
  const keep = MAX_MESSAGE_CHARS / 2 - 20;
  return `${flat.slice(0, keep)} … (${flat.length - 2 * keep} characters left out) … ${flat.slice(-keep)}`;
}

export class Progress {
  private done = 0;
  private lastDraw = 0;
  constructor(
    private readonly stream: NodeJS.WritableStream & { columns?: number },
    private readonly label: string,
    private total: number,
    private readonly live: boolean,
  ) {}

  tick(n = 1): void {
    this.done += n;
    if (!this.live) return;
    const now = Date.now();
    if (now - this.lastDraw < 80 && this.done < this.total) return;
    this.lastDraw = now;
    this.draw();
  }

  setTotal(total: number): void {
    this.total = total;
  }

  finish(): void {
    if (!this.live) return;
    this.draw();
    this.stream.write('\n');
  }

  private draw(): void {
    const width = 28;
    const ratio = this.total > 0 ? Math.min(1, this.done / this.total) : 1;
    const filled = Math.round(ratio * width);
    const bar = '█'.repeat(filled) + '░'.repeat(width - filled);
    const pct = String(Math.floor(ratio * 100)).padStart(3);
    this.stream.write(`\r${this.label} ${bar} ${pct}% ${this.done}/${this.total}`);
  }
}

/** Renders a plain table (no borders, two spaces between columns); colour codes are allowed in cells. */
export function renderTable(headers: string[], rows: (string | number)[][], align: Align[] = []): string {
  const strip = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '');
  const cells = [headers, ...rows.map((r) => r.map((v) => String(v)))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => [...strip(r[i] ?? '')].length)));
  const fmt = (r: string[]) =>
    r
      .map((v, i) => {
        const pad = ' '.repeat(Math.max(0, widths[i] - [...strip(v ?? '')].length));
        return align[i] === 'right' ? pad + v : v + pad;
      })
      .join('  ')
      .trimEnd();
  const lines = [fmt(headers), widths.map((w) => '─'.repeat(w)).join('  '), ...cells.slice(1).map(fmt)];
  return lines.join('\n');
}

function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  if (value instanceof Map) return Object.fromEntries(value);
  if (value instanceof Set) return [...value];
  return value;
}
