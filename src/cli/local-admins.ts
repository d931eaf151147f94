/**
 * `linotp-migrate local-admins list | add | modify | password | remove | enable`: LinOTP 3.4's
 * `linotp local-admins` (same storage, options, messages and exit codes; linotp-cli.md §2.9),
 * plus --json, name and password checks, and a check that the database is upgraded.
 * Like LinOTP, the mutating subcommands print nothing on stdout; status lines go to stderr.
 */
import {
  addAdmin,
  ADMIN_COLUMNS,
  ADMIN_FIELDS,
  enableAdminResolver,
  isAdminResolverEnabled,
  listAdmins,
  modifyAdmin,
  removeAdmin,
  requireAdmin,
  setAdminPassword,
  type AdminFields,
  type AdminNames,
} from '../admins/store.js';
import path from 'node:path';
import { compileTemplate } from '../admins/template.js';
import { checkPassword, DEFAULT_MIN_LENGTH } from '../admins/policy.js';
import type { Db } from '../db/types.js';
import { UsageError } from '../errors.js';
import { requireDatabaseUri, resolveInstallation } from '../settings/resolve.js';
import { installationOptions, planOptions } from './options.js';
import { confirmOrAbort, readSecret } from './prompt.js';
import type { CommandContext, CommandSpec, OptionSpec } from './spec.js';

const DEFAULT_RESOLVER = 'LinOTP_local_admins';
const DEFAULT_REALM = 'linotp_admins';

const dbOptions: OptionSpec[] = [
  ...installationOptions.filter((o) => !o.flags.startsWith('--enc-key')),
  { flags: '--admin-resolver <name>', description: 'ADMIN_RESOLVER_NAME of the LinOTP 3 installation (default: from its settings, else LinOTP_local_admins)', env: 'LINOTP_ADMIN_RESOLVER_NAME' },
  { flags: '--admin-realm <name>', description: 'ADMIN_REALM_NAME of the LinOTP 3 installation (default: from its settings, else linotp_admins)', env: 'LINOTP_ADMIN_REALM_NAME' },
];

const fieldOptions = (forModify: boolean): OptionSpec[] =>
  ADMIN_FIELDS.map((f) => ({
    flags: `--${f} <${f}>`,
    description: {
      phone: 'Phone number associated with the account',
      mobile: 'Mobile number associated with the account',
      email: 'Email address associated with the account',
      surname: 'Surname of the account owner',
      givenname: 'Given name of the account owner',
    }[f] + (forModify ? ' (unchanged when not given; "" clears it)' : ''),
    ...(forModify ? {} : { default: '' }),
  }));

const ACCOUNT = { name: 'account-name', description: 'the admin\'s login name (imported_user.userid and username)', required: true };

async function withAdminDb<T>(ctx: CommandContext, opts: Record<string, any>, fn: (db: Db, names: AdminNames) => Promise<T>): Promise<T> {
  const inst = resolveInstallation({ databaseUri: opts.databaseUri, ini: opts.ini }, ctx.env, ctx.cwd);
  for (const w of inst.warnings) ctx.out.debug(w);
  const uri = requireDatabaseUri(inst);
  const setting = (n: string) => {
    const v = inst.settings.get(n);
    return typeof v === 'string' && v !== '' ? v : undefined;
  };
  const names: AdminNames = {
    resolver: opts.adminResolver ?? setting('ADMIN_RESOLVER_NAME') ?? DEFAULT_RESOLVER,
    realm: opts.adminRealm ?? setting('ADMIN_REALM_NAME') ?? DEFAULT_REALM,
  };
  ctx.out.debug(`database from ${uri.source}; admin resolver ${names.resolver}, admin realm ${names.realm.toLowerCase()}`);
  const { openDatabase } = await import('../db/index.js');
  const db = await openDatabase(uri.value);
  try {
    return await fn(db, names);
  } finally {
    await db.close();
  }
}

const fieldsFrom = (opts: Record<string, any>): AdminFields =>
  Object.fromEntries(ADMIN_FIELDS.filter((f) => opts[f] !== undefined).map((f) => [f, String(opts[f])]));

/** One line from stdin (what Python's input() reads), without the line end. */
async function readLine(stdin: NodeJS.ReadStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) {
    const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
    const nl = b.indexOf(0x0a);
    if (nl >= 0) {
      chunks.push(b.subarray(0, nl));
      break;
    }
    chunks.push(b);
  }
  stdin.pause();
  const line = Buffer.concat(chunks).toString('utf8');
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}

/**
 * The new password: `--password -` (one line from stdin, as LinOTP reads it; a hidden prompt
 * when stdin is a terminal), `--password-file FILE` (its first line), or a hidden prompt asked
 * twice. `--password VALUE`, which LinOTP also accepts, is refused: a secret on the command line
 * is visible to every user in the process list. Too short is a warning by default (LinOTP has no
 * rule at all) and an error only when --min-length was given. Interactive entries that break the
 * rules are asked again (3 attempts).
 */
async function obtainPassword(ctx: CommandContext, account: string, opts: Record<string, any>, minLength: number, strict: boolean): Promise<string> {
  const given: string | undefined = opts.password;
  const check = (pw: string) => {
    const r = checkPassword(pw, { minLength, account });
    // Only the length rule softens: empty, NUL and over-long passwords cannot be stored at all.
    if (!strict && r.error && /characters; at least/.test(r.error)) return { warnings: [`${r.error.replace('are required', 'are recommended')} (give --min-length to enforce a minimum)`, ...r.warnings] };
    return r;
  };
  const accept = (pw: string) => {
    const r = check(pw);
    if (r.error) throw new UsageError(`${r.error}; nothing was changed`, `choose a longer, less guessable password (minimum ${minLength} characters, --min-length)`);
    for (const w of r.warnings) ctx.out.warn(`weak password: ${w}`);
    return pw;
  };
  if (given !== undefined && given !== '-') {
    throw new UsageError('--password takes only - (read the password from stdin): a password on the command line is visible to every user in the process list; nothing was changed',
      `printf '%s\\n' "$PASSWORD" | linotp-migrate local-admins password ${account} --password -   (or --password-file FILE, or the prompt)`);
  }
  if (opts.passwordFile !== undefined) {
    if (given !== undefined) throw new UsageError('give either --password - or --password-file, not both');
    return accept(await readSecret(ctx, { what: 'password', file: path.resolve(ctx.cwd, String(opts.passwordFile)) }));
  }
  if (given === '-' && !ctx.stdin.isTTY) return accept(await readLine(ctx.stdin));
  if (!ctx.stdin.isTTY) {
    throw new UsageError('a password is needed but stdin is not a terminal', 'pipe it in with --password - (one line on stdin), or give --password-file FILE');
  }
  for (let attempt = 1; ; attempt++) {
    let pw: string;
    try {
      pw = await readSecret(ctx, { what: 'Password', confirm: given !== '-' });
    } catch (e) {
      // Like Click's confirmation prompt: entries that differ are asked again.
      if (e instanceof UsageError && /differ/.test(e.message) && attempt < 3) {
        ctx.out.warn('the two entries differ; try again');
        continue;
      }
      throw e;
    }
    const r = check(pw);
    if (!r.error || attempt === 3) return accept(pw);
    ctx.out.warn(`${r.error}; try again`);
  }
}

async function warnIfNotEnabled(ctx: CommandContext, db: Db, names: AdminNames): Promise<void> {
  if (!(await isAdminResolverEnabled(db, names))) {
    ctx.out.warn(`the admin realm ${names.realm.toLowerCase()} does not include the local admin resolver ${names.resolver}, so this account cannot log in yet; run: linotp-migrate local-admins enable`);
  }
}

export const commands: CommandSpec[] = [

  {
    path: ['local-admins', 'import'],
    summary: "Make LinOTP 2's Apache digest admins (htdigest `admins`) LinOTP 3 local admins",
    description: [
      'htdigest keeps only MD5(user:realm:password): the names are carried, the passwords cannot be. Each user becomes a local admin stored exactly as `local-admins add` + `password` store it;',
      'existing admins are left alone and listed; helpdesk users (realm "LinOTP2 helpdesk area") are listed, not imported (LinOTP 3.2 removed the helpdesk API).',
      'Passwords: --password-file (user:password lines, checked like `password`), or --generate-passwords SHEET (random, written to a new 0600 file, never printed), or none (password `*`: no login until `local-admins password`).',
      'All admins are added in one transaction; --plan shows who would be added.',
    ].join('\n'),
    options: [
      ...dbOptions,
      { flags: '--htdigest <file>', description: "LinOTP 2's htdigest file (/etc/linotp2/admins; required)" },
      { flags: '--password-file <file>', description: 'user:password lines with the new passwords (never give passwords in argv)' },
      { flags: '--generate-passwords <sheet>', description: 'generate a password per admin and write them to this new file (mode 0600)' },
      ...planOptions,
    ],
    examples: ['linotp-migrate local-admins import --htdigest /etc/linotp2/admins --generate-passwords /root/linotp-admins.txt --plan', 'linotp-migrate local-admins import --htdigest /root/old/admins --password-file /root/new-passwords.txt'],
    async run(ctx, _args, opts) {
      if (!opts.htdigest) throw new UsageError('--htdigest is required', "give LinOTP 2's htdigest file, e.g. --htdigest /etc/linotp2/admins");
      if (opts.passwordFile && opts.generatePasswords) throw new UsageError('--password-file and --generate-passwords exclude each other', 'give one of them');
      const path = await import('node:path');
      const { planImport, applyImport } = await import('../admins/import.js');
      const src = opts.passwordFile
        ? ({ kind: 'file', file: path.resolve(ctx.cwd, opts.passwordFile) } as const)
        : opts.generatePasswords
          ? ({ kind: 'generate', sheet: path.resolve(ctx.cwd, opts.generatePasswords) } as const)
          : ({ kind: 'none' } as const);
      await withAdminDb(ctx, opts, async (db, names) => {
        const { plan, passwords } = await planImport(db, names, path.resolve(ctx.cwd, opts.htdigest), src);
        for (const w of plan.warnings) ctx.out.warn(w);
        for (const h of plan.helpdesk) ctx.out.warn(`${h} is a helpdesk user: not imported (LinOTP 3.2 removed the helpdesk API)`);
        for (const e of plan.existing) ctx.out.info(`${e} is a local admin already: left alone`);
        if (opts.plan || opts.dryRun) {
          ctx.out.result({ ...plan, applied: false }, (d) => (d.toAdd.length ? `would add ${d.toAdd.join(', ')}` : 'nothing to add'));
          return;
        }
        if (plan.toAdd.length) await confirmOrAbort(ctx, `Add ${plan.toAdd.length} local admin(s): ${plan.toAdd.join(', ')}?`);
        const r = await applyImport(db, names, plan, passwords);
        if (src.kind === 'none' && r.added.length) ctx.out.info(`the new admins have no password yet: set each with linotp-migrate local-admins password NAME`);
        if (src.kind === 'generate' && r.added.length) ctx.out.info(`their passwords are in ${src.sheet} (mode 0600): hand them out, then delete it`);
        if (!(await isAdminResolverEnabled(db, names))) ctx.out.warn(`the admin realm ${names.realm.toLowerCase()} does not include the local admin resolver ${names.resolver}; run: linotp-migrate local-admins enable`);
        ctx.out.result({ ...plan, added: r.added, existing: [...new Set([...plan.existing, ...r.existing])], applied: true }, (d) => (d.added.length ? `added ${d.added.join(', ')}` : 'nothing added'));
      });
    },
  },
  {
    path: ['local-admins', 'list'],
    summary: 'List local administrator accounts',
    description:
      'Prints one line per local admin (imported_user rows of the admin resolver) using TEMPLATE, Python str.format style as in LinOTP: ' +
      'keys groupid, userid, username, phone, mobile, email, surname, givenname, password (the hash) and name ("givenname surname"). ' +
      'Default {username}; --long: {username}:{name}:{email}:{phone}:{mobile}. With --json: the accounts without password hashes.',
    options: [
      { flags: '-f, --format <template>', description: 'Output format template' },
      { flags: '-l, --long', description: 'Detailed output' },
      ...dbOptions,
    ],
    examples: ['linotp-migrate local-admins list --long --ini /etc/linotp2/linotp.ini', "linotp-migrate local-admins list -f '{username} <{email}>'"],
    async run(ctx, _args, opts) {
      const template = compileTemplate(opts.format ?? (opts.long ? '{username}:{name}:{email}:{phone}:{mobile}' : '{username}'), [...ADMIN_COLUMNS, 'name']);
      const admins = await withAdminDb(ctx, opts, (db, names) => listAdmins(db, names));
      const rows = admins.map((a) => ({ ...a, name: `${a.givenname ?? 'None'} ${a.surname ?? 'None'}`.trim() }));
      const lines = rows.map((r) => template.format(r));
      ctx.out.result(
        { admins: rows.map(({ password, groupid, ...rest }) => ({ ...rest, resolver: groupid, hasPassword: Boolean(password) && password !== '*' })) },
        () => lines.join('\n'),
      );
    },
  },
  {
    path: ['local-admins', 'add'],
    summary: 'Add a local administrator account',
    description:
      'Adds an account with the password "*" (no login possible until `local-admins password` sets one). ' +
      'Fails with "User NAME already exists" (exit 1) when the account exists. Names must not be empty or contain whitespace or control characters.',
    arguments: [ACCOUNT],
    options: [...fieldOptions(false), ...dbOptions],
    examples: ['linotp-migrate local-admins add admin --givenname Ada --surname Admin --email ada@example.com'],
    async run(ctx, [name], opts) {
      const rec = await withAdminDb(ctx, opts, async (db, names) => {
        const r = await addAdmin(db, names, name, fieldsFrom(opts));
        await warnIfNotEnabled(ctx, db, names);
        return r;
      });
      ctx.out.info(`added local admin ${name}; set its password with: linotp-migrate local-admins password ${name}`);
      ctx.out.result({ action: 'added', username: rec.username, resolver: rec.groupid }, () => '');
    },
  },
  {
    path: ['local-admins', 'modify'],
    summary: 'Modify a local administrator account',
    description: 'Changes only the fields given; without options nothing changes. The name and the password are changed elsewhere.',
    arguments: [ACCOUNT],
    options: [...fieldOptions(true), ...dbOptions],
    examples: ['linotp-migrate local-admins modify admin --email admin@example.com --mobile ""'],
    async run(ctx, [name], opts) {
      const r = await withAdminDb(ctx, opts, (db, names) => modifyAdmin(db, names, name, fieldsFrom(opts)));
      ctx.out.info(r.changed.length ? `changed ${r.changed.join(', ')} of ${name}` : `nothing changed for ${name}`);
      ctx.out.result({ action: r.changed.length ? 'modified' : 'unchanged', username: name, changed: r.changed }, () => '');
    },
  },
  {
    path: ['local-admins', 'password'],
    summary: 'Change password for a local administrator account',
    description:
      'Stores the password as sha512_crypt ($6$rounds=656000$…, what LinOTP 3 writes and verifies). Without --password it is asked twice ' +
      'on the terminal (hidden). `--password -` reads one line from stdin, as LinOTP does (for scripts); --password-file FILE reads its first line. ' +
      'Unlike LinOTP, `--password VALUE` is refused (exit 2): the value would be visible to every user in the process list. ' +
      `Passwords shorter than ${DEFAULT_MIN_LENGTH} characters are warned about (LinOTP has no rule); with --min-length N shorter ones are refused. Weak ones are warned about.`,
    arguments: [ACCOUNT],
    options: [
      { flags: '--password <->', description: '- reads the new password as one line from stdin (as linotp); a value is refused (visible to other users)' },
      { flags: '--password-file <file>', description: 'read the new password from the first line of this file' },
      { flags: '--min-length <n>', description: `refuse passwords shorter than this (without it, shorter than ${DEFAULT_MIN_LENGTH} is only a warning)` },
      ...dbOptions,
    ],
    examples: ['linotp-migrate local-admins password admin', 'printf "%s\\n" "$ADMIN_PW" | linotp-migrate local-admins password admin --password -'],
    async run(ctx, [name], opts) {
      const strict = opts.minLength !== undefined;
      const minLength = strict ? Number(opts.minLength) : DEFAULT_MIN_LENGTH;
      if (!Number.isInteger(minLength) || minLength < 1) throw new UsageError(`--min-length must be a positive whole number, not ${JSON.stringify(opts.minLength)}`);
      if (opts.password !== undefined && opts.password !== '-') await obtainPassword(ctx, name, opts, minLength, strict); // refused before the database is opened
      await withAdminDb(ctx, opts, async (db, names) => {
        await requireAdmin(db, names, name);
        const password = await obtainPassword(ctx, name, opts, minLength, strict);
        await setAdminPassword(db, names, name, password);
        await warnIfNotEnabled(ctx, db, names);
      });
      ctx.out.info(`password of ${name} set`);
      ctx.out.result({ action: 'password-set', username: name, scheme: 'sha512_crypt', rounds: 656000 }, () => '');
    },
  },
  {
    path: ['local-admins', 'remove'],
    summary: 'Remove a local administrator account',
    description: 'Asks "Are you sure you want to remove the account?" unless --yes is given.',
    arguments: [ACCOUNT],
    options: [...dbOptions],
    examples: ['linotp-migrate local-admins remove olduser --yes'],
    async run(ctx, [name], opts) {
      await withAdminDb(ctx, opts, async (db, names) => {
        await requireAdmin(db, names, name);
        await confirmOrAbort(ctx, 'Are you sure you want to remove the account?');
        await removeAdmin(db, names, name);
      });
      ctx.out.info(`removed local admin ${name}`);
      ctx.out.result({ action: 'removed', username: name }, () => '');
    },
  },
  {
    path: ['local-admins', 'enable'],
    summary: '(Re-)Add local admin resolver to admin realm',
    description:
      'Puts the admin resolver first in the admin realm\'s resolver list (Config linotp.useridresolver.group.<realm>) when it is missing; ' +
      'does nothing when it is there. Like LinOTP it does not create the Realm row; a missing one is reported.',
    options: [...dbOptions],
    async run(ctx, _args, opts) {
      ctx.out.debug('Adding local admin resolver to admin realm');
      const r = await withAdminDb(ctx, opts, (db, names) => enableAdminResolver(db, names));
      if (r.realmRowMissing) ctx.out.warn(`the admin realm has no Realm row; run linotp-migrate init database to create it`);
      ctx.out.info(r.action === 'added' ? `added the local admin resolver to ${r.key}` : `the local admin resolver is already in ${r.key}`);
      ctx.out.debug('Done');
      ctx.out.result(r, () => '');
    },
  },
];
