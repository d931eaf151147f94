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
    expect(w.out()).toMatch(/wrote .*out\/linotp\.cfg \(mode 0640(, group \w+)?\)/);
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
