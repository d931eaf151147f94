/**
 * Confirmation and secret input. Never hangs: without a terminal on stdin a needed confirmation
 * is an error telling the user to pass --yes, and a needed secret is an error naming the
 * file/env alternatives. @inquirer/prompts is imported only when a prompt is really shown.
 */
import { readFileSync } from 'node:fs';
import { AbortedError, InputError, UsageError } from '../errors.js';
import type { CommandContext } from './spec.js';

export async function confirmOrAbort(ctx: CommandContext, question: string): Promise<void> {
  if (ctx.global.yes) return;
  if (!ctx.stdin.isTTY) {
    throw new AbortedError(`confirmation needed (${question}) but stdin is not a terminal; nothing was changed`, 'rerun with --yes to confirm in scripts');
  }
  const { confirm } = await import('@inquirer/prompts');
  const ok = await confirm({ message: question, default: false }, { output: process.stderr });
  if (!ok) throw new AbortedError();
}

export interface SecretSource {
  /** Human name, e.g. "backup passphrase". */
  what: string;
  /** Path given with a --…-file option. */
  file?: string;
  /** Environment variable to read. */
  envVar?: string;
  /** Ask twice when prompting (for new secrets). */
  confirm?: boolean;
  /** Option names to mention in the error when nothing is available. */
  fileOption?: string;
}

/**
 * The first line of a secret file, as editors write it: a UTF-8 byte order mark (Windows Notepad)
 * is not part of it, and a line ends at \r\n, \n or a lone \r (old Mac editors, `printf 'x\r'`).
 */
export function firstLineOf(text: string): string {
  return text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/)[0] ?? '';
}

/** Reads a secret from a file (first line), an env var, or a hidden prompt — never from argv. */
export async function readSecret(ctx: CommandContext, src: SecretSource): Promise<string> {
  if (src.file) {
    let text: string;
    try {
      text = readFileSync(src.file, 'utf8');
    } catch (e) {
      throw new InputError(`cannot read the ${src.what} file ${src.file}: ${(e as NodeJS.ErrnoException).code ?? e}`, 'check the path and its permissions');
    }
    const line = firstLineOf(text);
    if (!line) throw new InputError(`the ${src.what} file ${src.file} is empty`, 'put the secret on its first line');
    return line;
  }
  if (src.envVar && ctx.env[src.envVar]) return ctx.env[src.envVar] as string;
  if (!ctx.stdin.isTTY) {
    const alternatives = [src.fileOption, src.envVar].filter(Boolean).join(' or ');
    throw new UsageError(`the ${src.what} is needed but stdin is not a terminal`, `give it with ${alternatives || 'a file'}`);
  }
  const { password } = await import('@inquirer/prompts');
  const first = await password({ message: `${src.what}:`, mask: true }, { output: process.stderr });
  if (!first) throw new UsageError(`an empty ${src.what} is not allowed`);
  if (src.confirm) {
    const second = await password({ message: `${src.what} (again):`, mask: true }, { output: process.stderr });
    if (first !== second) throw new UsageError(`the two ${src.what} entries differ; nothing was changed`);
  }
  return first;
}
