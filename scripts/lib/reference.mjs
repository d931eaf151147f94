// The command reference as data, read from the built option table (dist/cli/): the one source of
// docs/commands.md (scripts/gen-docs.mjs) and of the man page linotp-migrate(1) (scripts/lib/manpage.mjs),
// so --help, the Markdown reference and the man page cannot disagree. Needs `npm run build` first.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from './build.mjs';

/**
 * @param distDir the built tool (default dist/ of the checkout)
 * @returns {{ specs, groupSummaries, globalOptions, description, exitCodes, environment }}
 */
export async function loadReference(distDir = join(ROOT, 'dist')) {
  const load = (rel) => import(pathToFileURL(join(distDir, rel)).href);
  const { loadCommandSpecs } = await load('cli/commands.js');
  const { GROUP_SUMMARIES } = await load('cli/spec.js');
  const { buildProgram } = await load('cli/main.js');
  const specs = await loadCommandSpecs();
  // The global options and the tool's description as commander really has them.
  const program = buildProgram(specs, async () => {}, ['node', 'linotp-migrate']);
  const globalOptions = program.options.map((o) => ({ flags: o.flags, description: o.description }));
  globalOptions.push({ flags: '-h, --help', description: 'print help for the tool or a command' });
  // Environment variable → the option it stands in for, and the commands that read it.
  const environment = new Map();
  for (const s of specs) {
    for (const o of s.options) {
      if (!o.env) continue;
      const entry = environment.get(o.env) ?? { option: longFlag(o.flags), description: o.description, commands: [] };
      entry.commands.push(s.path.join(' '));
      environment.set(o.env, entry);
    }
  }
  return { specs, groupSummaries: GROUP_SUMMARIES, globalOptions, description: program.description(), exitCodes: readExitCodes(), environment };
}

/** Code → meaning, from the table in docs/exit-codes.md (the one place the exit codes are explained). */
export function readExitCodes(file = join(ROOT, 'docs', 'exit-codes.md')) {
  const rows = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^\| (\d+) \| ([^|]+) \|/.exec(line);
    if (m) rows.push({ code: Number(m[1]), meaning: m[2].trim() });
  }
  if (!rows.length) throw new Error(`no exit codes found in ${file}`);
  return rows;
}

/** `--database-uri` of `-d, --database-uri <uri>`. */
export function longFlag(flags) {
  return /--[\w-]+/.exec(flags)?.[0] ?? flags;
}

/** `<file>`, `[file]`, `<file…>`: how an argument is written in a synopsis. */
export function argumentSynopsis(spec) {
  return (spec.arguments ?? []).map((a) => (a.required ? `<${a.name}>` : `[${a.name}]`) + (a.variadic ? '…' : '')).join(' ');
}

/** Choices, environment variable and repeatability of an option, as short phrases. */
export function optionNotes(o) {
  return [o.choices ? { kind: 'choices', values: o.choices } : null, o.env ? { kind: 'env', name: o.env } : null, o.repeatable ? { kind: 'repeatable' } : null].filter(Boolean);
}

export function defaultText(o) {
  return o.default === undefined ? '' : Array.isArray(o.default) ? o.default.join(',') : String(o.default);
}
