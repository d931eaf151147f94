/**
 * The files of a Debian LinOTP 2.12 `/etc/linotp2` (branch-v2.12 `debian/postinst`,
 * `config/apache2.4-example`, `tools/linotp-create-htdigest`) and what LinOTP 3.4 does with each
 * (branch-v3.4 `debian/preinst`, `debian/postinst`, `linotp/settings.py`). `host inventory` prints
 * this; `host migrate` acts on the same names (src/host/migrate.ts).
 */

export type EntryKind =
  | 'ini'
  | 'enc-key'
  | 'audit-private'
  | 'audit-public'
  | 'htdigest'
  | 'servername'
  | 'site-includes'
  | 'wsgi'
  | 'templates'
  | 'styles'
  | 'radius'
  | 'cache'
  | 'database'
  | 'apache-example'
  | 'provider-file';

export interface LayoutEntry {
  kind: EntryKind;
  what: string;
  linotp3: string;
  migrate: string;
  /** Needs an administrator's decision or review even when migrated. */
  attention: boolean;
}

export const LAYOUT: Record<string, LayoutEntry> = {
  'linotp.ini': { kind: 'ini', what: 'LinOTP 2 settings (Pylons ini)', linotp3: 'not read: LinOTP 3 reads linotp.cfg and conf.d/*.cfg', migrate: 'converted to conf.d/*.cfg exactly as `config convert --split` (its DATABASE_URI rule applies)', attention: false },
  encKey: { kind: 'enc-key', what: 'encryption key of the database secrets', linotp3: 'SECRET_FILE (default encKey in the config directory)', migrate: 'copied to encKey (linotp:linotp 0440)', attention: false },
  'private.pem': { kind: 'audit-private', what: 'audit signing key (LinOTP 2)', linotp3: 'renamed audit-private.pem by the 3.x preinst only on an in-place package upgrade', migrate: 'copied to audit-private.pem (linotp:linotp 0640) after the pair check', attention: false },
  'public.pem': { kind: 'audit-public', what: 'audit verification key (LinOTP 2)', linotp3: 'audit-public.pem (the 3.x preinst re-derives it from the private key)', migrate: 'audit-public.pem is written from the checked pair (linotp:linotp 0644)', attention: false },
  admins: { kind: 'htdigest', what: 'htdigest: Apache digest admins of /manage, /admin, /system, /audit', linotp3: 'unused: LinOTP 3.2+ authenticates admins itself (local admins)', migrate: 'not copied; import the names with `local-admins import --htdigest` (passwords cannot be carried)', attention: true },
  auth_helpdesk: { kind: 'htdigest', what: 'htdigest: helpdesk API users', linotp3: 'unused: LinOTP 3.2 removed the helpdesk API', migrate: 'not copied; listed', attention: true },
  'gettoken-api': { kind: 'htdigest', what: 'htdigest: /gettoken users', linotp3: 'unused: 3.4\'s site denies /gettoken unless allowed by address', migrate: 'not copied; listed', attention: true },
  'apache-servername.conf': { kind: 'servername', what: 'ServerName/ServerAlias included by the LinOTP 2 site', linotp3: 'no such file', migrate: 'its ServerName/ServerAlias go into the LinOTP 3.4 site', attention: false },
  'apache-site-includes': { kind: 'site-includes', what: 'extra Apache configuration included into the site', linotp3: 'apache-site-includes/*.conf in /etc/linotp', migrate: 'copied (paths rebased); review', attention: true },
  'linotpapp.wsgi': { kind: 'wsgi', what: 'LinOTP 2 WSGI entry point (Paste)', linotp3: 'LinOTP 3.4 ships its own linotpapp.wsgi (Flask create_app)', migrate: 'not copied', attention: false },
  'custom-templates': { kind: 'templates', what: 'custom Mako templates', linotp3: 'CUSTOM_TEMPLATES_DIR; LinOTP 3\'s templates differ', migrate: 'copied to custom-templates/; review every template', attention: true },
  'custom-style': { kind: 'styles', what: 'custom CSS', linotp3: 'custom-style/ (linked into the static files by the package)', migrate: 'copied to custom-style/; review', attention: true },
  'rlm_perl.ini': { kind: 'radius', what: 'FreeRADIUS rlm_perl module settings', linotp3: 'see `linotp-migrate radius inventory`', migrate: 'not handled here: see `radius inventory`', attention: true },
  data: { kind: 'cache', what: 'LinOTP 2 cache directory (beaker, templates)', linotp3: 'CACHE_DIR (/var/cache/linotp)', migrate: 'not copied (a cache)', attention: false },
  'apache2.4-example': { kind: 'apache-example', what: "the package's example Apache site", linotp3: 'replaced by /usr/share/doc/linotp/examples/apache-site.conf', migrate: 'not copied', attention: false },
  'apache2.2-example': { kind: 'apache-example', what: "the package's example Apache 2.2 site", linotp3: 'gone', migrate: 'not copied', attention: false },
};

/** sha256 of branch-v2.12 `linotpd/src/config/apache2.4-example/linotp2.conf` (what the 2.12 postinst copies). */
export const LINOTP_2_12_SITE_SHA256 = '9f5377fb61b5e7ef0bef62de3ebea41dc813dfacf5b4e124d459022c4180c49f';

/** LinOTP 3.4's packaging names (branch-v3.4 debian/postinst: `cp … sites-available/linotp.conf`, `a2ensite linotp`). */
export const LINOTP3_SITE = 'linotp.conf';
export const LINOTP2_SITE = 'linotp2.conf';

/** The files `host migrate` writes in the LinOTP 3 directory. */
export const LINOTP3_NAMES = { encKey: 'encKey', auditPrivate: 'audit-private.pem', auditPublic: 'audit-public.pem' } as const;
