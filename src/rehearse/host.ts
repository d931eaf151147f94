/**
 * The rehearsal's `host` step (issue 16): `host migrate` from `--etc DIR` (the old server's /etc
 * or a copy: DIR/linotp2, DIR/apache2) into a scratch directory, paths rebased to /etc/linotp as
 * on the real target. Checks: the files were written, the audit key pair matches, and what the
 * inventory says needs a decision (a warning). Removed with the scratch target unless --keep.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildInventory } from '../host/inventory.js';
import { applyHostMigrate, planHostMigrate } from '../host/migrate.js';
import type { StepOutcome } from './runner.js';
import type { RehearsalState } from './state.js';

const ITEMS = 50;

export async function stepHost(s: RehearsalState): Promise<StepOutcome<void>> {
  const etc = s.opts.etc!;
  const from = path.join(etc, 'linotp2');
  const apache = path.join(etc, 'apache2');
  // Inside the scratch SQLite directory when there is one (removed with it), else its own.
  const base = s.target?.dir ?? mkdtempSync(path.join(s.opts.tmpBase ?? tmpdir(), 'linotp-rehearse-host-'));
  const own = !s.target?.dir;
  const to = path.join(base, 'etc', 'linotp');
  try {
    const inv = buildInventory({ from, apache, apacheGiven: false, pam: path.join(etc, 'pam.d'), pamGiven: false });
    const o = { from, to, apache, apacheTo: path.join(base, 'etc', 'apache2'), rewritePaths: ['/etc/linotp2=/etc/linotp'] };
    const plan = planHostMigrate(o);
    const result = await applyHostMigrate(plan, o);
    const attention = plan.writes.filter((w) => w.attention).map((w) => w.path.slice(base.length));
    s.details.host = { from, written: result.written.length + result.links.length, attention, notes: plan.notes, auditPairMatches: plan.auditPair ? plan.auditPair.matches : null, decisions: inv.decisions.length };
    s.run.addCheck({ id: 'host.files', step: 'host', title: 'host migrate writes the LinOTP 3 tree', status: 'pass', summary: `${result.written.length} file(s) and ${result.links.length} link(s) written${s.opts.keep ? ` under ${base}` : ''}` });
    if (plan.auditPair) {
      s.run.addCheck({
        id: 'host.audit-pair',
        step: 'host',
        title: 'the audit key pair belongs together',
        status: plan.auditPair.matches ? 'pass' : 'fail',
        summary: plan.auditPair.matches ? 'the public key derived from private.pem equals public.pem' : plan.problems[0] ?? 'public.pem does not belong to private.pem',
        hint: plan.auditPair.matches ? undefined : 'find the public key that belongs to private.pem (openssl rsa -in private.pem -pubout); the pair was not written',
      });
    }
    s.run.addCheck({
      id: 'host.decisions',
      step: 'host',
      title: 'nothing on the host needs a decision',
      status: inv.decisions.length ? 'warn' : 'pass',
      summary: inv.decisions.length ? `${inv.decisions.length} item(s) need a decision (host inventory lists them)` : 'nothing',
      items: inv.decisions.length ? inv.decisions.slice(0, ITEMS) : undefined,
      hint: inv.decisions.length ? `linotp-migrate host inventory --from ${from} --apache ${apache}` : undefined,
    });
    return { summary: `${result.written.length} file(s), ${result.links.length} link(s); ${attention.length} to review; ${inv.decisions.length} decision(s)`, value: undefined };
  } finally {
    if (own && !s.opts.keep) rmSync(base, { recursive: true, force: true });
  }
}
