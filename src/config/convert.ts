/**
 * `config convert` core: a LinOTP 2 linotp.ini → LinOTP 3 settings plus a report with one row per
 * ini key. Pure (reads only the ini object and, for warnings, whether referenced files exist).
 *
 * Values are read as LinOTP 2 read them (IniFile.getLinotp2: Python 2 ConfigParser, where `%`
 * and `%%` stay as written unless the value also uses %(name)s).
 * LinOTP 2's effective configuration follows PasteDeploy: `[DEFAULT]` keys form global_conf
 * (interpolated); `[app:main]` keys form app_conf, EXCEPT keys that `[DEFAULT]` also sets —
 * PasteDeploy skips those, so [DEFAULT]'s value wins (only `set key = …` overrides a global).
 * Pylons merges both. `service.*` is read from app_conf only; `linotp.tools` and
 * `linotpGetotp.active` from global_conf only.
 */
import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { DEFAULT_SECTION, type IniFile } from '../settings/ini.js';
import { pyInt, SettingValueError } from '../settings/schema.js';
import { toPythonLiteral } from '../settings/pyvalue.js';
import { MigrateError } from '../errors.js';
import { findRule, targetFor, type MappingRule } from './mapping.js';
import { convertDbUrl, maskUrl, sameDatabase, type ConvertedUrl } from './dburl.js';
import { V2_FLAGS, planControllers } from './controllers.js';
import { convertLogging, isLoggingSection } from './logging.js';
import { origin, rebasePath, type ConvertOptions, type OutSetting, type ReportRow } from './types.js';

export const APP = 'app:main';

export interface Conversion {
  ini: string;
  target: string;
  settings: OutSetting[];
  rows: ReportRow[];
  warnings: string[];
}

interface Eff {
  value: string;
  section: string;
  key: string;
  line: number;
}

const ORDER = ['DATABASE_URI', 'AUDIT_DATABASE_URI', 'SECRET_FILE', 'AUDIT_PRIVATE_KEY_FILE', 'AUDIT_PUBLIC_KEY_FILE'];

export function maskValue(key: string, value: string): string {
  if (/(^|\.)(sql\.)?url$/i.test(key) && /:\/\//.test(value)) return maskUrl(value);
  if (/passw(or)?d|(^|\.)(pass|secret|pin)$/i.test(key)) return value === '' ? '' : '***';
  return value;
}

export function convertIni(ini: IniFile, opts: ConvertOptions): Conversion {
  const v = opts.target;
  const settings: OutSetting[] = [];
  const warnings: string[] = [...ini.warnings];
  const rowFor = new Map<string, Omit<ReportRow, 'section' | 'key' | 'line' | 'value'>>();
  const decide = (e: { section: string; key: string }, status: ReportRow['status'], to: string[], reason: string) =>
    rowFor.set(`${e.section}\0${e.key}`, { status, to, reason });
  const put = (name: string, value: OutSetting['value'], from: Eff[], display?: string, group: OutSetting['group'] = 'main') => {
    if (settings.some((s) => s.name === name)) return;
    settings.push({ name, value, origins: from.map((e) => origin(e.section, e.key, e.line)), group, display: display ?? (typeof value === 'string' ? value : toPythonLiteral(value)) });
  };

  // --- LinOTP 2's effective configuration (PasteDeploy + Pylons) ---
  const own = (section: string) => ini.keys(section).filter((k) => (ini.entry(section, k)?.line ?? 0) > 0 && ini.entry(section, k)?.section === section);
  const global = new Map<string, Eff>();
  // Values as LinOTP 2 (Python 2 ConfigParser) read them; say where Python 3 would differ.
  const v2 = (section: string, key: string): string => {
    const value = ini.getLinotp2(section, key)!;
    let v3: string | undefined;
    try {
      v3 = ini.get(section, key);
    } catch {
      v3 = undefined;
    }
    if (v3 !== value) {
      warnings.push(`${origin(section, key, ini.entry(section, key)!.line)}: read as LinOTP 2 (Python 2) did; Python 3's configparser would read it differently (${/%/.test(ini.raw(section, key)!) ? "'%' stays as written unless the value uses %(name)s" : "' ;' comments, blank or indented comment lines"})`);
    }
    return value;
  };
  for (const key of own(DEFAULT_SECTION)) global.set(key, { value: v2(DEFAULT_SECTION, key), section: DEFAULT_SECTION, key, line: ini.entry(DEFAULT_SECTION, key)!.line });
  const app = new Map<string, Eff>();
  if (ini.hasSection(APP)) {
    for (const key of own(APP)) {
      const e: Eff = { value: v2(APP, key), section: APP, key, line: ini.entry(APP, key)!.line };
      if (key.startsWith('set ')) global.set(key.slice(4).trim(), e);
      else if (key.startsWith('get ')) {
        const g = global.get(e.value.trim());
        if (g) app.set(key.slice(4).trim(), { ...g, section: APP, key, line: e.line });
      } else if (ini.defaults.has(key)) {
        decide(e, 'dropped', [], `LinOTP 2 ignored it: [DEFAULT] also sets ${key} and PasteDeploy keeps the [DEFAULT] value (write "set ${key} = …" to override)`);
      } else app.set(key, e);
    }
  }
  const eff = (key: string): Eff | undefined => app.get(key) ?? global.get(key);
  const globalOnly = (key: string) => global.get(key);
  const appOnly = (key: string) => app.get(key);

  // --- database ---
  let db: ConvertedUrl | undefined;
  const dbE = eff('sqlalchemy.url');
  if (dbE) {
    try {
      db = convertDbUrl(dbE.value, opts.rebase);
      put('DATABASE_URI', db.value, [dbE], db.display, 'database');
      if (db.relativeSqlite) decide(dbE, 'needs-attention', ['DATABASE_URI'], 'relative SQLite path: LinOTP 3 resolves it against its working directory; make it absolute');
      else decide(dbE, db.value === dbE.value ? 'renamed' : 'converted', ['DATABASE_URI'], ['database URL', ...db.notes, db.value !== dbE.value ? 'user/password percent-encoded as LinOTP 3 (SQLAlchemy) reads them' : ''].filter(Boolean).join('; '));
    } catch (err) {
      if (!(err instanceof MigrateError)) throw err;
      decide(dbE, 'needs-attention', ['DATABASE_URI'], `${err.message}; set DATABASE_URI by hand`);
    }
  } else warnings.push('the ini has no sqlalchemy.url: set DATABASE_URI yourself (Debian: conf.d/01-debian-database.cfg)');

  // --- audit ---
  const typeE = eff('linotpAudit.type');
  const urlE = eff('linotpAudit.sql.url');
  const auditType = typeE?.value.trim();
  if (!typeE) {
    put('AUDIT_DATABASE_URI', 'OFF', [], 'OFF');
    settings[settings.length - 1].origins = ['linotpAudit.type is not set: LinOTP 2 wrote no audit trail (LinOTP 3 default: SHARED)'];
    if (urlE) decide(urlE, 'dropped', [], 'LinOTP 2 ignored it because linotpAudit.type is not set (no audit); AUDIT_DATABASE_URI = OFF');
  } else if (auditType === 'linotp.lib.audit.SQLAudit' || auditType === 'linotpee.lib.Audit.SQLAudit') {
    decide(typeE, 'converted', ['AUDIT_DATABASE_URI'], 'SQL audit trail');
    if (!urlE) {
      decide(typeE, 'needs-attention', ['AUDIT_DATABASE_URI'], 'SQLAudit without linotpAudit.sql.url: choose AUDIT_DATABASE_URI (SHARED = main database)');
    } else {
      try {
        const a = convertDbUrl(urlE.value, opts.rebase);
        if (db && sameDatabase(a.url, db.url)) {
          put('AUDIT_DATABASE_URI', 'SHARED', [typeE, urlE], 'SHARED');
          decide(urlE, 'converted', ['AUDIT_DATABASE_URI'], "the main database → 'SHARED'");
        } else {
          put('AUDIT_DATABASE_URI', a.value, [typeE, urlE], a.display, 'database');
          decide(urlE, 'converted', ['AUDIT_DATABASE_URI'], ['a separate audit database', ...a.notes].join('; '));
        }
      } catch (err) {
        if (!(err instanceof MigrateError)) throw err;
        decide(urlE, 'needs-attention', ['AUDIT_DATABASE_URI'], `${err.message}; set AUDIT_DATABASE_URI by hand`);
      }
    }
  } else {
    decide(typeE, 'needs-attention', ['AUDIT_DATABASE_URI'], `unknown audit class ${auditType}: LinOTP 3 knows OFF, SHARED or a database URL`);
    if (urlE) decide(urlE, 'needs-attention', ['AUDIT_DATABASE_URI'], 'depends on the audit class');
  }

  // --- files: encKey and audit keys ---
  const filePath = (e: Eff, renameTo?: string) => {
    const abs = path.posix.resolve(path.dirname(ini.file), e.value.trim());
    let r = rebasePath(abs, opts.rebase);
    if (r.rebased && renameTo && path.posix.basename(r.path) === renameTo.replace('audit-', '')) {
      r = { path: path.posix.join(path.posix.dirname(r.path), renameTo), rebased: true };
    }
    checkFile(abs, r.path, e);
    return r;
  };
  const checkFile = (orig: string, final: string, e: Eff) => {
    const ok = (p: string) => {
      try {
        accessSync(p, constants.R_OK);
        return true;
      } catch {
        return false;
      }
    };
    if (!ok(final)) {
      warnings.push(final === orig || !ok(orig)
        ? `${origin(e.section, e.key, e.line)}: ${final} does not exist or is not readable here`
        : `${origin(e.section, e.key, e.line)}: ${final} does not exist yet (move ${orig} there)`);
    }
  };
  const secretE = eff('linotpSecretFile');
  if (secretE) {
    const r = filePath(secretE);
    put('SECRET_FILE', r.path, [secretE]);
    const relative = !secretE.value.trim().startsWith('/');
    decide(secretE, relative ? 'needs-attention' : 'converted', ['SECRET_FILE'], relative
      ? `relative path, taken as relative to the ini's directory (LinOTP 2 used its working directory): check that ${r.path} is the key`
      : r.rebased ? 'the same encKey at its new place (--rebase)' : 'absolute path of the same encKey');
  } else warnings.push('the ini has no linotpSecretFile: LinOTP 3 will use ROOT_DIR/encKey; make sure the old key is there, or a new key is generated that cannot decrypt the database');
  for (const [key, name, renamed] of [['linotpAudit.key.private', 'AUDIT_PRIVATE_KEY_FILE', 'audit-private.pem'], ['linotpAudit.key.public', 'AUDIT_PUBLIC_KEY_FILE', 'audit-public.pem']] as const) {
    const e = eff(key);
    if (!e) continue;
    const r = filePath(e, renamed);
    put(name, r.path, [e]);
    decide(e, 'converted', [name], r.path.endsWith(renamed) && !e.value.endsWith(renamed) ? `renamed as Debian's LinOTP 3 upgrade does (${path.posix.basename(e.value)} → ${renamed})` : 'absolute path');
  }

  // --- controllers and getotp ---
  const features = new Set<string>();
  const serviceRows: Eff[] = [];
  for (const [flag, dflt] of Object.entries(V2_FLAGS)) {
    const e = appOnly(`service.${flag}`);
    if (e) serviceRows.push(e);
    if (e ? e.value === 'True' : dflt) features.add(flag);
  }
  const toolsE = globalOnly('linotp.tools');
  if (toolsE ? toolsE.value === 'True' : true) features.add('tools');
  const getotpE = appOnly('service.getotp') ?? globalOnly('linotpGetotp.active');
  const getotp = getotpE ? getotpE.value === 'True' : false;
  if (getotp) features.add('getotp');
  const plan = planControllers(features, v);
  const ctlFrom = [...serviceRows, ...(toolsE ? [toolsE] : []), ...(getotpE ? [getotpE] : [])];
  for (const [name, value] of plan.settings) {
    put(name, value, ctlFrom, value);
    const s = settings.find((x) => x.name === name)!;
    s.origins.push(`LinOTP 2 controllers: ${[...features].sort().join(', ')} (service.* defaults where not set)`);
  }
  const ctlNames = plan.settings.map(([n]) => n);
  for (const e of [...serviceRows, ...(toolsE ? [toolsE] : [])]) {
    const feature = e.key === 'linotp.tools' ? 'tools' : e.key.slice('service.'.length);
    const on = e.value === 'True';
    if (on && plan.lost.includes(feature)) decide(e, 'dropped', [], `the ${feature} controller does not exist in LinOTP ${v}`);
    else decide(e, 'converted', ctlNames, on ? `${feature} enabled` : `${feature} disabled${e.value.toLowerCase() === 'true' ? ` (LinOTP 2 required exactly 'True', '${e.value}' disabled it)` : ''}`);
  }
  if (getotpE) {
    if (v === '3.0') {
      put('GETOTP_ENABLED', getotp, [getotpE], String(getotp));
      decide(getotpE, 'converted', ['GETOTP_ENABLED', ...ctlNames], getotp ? 'getotp enabled' : 'getotp disabled');
    } else if (getotp) {
      decide(getotpE, 'needs-attention', ctlNames, `the gettoken controller stays enabled, but LinOTP ${v} also needs the database config entry linotpGetotp.active = True (system/setConfig)`);
    } else decide(getotpE, 'converted', ctlNames, 'gettoken disabled');
  }

  // --- every other [DEFAULT]/[app:main] key ---
  for (const e of [...global.values(), ...app.values()]) {
    const k = `${e.section}\0${e.key}`;
    if (rowFor.has(k)) continue;
    const key = e.key.startsWith('set ') ? e.key.slice(4).trim() : e.key;
    if (key.startsWith('service.') && e.section === DEFAULT_SECTION) {
      decide(e, 'dropped', [], 'LinOTP 2 read service.* only from [app:main]; here it had no effect');
      continue;
    }
    if ((key === 'linotp.tools' || key === 'linotpGetotp.active') && e.section === APP && !globalOnly(key)) {
      decide(e, 'dropped', [], `LinOTP 2 read ${key} only from [DEFAULT]; here it had no effect`);
      continue;
    }
    const rule = findRule(key);
    if (!rule) {
      decide(e, 'needs-attention', [], 'unknown key: no LinOTP 3 equivalent is known; check whether your installation relied on it');
      continue;
    }
    simpleRule(rule, e);
  }

  function simpleRule(rule: MappingRule, e: Eff) {
    if (rule.kind === 'drop') return decide(e, 'dropped', [], rule.reason);
    if (rule.kind === 'attention') {
      if (rule.key === 'linotpActiveSecurityModule' && e.value.trim() === 'default') return decide(e, 'dropped', [], "'default' is LinOTP 3's default too");
      return decide(e, 'needs-attention', [rule.to], rule.reason);
    }
    if (rule.kind === 'tokenModules') {
      const mods = e.value.split(/\r?\n/).join(',').split(',').map((m) => m.trim()).filter((m) => m && m !== '\\');
      if (!mods.length) return decide(e, 'needs-attention', ['TOKEN_MODULES'], 'empty list: LinOTP 2 loaded no token module; LinOTP 3 would load all');
      put('TOKEN_MODULES', mods.join(' '), [e]);
      const removed = mods.filter((m) => /ocra|vasco/i.test(m));
      return decide(e, removed.length ? 'needs-attention' : 'converted', ['TOKEN_MODULES'], removed.length ? `${removed.join(', ')} no longer exist in LinOTP 3: remove them` : rule.reason);
    }
    if (rule.kind !== 'setting') return decide(e, 'needs-attention', [], rule.reason);
    const name = targetFor(rule.target ?? {}, v);
    if (!name) return decide(e, 'dropped', [], `${rule.reason} (target ${v})`);
    let value: OutSetting['value'] = e.value;
    if (rule.valueType === 'bool') value = e.value === 'True';
    else if (rule.valueType === 'int') {
      try {
        value = pyInt(e.value);
      } catch (err) {
        if (!(err instanceof SettingValueError)) throw err;
        return decide(e, 'needs-attention', [name], `not an integer: ${err.message}`);
      }
    } else if (rule.valueType === 'path') {
      const p = e.value.trim().replace(/\/+$/, '');
      if (!p.startsWith('/')) return decide(e, 'needs-attention', [name], 'relative path: give an absolute one');
      value = rebasePath(p, opts.rebase).path;
    }
    if (name === 'BEAKER_CACHE_TYPE' && !['memory', 'file'].includes(String(value))) {
      return decide(e, 'needs-attention', [name], rule.reason);
    }
    put(name, value, [e]);
    decide(e, value === e.value ? 'renamed' : 'converted', [name], rule.reason);
  }

  // --- HSM: a suggestion only; an HSM setup must be tested on the HSM ---
  const hsmE = eff('linotpActiveSecurityModule');
  const hsmId = hsmE?.value.trim();
  if (hsmE && hsmId && hsmId !== 'default') {
    const prefix = `linotpSecurity.${hsmId}.`;
    const entries = [...global.values(), ...app.values()].filter((e) => e.key.startsWith(prefix));
    const suggestion = entries
      .map((e) => {
        const k = e.key.slice(prefix.length);
        const numeric = /^(slotid|poolsize)$|Handle$/.test(k) && /^\s*-?\d+\s*$/.test(e.value);
        const shown = k === 'password' ? "'***'" : numeric ? String(Number(e.value)) : `'${e.value.trim()}'`;
        return `'${k}': ${shown}`;
      })
      .join(', ');
    decide(hsmE, 'needs-attention', ['ACTIVE_SECURITY_MODULE', 'HSM_PKCS11_CONFIG'],
      `HSM '${hsmId}': set ACTIVE_SECURITY_MODULE = 'pkcs11' and HSM_PKCS11_CONFIG = {${suggestion}} (required: module, library, password, slotid, defaultLabel; handles as numbers), then test with the HSM`);
  }

  // --- logging sections ---
  const log = convertLogging(ini, opts);
  settings.push(...log.settings.filter((s) => !settings.some((x) => x.name === s.name)));
  warnings.push(...log.warnings);

  // --- one row per ini key, in file order ---
  const rows: ReportRow[] = [];
  const logRows = new Map(log.rows.map((r) => [`${r.section}\0${r.key}`, r]));
  for (const section of [DEFAULT_SECTION, ...ini.sectionNames()]) {
    for (const key of own(section)) {
      const line = ini.entry(section, key)!.line;
      const value = maskValue(key, ini.raw(section, key)!);
      const lr = logRows.get(`${section}\0${key}`);
      if (lr) {
        rows.push({ ...lr, value: maskValue(key, lr.value) });
        continue;
      }
      const decided = rowFor.get(`${section}\0${key}`);
      if (decided) rows.push({ section, key, line, value, ...decided });
      else if (section.startsWith('server:')) {
        const rule = findRule(key);
        rows.push({ section, key, line, value, status: 'dropped', to: [], reason: rule?.kind === 'drop' ? rule.reason : 'server settings: configure the WSGI server instead' });
      } else rows.push({ section, key, line, value, status: 'dropped', to: [], reason: isLoggingSection(section) ? 'logging section' : `[${section}] is not read by LinOTP 2 (PasteDeploy loads [app:main])` });
    }
  }

  if (!opts.rebase.length && path.dirname(ini.file) === '/etc/linotp2') {
    warnings.push("Debian's LinOTP 3 upgrade moves /etc/linotp2 to /etc/linotp: add --rebase /etc/linotp2=/etc/linotp if you upgrade that way");
  }
  settings.sort((a, b) => rank(a.name) - rank(b.name));
  for (const r of rows) {
    const written = r.to.map((n) => settings.find((s) => s.name === n)).filter((s): s is OutSetting => !!s);
    if (written.length) r.newValues = Object.fromEntries(written.map((s) => [s.name, s.display]));
  }
  return { ini: ini.file, target: v, settings, rows, warnings };
}

const rank = (name: string) => {
  const i = ORDER.indexOf(name);
  return i < 0 ? ORDER.length : i;
};
