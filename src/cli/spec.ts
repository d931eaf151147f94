/**
 * The option table. Every command is declared as data (path, summary, arguments, options,
 * examples) plus a `run` function; src/cli/main.ts turns the table into commander commands
 * and scripts/gen-docs.mjs turns the same table into docs/commands.md, so `--help` and the
 * docs can never disagree (the npm-check-updates pattern).
 */
import type { Output } from './output.js';

export interface OptionSpec {
  /** commander flag syntax, e.g. `--ini <file>`, `-f, --force`, `--tables <list>`. */
  flags: string;
  description: string;
  /** Default value (shown in help and docs). */
  default?: string | boolean | number | string[];
  choices?: string[];
  /** Environment variable consulted when the option is absent (documentation only; the command reads it). */
  env?: string;
  /** The option may be given several times; values are collected into an array. */
  repeatable?: boolean;
}

export interface ArgumentSpec {
  name: string;
  description: string;
  required?: boolean;
  variadic?: boolean;
}

export interface GlobalOptions {
  json: boolean;
  verbose: number;
  quiet: boolean;
  yes: boolean;
  color: boolean;
}

export interface CommandContext {
  out: Output;
  global: GlobalOptions;
  env: NodeJS.ProcessEnv;
  cwd: string;
  stdin: NodeJS.ReadStream;
}

export interface CommandSpec {
  /** e.g. ['backup', 'create'], or ['verify'] for a top-level command. */
  path: string[];
  summary: string;
  /** Longer text for --help and docs (what it does, what it checks, how it decides). */
  description?: string;
  arguments?: ArgumentSpec[];
  options: OptionSpec[];
  examples?: string[];
  /** Returns the exit code (default 0). Throw MigrateError subclasses for failures. */
  run(ctx: CommandContext, args: string[], opts: Record<string, any>): Promise<number | void>;
}

/** Summary lines for the command groups (`linotp-migrate backup --help`). */
export const GROUP_SUMMARIES: Record<string, string> = {
  config: 'Convert a LinOTP 2 linotp.ini to LinOTP 3 settings, and show effective settings',
  backup: 'Create, restore, list and verify LinOTP backups (with the encKey)',
  init: 'Upgrade a database to the LinOTP 3.4 model; create an encKey',
  admin: 'Administrative repairs (fix-db-encoding)',
  'local-admins': 'Manage LinOTP 3 local administrators',
  audit: 'Audit trail maintenance across the upgrade',
  radius: 'Carry the RADIUS service (FreeRADIUS + LinOTP module) and PAM lines to LinOTP 3',
};
