/**
 * Commander wiring only: builds the command tree from the option table (src/cli/spec.ts),
 * creates the Output, runs the command and maps errors to exit codes (docs/exit-codes.md).
 */
import { Command, CommanderError, Option } from 'commander';
import { ExitCode, MigrateError, redactSecrets } from '../errors.js';
import { loadEnvFile } from '../settings/envfile.js';
import { renderVersion, versionInfo } from '../version.js';
import { loadCommandSpecs } from './commands.js';
import { Output } from './output.js';
import { GROUP_SUMMARIES, type CommandContext, type CommandSpec, type GlobalOptions } from './spec.js';

export { VERSION } from '../version.js';

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

function increase(_: string, previous: number): number {
  return previous + 1;
}

/** LINOTP_MIGRATE_ASSUME_YES=1 (or true/yes) confirms like --yes. */
export function assumeYes(env: NodeJS.ProcessEnv): boolean {
  return /^(1|true|yes)$/i.test(env.LINOTP_MIGRATE_ASSUME_YES ?? '');
}

/** `-v`, `--verbose`, `-vv` … anywhere on the line (`--version -v` is read before commander sees `-v`). */
export function countVerbose(args: string[]): number {
  let n = 0;
  for (const a of args) {
    if (a === '--') break;
    if (a === '--verbose') n++;
    else if (/^-v+$/.test(a)) n += a.length - 1;
  }
  return n;
}

export function buildProgram(
  specs: CommandSpec[],
  onRun: (spec: CommandSpec, args: string[], opts: Record<string, any>, global: GlobalOptions) => Promise<void>,
  argv: string[] = process.argv,
): Command {
  const program = new Command('linotp-migrate')
    .description('Take a LinOTP 2 installation to LinOTP 3: config, backup/restore, database upgrade, encoding repair, local admins, verification and rehearsal.')
    .option('--version', 'print the version (with -v also Node, platform and the installed dependencies; with --json as JSON)')
    .option('--json', 'print the result as one JSON document on stdout (everything else goes to stderr)')
    .option('-v, --verbose', 'more detail; stack traces on errors (repeatable)', increase, 0)
    .option('-q, --quiet', 'no progress or status lines: only the result, warnings and errors (as `linotp -q`)')
    .option('-e, --env-file <file>', 'read KEY=VALUE lines into the environment first (variables already set win), as `linotp -e`')
    .option('--yes', 'answer yes to confirmations (for scripts; without it a needed confirmation fails when stdin is not a terminal); LINOTP_MIGRATE_ASSUME_YES=1 does the same')
    .option('--no-color', 'no colours (NO_COLOR is honoured too)')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  // Instead of commander's .version(): `-v` may come after `--version`, so the whole line is read.
  program.on('option:version', () => {
    const args = argv.slice(2);
    const text = args.includes('--json') ? JSON.stringify(versionInfo(), null, 2) + '\n' : renderVersion(countVerbose(args));
    process.stdout.write(text);
    throw new CommanderError(ExitCode.Ok, 'commander.version', text);
  });

  const groups = new Map<string, Command>();
  for (const spec of specs) {
    let parent = program;
    if (spec.path.length === 2) {
      const [groupName] = spec.path;
      let group = groups.get(groupName);
      if (!group) {
        group = program.command(groupName).description(GROUP_SUMMARIES[groupName] ?? '').exitOverride();
        groups.set(groupName, group);
      }
      parent = group;
    }
    const name = spec.path[spec.path.length - 1];
    const cmd = parent.command(name).summary(spec.summary).description(spec.description ?? spec.summary).exitOverride();
    for (const a of spec.arguments ?? []) {
      const inner = a.name + (a.variadic ? '...' : '');
      cmd.argument(a.required ? `<${inner}>` : `[${inner}]`, a.description);
    }
    for (const o of spec.options) {
      const opt = new Option(o.flags, o.description + (o.env ? ` (env ${o.env})` : ''));
      if (o.choices) opt.choices(o.choices);
      if (o.repeatable) opt.argParser(collect);
      if (o.default !== undefined) opt.default(o.default);
      cmd.addOption(opt);
    }
    if (spec.examples?.length) {
      cmd.addHelpText('after', '\nExamples:\n' + spec.examples.map((e) => `  $ ${e}`).join('\n'));
    }
    cmd.action(async (...actionArgs: unknown[]) => {
      const command = actionArgs[actionArgs.length - 1] as Command;
      const g = command.optsWithGlobals();
      // Before anything reads the environment (colour, --yes, the database and key settings).
      if (g.envFile) loadEnvFile(String(g.envFile));
      const global: GlobalOptions = {
        json: Boolean(g.json),
        verbose: Number(g.verbose ?? 0),
        quiet: Boolean(g.quiet),
        // LinOTP's `linotp backup restore` never asks: LINOTP_MIGRATE_ASSUME_YES=1 lets its scripts run unchanged.
        yes: Boolean(g.yes) || assumeYes(process.env),
        color: g.color !== false && !process.env.NO_COLOR,
      };
      await onRun(spec, command.args, command.opts(), global);
    });
  }
  return program;
}

export async function main(argv: string[]): Promise<void> {
  // `linotp-migrate … | head` closes the pipe early: stop quietly instead of crashing on EPIPE.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw err;
    });
  }
  const specs = await loadCommandSpecs();
  let global: GlobalOptions = { json: argv.includes('--json'), verbose: countVerbose(argv.slice(2)), quiet: false, yes: false, color: true };
  let out = new Output({ ...global, color: !process.env.NO_COLOR && !argv.includes('--no-color') });
  let exitCode: number = ExitCode.Ok;
  const program = buildProgram(specs, async (spec, args, opts, g) => {
    global = g;
    out = new Output(g);
    const ctx: CommandContext = { out, global: g, env: process.env, cwd: process.cwd(), stdin: process.stdin };
    const code = await spec.run(ctx, args, opts);
    exitCode = typeof code === 'number' ? code : ExitCode.Ok;
  }, argv);
  try {
    await program.parseAsync(commandShortOptions(argv));
  } catch (err) {
    exitCode = reportError(err, out, global.verbose);
  }
  process.exitCode = exitCode;
}

/**
 * Short options a command shares with a global one, as in LinOTP: `-e` is the global --env-file
 * before the command and `audit cleanup`'s --exportdir after it (`linotp -e ENV audit cleanup -e DIR`).
 * Commander would give every `-e` to the global option, so the command's are renamed first.
 */
export function commandShortOptions(argv: string[]): string[] {
  const at = argv.findIndex((a, i) => a === 'audit' && argv[i + 1] === 'cleanup');
  if (at < 0) return argv;
  return argv.map((a, i) => (i > at + 1 && a === '-e' ? '--exportdir' : i > at + 1 && a.startsWith('-e') && !a.startsWith('--') ? `--exportdir=${a.slice(2)}` : a));
}

/** Maps any thrown value to an exit code after printing one clear line (stack only with -v). */
export function reportError(err: unknown, out: Output, verbose: number): number {
  if (err instanceof CommanderError) {
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return ExitCode.Ok;
    // commander already printed its message; usage errors exit 2 as with click.
    return ExitCode.Usage;
  }
  if (err instanceof MigrateError) {
    out.error(err.message, err.hint);
    if (verbose > 0 && err.stack) out.stderr.write(redactSecrets(err.stack) + '\n');
    return err.exitCode;
  }
  const e = err as Error;
  out.error(`unexpected failure: ${e?.message ?? String(err)}`, verbose > 0 ? undefined : 'run again with -v for details');
  if (verbose > 0 && e?.stack) out.stderr.write(redactSecrets(e.stack) + '\n');
  return ExitCode.Failed;
}
