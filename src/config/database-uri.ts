/**
 * `config convert` and the new server's own database (issue 21, item 2).
 *
 * A Debian LinOTP 3 server already has `DATABASE_URI` in conf.d/01-debian-database.cfg (dbconfig-common).
 * Our split database snippet conf.d/01-migrated-database.cfg sorts after it, so writing LinOTP 2's
 * `sqlalchemy.url` there silently points LinOTP 3 — and every later step — at the old server. So: when the
 * settings LinOTP 3 reads (its settings files in order, conf.d sorted, later files win; then
 * LINOTP_DATABASE_URI) already define `DATABASE_URI`, that one is kept and the old one is not written,
 * unless `--keep-database-uri` asks for the old server (an in-place upgrade). Either way the plan says
 * which file decides `DATABASE_URI` once the files are written, computed by the same loader as
 * `config show` over the planned file contents.
 */
import path from 'node:path';
import { InputError } from '../errors.js';
import { parseDbUrl } from '../db/url.js';
import { loadLinotp3Settings, realParent, type Linotp3Settings } from '../settings/linotp3.js';
import { maskUrl, sameDatabase } from './dburl.js';

export interface DatabaseUriDecision {
  /** What LinOTP 2's sqlalchemy.url became (masked); absent when the ini has none. */
  converted?: string;
  /** DATABASE_URI the LinOTP 3 settings already define without our files (masked), with its source. */
  existing?: { value: string; source: string };
  /**
   * `write`: nothing else defines it; `keep-existing`: the server's own is kept, the old one not written;
   * `same`: both name the same database, ours is not written; `override`: --keep-database-uri.
   */
  action: 'write' | 'keep-existing' | 'same' | 'override' | 'none';
  /** After writing: the value LinOTP 3 will use (masked) and where it comes from. */
  decidedBy: { value: string; source: string };
  /** The settings file list the decision was computed with. */
  cfgList: string;
  /** The output directory is not in LinOTP 3's list: computed as if it were appended (see warnings). */
  outDirAssumed: boolean;
}

export interface DecideRequest {
  env: NodeJS.ProcessEnv;
  outDir: string;
  /** The converted value (unmasked), if the ini had one. */
  converted?: string;
  keepDatabaseUri: boolean;
  /** Planned files: path → text with DATABASE_URI, and the same without it. */
  withUri: Map<string, string>;
  withoutUri: Map<string, string>;
  /**
   * The settings as they are before writing, for "already defined": the planned files that an earlier
   * run of ours wrote read as replaced; a file of the administrator that --force would replace counts
   * with what it holds now (its DATABASE_URI is the server's own).
   */
  before: Map<string, string>;
}

const masked = (s: Linotp3Settings) => {
  const r = s.resolved('DATABASE_URI');
  const value = r ? maskUrl(String(r.value)) : '';
  return { value, source: r?.kind === 'default' ? `LinOTP's default (no settings file sets DATABASE_URI)` : (r?.source ?? 'unset') };
};

function sameDb(a: string, b: string): boolean {
  try {
    return sameDatabase(parseDbUrl(a), parseDbUrl(b));
  } catch {
    return a === b;
  }
}

/** Decides whether the converted DATABASE_URI is written; throws when the outcome would be unsafe or unknown. */
export function decideDatabaseUri(req: DecideRequest, warnings: string[]): DatabaseUriDecision & { write: boolean } {
  const outDir = path.resolve(req.outDir);
  let env = req.env;
  let probe = loadLinotp3Settings(env, { virtualFiles: req.before });
  const read = new Set(loadLinotp3Settings(env, { virtualFiles: req.withoutUri }).files.filter((f) => f.status === 'loaded').map((f) => f.path));
  const ours = [...req.withoutUri.keys()].map(realParent);
  const outDirAssumed = ours.length > 0 && !ours.every((p) => read.has(p));
  if (outDirAssumed) {
    // The files land where LinOTP 3 does not look (yet): decide as if DIR were its settings directory.
    const list = [probe.cfgList, `-${path.join(outDir, 'linotp.cfg')}`, `-${path.join(outDir, 'conf.d')}`].filter(Boolean).join(':');
    warnings.push(`LinOTP 3 does not read ${outDir} (its settings files: ${probe.cfgList || 'none'}, from ${probe.cfgListSource}): DATABASE_URI was decided as if its list ended with ${outDir}/linotp.cfg and ${outDir}/conf.d; set LINOTP_CFG accordingly or write to /etc/linotp`);
    env = { ...env, LINOTP_CFG: list };
    probe = loadLinotp3Settings(env, { virtualFiles: req.before });
  }
  const cfgList = probe.cfgList;
  const explicit = probe.isExplicit('DATABASE_URI');
  const blockedBy = probe.unreadable;
  const existing = explicit ? masked(probe) : undefined;

  let action: DatabaseUriDecision['action'] = 'none';
  if (req.converted !== undefined) {
    if (!explicit && blockedBy.length && probe.resolved('DATABASE_URI')?.kind !== 'env' && !req.keepDatabaseUri) {
      throw new InputError(
        `cannot read ${blockedBy.join(', ')}, which may already set the new server's DATABASE_URI`,
        'nothing was written; run as root (Debian keeps conf.d/01-debian-database.cfg mode 0600), or add --keep-database-uri to write the LinOTP 2 database regardless',
      );
    }
    if (!explicit) action = 'write';
    else if (sameDb(String(probe.get('DATABASE_URI')), req.converted)) action = 'same';
    else action = req.keepDatabaseUri ? 'override' : 'keep-existing';
  }
  const write = action === 'write' || action === 'override';
  const after = loadLinotp3Settings(env, { virtualFiles: write ? req.withUri : req.withoutUri });
  const decidedBy = masked(after);
  if (write) {
    const ourSource = [...req.withUri.keys()].some((p) => decidedBy.source.startsWith(`${realParent(p)}:`));
    if (!ourSource) {
      throw new InputError(
        `the converted DATABASE_URI would not take effect: LinOTP 3 would still use ${decidedBy.value} from ${decidedBy.source}`,
        'nothing was written; remove DATABASE_URI there (a later conf.d file or LINOTP_DATABASE_URI wins), or drop --keep-database-uri',
      );
    }
    if (action === 'override') warnings.push(`--keep-database-uri: DATABASE_URI is the LinOTP 2 database ${maskUrl(req.converted!)}, overriding ${existing!.value} from ${existing!.source}`);
    if (blockedBy.length) warnings.push(`cannot read ${blockedBy.join(', ')}: a DATABASE_URI there could still override the written one`);
  } else if ((action === 'keep-existing' || action === 'same') && !(after.isExplicit('DATABASE_URI') && String(after.get('DATABASE_URI')) === String(probe.get('DATABASE_URI')))) {
    // The kept DATABASE_URI lives in a file --force would replace: writing would lose it.
    throw new InputError(
      `writing would remove the server's DATABASE_URI ${existing!.value} (${existing!.source}): that file would be replaced`,
      'nothing was written; use --split (conf.d snippets next to it), or move DATABASE_URI into its own conf.d file first',
    );
  }
  if (action === 'keep-existing') {
    warnings.push(
      `the new server's DATABASE_URI ${existing!.value} (${existing!.source}) is kept; LinOTP 2's ${maskUrl(req.converted!)} was not written. ` +
        'For an in-place upgrade that keeps the old database server, add --keep-database-uri',
    );
  }
  return { converted: req.converted === undefined ? undefined : maskUrl(req.converted), existing, action, decidedBy, cfgList, outDirAssumed, write };
}
