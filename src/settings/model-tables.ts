/**
 * Which optional tables LinOTP 3.4's `linotp init database` creates, from the effective settings.
 *
 * `init database` runs `db.create_all()` over the SQLAlchemy metadata of the started app. The
 * `admin_users` model (`SetPasswordHandler.AdminUser`, branch-v3.4 linotp/lib/tools/set_password.py)
 * enters that metadata when linotp/controllers/tools.py is imported — i.e. when the `tools` controller
 * is enabled (`LinOTPApp.setup_controllers` in linotp/app.py) — or when ADMIN_USERNAME and
 * ADMIN_PASSWORD are both set (`init_db_tables` then calls `SetPasswordHandler.create_table`).
 * Checked with the real LinOTP 3.4: the defaults (ENABLE_CONTROLLERS = 'ALL', DISABLE_CONTROLLERS =
 * 'gettoken') create it; DISABLE_CONTROLLERS = 'gettoken tools' does not.
 */
import type { PyValue } from './pyvalue.js';

/** linotp/app.py AVAILABLE_CONTROLLERS (3.4). */
const AVAILABLE_CONTROLLERS = [
  'admin', 'audit', 'auth', 'gettoken', 'maintenance', 'manage', 'monitoring', 'reporting', 'selfservice', 'system', 'tools', 'userservice', 'validate',
  'tokens:/api/v2/tokens', 'realms:/api/v2/realms', 'resolvers:/api/v2/resolvers', 'auditlog:/api/v2/auditlog',
];

/** The controller modules LinOTP 3.4 imports, computed as `setup_controllers` does (set arithmetic on the entries). */
export function enabledControllerModules(enable: string, disable: string): Set<string> {
  let available = new Set(enable.trim().split(/\s+/).filter(Boolean));
  if (available.has('ALL')) {
    available = new Set([...available, ...AVAILABLE_CONTROLLERS]);
    available.delete('ALL');
  }
  const disabled = new Set(disable.split(/\s+/).filter(Boolean));
  const controllers = new Set([...available].filter((c) => !disabled.has(c)));
  // `foo:/prefix` replaces a plain `foo`; either way the module foo is imported.
  return new Set([...controllers].map((c) => c.split(':')[0]));
}

export interface ModelSettings {
  get(name: string): PyValue | undefined;
}

const text = (v: PyValue | undefined, dflt: string) => (typeof v === 'string' ? v : dflt);

/** True when LinOTP 3.4's `init database` creates `admin_users` with these settings. */
export function createsAdminUsers(settings: ModelSettings): boolean {
  const modules = enabledControllerModules(text(settings.get('ENABLE_CONTROLLERS'), 'ALL'), text(settings.get('DISABLE_CONTROLLERS'), 'gettoken'));
  return modules.has('tools') || (Boolean(settings.get('ADMIN_USERNAME')) && Boolean(settings.get('ADMIN_PASSWORD')));
}
