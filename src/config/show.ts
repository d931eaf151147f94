/**
 * `config show` core: the effective LinOTP 3 settings (LINOTP_CFG files, LINOTP_* environment,
 * defaults), each with its source, secrets masked.
 */
import { loadLinotp3Settings, type Linotp3Options } from '../settings/linotp3.js';
import { toPythonLiteral, type PyValue } from '../settings/pyvalue.js';
import { SETTINGS, findSetting, settingsFor } from '../settings/schema.js';
import { constraintText, explainText, maskValue, showLines, type ExplainOptions, type ShowLinesOptions } from './linotp-format.js';

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
  /** `NAME=VALUE` lines as `linotp config show` prints them (with -m/-V/ITEMS applied). */
  lines: string[];
  warnings: string[];
}

/** The Python literal of a value, secrets masked (see maskValue). */
export function maskSetting(name: string, value: PyValue): string {
  return toPythonLiteral(maskValue(name, value));
}

export function showSettings(env: NodeJS.ProcessEnv, opts: Linotp3Options & ShowLinesOptions & { explain?: boolean } = {}): ShowResult {
  const s = loadLinotp3Settings(env, opts);
  const lines = showLines(s, opts);
  const order = SETTINGS.map((x) => x.name);
  const names = [...s.values.keys()].sort((a, b) => (order.indexOf(a) + 1 || 1e9) - (order.indexOf(b) + 1 || 1e9) || a.localeCompare(b));
  const settings = names.filter((name) => !opts.items?.length || opts.items.includes(name)).map((name) => {
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
  return { version: s.version, cfgList: s.cfgList, cfgListSource: s.cfgListSource, files: s.files, settings, lines, warnings: s.warnings };
}

/** `config explain`: LinOTP's text, and the same facts as data for --json. */
export function explainSettings(env: NodeJS.ProcessEnv, opts: Linotp3Options & ExplainOptions = {}) {
  const s = loadLinotp3Settings(env, opts);
  const names = opts.items?.length ? opts.items : settingsFor(s.version).map((i) => i.name);
  const items = names.map((name) => {
    const item = findSetting(name, s.version);
    if (!item) return { name, unknown: true as const };
    const dflt = name === 'ROOT_DIR' ? s.appRoot : item.default;
    return { name, type: item.type, constraints: constraintText(item), default: toPythonLiteral(dflt), current: maskSetting(name, s.get(name)!), description: item.description };
  });
  return { version: s.version, items, text: explainText(s, opts), warnings: s.warnings };
}
