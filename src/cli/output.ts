/**
 * Everything the tool shows goes through Output:
 * - with --json, stdout carries exactly one JSON document (`result`) and everything else goes to stderr;
 * - humans get colour (off with --no-color, NO_COLOR, or when the stream is not a terminal),
 *   tables, and progress bars on stderr (only when stderr is a terminal and not --json/--quiet).
 */
import { Chalk, type ChalkInstance } from 'chalk';
import { printable, printableLines, redactSecrets } from '../errors.js';
import { wrapBlock } from '../terminal/text.js';
import { terminalWidth } from '../terminal/width.js';

export interface OutputOptions {
  json: boolean;
  quiet: boolean;
  verbose: number;
  color: boolean;
  stdout?: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  stderr?: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
}

// Tables and text fitting live below the CLI, so reports and renderers in the domain use them too.
export { renderTable, type Align } from '../terminal/table.js';

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
   * The command's result: one JSON document on stdout with --json, else the rendered text. --quiet
   * never hides it (as `linotp -q local-admins list` still lists): quiet is for the chatter. Call it once per command.
   */
  result<T>(doc: T, render: (doc: T, c: ChalkInstance) => string): void {
    if (this.resultWritten) throw new Error('Output.result called twice');
    this.resultWritten = true;
    if (this.json) {
      this.stdout.write(JSON.stringify(doc, jsonReplacer, 2) + '\n');
    } else {
      const text = this.fitted(render(doc, this.c), this.stdout);
      if (text) this.stdout.write(text.endsWith('\n') ? text : text + '\n');
    }
  }

  get hasResult(): boolean {
    return this.resultWritten;
  }

  /** Progress and status lines (stderr; hidden by --quiet). */
  info(msg: string): void {
    if (!this.quiet) this.stderr.write(this.fitted(printableLines(redactSecrets(msg)), this.stderr) + '\n');
  }

  /** Details only shown with -v (stderr). */
  debug(msg: string): void {
    if (this.verbose > 0) this.stderr.write(this.c.dim(printableLines(redactSecrets(msg))) + '\n');
  }

  warn(msg: string): void {
    this.stderr.write(this.fitted(this.c.yellow('warning: ') + printableLines(redactSecrets(msg)), this.stderr) + '\n');
  }

  /**
   * Text for a terminal is broken to its width (tables already fit, see src/terminal/table.ts);
   * text for a pipe or a file is left as it is unless COLUMNS asks for a width.
   */
  private fitted(text: string, stream: NonNullable<OutputOptions['stdout']>): string {
    if (!stream.isTTY && !process.env.COLUMNS) return text;
    return wrapBlock(text, terminalWidth(stream));
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

function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  if (value instanceof Map) return Object.fromEntries(value);
  if (value instanceof Set) return [...value];
  return value;
}
