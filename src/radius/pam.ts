/**
 * PAM configuration (pam.d files) using LinOTP: `pam_linotp.so` (LinOTP/linotp-auth-pam, C) and
 * `pam_py_linotp` (the Python 2 module run by pam_python.so, which cannot run on a current system).
 * Lines are read as Linux-PAM does (`type control module args…`, `-type`, `[…]` controls and
 * bracketed arguments, `#` comments, `\` continuations). Options as pam_linotp_get_config reads them:
 * names compared case-insensitively, the first matching prefix wins; unknown ones are ignored by the
 * module (listed here).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { InputError } from '../errors.js';

const FLAG_OPTIONS = ['debug', 'use_first_pass', 'hide_otp_input', 'nosslhostnameverify', 'nosslcertverify'];
const VALUE_OPTIONS = ['url=', 'realm=', 'resConf=', 'CA_file=', 'CA_path=', 'tokenlength=', 'prompt='];

export interface PamArg {
  text: string;
  /** Offset of the argument's text in the physical line. */
  start: number;
}

export interface PamLine {
  file: string;
  line: number;
  /** The physical line as written. */
  text: string;
  type: string;
  control: string;
  module: string;
  kind: 'pam_linotp' | 'pam_py_linotp';
  args: PamArg[];
  /** Where a missing url= goes (after the last argument). */
  insertAt: number;
  url?: string;
  realm?: string;
  resConf?: string;
  caFile?: string;
  caPath?: string;
  noCertVerify: boolean;
  noHostnameVerify: boolean;
  debug: boolean;
  unknown: string[];
}

export interface PamScan {
  dir: string;
  lines: PamLine[];
  /** Files that could not be read (named in the report; nothing is guessed about them). */
  unreadable: { file: string; reason: string }[];
}

/** Splits a PAM line into words; `[…]` is one word (with `\]` inside). Returns offsets into the line. */
function words(line: string): PamArg[] {
  const out: PamArg[] = [];
  let i = 0;
  while (i < line.length) {
    while (i < line.length && /\s/.test(line[i])) i++;
    if (i >= line.length || line[i] === '#') break;
    const start = i;
    if (line[i] === '[') {
      i++;
      while (i < line.length && line[i] !== ']') i += line[i] === '\\' ? 2 : 1;
      i++;
    } else while (i < line.length && !/\s/.test(line[i])) i++;
    out.push({ text: line.slice(start, i), start });
  }
  return out;
}

function option(arg: string): { name: string; value?: string } | undefined {
  const a = arg.startsWith('[') && arg.endsWith(']') ? arg.slice(1, -1).replace(/\\]/g, ']') : arg;
  const flag = FLAG_OPTIONS.find((f) => f.toLowerCase() === a.toLowerCase());
  if (flag) return { name: flag };
  const pre = VALUE_OPTIONS.find((p) => a.toLowerCase().startsWith(p.toLowerCase()));
  if (pre) return { name: pre.slice(0, -1), value: a.slice(pre.length) };
  return undefined;
}

export function parsePamText(textAll: string, file: string): PamLine[] {
  const out: PamLine[] = [];
  const physical = textAll.split('\n');
  for (let n = 0; n < physical.length; n++) {
    const text = physical[n];
    if (/\\\s*$/.test(text)) continue; // a continued line: pam_linotp lines are never continued in practice; the last part is read below
    const w = words(text);
    if (w.length < 3 || w[0].text.startsWith('@')) continue;
    const [type, control, module, ...args] = w;
    const base = path.basename(module.text);
    const isLinotp = base === 'pam_linotp.so';
    const isPy = base === 'pam_python.so' ? args.some((a) => /linotp/i.test(a.text)) : /pam_py_linotp/i.test(base);
    if (!isLinotp && !isPy) continue;
    const l: PamLine = {
      file,
      line: n + 1,
      text,
      type: type.text,
      control: control.text,
      module: module.text,
      kind: isLinotp ? 'pam_linotp' : 'pam_py_linotp',
      args: isPy && base === 'pam_python.so' ? args.slice(1) : args,
      insertAt: (w[w.length - 1].start + w[w.length - 1].text.length),
      noCertVerify: false,
      noHostnameVerify: false,
      debug: false,
      unknown: [],
    };
    for (const a of l.args) {
      const o = option(a.text);
      if (!o) {
        l.unknown.push(a.text);
        continue;
      }
      if (o.name === 'url') l.url = o.value;
      else if (o.name === 'realm') l.realm = o.value;
      else if (o.name === 'resConf') l.resConf = o.value;
      else if (o.name === 'CA_file') l.caFile = o.value;
      else if (o.name === 'CA_path') l.caPath = o.value;
      else if (o.name === 'nosslcertverify') l.noCertVerify = true;
      else if (o.name === 'nosslhostnameverify') l.noHostnameVerify = true;
      else if (o.name === 'debug') l.debug = true;
    }
    out.push(l);
  }
  return out;
}

/** Every pam.d file of `dir` with a LinOTP line. */
export function scanPam(dir: string): PamScan {
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch (e) {
    throw new InputError(`cannot read the PAM directory ${dir}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, 'give the pam.d directory with --pam (e.g. --pam /etc/pam.d)');
  }
  const lines: PamLine[] = [];
  const unreadable: PamScan['unreadable'] = [];
  for (const name of names) {
    const file = path.join(dir, name);
    try {
      if (!statSync(file).isFile()) continue;
      lines.push(...parsePamText(readFileSync(file, 'utf8'), file));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue; // removed since the listing (or a dangling link: PAM cannot read it either)
      unreadable.push({ file, reason: (e as NodeJS.ErrnoException).code ?? String(e) });
    }
  }
  return { dir, lines, unreadable };
}

/** The physical line with its `url=` argument replaced (the option's spelling is kept), or one added. */
export function rewritePamLine(l: PamLine, url: string): string {
  const urlArg = [...l.args].reverse().find((a) => option(a.text)?.name === 'url');
  if (/\s/.test(url)) throw new InputError(`the URL ${url} contains blanks, which a PAM argument cannot hold unbracketed`, 'give a URL without blanks');
  if (!urlArg) return `${l.text.slice(0, l.insertAt)} url=${url}${l.text.slice(l.insertAt)}`;
  const a = urlArg.text;
  const bracket = a.startsWith('[');
  const inner = bracket ? a.slice(1, -1) : a;
  const replaced = `${inner.slice(0, 4)}${url}`;
  return l.text.slice(0, urlArg.start) + (bracket ? `[${replaced.replace(/]/g, '\\]')}]` : replaced) + l.text.slice(urlArg.start + a.length);
}
