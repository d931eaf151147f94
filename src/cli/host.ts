/** `linotp-migrate host inventory` and `host migrate` (issue 16): flags → src/host → rendering. */
import { existsSync } from 'node:fs';
import type { ChalkInstance } from 'chalk';
import { ChecksFailedError, UsageError } from '../errors.js';
import type { Inventory } from '../host/inventory.js';
import type { HostMigratePlan, HostMigrateResult } from '../host/migrate.js';
import { installationOptions, planOptions } from './options.js';
import { confirmOrAbort } from './prompt.js';
import { renderTable } from './output.js';
import type { CommandContext, CommandSpec } from './spec.js';

function requireFrom(opts: Record<string, any>): string {
  if (!opts.from) throw new UsageError('--from is required', "give the old server's /etc/linotp2 (or a copy of it)");
  return String(opts.from);
}

async function databaseFindings(ctx: CommandContext, opts: Record<string, any>) {
  // Only a database named on the command line: host inventory must not wander into this machine's own settings.
  if (opts.databaseUri === undefined && opts.ini === undefined) return undefined;
  const [{ resolveInstallation, requireDatabaseUri }, { loadEncKey }, { openDatabase }, { readDatabaseFindings }] = await Promise.all([
    import('../settings/resolve.js'),
    import('../crypto/enckey.js'),
    import('../db/index.js'),
    import('../host/findings.js'),
  ]);
  const inst = resolveInstallation({ databaseUri: opts.databaseUri, ini: opts.ini, encKey: opts.encKey }, ctx.env, ctx.cwd);
  for (const w of inst.warnings) ctx.out.debug(w);
  const uri = requireDatabaseUri(inst);
  const key = inst.encKeyPath ? loadEncKey(inst.encKeyPath.value) : undefined;
  if (!key) ctx.out.warn('no encKey given: encrypted provider definitions are not checked');
  const db = await openDatabase(uri.value);
  try {
    return (await readDatabaseFindings(db, key)).findings;
  } finally {
    await db.close();
  }
}

export function renderInventory(inv: Inventory, c: ChalkInstance): string {
  const lines: string[] = [`LinOTP 2 directory ${inv.from}`, ''];
  lines.push(
    renderTable(
      ['file', 'what', 'LinOTP 3.4', 'host migrate'],
      inv.items.map((i) => [`${i.attention ? c.yellow('!') : ' '} ${i.path.slice(inv.from.length + 1)}${i.details?.length ? ` (${i.details.join(', ')})` : ''}`, i.what, i.linotp3, i.migrate]),
    ),
  );
  if (inv.auditPair) lines.push('', `audit key pair: ${inv.auditPair.keyType}${inv.auditPair.bits ? ` ${inv.auditPair.bits} bit` : ''}, ${inv.auditPair.matches ? c.green('public.pem belongs to private.pem') : c.red('public.pem does NOT belong to private.pem')}`);
  if (inv.site) {
    const s = inv.site;
    lines.push('', `Apache site ${s.path}: ${s.enabled ? 'enabled' : 'not enabled'}, ${s.differsFromExample ? c.yellow('differs from') : 'same as'} ${s.comparedWith}`);
    for (const n of s.serverNames) lines.push(`  carried: ${n}`);
    for (const n of s.ssl) lines.push(`  carried: ${n}`);
    for (const n of s.includes) lines.push(`  carried: ${n}`);
    for (const b of s.customBlocks) lines.push(`  carried: ${b}`);
    for (const d of s.digestProtected) lines.push(`  dropped: digest auth on ${d.path} (${d.userFile})`);
    for (const d of s.notCarried) lines.push(c.yellow(`  not carried: ${d}`));
  } else lines.push('', c.dim(`Apache: ${inv.apache ? `no sites-available/linotp2.conf in ${inv.apache}` : 'no Apache configuration found'}`));
  if (inv.pamLines.length) {
    lines.push('', 'PAM lines using LinOTP (see `linotp-migrate radius inventory`):');
    for (const p of inv.pamLines) lines.push(`  ${p.file}:${p.line}: ${p.text}`);
  }
  if (inv.database) {
    const d = inv.database;
    lines.push('', `database: ${d.providers.length} provider definition(s), ${d.ldapCaCertificates.length} LDAP CA certificate(s) in Config`);
    if (d.tokensPerRealm.length) lines.push(`  tokens per realm: ${d.tokensPerRealm.map((r) => `${r.realm} ${r.tokens}`).join(', ')}; without realm ${d.tokensWithoutRealm}`);
  }
  if (inv.decisions.length) {
    lines.push('', c.yellow(`${inv.decisions.length} item(s) need your decision:`));
    for (const d of inv.decisions) lines.push(`  - ${d}`);
  } else lines.push('', c.green('nothing needs a decision'));
  return lines.join('\n');
}

const fromOption = { flags: '--from <dir>', description: "the old server's /etc/linotp2, or a copy of it (required)" };
const apacheOption = { flags: '--apache <dir>', description: "the old server's Apache configuration (skipped when absent)", default: '/etc/apache2' };

const inventory: CommandSpec = {
  path: ['host', 'inventory'],
  summary: 'List the files of a LinOTP 2 server around its database and what LinOTP 3.4 and `host migrate` do with each',
  description: [
    'Read-only. Lists every file in --from (linotp.ini, encKey, private.pem/public.pem, the htdigest files admins, auth_helpdesk and gettoken-api with their users, apache-servername.conf, apache-site-includes/, linotpapp.wsgi, custom-templates/, custom-style/, rlm_perl.ini …; unknown files are listed, never guessed),',
    'the audit key pair check, the Apache site (sites-available/linotp2.conf: enabled? different from the 2.12 example? what is carried and dropped), and PAM lines using pam_linotp.so/pam_py_linotp.',
    'With --database-uri or --ini it adds the database findings: provider definitions LinOTP 3.4 cannot load, LDAP CA certificates in Config, removed token types, empty keys, tokens per realm.',
    'Exit 0, or 3 when something needs an administrator\'s decision (listed at the end).',
  ].join('\n'),
  options: [fromOption, apacheOption, { flags: '--pam <dir>', description: 'PAM configuration to scan for LinOTP modules (skipped when absent)', default: '/etc/pam.d' }, ...installationOptions],
  examples: ['linotp-migrate host inventory --from /etc/linotp2', 'linotp-migrate host inventory --from /root/old-etc/linotp2 --apache /root/old-etc/apache2 --ini /root/old-etc/linotp2/linotp.ini --json'],
  async run(ctx, _args, opts) {
    const from = requireFrom(opts);
    const { buildInventory } = await import('../host/inventory.js');
    const path = await import('node:path');
    const database = await databaseFindings(ctx, opts);
    const inv = buildInventory({
      from: path.resolve(ctx.cwd, from),
      apache: path.resolve(ctx.cwd, opts.apache),
      apacheGiven: opts.apache !== '/etc/apache2',
      pam: path.resolve(ctx.cwd, opts.pam),
      pamGiven: opts.pam !== '/etc/pam.d',
      database,
    });
    ctx.out.result(inv, renderInventory);
    if (inv.decisions.length) throw new ChecksFailedError(`${inv.decisions.length} item(s) need an administrator's decision`, 'see the list above; nothing was changed');
  },
};

function publicPlan(p: HostMigratePlan) {
  return { ...p, writes: p.writes.map(({ content: _c, ...w }) => w), providerRewrites: p.providerRewrites.map((r) => ({ type: r.type, provider: r.provider, configKey: r.configKey, keys: r.keys, encrypted: r.encrypted, rows: r.rows.length })) };
}

export function renderMigratePlan(p: ReturnType<typeof publicPlan>, c: ChalkInstance, result?: HostMigrateResult): string {
  const lines = [`from ${p.from} → ${p.to}${p.apacheTo ? ` (Apache site → ${p.apacheTo})` : ''}; paths rebased ${p.rebase.map(([a, b]) => `${a} → ${b}`).join(', ')}`, ''];
  const act = (a: string) => (a === 'conflict' ? c.red('CONFLICT') : a === 'unchanged' ? c.dim('unchanged') : a);
  lines.push(renderTable(['action', 'file', 'owner', 'mode', 'what'], [...p.writes.map((w) => [act(w.action) + (w.attention ? c.yellow(' !') : ''), w.path, w.user ? `${w.user}:${w.group}` : '', w.mode ?? '', w.what]), ...p.links.map((l) => [act(l.action), l.path, '', '', `symlink → ${l.target}`])]));
  if (p.auditPair) lines.push('', `audit key pair: ${p.auditPair.matches ? c.green('public key derived from the private key equals public.pem') : c.red('public.pem does not belong to private.pem')}`);
  for (const r of p.providerRewrites) lines.push(`rewrite ${r.configKey}: ${r.keys.join(', ')}${r.encrypted ? ' (re-encrypted)' : ''}`);
  for (const n of p.notes) lines.push(c.dim(`note: ${n}`));
  for (const w of p.problems) lines.push(c.red(`problem: ${w}`));
  if (result) {
    const a = result.apacheCheck;
    lines.push(a.ran ? (a.ok ? c.green(`apache2ctl -t: ${a.output}`) : c.red(`apache2ctl -t failed: ${a.output}`)) : c.dim(`apache2ctl -t not run: ${a.reason}`));
    const n = result.written.length + result.links.length;
    lines.push(n ? c.green(`${n} file(s) written`) : c.green('everything was already in place; nothing changed'));
  }
  return lines.join('\n');
}

const migrate: CommandSpec = {
  path: ['host', 'migrate'],
  summary: "Write the LinOTP 3.4 files (cfg, encKey, audit keys, templates, Apache site) from a LinOTP 2 server's /etc/linotp2",
  description: [
    'Plan (--plan, --json) then apply. linotp.ini → conf.d cfg files exactly as `config convert --split`; encKey, and private.pem/public.pem → audit-private.pem/audit-public.pem',
    'after checking that the public key derived from the private one equals public.pem (a mismatch is reported, the pair is not written, exit 3); custom-templates/, custom-style/, apache-site-includes/ copied;',
    "the Apache site → sites-available/linotp.conf built from LinOTP 3.4's example with ServerName/ServerAlias, SSL files, Include lines and added <Location>/<Directory> blocks carried, digest auth dropped (listed), enabled when the old one was.",
    'Files are written atomically as LinOTP 3.4\'s packaging leaves them (docs/files.md) or with --owner. A different existing file is a conflict: nothing is written unless --force, which keeps the old one as NAME.<date>. A second run changes nothing.',
    'Paths in what is written are rebased with --rewrite-paths (default /etc/linotp2=<--to>).',
  ].join('\n'),
  options: [
    fromOption,
    { flags: '--to <dir>', description: 'the LinOTP 3 configuration directory to write (e.g. /etc/linotp; required)' },
    apacheOption,
    { flags: '--apache-to <dir>', description: 'where the LinOTP 3.4 site goes (default: apache2 next to --to, i.e. /etc/apache2 for /etc/linotp)' },
    { flags: '--rewrite-paths <old=new>', description: 'rebase paths in what is written (default /etc/linotp2=<--to>); repeatable', repeatable: true },
    { flags: '--owner <user[:group]>', description: 'owner of the key and cfg files (default: as LinOTP 3.4\'s packaging, see docs/files.md)' },
    { flags: '-f, --force', description: 'replace existing different files (the old ones are kept as NAME.<date>)' },
    {
      flags: '--database-uri <uri>',
      description: "the new server's (restored) database: provider definitions get their inline PEMs written to <linotp dir>/providers and their /etc/linotp2 files copied, and are rewritten to name them",
      env: 'LINOTP_DATABASE_URI',
    },
    { flags: '--enc-key <file>', description: 'encKey for encrypted provider definitions (default: --from/encKey)' },
    ...planOptions,
  ],
  examples: ['linotp-migrate host migrate --from /etc/linotp2 --to /etc/linotp --plan', 'linotp-migrate host migrate --from /root/old/etc/linotp2 --apache /root/old/etc/apache2 --to /etc/linotp --yes'],
  async run(ctx, _args, opts) {
    const from = requireFrom(opts);
    if (!opts.to) throw new UsageError('--to is required', 'give the LinOTP 3 configuration directory, e.g. --to /etc/linotp');
    const { planHostMigrate, applyHostMigrate, conflicts } = await import('../host/migrate.js');
    const path = await import('node:path');
    let db: Awaited<ReturnType<(typeof import('../db/index.js'))['openDatabase']>> | undefined;
    const dbUri = opts.databaseUri ?? ctx.env.LINOTP_DATABASE_URI;
    let replaceUnusedKey = false;
    let database: { rows: import('../crypto/chunks.js').ConfigRow[]; key?: import('../crypto/enckey.js').EncKey } | undefined;
    if (dbUri) {
      const [{ openDatabase }, { loadEncKey }, { readConfigRows, Tables }] = await Promise.all([import('../db/index.js'), import('../crypto/enckey.js'), import('../upgrade/sql.js')]);
      const keyFile = path.resolve(ctx.cwd, opts.encKey ?? path.join(from, 'encKey'));
      const key = loadEncKey(keyFile);
      db = await openDatabase(String(dbUri));
      const t = await Tables.load(db);
      database = { rows: t.has('Config') ? await readConfigRows(db, t) : [], key };
      // A fresh key at --to that encrypts nothing in this database is replaced without --force (issue 21 item 3).
      const { checkExistingKey } = await import('../upgrade/enc-key.js');
      const oldKeyFile = path.join(path.resolve(ctx.cwd, from), 'encKey');
      const existing = existsSync(oldKeyFile) ? await checkExistingKey(path.join(path.resolve(ctx.cwd, String(opts.to)), 'encKey'), loadEncKey(oldKeyFile), db) : undefined;
      if (existing?.unused) {
        replaceUnusedKey = true;
        ctx.out.info(`${existing.path} holds another key (sha256 ${existing.fingerprint}…) that encrypts nothing in the database: it is replaced and kept as encKey.<date>`);
      }
    }
    try {
      const o = { from, to: String(opts.to), apache: opts.apache, apacheTo: opts.apacheTo, rewritePaths: opts.rewritePaths, owner: opts.owner, force: Boolean(opts.force), env: ctx.env, database, replaceUnusedKey };
      const plan = planHostMigrate(o, ctx.cwd);
      for (const w of plan.warnings) ctx.out.warn(w);
      if (opts.plan || opts.dryRun) {
        ctx.out.result(publicPlan(plan), (d, c) => renderMigratePlan(d, c));
        const n = conflicts(plan).length;
        if (n) throw new UsageError(`${n} file(s) exist with other content`, 'nothing was written; add --force to replace them (kept as NAME.<date>)');
        if (plan.problems.length) throw new ChecksFailedError(plan.problems[0], 'nothing was written');
        return;
      }
      const changes = plan.writes.filter((w) => w.action !== 'unchanged').length + plan.links.filter((l) => l.action !== 'unchanged').length + plan.providerRewrites.length;
      if (changes && !conflicts(plan).length) await confirmOrAbort(ctx, `Write ${changes} file(s) into ${plan.to}${plan.apacheTo ? ` and ${plan.apacheTo}` : ''}?`);
      const result = await applyHostMigrate(plan, o, db);
      ctx.out.result({ plan: publicPlan(plan), result }, (d, c) => renderMigratePlan(d.plan, c, d.result));
      if (plan.problems.length) throw new ChecksFailedError(plan.problems[0], 'everything else was written');
    } finally {
      await db?.close();
    }
  },
};

export const commands: CommandSpec[] = [inventory, migrate];
