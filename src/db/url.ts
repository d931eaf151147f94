/**
 * SQLAlchemy-style database URLs: `dialect[+driver]://user:password@host:port/database?k=v`.
 *
 * Parsing follows SQLAlchemy's own rules (sqlalchemy.engine.url._parse_url): user and password are
 * percent-decoded like Python's `urllib.parse.unquote` (invalid `%` sequences stay as they are),
 * `[v6]` hosts, query parameters decoded like `parse_qsl` (`+` is a space).
 *
 * One deliberate difference: LinOTP 2's Debian postinst writes the password into linotp.ini
 * unescaped, and the SQLAlchemy 1.x that LinOTP 2 ran on matched the password greedily up to the
 * last `@`. SQLAlchemy 2 would read `u:p@ss@db` as host `ss@db`. We take the last `@` of the
 * authority so such a URL means what it meant to LinOTP 2; formatDbUrl() then writes it encoded.
 *
 * Error messages never quote the user-info part of the URL (it may hold the password).
 */
import { UsageError } from '../errors.js';
import type { DbUrl, Engine } from './types.js';

const BACKENDS: Record<string, Engine> = {
  mysql: 'mysql',
  mariadb: 'mysql',
  postgres: 'postgres',
  postgresql: 'postgres',
  sqlite: 'sqlite',
};

export const DEFAULT_PORTS: Record<Engine, number | undefined> = { mysql: 3306, postgres: 5432, sqlite: undefined };

function bad(what: string, hint?: string): UsageError {
  return new UsageError(`invalid database URL: ${what}`, hint ?? 'the form is dialect[+driver]://user:password@host:port/database, e.g. mysql://linotp:secret@localhost/LinOTP2');
}

/** Python's urllib.parse.unquote: valid %XX runs become UTF-8 bytes (errors='replace'); anything else stays. */
export function unquote(text: string, plusIsSpace = false): string {
  if (plusIsSpace) text = text.replace(/\+/g, ' ');
  if (!text.includes('%')) return text;
  return text.replace(/(?:%[0-9a-fA-F]{2})+/g, (run) => {
    const bytes = Buffer.from(run.replace(/%/g, ''), 'hex');
    return new TextDecoder('utf-8', { fatal: false }).decode(bytes);
  });
}

/** Percent-encodes everything except RFC 3986 unreserved characters, so any SQLAlchemy version reads it back. */
export function quote(text: string): string {
  return Array.from(Buffer.from(text, 'utf8'))
    .map((b) => {
      const ch = String.fromCharCode(b);
      return /[A-Za-z0-9\-._~]/.test(ch) ? ch : '%' + b.toString(16).toUpperCase().padStart(2, '0');
    })
    .join('');
}

function parseQuery(query: string): Record<string, string> {
  const params: Record<string, string> = {};
  for (const part of query.split(/[&;]/)) {
    if (!part) continue;
    const eq = part.indexOf('=');
    const key = unquote(eq < 0 ? part : part.slice(0, eq), true);
    const value = eq < 0 ? '' : unquote(part.slice(eq + 1), true);
    params[key] = value;
  }
  return params;
}

/** Splits `rest` (after `scheme://`) into user-info (or undefined) and the remainder. */
function splitUserInfo(rest: string): [string | undefined, string] {
  const firstAt = rest.indexOf('@');
  if (firstAt < 0) return [undefined, rest];
  const q = rest.indexOf('?');
  const beforeQuery = q < 0 ? rest : rest.slice(0, q);
  // `host/db?unix_socket=/x@y`: the only `@` is in the query and the part before it is a plain host/db.
  if (!beforeQuery.includes('@') && beforeQuery.includes('/')) return [undefined, rest];
  // Greedy like SQLAlchemy 1.x: the last `@` before the query (or anywhere, when the password holds `?`).
  const at = beforeQuery.includes('@') ? beforeQuery.lastIndexOf('@') : rest.lastIndexOf('@');
  return [rest.slice(0, at), rest.slice(at + 1)];
}

export function parseDbUrl(text: string): DbUrl {
  const input = text.trim();
  const m = /^([A-Za-z][\w+]*):\/\/(.*)$/s.exec(input);
  if (!m) {
    if (/^[A-Za-z][\w+]*:/.test(input)) throw bad('expected "://" after the scheme');
    throw bad('it does not start with a scheme such as mysql://, postgresql:// or sqlite://');
  }
  const scheme = m[1];
  const rest = m[2];
  const [backend] = scheme.toLowerCase().split('+');
  const engine = BACKENDS[backend];
  if (!engine) {
    throw bad(`unsupported database type "${scheme}"`, 'linotp-migrate works with mysql://, mariadb://, postgresql:// and sqlite:// URLs');
  }

  if (engine === 'sqlite') {
    // sqlite:// and sqlite:///:memory: are in-memory; sqlite:///rel and sqlite:////abs are files.
    const q = rest.indexOf('?');
    const pathPart = q < 0 ? rest : rest.slice(0, q);
    const params = q < 0 ? {} : parseQuery(rest.slice(q + 1));
    if (pathPart === '') return { engine, scheme, database: ':memory:', params };
    if (!pathPart.startsWith('/')) {
      throw bad('a SQLite URL has no host part', 'use sqlite:///relative/path.db or sqlite:////absolute/path.db');
    }
    const database = pathPart.slice(1);
    return { engine, scheme, database: database === '' ? ':memory:' : database, params };
  }

  const [userInfo, hostAndRest] = splitUserInfo(rest);
  const url: DbUrl = { engine, scheme, database: '', params: {} };
  if (userInfo !== undefined) {
    const colon = userInfo.indexOf(':');
    const user = colon < 0 ? userInfo : userInfo.slice(0, colon);
    if (user.includes('/')) throw bad('the user name contains "/"', 'percent-encode special characters in the user name and password (/ is %2F, @ is %40)');
    if (user !== '') url.user = unquote(user);
    if (colon >= 0) url.password = unquote(userInfo.slice(colon + 1));
  }

  const hm = /^(?:\[([^\]/?]+)\]|([^/:?[\]]*))(?::([^/?]*))?(?:\/([^?]*))?(?:\?(.*))?$/s.exec(hostAndRest);
  if (!hm) throw bad('cannot read the host, port and database part', 'check the host part; percent-encode special characters in the password (@ is %40, / is %2F, : is %3A)');
  const [, v6, host, port, database, query] = hm;
  if (v6 !== undefined) url.host = v6;
  else if (host) url.host = host;
  if (port !== undefined && port !== '') {
    if (!/^\d{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65535) {
      throw bad('the port is not a number from 1 to 65535', 'if the password contains ":" or "/", percent-encode it (: is %3A, / is %2F)');
    }
    url.port = Number(port);
  }
  url.database = database !== undefined ? unquote(database) : '';
  if (query !== undefined) url.params = parseQuery(query);
  takeQueryPassword(url);
  return url;
}

/** Query parameters that carry a password: libpq's `password`, MySQLdb's `passwd` (and `password`). */
export const PASSWORD_PARAMS = ['password', 'passwd'];

/**
 * SQLAlchemy hands query parameters to the driver as connect arguments, so psycopg2 (libpq) and
 * MySQLdb both log in with `?password=` (MySQLdb also `?passwd=`). It is moved to `url.password`,
 * the one place the adapters and the masking read it; two different passwords are refused.
 */
function takeQueryPassword(url: DbUrl): void {
  for (const k of PASSWORD_PARAMS) {
    if (!(k in url.params)) continue;
    const pw = url.params[k];
    delete url.params[k];
    if (url.password !== undefined && url.password !== pw) {
      throw bad(`the URL gives two different passwords (in the user part and as ?${k}=)`, 'give the password once, in the user part: dialect://user:password@host/database');
    }
    url.password = pw;
  }
}

function formatHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/**
 * Writes a URL back in SQLAlchemy form, percent-encoding user and password so every SQLAlchemy
 * version reads back exactly the same values.
 */
export function formatDbUrl(url: DbUrl, opts: { scheme?: string; maskPassword?: boolean } = {}): string {
  const scheme = opts.scheme ?? url.scheme;
  const query = Object.entries(url.params)
    .map(([k, v]) => `${quoteQuery(k)}=${quoteQuery(v)}`)
    .join('&');
  const q = query ? `?${query}` : '';
  if (url.engine === 'sqlite') {
    if (url.database === ':memory:') return `${scheme}://${q}`;
    return `${scheme}:///${url.database}${q}`;
  }
  let auth = '';
  if (url.user !== undefined || url.password !== undefined) {
    auth = quote(url.user ?? '');
    if (url.password !== undefined) auth += ':' + (opts.maskPassword ? '***' : quote(url.password));
    auth += '@';
  }
  const host = url.host !== undefined ? formatHost(url.host) : '';
  const port = url.port !== undefined ? `:${url.port}` : '';
  const db = url.database !== '' ? `/${url.database.replace(/[%?#]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase())}` : '';
  return `${scheme}://${auth}${host}${port}${db}${q}`;
}

function quoteQuery(text: string): string {
  // Keep '/' readable (unix_socket paths); everything else special is encoded.
  return quote(text).replace(/%2F/g, '/');
}

/** The URL for display: password masked as `***`. */
export function describeDbUrl(url: DbUrl): string {
  return formatDbUrl(url, { maskPassword: true });
}
