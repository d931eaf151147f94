/**
 * The LinOTP Apache site: a small parser for Apache configuration (directives and nested
 * `<Section …>` blocks, `\` continuations, comments), what a LinOTP 2.12 site holds beyond the
 * shipped example, and the LinOTP 3.4 site built from 3.4's own example (branch-v3.4
 * `examples/apache-site.conf`, installed by `debian/postinst` as sites-available/linotp.conf).
 *
 * Carried: ServerName/ServerAlias (from the site or its included apache-servername.conf), SSL*
 * directives, Include/IncludeOptional lines, and every <Location>/<Directory>/<Files> block the
 * administrator added. Dropped and listed: digest-auth blocks (LinOTP 3.2+ authenticates admins
 * itself), with the paths they protected and their htdigest files. `/gettoken` is denied as 3.4's
 * example denies it. Other top-level directives not in the example are listed, never guessed.
 */
import { InputError } from '../errors.js';

export interface ApacheDirective {
  kind: 'directive';
  name: string;
  args: string[];
  line: number;
  /** The source text (continuations joined). */
  text: string;
}

export interface ApacheBlock {
  kind: 'block';
  name: string;
  args: string[];
  line: number;
  children: ApacheNode[];
  /** The source lines from `<Name …>` to `</Name>`, as written. */
  text: string;
}

export type ApacheNode = ApacheDirective | ApacheBlock;

/** Apache's argument splitting: whitespace, double or single quotes. */
export function splitArgs(s: string): string[] {
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s))) out.push(m[1] ?? m[2] ?? m[3]);
  return out;
}

export function parseApache(text: string, file: string): ApacheNode[] {
  const src = text.split('\n');
  const root: ApacheNode[] = [];
  const stack: { block: ApacheBlock; start: number }[] = [];
  const add = (n: ApacheNode) => (stack.length ? stack[stack.length - 1].block.children : root).push(n);
  for (let i = 0; i < src.length; i++) {
    const start = i;
    let line = src[i].replace(/\r$/, '');
    while (line.endsWith('\\') && i + 1 < src.length) line = line.slice(0, -1) + ' ' + src[++i].replace(/\r$/, '').trimStart();
    const t = line.trim();
    if (t === '' || t.startsWith('#')) continue;
    const close = /^<\/([A-Za-z]+)\s*>$/.exec(t);
    if (close) {
      const open = stack.pop();
      if (!open || open.block.name.toLowerCase() !== close[1].toLowerCase()) {
        throw new InputError(`${file} line ${start + 1}: </${close[1]}> ${open ? `closes <${open.block.name}> of line ${open.block.line}` : 'without an opening section'}`, 'fix the Apache file (apache2ctl -t shows the same); nothing was written');
      }
      open.block.text = src.slice(open.start, i + 1).join('\n');
      continue;
    }
    const openM = /^<([A-Za-z]+)(\s+[^>]*)?>$/.exec(t);
    if (openM) {
      const block: ApacheBlock = { kind: 'block', name: openM[1], args: splitArgs(openM[2] ?? ''), line: start + 1, children: [], text: '' };
      add(block);
      stack.push({ block, start });
      continue;
    }
    if (t.startsWith('<')) throw new InputError(`${file} line ${start + 1}: malformed section line ${JSON.stringify(t.slice(0, 60))}`, 'fix the Apache file; nothing was written');
    const [name, ...args] = splitArgs(t);
    add({ kind: 'directive', name, args, line: start + 1, text: t });
  }
  if (stack.length) {
    const b = stack[stack.length - 1].block;
    throw new InputError(`${file}: <${b.name}> of line ${b.line} is never closed`, 'fix the Apache file; nothing was written');
  }
  return root;
}

const lc = (s: string) => s.toLowerCase();
const directives = (nodes: ApacheNode[]) => nodes.filter((n): n is ApacheDirective => n.kind === 'directive');

/** `AuthType Digest` somewhere in the block: LinOTP 2's way of protecting admin paths. */
function digestFile(b: ApacheBlock): string | undefined {
  const ds = directives(b.children);
  if (!ds.some((d) => lc(d.name) === 'authtype' && lc(d.args[0] ?? '') === 'digest')) return undefined;
  return ds.find((d) => lc(d.name) === 'authuserfile')?.args[0] ?? '(no AuthUserFile)';
}

/** Sections LinOTP 2.12's example has (without digest auth): these come from 3.4's example instead. */
const STANDARD_SECTIONS = new Set(['directory /', 'directory /etc/linotp2', 'directory /usr/share/doc/linotpdoc/html', 'location /selfservice', 'location /validate', 'location /gettoken']);
/** Top-level directives of the examples, rebuilt from 3.4's (never carried as they were). */
const STANDARD_DIRECTIVES = new Set([
  'serveradmin', 'header', 'alias', 'wsgiscriptalias', 'wsgidaemonprocess', 'wsgiprocessgroup', 'wsgipassauthorization',
  'errorlog', 'loglevel', 'logformat', 'customlog', 'errordocument', 'sslengine',
]);

export interface SiteAnalysis {
  virtualHost: string;
  serverNames: ApacheDirective[];
  ssl: ApacheDirective[];
  includes: ApacheDirective[];
  customBlocks: ApacheBlock[];
  digestBlocks: { section: string; path: string; userFile: string; line: number }[];
  /** Top-level directives neither carried nor rebuilt (listed for the administrator). */
  notCarried: ApacheDirective[];
  gettokenWasProtected: boolean;
}

/** What a LinOTP 2 site holds. `readInclude(path)` returns the text of an included file (apache-servername.conf), or undefined. */
export function analyzeSite(nodes: ApacheNode[], file: string, readInclude: (p: string) => string | undefined): SiteAnalysis {
  const vhost = nodes.find((n): n is ApacheBlock => n.kind === 'block' && lc(n.name) === 'virtualhost');
  if (!vhost) throw new InputError(`${file}: no <VirtualHost> section; this is not a LinOTP Apache site`, 'give the LinOTP 2 site (sites-available/linotp2.conf)');
  const a: SiteAnalysis = { virtualHost: vhost.args.join(' '), serverNames: [], ssl: [], includes: [], customBlocks: [], digestBlocks: [], notCarried: [], gettokenWasProtected: false };
  for (const n of vhost.children) {
    if (n.kind === 'block') {
      const key = `${lc(n.name)} ${n.args.join(' ')}`;
      const digest = digestFile(n);
      if (digest) {
        a.digestBlocks.push({ section: n.name, path: n.args.join(' '), userFile: digest, line: n.line });
        if (n.args.join(' ') === '/gettoken') a.gettokenWasProtected = true;
      } else if (!STANDARD_SECTIONS.has(key)) a.customBlocks.push(n);
      continue;
    }
    const name = lc(n.name);
    if (name === 'servername' || name === 'serveralias') a.serverNames.push(n);
    else if (name.startsWith('ssl') && name !== 'sslengine') a.ssl.push(n);
    else if (name === 'include' || name === 'includeoptional') {
      const target = n.args[0] ?? '';
      if (/apache-servername\.conf$/.test(target)) {
        const text = readInclude(target);
        if (text !== undefined) a.serverNames.push(...directives(parseApache(text, target)).filter((d) => /^server(name|alias)$/i.test(d.name)));
      } else if (!/apache-site-includes\/\*\.conf$/.test(target)) a.includes.push(n);
    } else if (!STANDARD_DIRECTIVES.has(name)) a.notCarried.push(n);
  }
  return a;
}

/** Replaces each OLD directory prefix by NEW where it starts a path (`/etc/linotp2/x`, `/etc/linotp2"`), never inside a longer name. */
export function rebaseText(text: string, rebase: [string, string][]): string {
  let out = text;
  for (const [from, to] of rebase) out = out.replace(new RegExp(`${from.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?=/|[\\s"'>]|$)`, 'gm'), to);
  return out;
}

/** Re-indents a carried block to one level inside <VirtualHost>, keeping its inner indentation. */
function indent(text: string): string {
  const lines = text.split('\n');
  const lead = /^[ \t]*/.exec(lines[0])![0].length;
  return lines.map((l) => '    ' + (l.slice(0, lead).trim() === '' ? l.slice(lead) : l.trimStart())).join('\n');
}

/** The LinOTP 3.4 site: 3.4's example with the administrator's settings carried (see the module comment). */
export function buildLinotp34Site(a: SiteAnalysis, opts: { linotpDir: string; rebase: [string, string][]; source: string }): string {
  const r = (s: string) => rebaseText(s, opts.rebase);
  const carried = (label: string, nodes: { text: string }[]) => (nodes.length ? [`    # ${label} (carried from ${opts.source})`, ...nodes.map((n) => indent(r(n.text))), ''] : []);
  const ssl = a.ssl.length
    ? carried('SSL settings', a.ssl)
    : ['    SSLCertificateFile    /etc/ssl/certs/linotpserver.pem', '    SSLCertificateKeyFile /etc/ssl/private/linotpserver.key', ''];
  const d = opts.linotpDir;
  return [
    `# LinOTP 3.4 Apache site, built by linotp-migrate host migrate from LinOTP 3.4's examples/apache-site.conf`,
    `# and ${opts.source}. Digest authentication is gone: LinOTP 3.2+ authenticates administrators itself.`,
    `<VirtualHost ${a.virtualHost}>`,
    '    ServerAdmin webmaster@localhost',
    ...carried('server names', a.serverNames),
    '    Header always edit Set-Cookie ^(.*)$ $1;secure',
    '    Header always set X-Frame-Options "DENY"',
    '    Header always set X-XSS-Protection "1; mode=block"',
    '    Header always set Strict-Transport-Security "max-age=315360000; includeSubDomains"',
    '    Header always set X-Content-Type-Options "nosniff"',
    '    Header always set X-Permitted-Cross-Domain-Policies "none"',
    '',
    '    <Directory />',
    '        AllowOverride None',
    '        Require all denied',
    '    </Directory>',
    '',
    '    <Directory /usr/share/doc/linotpdoc/html>',
    '        Require all granted',
    '    </Directory>',
    '    Alias /doc/html /usr/share/doc/linotpdoc/html',
    '',
    '    <Directory /usr/lib/python3/dist-packages/linotp/public>',
    '        Require all granted',
    '    </Directory>',
    '    Alias /static /usr/lib/python3/dist-packages/linotp/public',
    '',
    `    <Directory ${d}>`,
    '        <Files linotpapp.wsgi>',
    '            Require all granted',
    '        </Files>',
    '    </Directory>',
    `    WSGIScriptAlias / ${d}/linotpapp.wsgi`,
    '',
    '    # The daemon runs as user linotp, which must be able to read the encKey.',
    '    WSGIDaemonProcess linotp processes=1 threads=15 display-name=%{GROUP} user=linotp',
    '    WSGIProcessGroup linotp',
    '    WSGIPassAuthorization On',
    '',
    '    <Location /gettoken>',
    `        # Denied as in LinOTP 3.4's example${a.gettokenWasProtected ? ' (LinOTP 2 protected it with digest auth; allow clients by address with "Require ip …")' : ''}.`,
    '        Require all denied',
    '    </Location>',
    '',
    ...carried('sections added to the LinOTP 2 site', a.customBlocks),
    ...carried('included files', a.includes),
    `    IncludeOptional ${d}/apache-site-includes/*.conf`,
    '',
    '    ErrorLog /var/log/apache2/error.log',
    '    LogLevel warn',
    '    # Do not use %q: it would log every parameter, PINs and keys included.',
    '    LogFormat "%h %l %u %t %>s \\"%m %U %H\\"  %b \\"%{Referer}i\\" \\"%{User-agent}i\\" \\"%{SSL_CLIENT_S_DN_CN}x\\"" LinOTP',
    '    CustomLog /var/log/apache2/ssl_access.log LinOTP',
    '',
    '    SSLEngine on',
    ...ssl,
    '    ErrorDocument 500 "<h1>Internal Server Error</h1> Possible reasons can be missing modules or bad access rights on LinOTP configuration files or log files. Please check the apache logfile <pre>/var/log/apache2/error.log</pre> for more details."',
    '</VirtualHost>',
    '',
  ].join('\n');
}
