import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { existsSync, mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { showSettings } from '../../src/config/show.js';
import { commands } from '../../src/cli/config.js';
import { Output } from '../../src/cli/output.js';
import type { CommandContext } from '../../src/cli/spec.js';
import { UsageError } from '../../src/errors.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'cfg-show-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function ctx(env: NodeJS.ProcessEnv, json = true) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d) => (out += d));
  stderr.on('data', (d) => (err += d));
  const c: CommandContext = {
    out: new Output({ json, quiet: false, verbose: 0, color: false, stdout, stderr }),
    global: { json, verbose: 0, quiet: false, yes: true, color: false },
    env,
    cwd: dir,
    stdin: { isTTY: false } as NodeJS.ReadStream,
  };
  return { c, out: () => out, err: () => err };
}
const spec = (n: string) => commands.find((s) => s.path[1] === n)!;

describe('config show', () => {
  it('shows values with sources, resolved paths and masked secrets', () => {
    writeFileSync(path.join(dir, 'a.cfg'), "ROOT_DIR = '/etc/linotp'\nDATABASE_URI = 'mysql+mysqldb://linotp:s3cret@db/LinOTP'\nLOGFILE_DIR = '/var/log/x'\n");
    const res = showSettings({ LINOTP_CFG: `${dir}/a.cfg`, LINOTP_ADMIN_PASSWORD: 'hunter2', LINOTP_LOG_LEVEL: 'ERROR' }, { explain: true });
    const get = (n: string) => res.settings.find((s) => s.name === n)!;
    expect(get('DATABASE_URI')).toMatchObject({ value: "'mysql+mysqldb://linotp:***@db/LinOTP'", source: `${dir}/a.cfg:2` });
    expect(get('ADMIN_PASSWORD')).toMatchObject({ value: "'***'", source: 'env LINOTP_ADMIN_PASSWORD' });
    expect(get('SECRET_FILE')).toMatchObject({ value: "'/etc/linotp/./encKey'", source: 'default', type: 'str' });
    expect(get('LOG_LEVEL')).toMatchObject({ value: "'ERROR'", description: expect.stringContaining('One of: CRITICAL') });
    expect(get('LOGFILE_DIR').unknown).toBe(true);
    expect(get('HSM_PKCS11_CONFIG').value).toContain("'password': '***'");
    expect(res.warnings.join()).toMatch(/LOGFILE_DIR exists only in LinOTP 3\.0\/3\.1/);
    expect(JSON.stringify(res)).not.toMatch(/s3cret|hunter2/);
  });

  it('runs as a command (text and JSON)', async () => {
    writeFileSync(path.join(dir, 'a.cfg'), "DATABASE_URI = 'postgresql://u:pw@h/d'\n");
    const j = ctx({ LINOTP_CFG: `${dir}/a.cfg:-${dir}/none` });
    await spec('show').run(j.c, [], {});
    const doc = JSON.parse(j.out());
    expect(doc.files).toEqual([{ path: `${dir}/a.cfg`, status: 'loaded', optional: false }, { path: `${dir}/none`, status: 'missing', optional: true }]);
    const t = ctx({ LINOTP_CFG: `${dir}/a.cfg` }, false);
    await spec('show').run(t.c, [], { explain: true });
    expect(t.out()).toMatch(/DATABASE_URI\s+'postgresql:\/\/u:\*\*\*@h\/d'\s+.*a\.cfg:1/);
    expect(t.out()).not.toContain(':pw@');
  });
});

describe('config show / explain as linotp prints them', () => {
  const cfg = () => {
    writeFileSync(path.join(dir, 'a.cfg'), "ROOT_DIR = '/etc/linotp'\nDATABASE_URI = 'postgresql://u:pw@h/d'\nLOG_LEVEL = 'ERROR'\nSESSION_COOKIE_SECURE = True\nLOG_FILE_MAX_VERSIONS = 10\nMY_OWN = 5\n");
    return { LINOTP_CFG: `${dir}/a.cfg` };
  };
  const text = async (name: string, args: string[], opts: Record<string, unknown>) => {
    const t = ctx(cfg(), false);
    await spec(name).run(t.c, args, opts);
    return t.out();
  };

  it('prints sorted NAME=str(value) lines, paths resolved, secrets masked', async () => {
    const lines = (await text('show', [], {})).trimEnd().split('\n');
    expect(lines).toEqual([...lines].sort());
    expect(lines).toContain('SECRET_FILE=/etc/linotp/./encKey');
    expect(lines).toContain('DATABASE_URI=postgresql://u:***@h/d');
    expect(lines).toContain('SESSION_COOKIE_SECURE=True');
    expect(lines).toContain('LOG_CONFIG=None');
    expect(lines).toContain('MY_OWN=5');
    expect(lines.find((l) => l.startsWith('HSM_DEFAULT_CONFIG='))).toBe("HSM_DEFAULT_CONFIG={'module': 'linotp.lib.security.default.DefaultSecurityModule', 'tokenHandle': 2, 'configHandle': 1, 'valueHandle': 3, 'defaultHandle': 0, 'poolsize': 20, 'crypted': 'FALSE'}");
  });

  it('-m keeps schema items that differ from the default; -V and ITEMS as linotp', async () => {
    // ROOT_DIR differs from the app root, DATABASE_URI from sqlite:///{}; equal values and non-schema names are left out
    expect(await text('show', [], { modified: true })).toBe('DATABASE_URI=postgresql://u:***@h/d\nLOG_LEVEL=ERROR\nROOT_DIR=/etc/linotp\n');
    expect(await text('show', ['LOG_LEVEL', 'NOPE', 'BACKUP_DIR'], { values: true })).toBe('/etc/linotp/./backup\nERROR\n');
    expect(await text('show', ['NOPE'], {})).toBe('');
    const j = ctx(cfg());
    await spec('show').run(j.c, ['LOG_LEVEL'], { modified: true });
    const doc = JSON.parse(j.out());
    expect(doc.lines).toEqual(['LOG_LEVEL=ERROR']);
    expect(doc.settings.map((s: { name: string }) => s.name)).toEqual(['LOG_LEVEL']);
  });

  it('--sources keeps the table with the source of each value', async () => {
    expect(await text('show', ['LOG_LEVEL'], { sources: true })).toMatch(/LOG_LEVEL\s+'ERROR'\s+.*a\.cfg:3/);
  });

  it('explain: type, constraints, default, current value, wrapped description; unknown names', async () => {
    const out = await text('explain', ['LOG_FILE_MAX_VERSIONS', 'NOPE', 'LOG_LEVEL'], {});
    expect(out).toBe(
      'LOG_FILE_MAX_VERSIONS:\n  Type: int\n  Constraints: value >= 0\n  Default value: 10\n  Current value: 10\n  Description: Number of rotated log files kept.\n' +
        'No information on NOPE\n' +
        "LOG_LEVEL:\n  Type: str\n  Constraints: value in {'CRITICAL', 'DEBUG', 'ERROR', 'INFO', 'WARNING'}\n  Default value: WARNING\n  Current value: ERROR\n  Description: Minimum level logged.\n",
    );
    const all = await text('explain', [], {});
    expect(all.split('\n').filter((l) => /^[A-Z_]+:$/.test(l))[0]).toBe('ROOT_DIR:');
    expect(all).toContain('DATABASE_URI:\n  Type: str\n  Default value: sqlite:///{}\n  Current value: postgresql://u:***@h/d\n');
  });

  it('explain --sample-file with and without the banner', async () => {
    const out = await text('explain', ['LOG_LEVEL'], { sampleFile: true, banner: true });
    expect(out).toMatch(/^# This is a sample LinOTP configuration file\.\n# It contains some configuration settings/);
    expect(out).toMatch(/\/etc\/linotp\/linotp\.cfg\.\n\n# LOG_LEVEL: Minimum level logged\.\n#\n# Constraints: value in \{.*\}\n\n## LOG_LEVEL = 'WARNING'\n\n$/);
    const bare = await text('explain', ['BACKUP_DIR'], { sampleFile: true, banner: false });
    expect(bare).toBe("# BACKUP_DIR: Directory for backup files (linotp backup, audit cleanup\n# --export).\n\n## BACKUP_DIR = 'backup'\n\n");
    expect(await text('explain', [], { sampleFile: true, banner: true })).toContain('# It contains all available configuration settings');
  });
});

describe('config convert command', () => {
  const ini = (text: string) => {
    mkdirSync(path.join(dir, 'etc'), { recursive: true });
    writeFileSync(path.join(dir, 'etc/linotp.ini'), text);
    return 'etc/linotp.ini';
  };

  it('requires --ini, validates --rebase and --target', async () => {
    await expect(spec('convert').run(ctx({}).c, [], {})).rejects.toThrow(UsageError);
    const file = ini('[app:main]\nsqlalchemy.url = sqlite:////x.db\n');
    await expect(spec('convert').run(ctx({}).c, [], { ini: file, rebase: ['relative=/x'] })).rejects.toThrow(/--rebase relative=\/x/);
    await expect(spec('convert').run(ctx({}).c, [], { ini: file, target: '2.12' })).rejects.toThrow(/--target 2\.12/);
  });

  it('--dry-run writes nothing and masks the password; a real run writes and reports', async () => {
    const file = ini('[DEFAULT]\nlinotpSecretFile = %(here)s/encKey\nfoo.bar = 1\n[app:main]\nsqlalchemy.url = mysql://u:top#secret@db/L\n');
    const d = ctx({});
    await spec('convert').run(d.c, [], { ini: file, out: 'out', dryRun: true });
    const doc = JSON.parse(d.out());
    expect(doc.dryRun).toBe(true);
    expect(doc.files[0]).toMatchObject({ written: false });
    expect(JSON.stringify(doc)).not.toContain('top');
    expect(Object.values(doc.contents as Record<string, string>)[0]).toContain("DATABASE_URI = 'mysql+mysqldb://u:***@db/L'");
    expect(doc.rows.find((r: { key: string }) => r.key === 'foo.bar')).toMatchObject({ status: 'needs-attention' });
    expect(existsSync(path.join(dir, 'out'))).toBe(false);

    const w = ctx({}, false);
    await spec('convert').run(w.c, [], { ini: file, out: 'out' });
    expect(w.out()).toMatch(/wrote .*out\/linotp\.cfg \(\w+:\w+ 0640\)/);
    expect(w.out()).toMatch(/\[app:main\] sqlalchemy\.url\s+mysql:\/\/u:\*\*\*@db\/L\s+converted\s+DATABASE_URI = mysql\+mysqldb:\/\/u:\*\*\*@db\/L/);
    expect(w.err()).toMatch(/warning: .*encKey does not exist/);
    await expect(spec('convert').run(ctx({}).c, [], { ini: file, out: 'out' })).rejects.toThrow(/already exists/);
  });
});

describe('convert → LinOTP 3 settings round trip', () => {
  it('what config convert --split writes is what config show and every command see', async () => {
    const { planConvert, applyConvert } = await import('../../src/config/plan.js');
    const { resolveInstallation } = await import('../../src/settings/resolve.js');
    writeFileSync(path.join(dir, 'linotp.ini'), '[DEFAULT]\nlinotpSecretFile = %(here)s/encKey\n[app:main]\nsqlalchemy.url = postgres://linotp:a%b@c@db/linotp\n');
    const plan = planConvert({ ini: 'linotp.ini', outDir: 'etc', split: true, here: '/etc/linotp2', rebase: ['/etc/linotp2=/etc/linotp'] }, dir);
    applyConvert(plan, false);
    const env = { LINOTP_CFG: `${dir}/etc/conf.d` };
    const shown = showSettings(env);
    const get = (n: string) => shown.settings.find((s) => s.name === n)!;
    expect(get('DATABASE_URI')).toMatchObject({ value: "'postgresql://linotp:***@db/linotp'", source: `${dir}/etc/conf.d/01-migrated-database.cfg:5` });
    expect(get('SECRET_FILE').value).toBe("'/etc/linotp/encKey'");
    const inst = resolveInstallation({}, env, dir);
    expect(inst.databaseUri?.value).toBe('postgresql://linotp:a%25b%40c@db/linotp');
    expect(inst.encKeyPath?.value).toBe('/etc/linotp/encKey');
  });
});
