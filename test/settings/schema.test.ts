import { describe, it, expect } from 'vitest';
import { checkItem, findSetting, pyInt, toBoolean, settingsFor, SettingValueError, fromJson } from '../../src/settings/schema.js';
import { PyDict, PyFloat } from '../../src/settings/pyvalue.js';
import { runPython } from './python.js';

const item = (n: string, v: '3.0' | '3.4' = '3.4') => {
  const s = findSetting(n, v);
  if (!s) throw new Error(`no ${n}`);
  return s;
};

describe('schema', () => {
  it('has the 3.4 names and version differences', () => {
    const names = settingsFor('3.4').map((s) => s.name);
    expect(names).toHaveLength(55);
    expect(names).toContain('TRUSTED_PROXIES');
    expect(names).not.toContain('LOGFILE_DIR');
    expect(settingsFor('3.0').map((s) => s.name)).toContain('GETOTP_ENABLED');
    expect(findSetting('LOGFILE_DIR', '3.4')).toBeUndefined();
    expect(findSetting('LOGFILE_DIR', '3.1')?.renamedTo).toBe('LOG_FILE_DIR');
  });

  it('converts env strings like LinOTP 3.4', () => {
    expect(checkItem(item('SESSION_COOKIE_SECURE'), 'YES')).toBe(true);
    expect(checkItem(item('SESSION_COOKIE_SECURE'), 'False')).toBe(false);
    expect(checkItem(item('SESSION_COOKIE_SECURE'), '0')).toBe(false);
    expect(() => toBoolean('1', '3.0')).toThrow(SettingValueError);
    expect(() => checkItem(item('SESSION_COOKIE_SECURE'), 'on')).toThrow(SettingValueError);
    expect(checkItem(item('LOG_FILE_MAX_LENGTH'), ' 1_000 ')).toBe(1000);
    expect(() => checkItem(item('LOG_FILE_MAX_LENGTH'), '-1')).toThrow(/at least 0/);
    expect(() => checkItem(item('LOG_FILE_MAX_LENGTH'), '1.5')).toThrow(SettingValueError);
    expect(checkItem(item('LOG_LEVEL'), 'INFO')).toBe('INFO');
    for (const bad of ['info', 'WARN', 'NOTSET', ' INFO']) expect(() => checkItem(item('LOG_LEVEL'), bad)).toThrow(/must be one of/);
    expect(checkItem(item('MAKO_DEFAULT_FILTERS'), 'h, u')).toEqual(['h', ' u']);
    expect(checkItem(item('MAKO_DEFAULT_FILTERS'), '')).toEqual(['']);
    expect(checkItem(item('TRUSTED_PROXIES'), '')).toEqual([]);
    expect(checkItem(item('LOG_CONFIG'), '{"version": 1, "x": [1.5]}')).toEqual(new PyDict([['version', 1], ['x', [new PyFloat(1.5)]]]));
    expect(() => checkItem(item('LOG_CONFIG'), "{'version': 1}")).toThrow(/JSON/);
    expect(() => checkItem(item('ROOT_DIR'), 'etc/linotp')).toThrow(/absolute/);
    expect(checkItem(item('SECRET_FILE'), 'encKey')).toBe('encKey');
  });

  it('does not convert non-string cfg values, only validates them; *_FILE values become str()', () => {
    expect(checkItem(item('SESSION_COOKIE_SECURE'), 1)).toBe(1);
    expect(checkItem(item('LOG_FILE_MAX_LENGTH'), new PyFloat(2.5))).toEqual(new PyFloat(2.5));
    expect(checkItem(item('CUSTOM_TEMPLATES_DIR'), null)).toBe('None');
    expect(checkItem(item('SECRET_FILE'), 5)).toBe('5');
    expect(() => checkItem(item('LOG_LEVEL'), 10)).toThrow(/must be one of/);
    expect(() => checkItem(item('HSM_PKCS11_CONFIG'), '{"module": "m"}')).toThrow(/required key 'library'/);
  });

  it('int() agrees with python3 on tricky strings', () => {
    const inputs = ['1', ' 42\n', '+7', '-0', '1_0', '1__0', '_1', '1_', '٣', '１２', '𝟗', '0x10', '1.0', '', ' ', '007', '\u2003 5\x1c', '9007199254740993'];
    const py = runPython<(string | null)[]>(
      'import sys,json\nout=[]\nfor s in json.load(sys.stdin):\n  try: out.append(str(int(s)))\n  except ValueError: out.append(None)\nprint(json.dumps(out))',
      inputs,
    );
    inputs.forEach((s, i) => {
      let ts: string | null;
      try {
        ts = String(pyInt(s));
      } catch {
        ts = null;
      }
      expect(ts, JSON.stringify(s)).toBe(py[i]);
    });
  });

  it('reads JSON like json.loads for dicts', () => {
    expect(fromJson('[1, 2.5, "x", null, true]')).toEqual([1, new PyFloat(2.5), 'x', null, true]);
  });
});
