/** `config convert` as plan + apply: the plan holds the conversion and the rendered, verified files. */
import path from 'node:path';
import { UsageError } from '../errors.js';
import { readIni } from '../settings/ini.js';
import { LINOTP_VERSIONS, type LinotpVersion } from '../settings/schema.js';
import { convertIni, type Conversion } from './convert.js';
import { planLinotpFile, type LinotpFileResult } from '../files/linotp-file.js';
import { findGroup, invokingOwner, parseOwnerSpec, type FileOwner } from '../files/ownership.js';
import { planFiles, writeFiles, type CfgFilePlan } from './write.js';

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
  env?: NodeJS.ProcessEnv;
}

export interface ConvertPlan {
  conversion: Conversion;
  files: CfgFilePlan[];
  /** Owner given with --owner or --group; otherwise each file's owner follows src/files/linotp-file.ts. */
  owner?: FileOwner;
  /** Owner, group and mode each file will get (a replaced file keeps its own). */
  writes: LinotpFileResult[];
  env?: NodeJS.ProcessEnv;
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

export function planConvert(req: ConvertRequest, cwd: string): ConvertPlan {
  const target = parseTarget(req.target);
  const rebase = parseRebase(req.rebase);
  const ini = readIni(path.resolve(cwd, req.ini), req.here ? { here: path.resolve(cwd, req.here) } : {});
  const conversion = convertIni(ini, { target, rebase });
  const header = [
    `LinOTP ${target} settings converted from ${ini.file} by linotp-migrate config convert.`,
    'Only Python literals: LinOTP executes this file. It may hold the database password: keep it mode 0640, group linotp.',
  ];
  const files = planFiles(conversion.settings, path.resolve(cwd, req.outDir), Boolean(req.split), header, target);
  let owner: FileOwner | undefined;
  if (req.owner) owner = parseOwnerSpec(req.owner);
  else if (req.group) {
    const group = findGroup(req.group);
    if (!group) throw new UsageError(`--group ${req.group}: no such group`, 'give the group LinOTP 3 runs as (Debian: linotp)');
    owner = { ...invokingOwner(), gid: group.gid, group: group.name };
  }
  const writes = files.map((f) => planLinotpFile(f.path, f.text, { kind: 'cfg', owner, existing: 'overwrite', env: req.env }));
  for (const w of new Set(writes.flatMap((w) => w.warnings))) conversion.warnings.push(w);
  return { conversion, files, owner, writes, env: req.env };
}

export function applyConvert(plan: ConvertPlan, force: boolean): LinotpFileResult[] {
  return writeFiles(plan.files, force, plan.owner, plan.env);
}
