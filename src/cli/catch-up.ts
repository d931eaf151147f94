/**
 * `linotp-migrate backup catch-up` (issue 10): just before cut-over, carry what moved on the still
 * running old server (counters, fail counters, active flags, last authentications; new and deleted
 * tokens on request) into the new, already upgraded database. Plan first; apply in one transaction.
 */
import path from 'node:path';
import type { EncKey } from '../crypto/enckey.js';
import type { Row } from '../db/types.js';
import { InputError, UsageError } from '../errors.js';
import { requireDatabaseUri, resolveInstallation } from '../settings/resolve.js';
import { installationOptions, planOptions } from './options.js';
import { renderTable } from './output.js';
import { confirmOrAbort } from './prompt.js';
import type { CommandSpec } from './spec.js';

const show = (v: unknown) => (v === null || v === undefined ? '–' : String(v));

export const catchUp: CommandSpec = {
  path: ['backup', 'catch-up'],
  summary: 'Bring token counters and states from the still-running old server into the new one',
  description:
    "Run just before cut-over (and again right after the old server stops answering): tokens are matched by serial number; the new database gets the larger OTP counter (never backwards, so no OTP the old server accepted is accepted again), the old server's fail counter and active flag, and the later last-authentication times. Tokens enrolled or deleted on the old server since the backup, tokens enrolled again (different seed) and tokens already in use on the new server are listed; --add-new copies new tokens (re-encrypted for LinOTP 3, with their realms), --apply-deletes removes deleted ones. One transaction on the new database; the old one is only read.",
  options: [
    ...installationOptions,
    { flags: '--from <source>', description: "the old server: its database URI, or a newer backup of it (any file backup restore reads)" },
    { flags: '--from-ini <file>', description: "the old server's linotp.ini (its sqlalchemy.url is read)" },
    { flags: '--add-new', description: 'copy tokens enrolled on the old server since the backup (needs the encKey)' },
    { flags: '--apply-deletes', description: 'remove tokens deleted on the old server since the backup' },
    ...planOptions,
  ],
  examples: [
    'linotp-migrate backup catch-up --from mysql://linotp:…@old-server/linotp --plan',
    'linotp-migrate backup catch-up --from-ini /mnt/old/etc/linotp2/linotp.ini --add-new --apply-deletes --yes',
  ],
  async run(ctx, _args, opts) {
    if (!opts.from === !opts.fromIni) throw new UsageError('backup catch-up needs the old server: --from URI|BACKUP or --from-ini FILE (one of them)', 'e.g. --from mysql://linotp:…@old-server/linotp');
    const inst = resolveInstallation({ databaseUri: opts.databaseUri, ini: opts.ini, encKey: typeof opts.encKey === 'string' ? opts.encKey : undefined }, ctx.env, ctx.cwd);
    for (const w of inst.warnings) ctx.out.debug(w);
    const dryRun = Boolean(opts.plan || opts.dryRun);
    const targetUri = requireDatabaseUri(inst).value;
    const { parseDbUrl } = await import('../db/url.js');
    const { looksLikeUri, openOldBackup, openOldDatabase, sameDatabase } = await import('../catchup/source.js');
    let fromUri: string | undefined;
    if (opts.fromIni) {
      const old = resolveInstallation({ ini: path.resolve(ctx.cwd, opts.fromIni) }, {}, ctx.cwd);
      fromUri = requireDatabaseUri(old).value;
    } else if (looksLikeUri(opts.from)) fromUri = opts.from;
    else {
      const { existsSync } = await import('node:fs');
      if (!existsSync(path.resolve(ctx.cwd, opts.from))) throw new UsageError(`--from ${opts.from} is neither a database URI nor an existing backup file`, "give the old server's database URI (mysql://…, postgresql://…, sqlite:///…) or a backup file");
    }
    if (fromUri && sameDatabase(parseDbUrl(fromUri), parseDbUrl(targetUri), ctx.cwd)) {
      throw new UsageError('--from names the same database as the target', "give the old server's database, and the new one with --database-uri/--ini/LINOTP_DATABASE_URI");
    }
    let key: EncKey | undefined;
    if (inst.encKeyPath) {
      const { loadEncKey } = await import('../crypto/enckey.js');
      key = loadEncKey(inst.encKeyPath.value);
    } else if (opts.addNew) {
      throw new UsageError('--add-new needs the encKey to re-encrypt new tokens for LinOTP 3', 'give it with --enc-key (or LINOTP_SECRET_FILE)');
    } else ctx.out.warn('no encKey given: seeds are not compared, so tokens enrolled again under the same serial are not detected');

    const { openDatabase } = await import('../db/index.js');
    const target = await openDatabase(targetUri);
    const old = fromUri ? await openOldDatabase(fromUri) : await openOldBackup(path.resolve(ctx.cwd, opts.from), (m) => ctx.out.info(m));
    try {
      const { detectModelVersion } = await import('../schema/version.js');
      const version = await detectModelVersion(target);
      if (!version.stored || Number(version.stored.split('.')[0]) < 3) {
        throw new InputError(`the new database is not upgraded to LinOTP 3 yet (model ${version.stored ?? 'not stored'})`, 'run `linotp-migrate init database` on it first');
      }
      const { findTokenTables, readTokenStates } = await import('../catchup/tokens.js');
      const { planCatchUp } = await import('../catchup/plan.js');
      const { applyCatchUp, prepareNewTokens } = await import('../catchup/apply.js');
      const { decryptTokenSeed, classifyTokenSeed } = await import('../crypto/values.js');
      const oldTables = await findTokenTables(old.db, old.describe);
      const newTables = await findTokenTables(target, 'the new database');
      const current = await readTokenStates(target, newTables);
      // The old server keeps running: one consistent snapshot of it, never a write.
      const { states: oldStates, rows: oldRows } = await old.db.transaction(
        async (tx) => {
          const states = await readTokenStates(tx, oldTables);
          const rows = new Map<string, Row>();
          if (opts.addNew) {
            const q = tx.dialect.quoteIdent;
            for (const serial of states.keys()) {
              if (current.has(serial)) continue;
              const r = await tx.query(`SELECT * FROM ${q(oldTables.token)} WHERE ${q('LinOtpTokenSerialnumber')} = ?`, [serial]);
              if (r[0]) rows.set(serial, r[0]);
            }
          }
          return { states, rows };
        },
        { snapshot: true },
      );
      const seed = (s: { keyEnc: string | null; keyIv: string | null; type: string }) => {
        if (!key || classifyTokenSeed({ keyEnc: s.keyEnc, keyIv: s.keyIv, tokenType: s.type }) !== 'encrypted') return undefined;
        try {
          const r = decryptTokenSeed(key, s.keyEnc!, s.keyIv!);
          return r.ok ? r.value : undefined;
        } catch {
          return undefined;
        }
      };
      const plan = planCatchUp({
        source: old.describe,
        target: (await import('../db/url.js')).describeDbUrl(target.url),
        old: oldStates,
        current,
        compareSeeds: key
          ? (o, c) => {
              const a = seed(o);
              const b = seed(c);
              return a === undefined || b === undefined ? (o.keyEnc === c.keyEnc ? 'same' : 'unknown') : a === b ? 'same' : 'different';
            }
          : undefined,
        addNew: Boolean(opts.addNew),
        applyDeletes: Boolean(opts.applyDeletes),
        sourceHasLastAuth: oldTables.columns.includes('LinOtpLastAuthSuccess'),
      });
      let newRows = new Map<string, Row>();
      if (plan.addNew && plan.added.length) {
        const realms = new Set<string>();
        if (newTables.realm) for (const r of await target.query(`SELECT ${target.dialect.quoteIdent('name')} AS n FROM ${target.dialect.quoteIdent(newTables.realm)}`)) realms.add(String(r.n).toLowerCase());
        newRows = prepareNewTokens(plan, oldRows, key, newTables, realms);
      }
      const { planHasWork } = await import('../catchup/plan.js');
      const work = planHasWork(plan);
      let applied: Awaited<ReturnType<typeof applyCatchUp>> | null = null;
      if (!dryRun && work && !plan.problems.length) {
        const what = [
          plan.updates.length && `update ${plan.updates.length} token(s)`,
          plan.addNew && plan.added.length && `add ${plan.added.length} new token(s)`,
          plan.applyDeletes && plan.deleted.length && `delete ${plan.deleted.length} token(s)`,
        ].filter(Boolean);
        await confirmOrAbort(ctx, `${what.join(', ')} on ${plan.target}?`);
        applied = await applyCatchUp(target, newTables, plan, newRows);
      }
      ctx.out.result({ dryRun, plan, applied }, (d, c) => {
        const p = d.plan;
        const lines = [`old server ${p.source}: ${p.tokens.source} tokens; new server ${p.target}: ${p.tokens.target} tokens`];
        if (p.updates.length) {
          lines.push(c.bold(`${p.updates.length} token(s) moved on the old server:`));
          lines.push(renderTable(['serial', 'field', 'new server now', 'becomes'], p.updates.flatMap((u) => u.changes.map((ch) => [u.serial, ch.field, show(ch.from), show(ch.to)]))));
        } else lines.push('no token moved on the old server since the backup');
        if (p.unchanged) lines.push(`${p.unchanged} token(s) identical`);
        if (p.ahead.length) lines.push(c.yellow(`${p.ahead.length} token(s) already in use on the new server (counter ahead), left alone: ${p.ahead.map((a) => a.serial).join(', ')}`));
        if (p.reenrolled.length) lines.push(c.yellow(`${p.reenrolled.length} token(s) enrolled again on the old server, not changed: ${p.reenrolled.map((r) => `${r.serial} (${r.reason})`).join(', ')}`));
        if (p.added.length) lines.push(`${p.added.length} token(s) only on the old server${p.addNew ? '' : ' (add them with --add-new)'}: ${p.added.map((a) => a.serial).join(', ')}`);
        if (p.deleted.length) lines.push(`${p.deleted.length} token(s) deleted on the old server${p.applyDeletes ? '' : ' (remove them with --apply-deletes)'}: ${p.deleted.map((a) => a.serial).join(', ')}`);
        if (!p.seedsCompared) lines.push(c.yellow('seeds not compared (no encKey)'));
        for (const pr of p.problems) lines.push(c.red(`problem: ${pr}`));
        if (d.applied) lines.push(c.green(`applied: ${d.applied.updated} updated, ${d.applied.added} added, ${d.applied.deleted} deleted`));
        else if (d.dryRun) lines.push('plan only: nothing was changed');
        else if (!work) lines.push(c.green('nothing to do'));
        return lines.join('\n');
      });
      if (plan.problems.length && !dryRun) throw new InputError(`catch-up cannot be applied: ${plan.problems[0]}`, 'nothing was changed; see the list above (--plan shows it again)');
    } finally {
      await old.close();
      await target.close();
    }
  },
};
