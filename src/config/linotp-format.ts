/**
 * `config show` and `config explain` output exactly as LinOTP 3.4 prints it (`config_show_cmd`,
 * `config_explain_cmd` in linotp/settings.py), computed from our settings loader:
 * - show: `NAME=str(value)` lines sorted by name (`-V`: the value only); ITEMS filters by exact
 *   name, and a name that is not set prints nothing (exit 0), as in LinOTP; `-m` keeps schema
 *   items whose value differs from the schema default (ROOT_DIR's default is the app root;
 *   DATABASE_URI always differs, because ProductionConfig replaces the schema's `sqlite:///{}`).
 * - explain: type, constraints, default, current value and description per schema item, or
 *   with `--sample-file` a commented linotp.cfg; an unknown ITEM prints `No information on NAME`.
 * Differences (documented in docs/compat.md): secrets are masked (our rule: no secret on a screen
 * that may be logged); the descriptions are our own texts; Flask's built-in settings (DEBUG,
 * SECRET_KEY, …), which LinOTP's show also lists, are not part of the schema and not shown.
 */
import { type Linotp3Settings } from '../settings/linotp3.js';
import { PyDict, pyStr, toPythonLiteral, type PyValue } from '../settings/pyvalue.js';
import { pyFill } from '../settings/pytextwrap.js';
import { type SettingItem, findSetting, settingsFor } from '../settings/schema.js';
import { maskUrl } from './dburl.js';

const SECRET_NAMES = new Set(['ADMIN_PASSWORD', 'JWT_SECRET_KEY', 'JWT_SECRET_SALT']);

/** A value masked for display: URL passwords, secret settings and password-like dict keys become `***`. */
export function maskValue(name: string, value: PyValue): PyValue {
  if (SECRET_NAMES.has(name)) return value === '' || value === null ? value : '***';
  if ((name === 'DATABASE_URI' || name === 'AUDIT_DATABASE_URI') && typeof value === 'string') return maskUrl(value);
  if (value instanceof PyDict) {
    return new PyDict(value.entries.map(([k, v]) => [k, typeof k === 'string' && /pass|pin|secret/i.test(k) && v ? '***' : v]));
  }
  return value;
}

/** Python's sorted() on str keys: by code point. */
export function byCodePoint(a: string, b: string): number {
  const x = Array.from(a, (c) => c.codePointAt(0)!);
  const y = Array.from(b, (c) => c.codePointAt(0)!);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] - y[i];
  return x.length - y.length;
}

/** The schema default as LinOTP 3.4 has it at run time (ROOT_DIR = the app root, set by init_app). */
function runtimeDefault(item: SettingItem, s: Linotp3Settings): PyValue {
  return item.name === 'ROOT_DIR' ? s.appRoot : item.default;
}

/** Python `==` for the values a schema holds (True == 1, 1 == 1.0). */
function pyEqual(a: PyValue, b: PyValue): boolean {
  const norm = (v: PyValue) => (v === true ? '1' : v === false ? '0' : toPythonLiteral(v).replace(/^(-?\d+)\.0$/, '$1'));
  return norm(a) === norm(b);
}

export interface ShowLinesOptions {
  items?: string[];
  modified?: boolean;
  values?: boolean;
}

/** The lines `linotp config show [-m] [-V] [ITEMS…]` prints. */
export function showLines(s: Linotp3Settings, opts: ShowLinesOptions = {}): string[] {
  const lines: string[] = [];
  for (const name of [...s.values.keys()].sort(byCodePoint)) {
    let display = !opts.items?.length || opts.items.includes(name);
    if (opts.modified && display) {
      const item = findSetting(name, s.version);
      display = item !== undefined && !pyEqual(s.values.get(name)!.value, runtimeDefault(item, s));
    }
    if (display) lines.push((opts.values ? '' : `${name}=`) + pyStr(maskValue(name, s.get(name)!)));
  }
  return lines;
}

/** The validator's doc string LinOTP prints as "Constraints". */
export function constraintText(item: SettingItem): string | undefined {
  const v = item.validate;
  if (!v) return undefined;
  if (v.kind === 'intMin') return `value >= ${v.min}`;
  if (v.kind === 'oneOf') return `value in {${[...v.values].sort(byCodePoint).map(toPythonLiteral).join(', ')}}`;
  if (v.kind === 'absolutePath') return 'value is an absolute path name';
  return `value should apply ${toPythonLiteral(PKCS11_SCHEMA)}`;
}

/** Pkcs11SecurityModule.schema (linotp/lib/security/pkcs11.py), as LinOTP prints it. */
const numberOrNull = new PyDict([['anyOf', [new PyDict([['type', 'number']]), new PyDict([['type', 'null']])]]]);
const t = (type: string) => new PyDict([['type', type]]);
const PKCS11_SCHEMA = new PyDict([
  ['type', 'object'],
  ['properties', new PyDict([
    ['module', t('string')], ['library', t('string')], ['password', t('string')], ['slotid', t('number')],
    ['configLabel', t('string')], ['tokenLabel', t('string')], ['valueLabel', t('string')], ['defaultLabel', t('string')],
    ['configHandle', numberOrNull], ['tokenHandle', numberOrNull], ['valueHandle', numberOrNull], ['defaultHandle', numberOrNull],
    ['poolsize', t('number')],
  ])],
  ['required', ['module', 'library', 'password', 'slotid', 'defaultLabel']],
]);

export const SAMPLE_BANNER = (some: boolean) => `# This is a sample LinOTP configuration file.
# It contains ${some ? 'some' : 'all available'} configuration settings with their hard-coded
# defaults. Feel free to copy this file and uncomment and edit any of
# these (with appropriate caution). The LINOTP_CFG environment variable
# can be used to specify a list of LinOTP configuration files which
# will be read in order (the last encountered value for any configuration
# setting wins.) On many installations, a good place for your own
# configuration settings is /etc/linotp/linotp.cfg.
`;

export interface ExplainOptions {
  items?: string[];
  sampleFile?: boolean;
  banner?: boolean;
}

/** The text `linotp config explain [--sample-file] [--banner/--no-banner] [ITEMS…]` prints. */
export function explainText(s: Linotp3Settings, opts: ExplainOptions = {}): string {
  const out: string[] = [];
  const items = opts.items?.length ? opts.items : settingsFor(s.version).map((i) => i.name);
  // print() of a text ending in "\n": the banner is followed by an empty line
  if (opts.sampleFile && opts.banner !== false) out.push(SAMPLE_BANNER(Boolean(opts.items?.length)));
  for (const name of items) {
    const item = findSetting(name, s.version);
    if (!item) {
      out.push(`No information on ${name}`);
      continue;
    }
    const constraint = constraintText(item);
    const dflt = runtimeDefault(item, s);
    if (opts.sampleFile) {
      out.push(pyFill(`${item.name}: ${item.description}`, { initialIndent: '# ', subsequentIndent: '# ' }));
      if (constraint) out.push(`#\n# Constraints: ${constraint}`);
      out.push(`\n## ${item.name} = ${toPythonLiteral(dflt)}\n`);
    } else {
      out.push(`${item.name}:`, `  Type: ${item.type}`);
      if (constraint) out.push(`  Constraints: ${constraint}`);
      out.push(`  Default value: ${pyStr(dflt)}`, `  Current value: ${pyStr(maskValue(item.name, s.get(item.name)!))}`);
      out.push(pyFill(`  Description: ${item.description}`, { subsequentIndent: '    ' }));
    }
  }
  return out.join('\n') + '\n';
}
