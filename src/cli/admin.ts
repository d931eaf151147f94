/** `linotp-migrate admin fix-db-encoding`: flags → src/encoding (per-value mojibake repair) → report. */
import type { ChalkInstance } from 'chalk';
import { MAX_JOBS } from '../db/lanes.js';
import { UsageError } from '../errors.js';
import type { FixEncodingReport } from '../encoding/index.js';
import { encodingTableNames } from '../encoding/targets.js';
import { installationOptions, planOptions } from './options.js';
import { renderTable } from './output.js';
import type { CommandSpec } from './spec.js';

const show = (s: string, max = 60) => JSON.stringify(s.length > max ? s.slice(0, max) + '…' : s);

export function renderFixEncoding(r: FixEncodingReport, c: ChalkInstance): string {
  const lines: string[] = [`database: ${r.database.url}${r.dryRun ? c.yellow('  (dry run: nothing was changed)') : ''}`];
  lines.push(`marker linotp.utf8_conversion: ${r.marker.present ? (r.marker.removed ? 'present, removed' : r.dryRun ? 'present (would be removed)' : 'present, kept') : 'absent'}`);
  if (r.charsetConversions.length) {
    const verb = r.dryRun ? 'would convert' : 'converted';
    lines.push(`${verb} to utf8mb4: ${r.charsetConversions.map((x) => `${x.table} (${x.from.join('/')}${x.setDynamic ? ', ROW_FORMAT=DYNAMIC' : ''})`).join(', ')}`);
  }
  if (r.charsetKept.length) {
    lines.push(`kept as they are (no value needs utf8mb4; --utf8mb4 converts them too): ${r.charsetKept.map((x) => `${x.table} (${x.charset})`).join(', ')}`);
  }
  const rows: (string | number)[][] = [];
  for (const t of r.tables) {
    const cols = Object.entries(t.repaired)
      .filter(([, n]) => n > 0)
      .map(([col, n]) => `${col} ${n}`)
      .join(', ');
    rows.push([t.table, t.rows, t.changedRows, cols || c.dim('—'), t.multiple || '', t.conflicts || '']);
  }
  lines.push('', renderTable(['table', 'rows', r.dryRun ? 'to repair' : 'repaired rows', 'values per column', '≥3×', 'conflicts'], rows, ['left', 'right', 'right', 'left', 'right', 'right']));
  if (r.samples.length) {
    lines.push('', r.dryRun ? 'examples (before → after):' : 'examples (before → after):');
    for (const s of r.samples) lines.push(`  ${s.table}.${s.column} [${s.key}]: ${show(s.before)} → ${show(s.after)}`);
  }
  if (r.multiple.length) {
    lines.push('', c.yellow(`${r.totals.multiple} value(s) are encoded three or more times; ${r.tables.length && r.totals.multiple ? 'left as they are unless --repair-multiple is given' : ''}:`));
    for (const s of r.multiple.slice(0, 5)) lines.push(`  ${s.table}.${s.column} [${s.key}]: ${show(s.before)} → ${show(s.after)}`);
  }
  if (r.conflicts.length) {
    lines.push('', c.yellow(`${r.totals.conflicts} key value(s) not repaired because the repaired key already exists:`));
    for (const s of r.conflicts.slice(0, 10)) lines.push(`  ${s.table}.${s.column} [${s.key}]: ${show(s.before)} → ${show(s.after)} (${s.reason})`);
  }
  const verb = r.dryRun ? 'would repair' : 'repaired';
  lines.push('', `${verb} ${r.totals.repairedValues} value(s) in ${r.totals.changedRows} row(s) of ${r.totals.rows} (${r.seconds}s: checking ${r.phases.checking}s, converting tables ${r.phases.converting}s, deciding ${r.phases.deciding}s, updating ${r.phases.updating}s)`);
  return lines.join('\n');
}

function parseTables(v: unknown): string[] | undefined {
  if (v === undefined) return undefined;
  const list = String(v)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (!list.length) throw new UsageError('--tables is empty', `give a comma-separated list, e.g. --tables Token,audit (tables: ${encodingTableNames().join(', ')})`);
  return list;
}

function parseCount(v: unknown, flag: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`${flag} must be a whole number ≥ 0, not ${JSON.stringify(v)}`);
  return n;
}

const fixDbEncoding: CommandSpec = {
  path: ['admin', 'fix-db-encoding'],
  summary: 'Repair latin1/utf8 mojibake (e.g. "JÃ¼rgen" → "Jürgen") value by value in every LinOTP table',
  description: [
    'LinOTP 2 on Python 2 wrote UTF-8 text through latin1 MySQL connections, so non-ASCII text is stored double-encoded ("Jürgen" as "JÃ¼rgen"), and a backup/restore carries it to PostgreSQL or SQLite as well.',
    "What is converted: every free-text column of LinOTP's tables — Config (Key, Value, Description), Token (description, info, serial, user id, resolver columns), Realm (name), imported_user and admin_users (ids, names, email, phone), audit (serial, user, realm, administrator, action_detail, info), REPORTING, challenges and ocra text columns. LinOTP 3's own `linotp admin fix-db-encoding` converts only Config.Value/Description, Token.LinOtpTokenDesc/Info and four imported_user columns.",
    "How it decides, per value: a value is repaired only when it is the double-encoded form of valid UTF-8 — its characters map back to bytes through MySQL's latin1 (Windows cp1252 plus MySQL's mapping of 0x81, 0x8D, 0x8F, 0x90, 0x9D) and those bytes are valid UTF-8 that differs from the value (and contains no control characters). ASCII, correct text (\"für\", \"Łódź\", \"€\", emoji) and half-broken values are left alone, so a second run changes nothing. Values encoded three or more times are reported and only repaired with --repair-multiple. A correct value in which an accented capital is directly followed by a symbol such as … or “ (e.g. \"Æ…\") cannot be told from mojibake: check the examples of --dry-run --samples.",
    'MySQL/MariaDB: LinOTP tables still in latin1, and utf8mb3 tables where a repaired value needs a 4-byte character (an emoji; with --utf8mb4 or --repair-multiple every utf8mb3 table), are first converted to utf8mb4 (utf8mb4_unicode_ci; InnoDB COMPACT tables also get ROW_FORMAT=DYNAMIC for the longer index keys; MyISAM tables whose keys would be too long are refused before anything changes). Other tables of the database are not touched.',
    "Safety: rows are read in primary-key order in pages and each page is written in one transaction, keyed by the primary key and guarded by the old value; key columns are renamed only when the new key is free (collisions are reported). A lock prevents concurrent runs. If the run is killed, every value is either old or repaired; run it again to finish. The marker Config linotp.utf8_conversion (set by LinOTP 3's migration) is removed after a complete run, but the repair runs whether or not it is present. Stop LinOTP and take a backup first.",
  ].join('\n\n'),
  options: [
    ...installationOptions.filter((o) => !o.flags.startsWith('--enc-key')),
    ...planOptions,
    { flags: '--tables <list>', description: `only these LinOTP tables, comma-separated (of ${encodingTableNames().join(', ')})` },
    { flags: '--samples <n>', description: 'show up to n examples of repaired values (before → after)', default: '0' },
    { flags: '--repair-multiple', description: 'also repair values encoded three or more times (down to the innermost text)' },
    { flags: '--utf8mb4', description: 'MySQL: also convert utf8mb3 tables to utf8mb4 when no value needs it (each is a table rebuild; by default only latin1 tables and utf8mb3 tables holding a double-encoded 4-byte character are converted)' },
    { flags: '--batch-size <n>', description: 'rows per page and transaction', default: '5000' },
    { flags: '--jobs <n>', description: `MySQL/MariaDB: pages repaired at once, each over its own connection (default: the number of CPUs, at most ${MAX_JOBS})` },
  ],
  examples: [
    'linotp-migrate admin fix-db-encoding --ini /etc/linotp2/linotp.ini --dry-run --samples 10',
    'linotp-migrate admin fix-db-encoding --database-uri mysql://linotp:secret@localhost/LinOTP --tables audit,Token',
  ],
  async run(ctx, _args, opts) {
    const tables = parseTables(opts.tables);
    const samples = parseCount(opts.samples, '--samples') ?? 0;
    const pageSize = parseCount(opts.batchSize, '--batch-size') ?? 5000;
    if (pageSize < 1) throw new UsageError('--batch-size must be at least 1');
    const jobs = parseCount(opts.jobs, '--jobs');
    if (jobs === 0) throw new UsageError('--jobs must be at least 1', 'leave --jobs out for one connection per CPU');
    const dryRun = Boolean(opts.dryRun || opts.plan);
    const [{ resolveInstallation, requireDatabaseUri }, { openDatabase }, { runFixEncoding }] = await Promise.all([
      import('../settings/resolve.js'),
      import('../db/index.js'),
      import('../encoding/index.js'),
    ]);
    const inst = resolveInstallation({ databaseUri: opts.databaseUri, ini: opts.ini }, ctx.env, ctx.cwd);
    const uri = requireDatabaseUri(inst);
    for (const w of inst.warnings) ctx.out.debug(w);
    const db = await openDatabase(uri.value);
    let report: FixEncodingReport;
    try {
      report = await runFixEncoding(db, {
        dryRun,
        tables,
        samples,
        pageSize,
        ...(jobs !== undefined ? { jobs } : {}),
        repairMultiple: Boolean(opts.repairMultiple),
        utf8mb4: Boolean(opts.utf8mb4),
        progress: (table, rows) => ctx.out.progress(table, rows),
      });
    } finally {
      await db.close();
    }
    ctx.out.result(report, renderFixEncoding);
  },
};

export const commands: CommandSpec[] = [fixDbEncoding];
