/**
 * `linotp-migrate backup catch-up` (issue 10): just before cut-over, carry what moved on the still
 * running old server (counters, fail counters, active flags, last authentications; new and deleted
 * tokens on request) into the new, already upgraded database. Plan first; apply in one transaction.
 */
import path from 'node:path';
import type { EncKey } from '../crypto/enckey.js';
import { ChecksFailedError, InputError, UsageError } from '../errors.js';
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
    } else ctx.out.warn('no encKey given: seeds are compared by their IV only, so a token enrolled again under the same serial with the same IV is not detected');

    const { openDatabase } = await import('../db/index.js');
    const { readCatchUp, requireLinotp3 } = await import('../catchup/read.js');
    const { applyCatchUp } = await import('../catchup/apply.js');
    const target = await openDatabase(targetUri);
    try {
      await requireLinotp3(target); // before a backup source is restored: that can take a while
      const old = fromUri ? await openOldDatabase(fromUri) : await openOldBackup(path.resolve(ctx.cwd, opts.from), (m) => ctx.out.info(m));
      let read: Awaited<ReturnType<typeof readCatchUp>>;
      try {
        read = await readCatchUp(target, old, { key, addNew: Boolean(opts.addNew), applyDeletes: Boolean(opts.applyDeletes) });
      } finally {
        await old.close();
      }
      const { plan, targetTables: newTables, newRows } = read;
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
        if (!p.seedsCompared) lines.push(c.yellow(`seeds compared by their IV only (no encKey)${p.seedsUnknown ? `: ${p.seedsUnknown} token(s) not told apart from a re-enrolment with the same IV` : ''}`));
        else if (p.seedsUnknown) lines.push(c.yellow(`${p.seedsUnknown} token(s) whose seed this encKey does not open: compared by IV only`));
        for (const pr of p.problems) lines.push(c.red(`problem: ${pr}`));
        if (d.applied) lines.push(c.green(`applied: ${d.applied.updated} updated, ${d.applied.added} added, ${d.applied.deleted} deleted`));
        else if (d.dryRun) lines.push('plan only: nothing was changed');
        else if (!work) lines.push(c.green('nothing to do'));
        return lines.join('\n');
      });
      if (plan.problems.length && !dryRun) throw new InputError(`catch-up cannot be applied: ${plan.problems[0]}`, 'nothing was changed; see the list above (--plan shows it again)');
      // A plan that finds problems is a check that failed (docs/exit-codes.md): a script must not go on to apply it.
      if (plan.problems.length) throw new ChecksFailedError(`the catch-up plan has ${plan.problems.length} problem(s): ${plan.problems[0]}`, 'nothing was changed; resolve them before applying');
    } finally {
      await target.close();
    }
  },
};
