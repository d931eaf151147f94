/** `linotp-migrate config convert` and `config show`. */
import type { CommandSpec } from './spec.js';
import { renderTable } from './output.js';
import { planConvert, applyConvert } from '../config/plan.js';
import { explainSettings, showSettings } from '../config/show.js';
import { mappingHelp } from '../config/docs.js';
import { LINOTP_VERSIONS } from '../settings/schema.js';

export const commands: CommandSpec[] = [
  {
    path: ['config', 'convert'],
    summary: 'Convert a LinOTP 2 linotp.ini to a LinOTP 3 .cfg file (every key mapped, dropped with a reason, or flagged)',
    description:
      'Reads the whole linotp.ini (%(here)s = the ini directory, or --here), maps every key to the LinOTP 3 setting of --target, ' +
      'checks the result against that version\'s settings schema, and writes DIR/linotp.cfg (or, with --split, ' +
      'conf.d/01-migrated-database.cfg and conf.d/50-linotp2-migration.cfg) atomically with mode 0640. ' +
      "When the LinOTP 3 settings (LINOTP_CFG's files, conf.d sorted, LINOTP_DATABASE_URI) already define DATABASE_URI — Debian's " +
      "conf.d/01-debian-database.cfg — that one is kept and LinOTP 2's database is not written (--keep-database-uri writes it); " +
      'the output names the file that decides DATABASE_URI afterwards. ' +
      'Prints one report row per ini key (renamed / converted / dropped / needs-attention).\n\n' + mappingHelp(),
    options: [
      { flags: '--ini <file>', description: 'the LinOTP 2 linotp.ini to convert (required)' },
      { flags: '--out <dir>', description: 'directory to write linotp.cfg (or conf.d/ with --split) into', default: '.' },
      { flags: '--target <version>', description: 'LinOTP 3 version whose setting names to use', choices: LINOTP_VERSIONS, default: '3.4' },
      { flags: '--rebase <old=new>', description: 'rewrite a path prefix in file settings, e.g. /etc/linotp2=/etc/linotp (repeatable)', repeatable: true },
      { flags: '--here <dir>', description: 'directory %(here)s stands for (default: the directory of --ini; use it when converting a copy)' },
      { flags: '--group <name>', description: 'group that may read the written files (mode 0640), owner the invoking user; default linotp when that group exists' },
      { flags: '--owner <user[:group]>', description: 'owner and group of the written files (beats --group; default: those of a replaced file, else you:linotp)' },
      { flags: '--split', description: 'write Debian-style conf.d snippets (database settings separate)' },
      {
        flags: '--keep-database-uri',
        description: "write LinOTP 2's database even when the LinOTP 3 settings already define DATABASE_URI (an in-place upgrade that keeps the old database server); without it the new server's own DATABASE_URI is kept",
      },
      { flags: '--dry-run', description: 'write nothing; print the files that would be written' },
      { flags: '--force', description: 'replace existing output files' },
    ],
    examples: [
      'linotp-migrate config convert --ini /etc/linotp2/linotp.ini --rebase /etc/linotp2=/etc/linotp --split --out /etc/linotp',
      'linotp-migrate config convert --ini linotp.ini --here /etc/linotp2 --target 3.2 --dry-run',
    ],
    async run(ctx, _args, opts) {
      if (!opts.ini) {
        const { UsageError } = await import('../errors.js');
        throw new UsageError('--ini is required', 'give the LinOTP 2 linotp.ini, e.g. --ini /etc/linotp2/linotp.ini');
      }
      const { checkDirectoryOption } = await import('./options.js');
      const { resolve } = await import('node:path');
      checkDirectoryOption(resolve(ctx.cwd, opts.out ?? '.'), '--out', true);
      const plan = planConvert(
        { ini: opts.ini, outDir: opts.out ?? '.', target: opts.target, rebase: opts.rebase, here: opts.here, split: opts.split, group: opts.group, owner: opts.owner, keepDatabaseUri: Boolean(opts.keepDatabaseUri) },
        ctx.cwd,
        ctx.env,
      );
      const dryRun = Boolean(opts.dryRun);
      const writes = dryRun ? plan.writes : applyConvert(plan, Boolean(opts.force));
      for (const w of plan.conversion.warnings) ctx.out.warn(w);
      const c = plan.conversion;
      const counts = Object.fromEntries(['renamed', 'converted', 'dropped', 'needs-attention'].map((s) => [s, c.rows.filter((r) => r.status === s).length]));
      const doc = {
        ini: c.ini,
        target: c.target,
        dryRun,
        files: plan.files.map((f, i) => ({ path: f.path, written: !dryRun, replaced: f.exists && !dryRun, settings: f.settings.map((s) => s.name), user: writes[i]!.user, group: writes[i]!.group, mode: writes[i]!.mode })),
        settings: c.settings.map((s) => ({ name: s.name, value: s.display, origins: s.origins })),
        rows: c.rows,
        counts,
        databaseUri: plan.databaseUri,
        warnings: c.warnings,
        ...(dryRun ? { contents: Object.fromEntries(plan.files.map((f) => [f.path, maskContents(f.text, c.settings)])) } : {}),
      };
      ctx.out.result(doc, (d, k) => {
        const table = renderTable(
          ['ini key', 'value', 'status', 'LinOTP 3', 'why'],
          d.rows.map((r) => [`[${r.section}] ${r.key}`, cut(r.value, 36), colour(k, r.status), cut(r.to.map((n) => (r.newValues?.[n] !== undefined ? `${n} = ${r.newValues[n]}` : n)).join(', '), 60), r.reason]),
        );
        const files = d.dryRun
          ? Object.entries(d.contents ?? {}).map(([p, t]) => `--- ${p} (not written: --dry-run)\n${t}`).join('\n')
          : d.files.map((f) => `wrote ${f.path} (${f.user}:${f.group} ${f.mode}): ${f.settings.join(', ') || 'no settings (DATABASE_URI kept from the LinOTP 3 settings)'}`).join('\n');
        const summary = Object.entries(d.counts).map(([s, n]) => `${n} ${s}`).join(', ');
        const u = d.databaseUri;
        const decides = `DATABASE_URI ${d.dryRun ? 'would be' : 'is now'} decided by ${u.decidedBy.source}: ${u.decidedBy.value}` +
          (u.action === 'keep-existing' ? ` (kept; LinOTP 2's ${u.converted} not written)` : u.action === 'override' ? ` (LinOTP 2's, --keep-database-uri; was ${u.existing?.value} from ${u.existing?.source})` : '');
        return `${table}\n\n${summary}\n${files}\n${decides}`;
      });
    },
  },
  {
    path: ['config', 'show'],
    summary: 'Show the effective LinOTP 3 settings as `linotp config show` does (NAME=VALUE lines); --sources for a table with where each value comes from',
    description:
      'Computes the settings as LinOTP 3.4 would at start-up: the files of LINOTP_CFG (or linotp-cfg-default, or the Debian list), ' +
      'then LINOTP_<NAME> environment variables, on top of the schema defaults. Prints NAME=VALUE lines sorted by name, as ' +
      '`linotp config show` does: relative *_DIR/*_FILE values resolved below ROOT_DIR, values as Python str(). ITEMS limits the ' +
      'output to those names (a name that is not set prints nothing, as in LinOTP). Unlike LinOTP, passwords are masked and ' +
      "Flask's own settings (DEBUG, SECRET_KEY, …) are not listed. --sources (or --explain, which adds type and meaning) prints " +
      'a table with the source of each value (file:line, environment variable, default) and the files read.',
    arguments: [{ name: 'items', description: 'setting names to show (default: all)', variadic: true }],
    options: [
      { flags: '-m, --modified', description: 'only settings whose value differs from the schema default (as linotp)' },
      { flags: '-V, --values', description: 'print only the values, not the names (as linotp)' },
      { flags: '--sources', description: 'print a table with the source of each value and the files read' },
      { flags: '--explain', description: "like --sources, with each setting's type and meaning" },
    ],
    examples: ['linotp-migrate config show --values DATABASE_URI', 'linotp-migrate config show -m', 'linotp-migrate config show --sources'],
    async run(ctx, args, opts) {
      const items = args.flat().filter(Boolean);
      const table = Boolean(opts.sources || opts.explain);
      const res = showSettings(ctx.env, { explain: Boolean(opts.explain), items, modified: Boolean(opts.modified), values: Boolean(opts.values) });
      for (const w of res.warnings) ctx.out.warn(w);
      ctx.out.result(res, (d) => {
        if (!table) return d.lines.join('\n');
        const head = `LINOTP_CFG (${d.cfgListSource}): ${d.cfgList || '(no files)'}\n` +
          d.files.map((f) => `  ${f.status === 'loaded' ? 'loaded ' : 'missing'} ${f.path}${f.optional ? ' (optional)' : ''}`).join('\n');
        const rows = d.settings.map((s) => [s.name + (s.unknown ? ' (ignored by LinOTP)' : ''), cut(s.value, 70), s.source, ...(opts.explain ? [s.type ?? '', s.description ?? ''] : [])]);
        return `${head}\n\n${renderTable(['setting', 'value', 'source', ...(opts.explain ? ['type', 'meaning'] : [])], rows)}`;
      });
    },
  },
  {
    path: ['config', 'explain'],
    summary: 'Describe LinOTP 3.4 settings (type, constraints, default, current value, meaning), or write a sample linotp.cfg, as `linotp config explain`',
    description:
      'For every setting of the LinOTP 3.4 schema (or the ITEMS given, in that order) prints its type, constraints, default, ' +
      'current value and description in the layout of `linotp config explain`; an unknown name prints "No information on NAME". ' +
      'With --sample-file prints a commented linotp.cfg instead (every setting commented out with its default), preceded by ' +
      "LinOTP's explanatory banner unless --no-banner. The descriptions are this tool's own texts; current values have passwords masked.",
    arguments: [{ name: 'items', description: 'setting names to explain (default: all, in schema order)', variadic: true }],
    options: [
      { flags: '--sample-file', description: 'print the settings in configuration-file format' },
      { flags: '--banner', description: 'print the explanatory note at the start of the sample file', default: true },
      { flags: '--no-banner', description: 'leave the explanatory note out' },
    ],
    examples: ['linotp-migrate config explain LOG_LEVEL', 'linotp-migrate config explain --sample-file --no-banner > linotp.cfg.sample'],
    async run(ctx, args, opts) {
      const items = args.flat().filter(Boolean);
      const res = explainSettings(ctx.env, { items, sampleFile: Boolean(opts.sampleFile), banner: opts.banner !== false });
      for (const w of res.warnings) ctx.out.warn(w);
      ctx.out.result(res, (d) => d.text);
    },
  },
];

const cut = (text: string, n: number) => {
  const s = text.replace(/\r?\n/g, '↵');
  return s.length > n ? s.slice(0, n - 1) + '…' : s;
};

function colour(k: { yellow(s: string): string; red(s: string): string; dim(s: string): string; green(s: string): string }, s: string): string {
  return s === 'needs-attention' ? k.red(s) : s === 'dropped' ? k.dim(s) : s === 'converted' ? k.yellow(s) : k.green(s);
}

/** The file text for --dry-run output with passwords of URL settings masked. */
function maskContents(text: string, settings: { name: string; display: string; value: unknown }[]): string {
  let out = text;
  for (const s of settings) {
    if (typeof s.value === 'string' && s.display !== s.value) out = out.split(s.value).join(s.display);
  }
  return out;
}
