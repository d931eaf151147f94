/**
 * `local-admins list --format TEMPLATE`: LinOTP formats each row with Python's
 * `TEMPLATE.format_map(row)`. We implement the part of Python's format syntax that makes sense for
 * string fields: `{key}`, `{{`/`}}`, conversions `!s`/`!r`, and the spec `[[fill]align][width][.precision]`.
 * An unknown key gives LinOTP's message `invalid key 'foo' in template`; other constructs Python
 * would reject (or that we don't support, e.g. `{a.b}`, `{a[0]}`) are reported as invalid templates
 * instead of a traceback. Keys are checked against `knownKeys` up front, so a typo is reported even
 * when there is no admin to print (LinOTP would print nothing).
 */
import { MigrateError } from '../errors.js';

/** LinOTP ends a bad template with exit 1 (ClickException, or a Python traceback for syntax errors); so do we. */
class TemplateError extends MigrateError {
  constructor(message: string, hint?: string) {
    super(message, { hint });
  }
}

export type TemplateValues = Record<string, string | null>;

/** Python's str(None) is 'None'; LinOTP rows can hold NULL in any non-key column. */
const pyStr = (v: string | null) => (v === null ? 'None' : v);

/** Python repr() of a str (enough for printable text: quotes, backslashes, control characters). */
export function pyRepr(v: string | null): string {
  if (v === null) return 'None';
  const quote = v.includes("'") && !v.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of v) {
    const cp = ch.codePointAt(0)!;
    if (ch === '\\') out += '\\\\';
    else if (ch === quote) out += '\\' + quote;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (cp < 0x20 || cp === 0x7f) out += '\\x' + cp.toString(16).padStart(2, '0');
    else out += ch;
  }
  return out + quote;
}

const SPEC = /^(?:(.)?([<>^]))?(\d+)?(?:\.(\d+))?s?$/su;

function applySpec(value: string, spec: string, template: string): string {
  const m = SPEC.exec(spec);
  if (!m) throw new TemplateError(`invalid format spec ':${spec}' in template ${JSON.stringify(template)}`, 'use {key}, {key:20}, {key:<20} or {key:>20}');
  const [, fill = ' ', align = '<', width, precision] = m;
  let v = value;
  if (precision !== undefined) v = [...v].slice(0, Number(precision)).join('');
  const len = [...v].length;
  const w = width === undefined ? 0 : Number(width);
  if (len >= w) return v;
  const pad = w - len;
  if (align === '>') return fill.repeat(pad) + v;
  if (align === '^') return fill.repeat(Math.floor(pad / 2)) + v + fill.repeat(pad - Math.floor(pad / 2));
  return v + fill.repeat(pad);
}

/** Checks the template once (so an empty admin list still reports a bad template) and returns a formatter. */
export function compileTemplate(template: string, knownKeys?: readonly string[]): { keys: string[]; format(values: TemplateValues): string } {
  type Part = string | { key: string; conv?: string; spec: string };
  const parts: Part[] = [];
  let lit = '';
  for (let i = 0; i < template.length; i++) {
    const c = template[i];
    if (c === '{' && template[i + 1] === '{') {
      lit += '{';
      i++;
    } else if (c === '}' && template[i + 1] === '}') {
      lit += '}';
      i++;
    } else if (c === '}') {
      throw new TemplateError(`single '}' encountered in template ${JSON.stringify(template)}`, "write '}}' for a literal brace");
    } else if (c === '{') {
      const end = template.indexOf('}', i);
      if (end < 0) throw new TemplateError(`single '{' encountered in template ${JSON.stringify(template)}`, "write '{{' for a literal brace");
      const field = template.slice(i + 1, end);
      const m = /^([^!:]*)(?:!([sr]))?(?::(.*))?$/su.exec(field);
      if (!m || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(m[1])) {
        throw new TemplateError(`invalid field {${field}} in template ${JSON.stringify(template)}`, 'fields are names in braces, e.g. {username}');
      }
      if (m[3] !== undefined && m[3].includes('{')) throw new TemplateError(`nested fields are not supported in template ${JSON.stringify(template)}`);
      if (lit) parts.push(lit);
      lit = '';
      parts.push({ key: m[1], conv: m[2], spec: m[3] ?? '' });
      i = end;
    } else lit += c;
  }
  if (lit) parts.push(lit);
  for (const p of parts) {
    if (typeof p === 'string') continue;
    if (p.spec) applySpec('', p.spec, template);
    if (knownKeys && !knownKeys.includes(p.key)) throw new TemplateError(`invalid key '${p.key}' in template`, `known keys: ${knownKeys.join(', ')}`);
  }
  return {
    keys: parts.filter((p): p is Exclude<Part, string> => typeof p !== 'string').map((p) => p.key),
    format(values) {
      return parts
        .map((p) => {
          if (typeof p === 'string') return p;
          if (!Object.prototype.hasOwnProperty.call(values, p.key)) {
            throw new TemplateError(`invalid key '${p.key}' in template`, `known keys: ${Object.keys(values).join(', ')}`);
          }
          const v = values[p.key];
          return applySpec(p.conv === 'r' ? pyRepr(v) : pyStr(v), p.spec, template);
        })
        .join('');
    },
  };
}
