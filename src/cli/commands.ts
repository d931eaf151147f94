/**
 * The registry: one import per command group (src/cli/<group>.ts exports its CommandSpec list).
 * Group modules must not import database drivers at top level (they are loaded lazily by
 * src/db/index.ts), so `--help` stays fast.
 */
import type { CommandSpec } from './spec.js';

export async function loadCommandSpecs(): Promise<CommandSpec[]> {
  const groups = await Promise.all([
    import('./verify.js').then((m) => m.commands),
    import('./config.js').then((m) => m.commands),
    import('./api-check.js').then((m) => m.commands),
    import('./init.js').then((m) => m.commands),
    import('./local-admins.js').then((m) => m.commands),
    import('./backup.js').then((m) => m.commands),
    import('./audit.js').then((m) => m.commands),
    import('./admin.js').then((m) => m.commands),
    import('./rehearse.js').then((m) => m.commands),
    import('./radius.js').then((m) => m.commands),
  ]);
  return groups.flat();
}
