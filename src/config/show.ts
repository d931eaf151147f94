/**
 * `config show` core: the effective LinOTP 3 settings (LINOTP_CFG files, LINOTP_* environment,
 * defaults), each with its source, secrets masked.
 */
import { loadLinotp3Settings, type Linotp3Options } from '../settings/linotp3.js';
import { PyDict, toPythonLiteral, type PyValue } from '../settings/pyvalue.js';
import { SETTINGS, findSetting } from '../settings/schema.js';
import { maskUrl } from './dburl.js';

export interface ShownSetting {
  name: string;
  /** Python literal of the value as LinOTP reads it (relative paths resolved), secrets masked. */
  value: string;
  source: string;
  /** Set when the name is not a setting of this LinOTP version (LinOTP ignores it). */
  unknown?: boolean;
  type?: string;
  description?: string;
}

export interface ShowResult {
  version: string;
  cfgList: string;
  cfgListSource: string;
  files: { path: string; status: string; optional: boolean }[];
  settings: ShownSetting[];
  warnings: string[];
}

const SECRET_NAMES = new Set(['ADMIN_PASSWORD', 'JWT_SECRET_KEY', 'JWT_SECRET_SALT']);

export function maskSetting(name: string, value: PyValue): string {
  if (SECRET_NAMES.has(name)) return value === '' || value === null ? toPythonLiteral(value) : "'***'";
  if ((name === 'DATABASE_URI' || name === 'AUDIT_DATABASE_URI') && typeof value === 'string') return toPythonLiteral(maskUrl(value));
  if (value instanceof PyDict) {
    return toPythonLiteral(new PyDict(value.entries.map(([k, v]) => [k, typeof k === 'string' && /pass|pin|secret/i.test(k) && v ? '***' : v])));
  }
  return toPythonLiteral(value);
}

export function showSettings(env: NodeJS.ProcessEnv, opts: Linotp3Options & { explain?: boolean } = {}): ShowResult {
  const s = loadLinotp3Settings(env, opts);
  const order = SETTINGS.map((x) => x.name);
  const names = [...s.values.keys()].sort((a, b) => (order.indexOf(a) + 1 || 1e9) - (order.indexOf(b) + 1 || 1e9) || a.localeCompare(b));
  const settings = names.map((name) => {
    const r = s.resolved(name)!;
    const item = findSetting(name, s.version);
    const row: ShownSetting = { name, value: maskSetting(name, r.value), source: r.source };
    if (!item) row.unknown = true;
    if (opts.explain && item) {
      row.type = item.type;
      row.description = item.description + (item.validate?.kind === 'oneOf' ? ` One of: ${item.validate.values.join(', ')}.` : '');
    }
    return row;
  });
  return { version: s.version, cfgList: s.cfgList, cfgListSource: s.cfgListSource, files: s.files, settings, warnings: s.warnings };
}
