/** `config convert` as plan + apply: the plan holds the conversion and the rendered, verified files. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from '../errors.js';
import { readIni } from '../settings/ini.js';
import { LINOTP_VERSIONS, type LinotpVersion } from '../settings/schema.js';
import { convertIni, type Conversion } from './convert.js';
import { planLinotpFile, type LinotpFileResult } from '../files/linotp-file.js';
import { findGroup, invokingOwner, parseOwnerSpec, type FileOwner } from '../files/ownership.js';
import { planFiles, writeFiles, type CfgFilePlan } from './write.js';
import { decideDatabaseUri, type DatabaseUriDecision } from './database-uri.js';

export interface ConvertRequest {
  ini: string;
  outDir: string;
  target?: string;
  /** `OLD=NEW` strings from --rebase. */
  rebase?: string[];
  /** Directory `%(here)s` stands for (default: the ini's directory). */
  here?: string;
  split?: boolean;
  /** Group that may read the files (default `linotp`, when it exists); the owner is the invoking user. */
  group?: string;
  /** `--owner USER[:GROUP]`: owner and group of the written files (beats `group`). */
  owner?: string;
  /** Write LinOTP 2's database even when the LinOTP 3 settings already define DATABASE_URI (in-place upgrade). */
  keepDatabaseUri?: boolean;
}

export interface ConvertPlan {
  conversion: Conversion;
  files: CfgFilePlan[];
  /** Owner given with --owner or --group; otherwise each file's owner follows src/files/linotp-file.ts. */
  owner?: FileOwner;
  /** Owner, group and mode each file will get (a replaced file keeps its own). */
  writes: LinotpFileResult[];
  env?: NodeJS.ProcessEnv;
  /** Whether LinOTP 2's database was written and which file decides DATABASE_URI afterwards. */
  databaseUri: DatabaseUriDecision;
}

export function parseRebase(specs: string[] = []): [string, string][] {
  return specs.map((s) => {
    const i = s.indexOf('=');
    const from = s.slice(0, i);
    const to = s.slice(i + 1);
    if (i <= 0 || !from.startsWith('/') || !to.startsWith('/')) {
      throw new UsageError(`--rebase ${s}: expected OLD=NEW with absolute paths`, 'e.g. --rebase /etc/linotp2=/etc/linotp');
    }
    return [from, to];
  });
}

export function parseTarget(t: string | undefined): LinotpVersion {
  const v = (t ?? '3.4') as LinotpVersion;
  if (!LINOTP_VERSIONS.includes(v)) throw new UsageError(`--target ${t}: unknown LinOTP version`, `use one of ${LINOTP_VERSIONS.join(', ')}`);
  return v;
}

/** `env`: the environment LinOTP 3 would run with (LINOTP_CFG, LINOTP_DATABASE_URI, …). */
export function planConvert(req: ConvertRequest, cwd: string, env: NodeJS.ProcessEnv = process.env): ConvertPlan {
  const target = parseTarget(req.target);
  const rebase = parseRebase(req.rebase);
  const ini = readIni(path.resolve(cwd, req.ini), req.here ? { here: path.resolve(cwd, req.here) } : {});
  const conversion = convertIni(ini, { target, rebase });
  const header = [
    `LinOTP ${target} settings converted from ${ini.file} by linotp-migrate config convert.`,
    'Only Python literals: LinOTP executes this file. It may hold the database password: keep it mode 0640, group linotp.',
  ];
  const outDir = path.resolve(cwd, req.outDir);
  const split = Boolean(req.split);
  const uriSetting = conversion.settings.find((s) => s.name === 'DATABASE_URI');
  const others = conversion.settings.filter((s) => s !== uriSetting);
  const withUri = planFiles(conversion.settings, outDir, split, header, target);
  const keptNote = ["DATABASE_URI is not set here: the LinOTP 3 server's own setting is kept (linotp-migrate config convert --keep-database-uri writes LinOTP 2's)."];
  const withoutUri = planFiles(others, outDir, split, header, target, split ? keptNote : undefined);
  const decision = decideDatabaseUri(
    {
      env,
      outDir,
      converted: typeof uriSetting?.value === 'string' ? uriSetting.value : undefined,
      keepDatabaseUri: Boolean(req.keepDatabaseUri),
      withUri: new Map(withUri.map((f) => [f.path, f.text])),
      withoutUri: new Map(withoutUri.map((f) => [f.path, f.text])),
      before: new Map(withoutUri.filter((f) => !f.exists || writtenByUs(f.path)).map((f) => [f.path, f.text])),
    },
    conversion.warnings,
  );
  const { write, ...databaseUri } = decision;
  const files = write ? withUri : withoutUri;
  if (!write && uriSetting) {
    conversion.settings = others;
    for (const r of conversion.rows.filter((x) => x.to.includes('DATABASE_URI'))) {
      r.status = 'dropped';
      r.reason = databaseUri.action === 'same'
        ? `the LinOTP 3 settings already name this database (${databaseUri.existing!.source})`
        : `not written: the new server's DATABASE_URI ${databaseUri.existing!.value} (${databaseUri.existing!.source}) is kept; --keep-database-uri writes this one`;
      r.newValues = { DATABASE_URI: `${databaseUri.existing!.value} (kept)` };
    }
  }
  let owner: FileOwner | undefined;
  if (req.owner) owner = parseOwnerSpec(req.owner);
  else if (req.group) {
    const group = findGroup(req.group);
    if (!group) throw new UsageError(`--group ${req.group}: no such group`, 'give the group LinOTP 3 runs as (Debian: linotp)');
    owner = { ...invokingOwner(), gid: group.gid, group: group.name };
  }
  const writes = files.map((f) => planLinotpFile(f.path, f.text, { kind: 'cfg', owner, existing: 'overwrite', env }));
  for (const w of new Set(writes.flatMap((w) => w.warnings))) conversion.warnings.push(w);
  return { conversion, files, owner, writes, env, databaseUri };
}

/** A settings file an earlier `config convert` wrote (its header says so). */
function writtenByUs(file: string): boolean {
  try {
    return /^# LinOTP [\d.]+ settings converted from .* by linotp-migrate config convert\./.test(readFileSync(file, 'utf8').slice(0, 4096));
  } catch {
    return false;
  }
}

export function applyConvert(plan: ConvertPlan, force: boolean): LinotpFileResult[] {
  return writeFiles(plan.files, force, plan.owner, plan.env);
}
