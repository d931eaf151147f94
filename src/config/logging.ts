/**
 * LinOTP 2 logging sections (logging.config.fileConfig format) → LinOTP 3 logging settings (§6).
 * fileConfig reads `[logger_*]` and `[handler_*]` values with interpolation (so `%(here)s` works in
 * `args`) and `[formatter_*]` `format`/`datefmt` raw. Only the loggers, handlers and formatters
 * named in the `keys` of `[loggers]`/`[handlers]`/`[formatters]` exist.
 */
import path from 'node:path';
import type { IniFile } from '../settings/ini.js';
import { parseCfg, PyTuple, PyFloat, toPythonLiteral, type PyValue } from '../settings/pyliteral.js';
import { MigrateError } from '../errors.js';
import { LOG_NAMES, targetFor } from './mapping.js';
import { mapLogLevel, origin, rebasePath, type ConvertOptions, type OutSetting, type ReportRow, type StepResult } from './types.js';

const LOG_SECTION = /^(loggers|handlers|formatters|logger_.+|handler_.+|formatter_.+)$/;
export const isLoggingSection = (s: string) => LOG_SECTION.test(s);

const keysOf = (ini: IniFile, section: string): string[] =>
  ini.hasSection(section) ? (safeGet(ini, section, 'keys') ?? '').split(',').map((k) => k.trim()).filter(Boolean) : [];

function safeGet(ini: IniFile, section: string, key: string): string | undefined {
  try {
    return ini.getLinotp2(section, key); // logging.config.fileConfig on Python 2 used the same ConfigParser
  } catch (err) {
    if (err instanceof MigrateError) return undefined;
    throw err;
  }
}

export function convertLogging(ini: IniFile, opts: ConvertOptions): StepResult {
  const v = opts.target;
  const settings: OutSetting[] = [];
  const warnings: string[] = [];
  const notes = new Map<string, Omit<ReportRow, 'section' | 'key' | 'line' | 'value'>>();
  const note = (section: string, key: string, status: ReportRow['status'], to: string[], reason: string) => {
    if (!notes.has(`${section}\0${key}`)) notes.set(`${section}\0${key}`, { status, to, reason });
  };
  const line = (section: string, key: string) => ini.entry(section, key)?.line ?? 0;
  const emit = (which: keyof typeof LOG_NAMES, value: PyValue, section: string, key: string, display?: string) => {
    const name = targetFor(LOG_NAMES[which], v);
    if (!name) return null;
    if (!settings.some((s) => s.name === name)) {
      const where = line(section, key) ? origin(section, key, line(section, key)) : `[${section}] ${key} not set (Python logging default)`;
      settings.push({ name, value, origins: [where], group: 'main', display: display ?? (typeof value === 'string' ? value : toPythonLiteral(value)) });
    }
    return name;
  };
  const level = (section: string, which: keyof typeof LOG_NAMES, fallback?: string) => {
    const raw = ini.hasSection(section) ? safeGet(ini, section, 'level') : undefined;
    const lv = raw ?? fallback;
    if (lv === undefined) return;
    const mapped = mapLogLevel(lv);
    if (!mapped) {
      note(section, 'level', 'needs-attention', [], `level '${lv}' has no LinOTP 3 equivalent; use CRITICAL, ERROR, WARNING, INFO or DEBUG`);
      return;
    }
    const name = emit(which, mapped, section, 'level');
    if (name) note(section, 'level', mapped === lv ? 'renamed' : 'converted', [name], mapped === lv ? 'log level' : `${lv} → ${mapped} (LinOTP 3 accepts only exact upper-case names)`);
  };

  for (const [s, what] of [['loggers', 'loggers'], ['handlers', 'handlers'], ['formatters', 'formatters']] as const) {
    if (ini.hasSection(s)) note(s, 'keys', 'converted', [], `lists the ${what} fileConfig sets up; see their rows`);
  }

  // Loggers: the linotp logger (more specific) or root sets the level; sqlalchemy.engine the DB client level.
  const loggers = keysOf(ini, 'loggers');
  let mainLogger = loggers.includes('root') ? 'logger_root' : undefined;
  const usedHandlers: string[] = [];
  for (const name of loggers) {
    const sec = `logger_${name}`;
    if (!ini.hasSection(sec)) {
      warnings.push(`[loggers] keys names '${name}' but there is no [${sec}] section (LinOTP 2 would not have started)`);
      continue;
    }
    const qual = name === 'root' ? 'root' : (safeGet(ini, sec, 'qualname') ?? '');
    if (qual === 'linotp' && ini.entry(sec, 'level')) mainLogger = sec;
    const handlers = (safeGet(ini, sec, 'handlers') ?? '').split(',').map((h) => h.trim()).filter(Boolean);
    if (qual === 'root' || qual === 'linotp') {
      handlers.forEach((h) => usedHandlers.includes(h) || usedHandlers.push(h));
      note(sec, 'handlers', 'converted', [], 'its file and console handlers become the LinOTP 3 log settings');
      note(sec, 'qualname', 'converted', [], 'the LinOTP logger');
    } else if (qual === 'sqlalchemy.engine' || qual === 'sqlalchemy') {
      level(sec, 'dbLevel');
      note(sec, 'qualname', 'converted', [], 'the database client logger');
      if (handlers.length) note(sec, 'handlers', 'dropped', [], 'LinOTP 3 sends sqlalchemy.engine to its own console and file handlers');
    } else {
      for (const k of ini.keys(sec).filter((k) => ini.entry(sec, k)?.section === sec)) {
        note(sec, k, 'needs-attention', [targetFor(LOG_NAMES.config, v)!], `logger '${qual}' can only be configured with a complete ${targetFor(LOG_NAMES.config, v)} dictionary`);
      }
    }
    note(sec, 'propagate', 'dropped', [], 'LinOTP 3 configures propagation itself');
  }
  // fileConfig leaves the root logger at WARNING when it has no level.
  if (mainLogger) level(mainLogger, 'level', mainLogger === 'logger_root' ? 'WARNING' : undefined);

  // Handlers used by root/linotp: the first file handler and the first console handler.
  const handlerNames = keysOf(ini, 'handlers');
  let haveFile = false;
  let haveConsole = false;
  for (const h of usedHandlers) {
    const sec = `handler_${h}`;
    if (!handlerNames.includes(h) || !ini.hasSection(sec)) {
      warnings.push(`handler '${h}' is used but not defined in [handlers] keys / [${sec}]`);
      continue;
    }
    const cls = (safeGet(ini, sec, 'class') ?? '').trim();
    const base = cls.split('.').pop() ?? '';
    const isFile = ['RotatingFileHandler', 'FileHandler', 'WatchedFileHandler'].includes(base);
    const isConsole = base === 'StreamHandler';
    if ((isFile && haveFile) || (isConsole && haveConsole) || (!isFile && !isConsole)) {
      for (const k of ini.keys(sec).filter((k) => ini.entry(sec, k)?.section === sec)) {
        note(sec, k, 'needs-attention', [targetFor(LOG_NAMES.config, v)!], `handler ${cls || h} can only be kept with a complete ${targetFor(LOG_NAMES.config, v)} dictionary; LinOTP 3 has one file and one console handler`);
      }
      continue;
    }
    note(sec, 'class', 'converted', [], isFile ? 'the LinOTP 3 log file' : 'the LinOTP 3 console log (stderr)');
    const lvRaw = safeGet(ini, sec, 'level');
    level(sec, isFile ? 'fileLevel' : 'consoleLevel', lvRaw === undefined ? 'NOTSET' : undefined);
    if (isFile) {
      haveFile = true;
      fileArgs(sec, base);
    } else {
      haveConsole = true;
      note(sec, 'args', 'dropped', [], 'LinOTP 3 writes its console log to stderr');
    }
    const fmtName = safeGet(ini, sec, 'formatter');
    if (fmtName) formatter(`formatter_${fmtName.trim()}`, isFile ? 'fileFormat' : 'consoleFormat', sec);
  }

  function fileArgs(sec: string, cls: string) {
    const raw = safeGet(ini, sec, 'args');
    let args: PyValue[] | undefined;
    try {
      const v0 = raw === undefined ? undefined : parseCfg(`ARGS = ${raw}\n`, `${ini.file} [${sec}] args`).settings.get('ARGS')?.value;
      args = v0 instanceof PyTuple ? v0.items : Array.isArray(v0) ? v0 : undefined;
    } catch {
      args = undefined;
    }
    if (!args || typeof args[0] !== 'string') {
      note(sec, 'args', 'needs-attention', [], 'args is not a literal tuple starting with the log file path; set the log directory and file name by hand');
      return;
    }
    const file = rebasePath(path.posix.resolve(path.dirname(ini.file), args[0]), opts.rebase).path;
    const names = [emit('fileDir', path.posix.dirname(file), sec, 'args'), emit('fileName', path.posix.basename(file), sec, 'args')];
    const int = (x: PyValue | undefined) => (typeof x === 'number' ? x : x instanceof PyFloat ? Math.trunc(x.value) : undefined);
    const maxBytes = cls === 'RotatingFileHandler' ? int(args[2]) ?? 0 : 0;
    names.push(emit('maxLength', maxBytes, sec, 'args'));
    if (maxBytes > 0 && int(args[3]) !== undefined) names.push(emit('maxVersions', int(args[3])!, sec, 'args'));
    const mode = typeof args[1] === 'string' ? args[1] : 'a';
    note(sec, 'args', 'converted', names.filter((n): n is string => !!n),
      `log file ${file}${maxBytes ? `, rotated at ${maxBytes} bytes` : ', never rotated (max length 0)'}${mode !== 'a' ? `; mode '${mode}' is dropped (LinOTP 3 appends)` : ''}; the directory must exist`);
  }

  function formatter(sec: string, which: 'fileFormat' | 'consoleFormat', handlerSec: string) {
    note(handlerSec, 'formatter', 'converted', [], `uses [${sec}]`);
    if (!ini.hasSection(sec)) return;
    const fmt = ini.raw(sec, 'format');
    if (fmt !== undefined) {
      const name = emit(which, fmt, sec, 'format');
      if (name) note(sec, 'format', 'renamed', [name], 'read raw (no % interpolation), as fileConfig does');
      else note(sec, 'format', 'dropped', [], `LinOTP ${v} has no console line format (3.0/3.1 use LOGFILE_FILE_LINE_FORMAT for the console)`);
    }
    for (const k of ['datefmt', 'class']) {
      if (ini.entry(sec, k)?.section === sec) note(sec, k, 'needs-attention', [targetFor(LOG_NAMES.config, v)!], `only a complete ${targetFor(LOG_NAMES.config, v)} dictionary can keep the formatter's ${k}`);
    }
  }

  // A row for every key of every logging section.
  const rows: ReportRow[] = [];
  const formatters = keysOf(ini, 'formatters');
  for (const sec of ini.sectionNames().filter(isLoggingSection)) {
    const listed = sec.startsWith('logger_') ? loggers.includes(sec.slice(7)) : sec.startsWith('handler_') ? handlerNames.includes(sec.slice(8)) : sec.startsWith('formatter_') ? formatters.includes(sec.slice(10)) : true;
    for (const key of ini.keys(sec).filter((k) => ini.entry(sec, k)?.section === sec)) {
      const n = notes.get(`${sec}\0${key}`) ?? (listed
        ? { status: 'dropped' as const, to: [], reason: 'not used by the root or linotp logger' }
        : { status: 'dropped' as const, to: [], reason: 'not listed in the keys of [loggers]/[handlers]/[formatters], so LinOTP 2 did not use it' });
      rows.push({ section: sec, key, line: line(sec, key), value: ini.raw(sec, key) ?? '', ...n });
    }
  }
  if (!haveConsole) warnings.push(`LinOTP 3 also logs to the console (stderr) at ${targetFor(LOG_NAMES.consoleLevel, v)}; LinOTP 2 had no console handler`);
  return { settings, rows, warnings };
}
