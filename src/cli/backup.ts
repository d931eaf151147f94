/**
 * `linotp-migrate backup create | restore | list | verify` (issue 4). Flags in, typed core
 * functions from src/backup/ called, results rendered.
 */
import path from 'node:path';
import { MAX_JOBS } from '../db/lanes.js';
import type { IgnoredStatements } from '../backup/inspect.js';
import type { EncKey } from '../crypto/enckey.js';
import type { RestoreCluster } from '../backup/restore.js';
import type { LinotpFileResult } from '../files/linotp-file.js';
import type { KeyInstallPlan } from '../upgrade/enc-key.js';
import { ChecksFailedError, ExitCode, InputError, printable, UsageError } from '../errors.js';
import { requireDatabaseUri, requireEncKeyPath, resolveInstallation, type Installation } from '../settings/resolve.js';
import { catchUp } from './catch-up.js';
import { installationOptions, ownerOption, planOptions } from './options.js';
import { renderTable } from './output.js';
import { confirmOrAbort, readSecret } from './prompt.js';
import type { CommandContext, CommandSpec, OptionSpec } from './spec.js';

const passphraseOption: OptionSpec = {
  flags: '--passphrase-file <file>',
  description: 'file whose first line is the passphrase of the encKey in the backup (never give it on the command line)',
  env: 'LINOTP_MIGRATE_PASSPHRASE',
};

function install(ctx: CommandContext, opts: Record<string, any>): Installation {
  const inst = resolveInstallation({ databaseUri: opts.databaseUri, ini: opts.ini, encKey: typeof opts.encKey === 'string' ? opts.encKey : undefined }, ctx.env, ctx.cwd);
  for (const w of inst.warnings) ctx.out.debug(w);
  return inst;
}

/** A bar over the checking pass through the dump (bytes read of the dump's size); none without a terminal. */
function checkingProgress(ctx: CommandContext): ((bytes: number, total: number) => void) | undefined {
  if (!ctx.out.showsProgress) return undefined;
  let bar: ReturnType<typeof ctx.out.progress> | undefined;
  let seen = 0;
  let done = false;
  return (bytes, total) => {
    if (done) return;
    bar ??= ctx.out.progress('checking backup', total);
    bar.tick(bytes - seen);
    seen = bytes;
    if (bytes >= total) {
      done = true;
      bar.finish();
    }
  };
}

function backupDir(ctx: CommandContext, inst: Installation, given: string | undefined): string {
  if (given) return path.resolve(ctx.cwd, given);
  if (inst.settings.isExplicit('BACKUP_DIR') || inst.settings.isExplicit('ROOT_DIR')) return String(inst.settings.get('BACKUP_DIR'));
  return ctx.cwd; // where LinOTP 2's linotp-backup writes
}

async function openDb(ctx: CommandContext, inst: Installation, create = false) {
  const uri = requireDatabaseUri(inst);
  ctx.out.debug(`database from ${uri.source}`);
  const { openDatabase } = await import('../db/index.js');
  return openDatabase(uri.value, { create });
}

function passphraseFrom(ctx: CommandContext, opts: Record<string, any>, confirm: boolean): Promise<string> {
  return readSecret(ctx, { what: 'backup passphrase', file: opts.passphraseFile ? path.resolve(ctx.cwd, opts.passphraseFile) : undefined, envVar: 'LINOTP_MIGRATE_PASSPHRASE', confirm, fileOption: '--passphrase-file' });
}

/** A passphrase only when one was given without prompting (file or environment). */
async function passphraseIfGiven(ctx: CommandContext, opts: Record<string, any>): Promise<string | undefined> {
  if (opts.passphraseFile || ctx.env.LINOTP_MIGRATE_PASSPHRASE) return passphraseFrom(ctx, opts, false);
  return undefined;
}

function compressLevel(v: unknown): number {
  const n = Number(v ?? 1);
  if (!Number.isInteger(n) || n < 0 || n > 9) throw new UsageError(`--compress-level must be a whole number from 0 to 9, not ${JSON.stringify(String(v))}`);
  return n;
}

const fmtBytes = (n: number) => (n > 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MiB` : n > 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${n} B`);

const create: CommandSpec = {
  path: ['backup', 'create'],
  summary: 'Back up the LinOTP database and its encKey into one archive',
  description:
    'Dumps the database in one consistent snapshot as SQL in its own dialect (replayable with mariadb, psql or sqlite3), and packs it with a manifest (row counts and SHA-256 checksums) and the encKey encrypted with a passphrase (OpenPGP AES-256, opened by gpg -d) into DIR/linotp_backup_<YYMMDDHHMM>.tar.gz. An existing file is never overwritten.',
  options: [
    ...installationOptions,
    { flags: '--out <dir>', description: 'directory for the archive (default: BACKUP_DIR when configured, else the current directory)' },
    { flags: '--no-enc-key', description: 'leave the encKey out of the backup (a warning is printed: without the key the token seeds cannot be used)' },
    passphraseOption,
    { flags: '--allow-key-mismatch', description: 'write the backup even when the encKey decrypts none of the database\'s sampled encrypted values (default: exit 3, nothing written)' },
    { flags: '--skip-audit', description: 'leave the audit table out' },
    { flags: '--compress-level <n>', description: 'gzip level of the archive: 0 (stored, fastest) to 9 (smallest); the default 1 compresses LinOTP data about 8:1 at the speed of gzip -1', default: '1' },
  ],
  examples: ['linotp-migrate backup create --ini /etc/linotp2/linotp.ini --out /var/backups/linotp', 'LINOTP_MIGRATE_PASSPHRASE=… linotp-migrate backup create --database-uri postgresql://linotp:…@db/linotp --enc-key /etc/linotp/encKey'],
  async run(ctx, _args, opts) {
    const level = compressLevel(opts.compressLevel);
    const inst = install(ctx, opts);
    let key: EncKey | null = null;
    let passphrase: string | undefined;
    if (opts.encKey !== false) {
      const { loadEncKey } = await import('../crypto/enckey.js');
      key = loadEncKey(requireEncKeyPath(inst).value);
      passphrase = await passphraseFrom(ctx, opts, true);
    } else {
      ctx.out.warn('the backup will not contain the encKey: without it the token seeds and encrypted settings in it cannot be used');
    }
    const out = backupDir(ctx, inst, opts.out);
    const { existsSync, statSync } = await import('node:fs');
    if (existsSync(out) && !statSync(out).isDirectory()) throw new UsageError(`--out ${out} is a file, not a directory; nothing was written`, 'give the directory the archive is to be written into');
    const db = await openDb(ctx, inst);
    const { createBackup } = await import('../backup/create.js');
    let bar: ReturnType<typeof ctx.out.progress> | undefined;
    try {
      const r = await createBackup(db, {
        outDir: out,
        encKey: key,
        passphrase,
        allowKeyMismatch: Boolean(opts.allowKeyMismatch),
        skipAudit: Boolean(opts.skipAudit),
        compressLevel: level,
        onTable: ctx.out.showsProgress
          ? (t, total) => {
              bar?.finish();
              bar = ctx.out.progress(t.padEnd(16), total);
            }
          : undefined,
        onRows: (_t, n) => bar?.tick(n),
      });
      bar?.finish();
      if (r.keyWarning) ctx.out.warn(r.keyWarning);
      const rows = r.manifest.tables.reduce((a, t) => a + t.rows, 0);
      ctx.out.result({ file: r.file, bytes: r.bytes, seconds: r.seconds, rows, manifest: r.manifest, keyCheck: r.keyCheck, warnings: r.keyWarning ? [r.keyWarning] : [] }, (d, c) =>
        [
          `${c.green('backup written:')} ${d.file} (${fmtBytes(d.bytes)}, ${d.rows} rows in ${d.manifest.tables.length} tables, ${d.seconds.toFixed(1)} s)`,
          `engine ${d.manifest.source.engine} ${d.manifest.source.serverVersion}, LinOTP model ${d.manifest.modelVersion ?? 'not stored'}`,
          d.manifest.encKey
            ? `encKey included (sha256 ${d.manifest.encKey.fingerprint.slice(0, 16)}…), encrypted with the passphrase; it decrypts ${d.keyCheck?.decrypted ?? 0} of ${d.keyCheck?.checked ?? 0} sampled values`
            : c.yellow('encKey NOT included'),
        ].join('\n'),
      );
    } finally {
      await db.close();
    }
  },
};

const restore: CommandSpec = {
  path: ['backup', 'restore'],
  summary: 'Restore a LinOTP backup into the database, all or nothing',
  description:
    'Reads our archives, LinOTP 2 linotp-backup output (linotp_backup_*.sql with encKey_*.gpg, loose or in a tar.gz), mysqldump/mariadb-dump and pg_dump plain dumps. The whole input is parsed and checked first; then every LinOTP table in the backup is replaced at once (one transaction on PostgreSQL and SQLite; shadow tables and one RENAME on MySQL, filled over --jobs connections with their plain indexes built after the rows), so a failure leaves the target as it was. Local administrators already in the target survive. Into another engine, LinOTP\'s tables are created from the schema model and every row is carried over value for value.',
  options: [
    ...installationOptions,
    { flags: '--file <file>', description: 'the backup to restore' },
    passphraseOption,
    { flags: '--install-enc-key', description: 'also write the encKey from the backup to SECRET_FILE (linotp:linotp 0440, or as the key it replaces), after checking that it decrypts the backup' },
    { flags: '--force', description: 'with --install-enc-key: replace a different key already there even when the target database holds encrypted values (it is kept as encKey.<date>; a key that encrypts nothing there is replaced without --force)' },
    { flags: '--allow-key-mismatch', description: 'restore even when the installation\'s encKey (--enc-key, without --install-enc-key) decrypts none of the backup\'s sampled values (default: exit 3, nothing changed)' },
    { ...ownerOption, description: 'with --install-enc-key: ' + ownerOption.description },
    { flags: '--admin-resolver <name>', description: 'ADMIN_RESOLVER_NAME whose imported_user rows (local admins) are kept (default LinOTP_local_admins)', env: 'LINOTP_ADMIN_RESOLVER_NAME' },
    { flags: '--allow-empty', description: 'restore a dump whose Token table has no rows (--no-data, --schema-only) over a target whose Token table has rows' },
    { flags: '--jobs <n>', description: `MySQL/MariaDB: load the rows over N connections at once (default: the number of CPUs, at most ${MAX_JOBS}; 1 on Galera). PostgreSQL and SQLite restore in one transaction, over one connection` },
    ...planOptions,
  ],
  examples: ['linotp-migrate backup restore --file linotp_backup_2212061351.tar.gz --install-enc-key', 'linotp-migrate backup restore --file linotp_backup_2212061351.sql --database-uri postgresql://linotp:…@localhost/linotp --plan'],
  async run(ctx, _args, opts) {
    if (!opts.file) throw new UsageError('backup restore needs --file', 'give the backup file, e.g. --file linotp_backup_2212061351.tar.gz');
    const inst = install(ctx, opts);
    const file = path.resolve(ctx.cwd, opts.file);
    const dryRun = Boolean(opts.plan || opts.dryRun);
    const jobs = opts.jobs === undefined ? undefined : Number(opts.jobs);
    if (jobs !== undefined && !(Number.isInteger(jobs) && jobs >= 1)) throw new UsageError(`--jobs ${opts.jobs}: the number of connections must be a whole number, 1 or more`, 'leave --jobs out for one connection per CPU, or give e.g. --jobs 2');
    const { verifyBackup } = await import('../backup/verify.js');
    const { loadEncKey } = await import('../crypto/enckey.js');
    // 1. The whole input, before anything else.
    const needKey = Boolean(opts.installEncKey);
    if (opts.owner !== undefined && !needKey) throw new UsageError('--owner needs --install-enc-key', 'it sets the owner of the installed key file');
    const { parseOwnerSpec } = await import('../files/ownership.js');
    const keyOwner = opts.owner !== undefined ? parseOwnerSpec(String(opts.owner)) : undefined;
    ctx.out.info(`reading ${file} …`);
    const { report, src, info, key } = await verifyBackup(file, {
      onBytes: checkingProgress(ctx),
      passphrase: await passphraseIfGiven(ctx, opts),
      // the passphrase is asked for only when the key in the backup is gpg-encrypted and is to be installed
      getPassphrase: needKey ? () => passphraseFrom(ctx, opts, false) : undefined,
    });
    // Exit 1 like every other refused input (truncated archive, wrong passphrase): nothing was changed.
    if (report.problems.length) throw new InputError(`the backup cannot be restored: ${report.problems[0]}`, report.problems.length > 1 ? `${report.problems.length - 1} more; run backup verify --file ${opts.file}` : undefined);
    if (needKey && !key) throw new UsageError('--install-enc-key: the backup contains no encKey');
    let secretFile: string | undefined;
    const warnings: string[] = [];
    let keyCheck: { key: string; checked: number; decrypted: number; failed: number } | null = null;
    if (needKey) {
      secretFile = requireEncKeyPath(inst).value;
      const { accessSync, constants } = await import('node:fs');
      try {
        accessSync(path.dirname(secretFile), constants.W_OK);
      } catch (e) {
        throw new UsageError(`cannot write the encKey to ${secretFile}: ${(e as NodeJS.ErrnoException).code ?? e}; nothing was changed`, 'create the directory or run as a user who may write there (SECRET_FILE / --enc-key names the file)');
      }
    } else if (inst.encKeyPath) {
      // The key the new server will use must open the backup's data (issue 21 item 4): none = exit 3.
      let given: EncKey | undefined;
      try {
        given = loadEncKey(inst.encKeyPath.value);
      } catch (e) {
        ctx.out.debug(`encKey not checked: ${(e as Error).message}`);
      }
      if (given) {
        const { checkKey } = await import('../backup/inspect.js');
        const { keyMismatchWarning, refuseWrongKey } = await import('../backup/key-check.js');
        const check = checkKey(given, info);
        keyCheck = { key: inst.encKeyPath.value, checked: check.checked, decrypted: check.decrypted, failed: check.failed };
        const what = `${inst.encKeyPath.value} (sha256 ${given.fingerprint().slice(0, 16)}…)`;
        refuseWrongKey(check, what, Boolean(opts.allowKeyMismatch));
        const w = keyMismatchWarning(check, what) ?? (check.checked > 0 && check.decrypted === 0 ? `wrong encKey: ${what} decrypts none of the ${check.checked} sampled values of this backup (--allow-key-mismatch); use --install-enc-key or the right key` : undefined);
        if (w) warnings.push(w);
      }
    }
    for (const w of warnings) ctx.out.warn(w);
    // 2. The plan. A plan-only run must not even create a missing SQLite file: it plans against an empty database.
    let db;
    const { parseDbUrl } = await import('../db/url.js');
    const target = parseDbUrl(requireDatabaseUri(inst).value);
    const { existsSync: exists } = await import('node:fs');
    if (dryRun && target.engine === 'sqlite' && target.database !== ':memory:' && !exists(path.resolve(ctx.cwd, target.database))) {
      const { openDatabase } = await import('../db/index.js');
      db = await openDatabase({ ...target, database: ':memory:' });
      ctx.out.info(`${target.database} does not exist yet; it would be created`);
    } else {
      db = await openDb(ctx, inst, true);
    }
    try {
      const { planRestore, applyRestore } = await import('../backup/restore.js');
      const resolver = opts.adminResolver ?? (typeof inst.settings.get('ADMIN_RESOLVER_NAME') === 'string' && inst.settings.isExplicit('ADMIN_RESOLVER_NAME') ? String(inst.settings.get('ADMIN_RESOLVER_NAME')) : undefined);
      const plan = await planRestore(db, src, info, { adminResolver: resolver, allowEmpty: Boolean(opts.allowEmpty) });
      // Problems that depend on the target (an empty Token table over tokens): refused, --plan included.
      if (plan.problems.length) throw new InputError(`the backup cannot be restored into ${plan.target}: ${plan.problems[0]}`, 'nothing was changed');
      // The key path, checked against the target before anything changes (issue 21 items 1, 3).
      let keyPlan: KeyInstallPlan | null = null;
      if (secretFile && key) {
        const { planKeyInstall } = await import('../upgrade/enc-key.js');
        keyPlan = await planKeyInstall(secretFile, key, db, { force: Boolean(opts.force), owner: keyOwner, env: ctx.env, database: plan.target });
        for (const w of keyPlan.warnings) ctx.out.warn(w);
        warnings.push(...keyPlan.warnings);
      }
      const replaced = plan.tables.filter((t) => t.exists).map((t) => t.target);
      // Tables of another application and none of LinOTP's: the wrong target, refused like init database does.
      const { findTable, LINOTP_2_12, LINOTP_3_4 } = await import('../schema/tables.js');
      const foreign = plan.untouched.filter((n) => !findTable(LINOTP_3_4, n) && !findTable(LINOTP_2_12, n));
      if (foreign.length && plan.untouched.length === foreign.length && replaced.length === 0) {
        throw new InputError(
          `${plan.target} has no LinOTP tables but ${foreign.length} table(s) of another application (${foreign.slice(0, 5).join(', ')}${foreign.length > 5 ? ', …' : ''}): not the LinOTP database; nothing was changed`,
          'restore into LinOTP\'s own database or an empty one (check --database-uri)',
        );
      }
      const summary = {
        file,
        kind: report.kind,
        target: plan.target,
        from: plan.dialect,
        sameEngine: plan.sameEngine,
        modelVersion: plan.modelVersion,
        tables: plan.tables.map((t) => ({ name: t.target, rows: t.rows, replaces: t.exists, ddl: t.ddl, ...(t.engineFrom ? { engineFrom: t.engineFrom, engine: 'InnoDB' } : {}), ...(t.noPrimaryKey ? { noPrimaryKey: true } : {}) })),
        cluster: plan.cluster,
        skipped: plan.skipped,
        ignored: plan.ignored,
        notes: plan.notes,
        untouched: plan.untouched,
        preservedAdmins: plan.preservedAdmins,
        installEncKey: keyPlan,
        keyCheck,
        warnings,
        audit: await restoredAuditPlace(inst, plan),
      };
      if (dryRun) {
        ctx.out.result({ ...summary, applied: false }, (d) => renderPlan(d) + '\n(plan only: nothing was changed)');
        return;
      }
      if (!ctx.global.quiet && !ctx.global.json) ctx.out.info(renderPlan(summary));
      await confirmOrAbort(
        ctx,
        `restore ${plan.tables.length} table(s) into ${plan.target}${replaced.length ? `, replacing ${replaced.join(', ')}` : ''}${secretFile ? `, and write the encKey to ${secretFile}` : ''}?`,
      );
      let bar: ReturnType<typeof ctx.out.progress> | undefined;
      // Ctrl-C / kill: the restore stops at its next batch and removes its shadow tables (or rolls
      // back) before the process ends with 130 / 143; a second signal ends it at once.
      const interrupt = new AbortController();
      const onSignal = (signal: NodeJS.Signals) => {
        if (interrupt.signal.aborted) process.exit(signal === 'SIGTERM' ? ExitCode.Terminated : ExitCode.Interrupted);
        bar?.finish();
        ctx.out.warn(`${signal}: stopping the restore and removing what it created (a second ${signal} ends at once)`);
        interrupt.abort(signal);
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      const result = await applyRestore(db, src, plan, {
        signal: interrupt.signal,
        jobs,
        adminResolver: plan.adminResolver,
        onTable: (t, n) => {
          bar?.finish();
          bar = ctx.out.progress(t.padEnd(16), n);
        },
        onRows: (_t, n) => bar?.tick(n),
      }).finally(() => {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      });
      bar?.finish();
      for (const w of result.warnings) ctx.out.warn(w);
      let keyResult: (LinotpFileResult & { replacedUnusedKey?: true }) | null = null;
      if (keyPlan && key) {
        const { installKey } = await import('../upgrade/enc-key.js');
        keyResult = installKey(keyPlan, key, { force: Boolean(opts.force), owner: keyOwner, env: ctx.env });
        for (const w of keyResult.warnings) if (!warnings.includes(w)) ctx.out.warn(w);
      }
      ctx.out.result({ ...summary, applied: true, restored: result.tables, seconds: result.seconds, rowsPerSecond: result.rowsPerSecond, encKey: keyResult }, (d, c) =>
        [
          `${c.green('restored')} ${d.restored.reduce((a, t) => a + t.rows, 0)} rows in ${d.restored.length} tables into ${d.target} (${d.seconds.toFixed(1)} s, ${d.rowsPerSecond} rows/s)`,
          d.preservedAdmins ? `${d.preservedAdmins} local admin(s) of the target kept` : '',
          d.encKey ? `encKey ${d.encKey.action}: ${d.encKey.path} (${d.encKey.user}:${d.encKey.group} ${d.encKey.mode})${d.encKey.backup ? `; the old key${d.encKey.replacedUnusedKey ? ', which encrypted nothing in the target database,' : ''} is kept as ${d.encKey.backup}` : ''}` : '',
          d.audit?.movedByInitDatabase ? d.audit.note : '',
          d.modelVersion && d.modelVersion.startsWith('3.2.3') && !d.audit?.movedByInitDatabase ? '' : 'next: linotp-migrate init database (upgrades the restored data to the LinOTP 3.4 model)',
        ]
          .filter(Boolean)
          .join('\n'),
      );
    } finally {
      await db.close();
    }
  },
};

function renderPlan(d: { target: string; from: string; sameEngine: boolean; modelVersion: string | null; cluster: RestoreCluster; tables: { name: string; rows: number; replaces: boolean; ddl: string; engineFrom?: string; noPrimaryKey?: boolean }[]; skipped: { table: string; rows: number; reason: string }[]; ignored: IgnoredStatements[]; notes: string[]; untouched: string[]; preservedAdmins: number; installEncKey: KeyInstallPlan | null; audit?: { note: string; readFrom: string } | null }): string {
  const lines = [
    `restore into ${d.target} (${d.sameEngine ? 'same engine: exact' : `from a ${d.from} dump: tables created from the LinOTP schema model`}), LinOTP model ${d.modelVersion ?? 'not stored'}`,
    renderTable(['table', 'rows', 'action'], d.tables.map((t) => [printable(t.name), t.rows, t.replaces ? 'replace' : 'create']), ['left', 'right', 'left']),
  ];
  if (d.cluster.kind === 'galera') lines.push(`Galera cluster of ${d.cluster.size} node(s) (${d.cluster.nodes.map(printable).join(', ')}): the tables are swapped in on every node at once`);
  const converted = d.tables.filter((t) => t.engineFrom);
  if (converted.length) lines.push(`created as InnoDB (Galera replicates no other engine): ${converted.map((t) => `${printable(t.name)} (${printable(t.engineFrom!)} in the dump)`).join(', ')}`);
  const noPk = d.tables.filter((t) => t.noPrimaryKey).map((t) => printable(t.name));
  if (noPk.length) lines.push(`without a primary key (Galera replicates them with a hidden key, slowly; LinOTP's own tables all have one): ${noPk.join(', ')}`);
  for (const s of d.skipped) lines.push(`skipped ${printable(s.table)} (${s.rows} rows): ${printable(s.reason)}`);
  for (const n of d.notes) lines.push(`note: ${n}`);
  lines.push(...renderIgnored(d.ignored));
  if (d.untouched.length) lines.push(`left as they are: ${d.untouched.map(printable).join(', ')}`);
  if (d.preservedAdmins) lines.push(`${d.preservedAdmins} local admin(s) in the target are kept`);
  const k = d.installEncKey;
  if (k) {
    const old = k.replacesUnusedKey
      ? `, replacing the key there (sha256 ${k.replacesUnusedKey.fingerprint}…, which encrypts nothing in the target database; kept as ${k.backup})`
      : k.action === 'replaced' ? `, replacing the key there (--force; kept as ${k.backup})` : k.action === 'unchanged' ? ' (already there)' : '';
    lines.push(`the encKey will be written to ${k.path} as ${k.user}:${k.group} ${k.mode}${old}`);
  }
  // Only news: rows that LinOTP 3.4 will not read where the restore puts them.
  if (d.audit && d.audit.readFrom !== 'the main database') lines.push(d.audit.note);
  return lines.join('\n');
}

/** The statements a restore leaves out, as restore's plan and backup verify list them. */
function renderIgnored(ignored: IgnoredStatements[]): string[] {
  return ignored.map((i) => `not restored: ${i.what}${i.count > 1 ? ` ×${i.count}` : ''} (line ${i.line}${i.count > 1 ? ' first' : ''})`);
}

const list: CommandSpec = {
  path: ['backup', 'list'],
  summary: 'List the backups in BACKUP_DIR (ours, LinOTP 2\'s and LinOTP 3\'s)',
  options: [{ flags: '--dir <dir>', description: 'directory to list (default: BACKUP_DIR when configured, else the current directory)' }],
  async run(ctx, _args, opts) {
    const inst = resolveInstallation({}, ctx.env, ctx.cwd);
    const dir = backupDir(ctx, inst, opts.dir);
    const { checkDirectoryOption } = await import('./options.js');
    if (opts.dir) checkDirectoryOption(dir, '--dir', false);
    const { listBackups } = await import('../backup/list.js');
    const items = await listBackups(dir);
    ctx.out.result({ dir, backups: items }, (d) =>
      d.backups.length === 0
        ? `no backups in ${d.dir}`
        : [
            renderTable(
              ['date', 'file', 'size', 'kind', 'engine', 'model', 'rows', 'encKey'],
              d.backups.map((b) => [b.date.slice(0, 16).replace('T', ' '), printable(b.name), fmtBytes(b.bytes), b.kind + (b.restorable ? '' : ' (not restorable)'), b.engine ?? '?', b.modelVersion ?? '', b.rows ? Object.values(b.rows).reduce((a, n) => a + n, 0) : '', b.encKey ? 'yes' : 'no']),
              ['left', 'left', 'right', 'left', 'left', 'left', 'right', 'left'],
            ),
            ...d.backups.filter((b) => !b.restorable && b.note).map((b) => `${printable(b.name)}: ${printable(b.note!)}`),
          ].join('\n'),
    );
  },
};

const verify: CommandSpec = {
  path: ['backup', 'verify'],
  summary: 'Check a backup without a database: checksums, full parse, row counts, and whether the key decrypts it',
  options: [
    { flags: '--file <file>', description: 'the backup to check' },
    { flags: '--enc-key <file>', description: 'test this encKey against the backup\'s data' },
    passphraseOption,
  ],
  async run(ctx, _args, opts) {
    if (!opts.file) throw new UsageError('backup verify needs --file');
    const file = path.resolve(ctx.cwd, opts.file);
    let key: EncKey | undefined;
    if (opts.encKey) key = (await import('../crypto/enckey.js')).loadEncKey(path.resolve(ctx.cwd, opts.encKey));
    const passphrase = await passphraseIfGiven(ctx, opts);
    const { verifyBackup } = await import('../backup/verify.js');
    const { report } = await verifyBackup(file, { key, passphrase, onBytes: checkingProgress(ctx) });
    ctx.out.result(report, (r, c) =>
      [
        `${printable(r.file)}: ${r.kind} backup, ${r.dialect} dump ${printable(r.dump)} (${fmtBytes(r.bytes)}), LinOTP model ${r.modelVersion ?? 'not stored'} (${r.modelState})`,
        `checksums: ${r.checksums === 'none' ? 'no manifest' : r.checksums}`,
        renderTable(['table', 'rows'], r.tables.map((t) => [printable(t.name), t.rows]), ['left', 'right']),
        ...r.notes.map((n) => `note: ${n}`),
        ...renderIgnored(r.ignored),
        r.encKey.check ? `encKey ${r.encKey.fingerprint?.slice(0, 16)}…: decrypts ${r.encKey.check.decrypted} of ${r.encKey.check.checked} sampled values` : r.encKey.present ? 'encKey present (give --passphrase-file or --enc-key to test it)' : 'no encKey in the backup',
        ...(r.encKey.backupKey === 'not-opened' ? [c.yellow("the backup's own encKey was not opened (no passphrase given): only --enc-key was tested")] : []),
        ...(r.encKey.backupKey === 'opened' && r.encKey.sameAsGiven ? ["the backup's own encKey (opened with the passphrase) is the same key"] : []),
        ...r.problems.map((p) => c.red('problem: ') + printable(p)),
        r.ok ? c.green('backup is OK') : c.red('backup has problems'),
      ].join('\n'),
    );
    // The line names the first problem, so it says what is wrong even where only stderr is seen (logs, CI).
    if (!report.ok) throw new ChecksFailedError(`backup verify found ${report.problems.length} problem(s)${report.problems.length ? `, first: ${report.problems[0]}` : ''}`);
  },
};

/**
 * Where the restored audit rows are against where LinOTP 3.4 reads them (src/audit/location.ts): the
 * restore writes the dump's audit table into the main database, as LinOTP 2 had it; when LinOTP 3.4 reads
 * another (SQLite's <file>_audit, AUDIT_DATABASE_URI), `init database` moves the rows (issue 21 item 5).
 */
async function restoredAuditPlace(inst: Installation, plan: { tables: { target: string; rows: number }[] }) {
  const t = plan.tables.find((x) => x.target.toLowerCase() === 'audit');
  if (!t) return null;
  const { auditLocation } = await import('../audit/location.js');
  const loc = auditLocation(inst.settings, requireDatabaseUri(inst).value);
  const movedByInitDatabase = loc.target.kind === 'separate';
  const note = movedByInitDatabase
    ? `the ${t.rows} audit rows go into the main database; LinOTP 3.4 reads ${loc.description} (AUDIT_DATABASE_URI from ${loc.source}): init database moves them there`
    : loc.target.kind === 'off'
      ? `AUDIT_DATABASE_URI = OFF (${loc.source}): LinOTP 3.4 shows none of the ${t.rows} audit rows`
      : `the ${t.rows} audit rows go into the main database, where LinOTP 3.4 reads them`;
  return { rows: t.rows, readFrom: loc.description, source: loc.source, movedByInitDatabase, note };
}

export const commands: CommandSpec[] = [create, restore, list, verify, catchUp];
