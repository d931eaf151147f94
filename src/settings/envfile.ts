/**
 * `-e/--env-file FILE`, as LinOTP 3's `linotp` reads it (Flask's FlaskGroup with python-dotenv):
 * `KEY=VALUE` lines put into the environment before anything else runs, never overriding a
 * variable that is already set. The dotenv forms LinOTP's documentation and Debian's packaging
 * use are read: `export KEY=…`, `#` comments, blank lines, 'single' and "double" quotes (escapes
 * \n \t \" \\ inside double quotes), an unquoted value ending at ` #`. Variable expansion (`${X}`)
 * is not done: the value is taken literally, and such a line is reported so nothing is guessed.
 */
import { readFileSync } from 'node:fs';
import { InputError } from '../errors.js';

export interface EnvFileEntry {
  key: string;
  value: string;
  line: number;
}

const KEY = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

export function parseEnvFile(text: string, file: string): EnvFileEntry[] {
  const out: EnvFileEntry[] = [];
  const lines = text.replace(/^\ufeff/, '').split(/\r\n|\r|\n/);
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i].trim();
    if (!line || line.startsWith('#')) continue;
    if (line.startsWith('export ')) line = line.slice(7).trimStart();
    const eq = line.indexOf('=');
    const key = (eq < 0 ? line : line.slice(0, eq)).trim();
    if (eq < 0 || !KEY.test(key)) {
      throw new InputError(`${file} line ${i + 1}: not a KEY=VALUE line`, 'an env file holds lines like LINOTP_DATABASE_URI=postgresql://…');
    }
    let rest = line.slice(eq + 1).trim();
    let value: string;
    const quote = rest[0];
    if (quote === '"' || quote === "'") {
      // A quoted value may run over several lines, as python-dotenv allows.
      let body = rest.slice(1);
      let end = findClosingQuote(body, quote);
      while (end < 0 && i + 1 < lines.length) {
        body += '\n' + lines[++i];
        end = findClosingQuote(body, quote);
      }
      if (end < 0) throw new InputError(`${file} line ${i + 1}: the ${quote}quoted value is never closed`);
      value = body.slice(0, end);
      if (quote === '"') value = value.replace(/\\([nt"\\])/g, (_, c: string) => ({ n: '\n', t: '\t', '"': '"', '\\': '\\' })[c]!);
    } else {
      const hash = rest.search(/\s#/);
      if (hash >= 0) rest = rest.slice(0, hash);
      value = rest.trim();
    }
    out.push({ key, value, line: i + 1 });
  }
  return out;
}

function findClosingQuote(s: string, quote: string): number {
  for (let k = 0; k < s.length; k++) {
    if (quote === '"' && s[k] === '\\') {
      k++;
      continue;
    }
    if (s[k] === quote) return k;
  }
  return -1;
}

/** Reads FILE into `env`; variables already set win, as in LinOTP. Returns the keys that were set. */
export function loadEnvFile(file: string, env: NodeJS.ProcessEnv = process.env): string[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputError(`cannot read the env file ${file} (${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : code})`, 'give -e/--env-file a readable KEY=VALUE file');
  }
  const set: string[] = [];
  for (const { key, value } of parseEnvFile(text, file)) {
    if (env[key] !== undefined) continue;
    env[key] = value;
    set.push(key);
  }
  return set;
}
