/**
 * LinOTP 2 `service.*` flags (read from `[app:main]` only, enabled by the exact string 'True'),
 * `linotp.tools` and the getotp switch (read from `[DEFAULT]` only) → the target's controller
 * settings. LinOTP 2's routing defaults are kept, so behaviour is preserved: e.g. u2f was on and
 * maintenance off in LinOTP 2, the reverse of LinOTP 3's defaults.
 */
import type { LinotpVersion } from '../settings/schema.js';

/** LinOTP 2 routing flags and their defaults (branch-v2.12 config/routing.py). */
export const V2_FLAGS: Record<string, boolean> = {
  manage: true, selfservice: true, userservice: true, monitoring: true, reporting: true, validate: true,
  ocra: true, openid: true, u2f: true, helpdesk: false, maintenance: false, testing: false, migrate: false,
};

/** LinOTP 3 controllers each LinOTP 2 feature stands for. */
const V3_CONTROLLERS: Record<string, string[]> = {
  manage: ['admin', 'system', 'manage', 'audit', 'auth', 'tokens:/api/v2/tokens', 'realms:/api/v2/realms', 'resolvers:/api/v2/resolvers', 'auditlog:/api/v2/auditlog'],
  selfservice: ['selfservice', 'userservice'],
  userservice: ['userservice'],
  monitoring: ['monitoring'],
  reporting: ['reporting'],
  validate: ['validate'],
  maintenance: ['maintenance'],
  helpdesk: ['helpdesk'],
  u2f: ['u2f'],
  testing: ['testing'],
  migrate: ['migrate'],
  getotp: ['gettoken'],
  tools: ['tools'],
  ocra: [],
  openid: [],
};

const BASE = ['admin', 'audit', 'auth', 'gettoken', 'maintenance', 'manage', 'monitoring', 'reporting', 'selfservice', 'system', 'tools', 'userservice', 'validate'];
const API_V2 = ['tokens:/api/v2/tokens', 'realms:/api/v2/realms', 'resolvers:/api/v2/resolvers', 'auditlog:/api/v2/auditlog'];

/** Controllers a version can load, and (3.3+) what `ALL` stands for. */
export function availableControllers(v: LinotpVersion): { available: string[]; all?: string[] } {
  if (v === '3.0' || v === '3.1') return { available: [...BASE, 'helpdesk', 'migrate', 'testing', 'u2f'] };
  if (v === '3.2') return { available: [...BASE, 'migrate', 'u2f'] };
  return { available: [...BASE, ...API_V2, 'migrate', 'u2f'], all: [...BASE, ...API_V2] };
}

export interface ControllerPlan {
  /** setting name → value */
  settings: [string, string][];
  /** LinOTP 2 features with no LinOTP 3 controller in this version. */
  lost: string[];
  enabled: string[];
}

/** `features`: the LinOTP 2 features that were enabled (flags, tools, getotp). */
export function planControllers(features: Set<string>, v: LinotpVersion): ControllerPlan {
  const { available, all } = availableControllers(v);
  const wanted = new Set<string>();
  const lost: string[] = [];
  for (const f of features) {
    const cs = V3_CONTROLLERS[f] ?? [];
    const present = cs.filter((c) => available.includes(c));
    if (present.length === 0) lost.push(f);
    present.forEach((c) => wanted.add(c));
  }
  const enabled = available.filter((c) => wanted.has(c));
  if (!all) {
    // CONTROLLERS lists only plain names (the api/v2 ones do not exist before 3.3).
    return { settings: [['CONTROLLERS', enabled.join(' ')]], lost, enabled };
  }
  const extra = enabled.filter((c) => !all.includes(c));
  const disabled = all.filter((c) => !wanted.has(c));
  return {
    settings: [
      ['ENABLE_CONTROLLERS', ['ALL', ...extra].join(' ')],
      ['DISABLE_CONTROLLERS', disabled.join(' ')],
    ],
    lost,
    enabled,
  };
}
