/**
 * Rendering, verification and writing of converted settings. Before anything is written the text
 * is read back with our own .cfg reader and every value is checked against the target's schema
 * (what LinOTP 3 would refuse at start-up is an error and nothing is written). Files are written
 * by src/files/linotp-file.ts (atomic, mode 0640, group linotp: they hold the database
 * password); an existing file is only replaced with `force`.
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import { InputError, UsageError } from '../errors.js';
import { writeLinotpFile, type LinotpFileResult } from '../files/linotp-file.js';
import type { FileOwner } from '../files/ownership.js';
import { parseCfg, toPythonLiteral } from '../settings/pyliteral.js';
import { checkItem, findSetting, SettingValueError, type LinotpVersion } from '../settings/schema.js';
import type { OutSetting } from './types.js';

export interface CfgFilePlan {
  /** Path relative to the output directory. */
  name: string;
  path: string;
  text: string;
  settings: OutSetting[];
  exists: boolean;
}

/** --split: the database snippet sorts after Debian's 01-debian-database.cfg, so ours wins. */
export const SPLIT_FILES = { database: 'conf.d/01-migrated-database.cfg', main: 'conf.d/50-linotp2-migration.cfg' } as const;

export function renderCfg(settings: OutSetting[], header: string[]): string {
  const out = header.map((h) => `# ${h}`.trimEnd());
  for (const s of settings) {
    out.push('');
    for (const o of s.origins) out.push(`# ${o.replace(/[\r\n]+/g, ' ')}`);
    out.push(`${s.name} = ${toPythonLiteral(s.value)}`);
  }
  return out.join('\n') + '\n';
}

/** Re-reads the rendered text and validates it like LinOTP 3 would; throws InputError listing every problem. */
export function verifyCfg(text: string, file: string, settings: OutSetting[], target: LinotpVersion): void {
  const parsed = parseCfg(text, file);
  const problems: string[] = [];
  for (const s of settings) {
    const got = parsed.settings.get(s.name);
    if (!got || toPythonLiteral(got.value) !== toPythonLiteral(s.value)) problems.push(`${s.name} does not read back as written`);
    const item = findSetting(s.name, target);
    if (!item) {
      problems.push(`${s.name} is not a LinOTP ${target} setting`);
      continue;
    }
    try {
      checkItem(item, s.value, target);
    } catch (err) {
      if (!(err instanceof SettingValueError)) throw err;
      problems.push(err.message);
    }
  }
  if (parsed.settings.size !== settings.length) problems.push('the file holds other settings than intended');
  if (problems.length) {
    throw new InputError(`the converted settings would not be accepted by LinOTP ${target}: ${problems.join('; ')}`, 'nothing was written; fix the ini value named in the report');
  }
}

export function planFiles(settings: OutSetting[], outDir: string, split: boolean, header: string[], target: LinotpVersion): CfgFilePlan[] {
  const groups: [string, OutSetting[]][] = split
    ? [
        [SPLIT_FILES.database, settings.filter((s) => s.group === 'database')],
        [SPLIT_FILES.main, settings.filter((s) => s.group === 'main')],
      ]
    : [['linotp.cfg', settings]];
  return groups
    .filter(([, list]) => list.length > 0)
    .map(([name, list]) => {
      const p = path.resolve(outDir, name);
      const text = renderCfg(list, header);
      verifyCfg(text, p, list, target);
      let exists = false;
      try {
        statSync(p);
        exists = true;
      } catch {
        /* new file */
      }
      return { name, path: p, text, settings: list, exists };
    });
}

/**
 * Writes all planned files, or none when one exists and `force` is not set, through the one writer
 * for LinOTP's files (src/files/linotp-file.ts): atomic, mode 0640, group `linotp` (or the owner
 * and mode of the file replaced, or `owner`).
 */
export function writeFiles(plans: CfgFilePlan[], force: boolean, owner?: FileOwner, env?: NodeJS.ProcessEnv): LinotpFileResult[] {
  const existing = plans.filter((p) => p.exists);
  if (existing.length && !force) {
    throw new UsageError(`${existing.map((p) => p.path).join(', ')} already exist${existing.length === 1 ? 's' : ''}`, 'nothing was written; add --force to replace, or choose another --out directory');
  }
  return plans.map((p) =>
    writeLinotpFile(p.path, p.text, {
      kind: 'cfg',
      owner,
      env,
      existing: force ? 'overwrite' : 'refuse',
      refuse: (abs) => new UsageError(`${abs} already exists`, 'add --force to replace it'),
    }),
  );
}
