/** `linotp-migrate init database` and `init enc-key` (issue 5): flags → src/upgrade → rendering. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { ChalkInstance } from 'chalk';
import type { EncKey } from '../crypto/enckey.js';
import { ChecksFailedError, KeyError, UsageError } from '../errors.js';
import { requireDatabaseUri, requireEncKeyPath, resolveInstallation, type Installation } from '../settings/resolve.js';
import type { PlannedAction, UpgradeOptions, UpgradePlan } from '../upgrade/plan.js';
import type { UpgradeResult } from '../upgrade/apply.js';
import { auditLocation } from '../audit/location.js';
import { createsAdminUsers } from '../settings/model-tables.js';
import { confirmOrAbort } from './prompt.js';
import { installationOptions, ownerOption, planOptions } from './options.js';
import { renderTable } from './output.js';
import type { CommandContext, CommandSpec } from './spec.js';

function installation(ctx: CommandContext, opts: Record<string, any>): Installation {
  const inst = resolveInstallation({ databaseUri: opts.databaseUri, ini: opts.ini, encKey: opts.encKey }, ctx.env, ctx.cwd);
  for (const w of inst.warnings) ctx.out.warn(w);
  return inst;
}

function effectText(effects: PlannedAction['effects']): string {
  return Object.entries(effects)
    .filter(([, v]) => (Array.isArray(v) ? v.length > 0 : v !== 0))
    .map(([k, v]) => `${k}: ${Array.isArray(v) ? v.join(', ') : v}`)
    .join('; ');
}

function publicPlan(plan: UpgradePlan) {
  const { internal: _internal, ...rest } = plan;
  return rest;
}

export function renderPlan(plan: ReturnType<typeof publicPlan>, c: ChalkInstance): string {
  const v = plan.version;
  const lines = [
    `database: ${plan.database}`,
    `model version: ${v.stored ?? '(none)'} — ${v.releases}; target ${plan.target} (LinOTP 3.2.3 – 3.4.x)`,
  ];
  if (plan.keyCheck) lines.push(`encKey sha256 ${plan.keyCheck.fingerprint}…: ${plan.keyCheck.legacy} values in the LinOTP 2 padding, ${plan.keyCheck.pkcs7} in PKCS#7, ${plan.keyCheck.failures} undecryptable`);
  if (plan.upToDate) lines.push(c.green(`already at ${plan.target}; nothing to do`));
  else if (plan.actions.length) {
    lines.push('', renderTable(['action', 'what', 'effect'], plan.actions.map((a) => [a.id, a.title, effectText(a.effects) || (a.changesData ? '' : 'no change')])));
    for (const a of plan.actions) for (const n of a.notes) lines.push(c.dim(`  ${a.id}: ${n}`));
  }
  for (const w of plan.warnings) lines.push(c.yellow(`warning: ${w}`));
  for (const b of plan.blockers) lines.push(c.red(`blocked: ${b}`));
  return lines.join('\n');
}

function renderResult(doc: { plan: ReturnType<typeof publicPlan>; applied: UpgradeResult['applied']; version: string; upToDate: boolean }, c: ChalkInstance): string {
  if (doc.upToDate) return c.green(`${doc.plan.database}: already at ${doc.plan.target}; nothing changed`);
  const rows = doc.applied.map((a) => [a.id, a.title, effectText(a.result as PlannedAction['effects']) || '—']);
  return [renderTable(['done', 'what', 'result'], rows), c.green(`${doc.plan.database}: model version ${doc.version} (LinOTP 3.2.3 – 3.4.x)`)].join('\n');
}


const initDatabase: CommandSpec = {
  path: ['init', 'database'],
  summary: "Upgrade a LinOTP 2.x/3.x database to LinOTP 3.4's model (3.2.3.0), or create a fresh one",
  description:
    'Creates missing tables with LinOTP 3.4 DDL, runs the migration steps from the stored linotp.sql_data_model_version to 3.2.3.0 ' +
    '(2.9.1.0 … 3.2.3.0) and inserts the default settings, admin resolver and realm LinOTP 3.4 inserts. Step 3.1.0.0 re-encrypts ' +
    'with the encKey — also the values LinOTP misses (@@ PINs, user/SO PINs, ocra2 sharedSecret, chunked secrets); every value is ' +
    'checked to decrypt before anything changes. MySQL latin1 LinOTP tables become utf8mb4 with their text repaired. Audit rows are ' +
    'kept unless --truncate-audit. Idempotent and resumable: each step is stamped when done; a lock prevents concurrent runs.',
  options: [
    ...installationOptions,
    ...planOptions,
    { flags: '--target <version>', description: 'LinOTP release whose model to reach', choices: ['3.4'], default: '3.4' },
    { flags: '--erase-all-data', description: "drop LinOTP's tables first (asks for confirmation unless --yes)" },
    { flags: '--truncate-audit', description: 'delete all audit rows (2.x signatures never verify in LinOTP 3)' },
    {
      flags: '--audit-timezone <zone>',
      description: "IANA zone the LinOTP 2 server wrote audit times in (e.g. Europe/Berlin): convert them to LinOTP 3's UTC form; never guessed",
    },
    {
      flags: '--audit-ambiguous <rule>',
      description: 'placement of times in the repeated hour at the end of DST: by row order, or the earlier/later instant',
      choices: ['order', 'earlier', 'later'],
      default: 'order',
    },
    { flags: '--skip-undecryptable', description: 'leave values the encKey cannot decrypt unchanged instead of refusing (at least one must decrypt)' },
    {
      flags: '--provider-files-dir <dir>',
      description: 'write PEM texts held inline in provider definitions (SMS SERVER_CERTIFICATE …, which LinOTP 3.4 reads as a path) to files in DIR (0640) and point the definitions there, re-encrypted',
    },
    { flags: '--ca-out <dir>', description: "export the LDAP resolvers' CA certificates LinOTP 2 kept in Config (LinOTP 3 ignores them) as DIR/linotp-ldap-<resolver>.crt for update-ca-certificates" },
    { flags: '--owner <user[:group]>', description: 'owner of the files --provider-files-dir and --ca-out write (default: linotp:linotp when that user exists, see docs/files.md)' },
  ],
  examples: [
    'linotp-migrate init database --ini /etc/linotp2/linotp.ini --plan',
    'linotp-migrate init database --database-uri mysql://linotp:pw@localhost/LINOTP --enc-key /etc/linotp2/encKey',
    'linotp-migrate init database --ini /etc/linotp2/linotp.ini --provider-files-dir /etc/linotp/providers --ca-out /root/ldap-ca',
  ],
  async run(ctx, _args, opts) {
    // An invalid zone is a usage error before anything is opened.
    const auditTimezone = opts.auditTimezone === undefined ? undefined : (await import('../audit/timezone.js')).validateZone(String(opts.auditTimezone));
    const inst = installation(ctx, opts);
    const uri = requireDatabaseUri(inst);
    let encKey: EncKey | undefined;
    let keyError: unknown;
    if (inst.encKeyPath) {
      try {
        const { loadEncKey } = await import('../crypto/enckey.js');
        encKey = loadEncKey(inst.encKeyPath.value);
      } catch (e) {
        keyError = e;
      }
    }
    const audit = auditLocation(inst.settings, uri.value).target;
    const realm = String(inst.settings.get('ADMIN_REALM_NAME') ?? 'linotp_admins');
    const resolver = String(inst.settings.get('ADMIN_RESOLVER_NAME') ?? 'LinOTP_local_admins');
    const uopts: UpgradeOptions = {
      encKey,
      adminRealmName: realm,
      adminResolverName: resolver,
      truncateAudit: Boolean(opts.truncateAudit),
      eraseAllData: Boolean(opts.eraseAllData),
      createAudit: audit.kind === 'main',
      createAdminUsers: createsAdminUsers(inst.settings),
      skipUndecryptable: Boolean(opts.skipUndecryptable),
      auditTimezone,
      auditAmbiguous: opts.auditAmbiguous,
    };
    const { openDatabase, describeDbUrl, parseDbUrl } = await import('../db/index.js');
    const { planUpgrade } = await import('../upgrade/plan.js');
    const { applyUpgrade } = await import('../upgrade/apply.js');
    // Like LinOTP (SQLAlchemy), apply creates a missing SQLite file; --plan never creates anything.
    // SQLite files this run creates are removed again when it fails: a failed command leaves nothing behind.
    const createdFiles: string[] = [];
    const noteNewSqlite = (u: ReturnType<typeof parseDbUrl>) => {
      const f = u.engine === 'sqlite' && u.database && u.database !== ':memory:' ? path.resolve(ctx.cwd, u.database) : undefined;
      if (f && !existsSync(f)) createdFiles.push(f);
    };
    if (!(opts.plan || opts.dryRun)) noteNewSqlite(parseDbUrl(uri.value));
    const db = await openDatabase(uri.value, { create: !(opts.plan || opts.dryRun) });
    let auditDb: Awaited<ReturnType<typeof openDatabase>> | undefined;
    let succeeded = false;
    try {
      if (audit.kind === 'separate') {
        // LinOTP 3.4 audits a SQLite installation into `<file>_audit` (see src/upgrade/audit-target.ts).
        const au = parseDbUrl(audit.uri);
        const planOnly = Boolean(opts.plan || opts.dryRun);
        if (planOnly && au.engine === 'sqlite' && !existsSync(path.resolve(ctx.cwd, au.database))) uopts.auditDbMissing = describeDbUrl(au);
        else {
          if (!planOnly) noteNewSqlite(au);
          auditDb = await openDatabase(au, { create: !planOnly });
          uopts.auditDb = auditDb;
        }
      }
      const host = await import('../host/init-database.js');
      const hostOpts = { providerFilesDir: opts.providerFilesDir, caOut: opts.caOut, owner: opts.owner, env: ctx.env, cwd: ctx.cwd };
      if (opts.plan || opts.dryRun) {
        const plan = await planUpgrade(db, uopts);
        if (keyError && plan.blockers.some((b) => /encKey is needed/.test(b))) throw keyError;
        if (keyError) ctx.out.warn(`encKey not loaded: ${(keyError as Error).message}`);
        const files = await host.planHostParts(db, encKey, hostOpts);
        plan.warnings.push(...files.warnings);
        ctx.out.result({ ...publicPlan(plan), providerFiles: files.preview }, (d, c) => [renderPlan(d, c), ...host.renderProviderFiles(d.providerFiles, c)].filter(Boolean).join('\n'));
        if (plan.blockers.length) throw new ChecksFailedError(`the upgrade would be refused: ${plan.blockers[0]}`, 'see the plan above; nothing was changed');
        return;
      }
      // Refusals (an existing different file, no key for an encrypted definition) before anything changes.
      await host.checkHostParts(db, encKey, hostOpts);
      if (uopts.eraseAllData) await confirmOrAbort(ctx, `Do you really want to erase the database ${describeDbUrl(db.url)}?`);
      let result: UpgradeResult;
      try {
        // applyUpgrade plans again under the lock and refuses on any blocker before changing anything.
        result = await applyUpgrade(db, uopts, {
          progress: (label, total) => ctx.out.progress(label, total),
          onAction: (a) => ctx.out.debug(`${a.id}: ${a.title}`),
        });
      } catch (e) {
        if (keyError && e instanceof KeyError && /encKey is needed/.test(e.message)) throw keyError;
        throw e;
      }
      if (keyError) ctx.out.warn(`encKey not loaded: ${(keyError as Error).message}`);
      for (const w of result.plan.warnings) ctx.out.warn(w);
      succeeded = true;
      const files = await host.applyHostParts(db, encKey, hostOpts);
      for (const w of files.warnings) ctx.out.warn(w);
      ctx.out.result(
        { plan: publicPlan(result.plan), applied: result.applied, version: result.version, upToDate: result.upToDate, providerFiles: files.result },
        (d, c) => [renderResult(d, c), ...host.renderProviderFiles(d.providerFiles, c)].filter(Boolean).join('\n'),
      );
    } finally {
      await auditDb?.close();
      await db.close();
      if (!succeeded) {
        const { rmSync } = await import('node:fs');
        for (const f of createdFiles) for (const x of [f, `${f}-journal`, `${f}-wal`, `${f}-shm`]) rmSync(x, { force: true });
      }
    }
  },
};

const initEncKey: CommandSpec = {
  path: ['init', 'enc-key'],
  summary: 'Create an encKey (96 random bytes, linotp:linotp 0440), or restore one from its paper form',
  description:
    'Writes the key atomically to the encKey path (--enc-key, LINOTP_SECRET_FILE, SECRET_FILE, or the ini) as LinOTP 3.4\'s Debian package leaves it: ' +
    'owner linotp, group linotp, mode 0440 (or the owner, group and mode of the key it replaces; --owner overrides). An existing ' +
    'different key is kept as <file>.<YYYY-MM-DD>; when the database (--database-uri or the installation\'s) holds no encrypted value it is replaced without --force, otherwise you are asked first (no TTY: refused). --keys restores a key from 192 hex digits ' +
    'or the --dump printout, validated (length, hex, checksums). --dump prints the paper form after writing.',
  options: [
    { flags: '--enc-key <file>', description: 'where to write the key (default: the installation encKey path)', env: 'LINOTP_SECRET_FILE' },
    { flags: '--ini <file>', description: 'LinOTP 2 linotp.ini whose linotpSecretFile names the path' },
    { flags: '--database-uri <uri>', description: 'database whose encrypted values decide whether a different existing key may be replaced without --force (default: the installation\'s)', env: 'LINOTP_DATABASE_URI' },
    { flags: '-f, --force', description: 'replace an existing different key without asking (it is kept as a dated backup); a key that encrypts nothing in the database is replaced without it' },
    { flags: '--keys <hex>', description: 'restore this key instead of generating one: 192 hex digits (spaces allowed) or the --dump form' },
    { flags: '--dump', description: 'print the paper backup (hex chunks with CRC32 and a checksum line) after writing' },
    ownerOption,
  ],
  examples: ['linotp-migrate init enc-key --enc-key /etc/linotp/encKey --dump', "linotp-migrate init enc-key --enc-key ./encKey --keys '0001…5e5f'"],
  async run(ctx, _args, opts) {
    const inst = installation(ctx, opts);
    const path = requireEncKeyPath(inst).value;
    const { checkExistingKey, initEncKey, keyToWrite, paperForm } = await import('../upgrade/enc-key.js');
    if (opts.keys !== undefined && String(opts.keys).trim() === '') throw new UsageError('--keys is empty', 'give the 192 hex digits of the key');
    let force = Boolean(opts.force);
    const { parseOwnerSpec } = await import('../files/ownership.js');
    const owner = opts.owner !== undefined ? parseOwnerSpec(String(opts.owner)) : undefined;
    let key;
    try {
      key = keyToWrite(opts.keys);
    } catch (e) {
      // An invalid --keys value is a usage error (exit 2), like any invalid option value.
      if (e instanceof KeyError && opts.keys !== undefined) throw new UsageError(e.message.replace(/^encKey --keys/, '--keys'), e.hint);
      throw e;
    }
    // A different key at the path may be replaced without --force only when the installation's
    // database holds nothing encrypted (issue 21 item 3): checked there, when a database is named.
    let existing = await checkExistingKey(path, key, undefined);
    if (existing.existing === 'different' && !force && inst.databaseUri) {
      const { openDatabase } = await import('../db/index.js');
      let db;
      try {
        db = await openDatabase(inst.databaseUri.value);
      } catch (e) {
        ctx.out.warn(`cannot open the database (${inst.databaseUri.source}) to check whether the existing key is in use: ${(e as Error).message}`);
      }
      if (db) {
        try {
          existing = await checkExistingKey(path, key, db);
        } finally {
          await db.close();
        }
      }
    }
    let out;
    try {
      out = initEncKey({ path, force, key, keys: opts.keys, owner, env: ctx.env, existing });
    } catch (e) {
      if (!(e instanceof KeyError) || force || !existsSync(path) || !/already holds/.test(e.message)) throw e;
      await confirmOrAbort(ctx, `There is already an enc-key in ${path}${existing.target ? ` and the database holds ${existing.target.total} encrypted value(s)` : ''}. Overwriting it might have dire consequences. Overwrite it (the old key is kept as a backup)?`);
      force = true;
      out = initEncKey({ path, force, key, keys: opts.keys, owner, env: ctx.env });
    }
    for (const w of out.result.warnings) ctx.out.warn(w);
    const { result } = out;
    const dump = opts.dump ? paperForm(key, result.path, true) : opts.keys !== undefined ? paperForm(key, result.path, false) : undefined;
    const status = (d: typeof result, c: ChalkInstance) => [
      ...(d.backup ? [`Moved existing enc-key to ${d.backup}${d.replacedUnusedKey ? ' (it encrypted nothing in the database)' : ''}`] : []),
      d.action === 'unchanged' ? `${d.path} already holds this key (sha256 ${d.fingerprint}…); unchanged` : c.green(`Wrote enc-key to ${d.path} (sha256 ${d.fingerprint}…, ${d.user}:${d.group} ${d.mode})`),
    ];
    // With a paper form the result is the paper form alone (`--dump > paper.txt`); what was written goes to stderr.
    if (dump && !ctx.global.json) for (const line of status(result, ctx.out.c)) ctx.out.info(line);
    ctx.out.result({ ...result, ...(dump ? { dump } : {}) }, (d, c) => (d.dump ? d.dump : status(d, c).join('\n')));
  },
};

const initAuditKeys: CommandSpec = {
  path: ['init', 'audit-keys'],
  summary: 'Create the RSA 2048 key pair LinOTP 3 signs audit entries with (AUDIT_PRIVATE_KEY_FILE, AUDIT_PUBLIC_KEY_FILE)',
  description:
    'Writes a new RSA 2048 private key (PKCS#8 PEM, as openssl genrsa of OpenSSL 3) to AUDIT_PRIVATE_KEY_FILE and its public key to ' +
    'AUDIT_PUBLIC_KEY_FILE of the effective LinOTP 3 settings (LINOTP_CFG, LINOTP_* environment; default ROOT_DIR/./audit-private.pem), ' +
    "atomically and as LinOTP 3.4's Debian package leaves them: audit-private.pem linotp:linotp 0640, audit-public.pem linotp:linotp 0644 " +
    '(--owner overrides). As in LinOTP only the private key is checked: an existing one is kept as <file>.<BACKUP_FILE_TIME_FORMAT> and ' +
    'replaced after a question (no TTY: refused unless --force or --yes); the public key is always rewritten. Generated with node:crypto, not openssl.',
  options: [
    { flags: '-f, --force', description: 'replace an existing private key without asking (it is kept as a dated backup)' },
    { flags: '--audit-private-key <file>', description: 'where to write the private key (default: AUDIT_PRIVATE_KEY_FILE)', env: 'LINOTP_AUDIT_PRIVATE_KEY_FILE' },
    { flags: '--audit-public-key <file>', description: 'where to write the public key (default: AUDIT_PUBLIC_KEY_FILE)', env: 'LINOTP_AUDIT_PUBLIC_KEY_FILE' },
    { ...ownerOption, description: 'owner and group of the key files (default: linotp:linotp when that user exists, else you, with a warning)' },
    ...planOptions,
  ],
  examples: ['linotp-migrate init audit-keys', 'LINOTP_CFG=/etc/linotp/linotp.cfg linotp-migrate init audit-keys --force'],
  async run(ctx, _args, opts) {
    const { loadLinotp3Settings } = await import('../settings/linotp3.js');
    const { inspectAuditKeys, planAuditKeys, writeAuditKeys } = await import('../upgrade/audit-keys.js');
    const { parseOwnerSpec } = await import('../files/ownership.js');
    const settings = loadLinotp3Settings(ctx.env);
    for (const w of settings.warnings) ctx.out.warn(w);
    const owner = opts.owner !== undefined ? parseOwnerSpec(String(opts.owner)) : undefined;
    // As for the encKey (src/settings/resolve.ts): a schema default below an app root that is not
    // there is no LinOTP 3 installation, and no reason to create /usr/lib/python3/dist-packages/linotp.
    const configured = (name: string) => settings.isExplicit(name) || settings.isExplicit('ROOT_DIR') || existsSync(settings.appRoot);
    for (const [name, flag] of [['AUDIT_PRIVATE_KEY_FILE', opts.auditPrivateKey], ['AUDIT_PUBLIC_KEY_FILE', opts.auditPublicKey]] as const) {
      if (flag === undefined && !configured(name)) {
        throw new UsageError(`no LinOTP 3 installation found to take ${name} from (neither it nor ROOT_DIR is set, and ${settings.appRoot} does not exist)`, 'point LINOTP_CFG at the LinOTP 3 settings (e.g. /etc/linotp/linotp.cfg), or give --audit-private-key and --audit-public-key');
      }
    }
    const state = inspectAuditKeys({
      privateKey: opts.auditPrivateKey !== undefined ? path.resolve(ctx.cwd, String(opts.auditPrivateKey)) : String(settings.get('AUDIT_PRIVATE_KEY_FILE')),
      publicKey: opts.auditPublicKey !== undefined ? path.resolve(ctx.cwd, String(opts.auditPublicKey)) : String(settings.get('AUDIT_PUBLIC_KEY_FILE')),
      timeFormat: String(settings.get('BACKUP_FILE_TIME_FORMAT')),
    });
    if (opts.plan || opts.dryRun) {
      const files = planAuditKeys(state, { owner, env: ctx.env, replace: true });
      const doc = { plan: true, ...state, files: [files.privateKey, files.publicKey].map(({ path: p, user, group, mode, warnings }) => ({ path: p, user, group, mode, warnings })) };
      ctx.out.result(doc, (d) => [
        d.existing === 'none' ? `would create a new RSA 2048 key pair:` : `${d.privateKey} already holds ${d.existing === 'key' ? 'a private key' : 'a file that is not a key'}; --force (or a yes to the question) would keep it as ${d.backup} and write a new pair:`,
        ...d.files.map((f) => `  ${f.path} (${f.user}:${f.group} ${f.mode})`),
      ].join('\n'));
      return;
    }
    let replace = Boolean(opts.force);
    if (state.existing !== 'none' && !replace) {
      await confirmOrAbort(ctx, `There is already a private audit key in ${state.privateKey}. Overwriting it means LinOTP can no longer verify the signatures of the existing audit entries with the new key. Overwrite it (the old key is kept as ${state.backup})?`);
      replace = true;
    }
    const res = writeAuditKeys(state, { replace, owner, env: ctx.env });
    for (const w of [...res.privateKey.warnings, ...res.publicKey.warnings]) ctx.out.warn(w);
    ctx.out.result(res, (d, c) => [
      ...(d.backup ? [`Moved existing private audit key to ${d.backup}`] : []),
      c.green(`Wrote private audit key to ${d.privateKey.path} (${d.privateKey.user}:${d.privateKey.group} ${d.privateKey.mode})`),
      c.green(`Extracted public audit key to ${d.publicKey.path} (${d.publicKey.user}:${d.publicKey.group} ${d.publicKey.mode}, sha256 ${d.fingerprint}…)`),
    ].join('\n'));
  },
};

/**
 * `init all` as LinOTP's: enc-key, audit-keys and database in sequence, stopping at the first
 * failure; --force goes to enc-key and audit-keys, not to database. Each step reports as on its
 * own; with --json the three results form one document.
 */
const initAll: CommandSpec = {
  path: ['init', 'all'],
  summary: 'Run init enc-key, init audit-keys and init database in sequence (as linotp init all)',
  description:
    'The three steps of a new LinOTP 3 installation, stopping at the first one that fails: init enc-key (SECRET_FILE), init audit-keys ' +
    '(AUDIT_PRIVATE_KEY_FILE, AUDIT_PUBLIC_KEY_FILE), init database (DATABASE_URI). --force is passed to the first two, never to ' +
    'init database. An existing encKey or audit key is kept unless --force or a yes to the question; an existing key is never lost (dated backup).',
  options: [
    ...installationOptions,
    { flags: '-f, --force', description: 'replace an existing encKey and audit key pair without asking (backups are kept)' },
    ownerOption,
  ],
  examples: ['linotp-migrate init all', 'linotp-migrate --json init all --database-uri postgresql://linotp@localhost/linotp'],
  async run(ctx, _args, opts) {
    const { PassThrough } = await import('node:stream');
    const { Output } = await import('./output.js');
    const steps: [string, CommandSpec, Record<string, any>][] = [
      ['encKey', initEncKey, { encKey: opts.encKey, ini: opts.ini, databaseUri: opts.databaseUri, force: opts.force, owner: opts.owner }],
      ['auditKeys', initAuditKeys, { force: opts.force, owner: opts.owner }],
      ['database', initDatabase, { encKey: opts.encKey, ini: opts.ini, databaseUri: opts.databaseUri, target: '3.4', auditAmbiguous: 'order' }],
    ];
    const docs: Record<string, unknown> = {};
    let code = 0;
    for (const [name, spec, stepOpts] of steps) {
      const buffer = new PassThrough();
      let text = '';
      buffer.on('data', (d) => (text += d));
      const out = new Output({ json: ctx.global.json, quiet: ctx.global.quiet, verbose: ctx.global.verbose, color: ctx.global.color, stdout: ctx.global.json ? buffer : ctx.out.stdout, stderr: ctx.out.stderr });
      const r = await spec.run({ ...ctx, out }, [], stepOpts);
      if (ctx.global.json) docs[name] = JSON.parse(text);
      code = typeof r === 'number' ? r : 0;
      if (code !== 0) break;
    }
    if (ctx.global.json) ctx.out.result(docs, () => '');
    return code;
  },
};

export const commands: CommandSpec[] = [initDatabase, initEncKey, initAuditKeys, initAll];
