/**
 * `init database --provider-files-dir DIR` / `--ca-out DIR` (issue 16): inline PEMs in provider
 * definitions become files LinOTP 3.4 can read as paths, and the definitions are rewritten to
 * name them; LDAP CA certificates from Config become files for the system trust store.
 *
 * Plan is pure (what files, what Config rows); apply writes the files first (atomic, 0640, the
 * service user's; an existing file with other content is refused), then replaces each definition's
 * Config rows in one transaction — re-encrypted with the encKey (PKCS#7, as LinOTP 3.4 writes)
 * where it was encrypted and chunked as LinOTP 3.4 chunks. If the transaction fails, the files
 * this run created are removed again, so the target is as it was. A second run finds no inline
 * PEM and changes nothing.
 */
import { createHash } from 'node:crypto';
import { unlinkSync } from 'node:fs';
import path from 'node:path';
import type { ConfigRow } from '../crypto/chunks.js';
import type { EncKey } from '../crypto/enckey.js';
import { encryptConfigValue } from '../crypto/values.js';
import type { Db } from '../db/types.js';
import { UsageError } from '../errors.js';
import { planLinotpFile, writeLinotpFile, type LinotpFileResult } from '../files/linotp-file.js';
import type { FileOwner } from '../files/ownership.js';
import { chunkConfigValue } from '../upgrade/reencrypt.js';
import { Tables } from '../upgrade/sql.js';
import { ldapCaCertificates } from './findings.js';
import { isCertificateKey, LINOTP_3_4_PROVIDER_CLASSES, PEM_BLOCK, registeredClassName, type ProviderDefinition } from './providers.js';
import { readConfigRows } from '../upgrade/sql.js';
import { readProviders } from './providers.js';

export interface PlannedFile {
  path: string;
  content: string;
  /** Which definition and key (or LDAP resolver) it comes from. */
  source: string;
  sha256: string;
}

export interface PlannedRewrite {
  type: string;
  provider: string;
  configKey: string;
  keys: string[];
  encrypted: boolean;
  /** Physical rows removed and rows written (values not shown: they may be secret). */
  deleteRowKeys: string[];
  rows: ConfigRow[];
  /** The class name rewritten to the name LinOTP 3.4 registers (LinOTP 2 imported full module paths). */
  classFix?: { key: string; from: string; to: string };
}

export interface ProviderFilesPlan {
  files: PlannedFile[];
  rewrites: PlannedRewrite[];
  caFiles: PlannedFile[];
  /** Command lines that install the CA files into the system trust store. */
  caInstall: string[];
  /** Files a definition names under a rebased directory: copy `from` (the old path) to `path` (host migrate). */
  copies: { from: string; path: string; source: string }[];
}

const safe = (s: string) => s.replace(/[^A-Za-z0-9._-]+/g, '_');
const sha = (s: string) => createHash('sha256').update(s).digest('hex');

/** The PEM as a file holds it: LF line ends, one trailing newline. */
export function pemFileText(value: string): string {
  return value.trim().replace(/\r\n/g, '\n') + '\n';
}

/** Pure: the files and the rewritten definitions for every inline PEM. */
export function planProviderFiles(
  defs: ProviderDefinition[],
  key: EncKey | undefined,
  dir: string | undefined,
  caDir: string | undefined,
  ldapRows: readonly ConfigRow[] = [],
  rebase: [string, string][] = [],
): ProviderFilesPlan {
  const plan: ProviderFilesPlan = { files: [], rewrites: [], caFiles: [], caInstall: [], copies: [] };
  if (dir !== undefined) {
    if (!path.isAbsolute(dir)) throw new UsageError(`--provider-files-dir ${dir}: give an absolute path`, 'LinOTP reads the path from its Config, so it must not depend on the working directory (e.g. /etc/linotp/providers)');
    for (const def of defs) {
      const fixed = def.className && !LINOTP_3_4_PROVIDER_CLASSES.has(def.className) ? registeredClassName(def.className) : undefined;
      const classFix = fixed ? { key: def.classKey, from: def.className, to: fixed } : undefined;
      if (!def.config) {
        if (classFix) plan.rewrites.push({ type: def.type, provider: def.name, configKey: def.configKey, keys: ['Class'], encrypted: def.encrypted, deleteRowKeys: [], rows: [], classFix });
        continue;
      }
      const changed: string[] = [];
      const config: Record<string, unknown> = { ...def.config };
      for (const [k, v] of Object.entries(def.config)) {
        if (!isCertificateKey(k) || typeof v !== 'string') continue;
        const moved = rebase.find(([a]) => v.trim().startsWith(a + '/'));
        if (moved && !PEM_BLOCK.test(v)) {
          const newPath = moved[1] + v.trim().slice(moved[0].length);
          plan.copies.push({ from: v.trim(), path: newPath, source: `${def.type} provider ${def.name} ${k}` });
          config[k] = newPath;
          changed.push(k);
          continue;
        }
        if (!PEM_BLOCK.test(v)) continue;
        const file = path.join(dir, `${safe(def.type)}-${safe(def.name)}-${safe(k.toLowerCase())}.pem`);
        const content = pemFileText(v);
        plan.files.push({ path: file, content, source: `${def.type} provider ${def.name} ${k}`, sha256: sha(content) });
        config[k] = file;
        changed.push(k);
      }
      if (!changed.length) {
        if (classFix) plan.rewrites.push({ type: def.type, provider: def.name, configKey: def.configKey, keys: ['Class'], encrypted: def.encrypted, deleteRowKeys: [], rows: [], classFix });
        continue;
      }
      const json = JSON.stringify(config);
      if (def.encrypted && !key) throw new UsageError(`${def.configKey} is encrypted: the encKey is needed to rewrite it`, 'give --enc-key');
      const value = def.encrypted ? encryptConfigValue(key!, json, 'pkcs7') : json;
      // 'password' is LinOTP 2's spelling; LinOTP 3 writes encrypted_data.
      const type = def.encrypted ? 'encrypted_data' : def.configType;
      plan.rewrites.push({ type: def.type, provider: def.name, configKey: def.configKey, keys: changed, encrypted: def.encrypted, deleteRowKeys: def.rowKeys, rows: chunkConfigValue(def.configKey, value, type, def.configDescription), ...(classFix ? { classFix } : {}) });
      if (classFix) changed.push('Class');
    }
  }
  if (caDir !== undefined) {
    for (const c of ldapCaCertificates(ldapRows)) {
      // update-ca-certificates only picks up *.crt under /usr/local/share/ca-certificates.
      const file = path.resolve(caDir, `linotp-ldap-${safe(c.resolver)}.crt`);
      plan.caFiles.push({ path: file, content: c.pem, source: `LDAP resolver ${c.resolver} (${c.configKey})`, sha256: sha(c.pem) });
    }
    if (plan.caFiles.length) plan.caInstall = [`cp ${plan.caFiles.map((f) => f.path).join(' ')} /usr/local/share/ca-certificates/`, 'update-ca-certificates'];
  }
  return plan;
}

export async function readProviderFilesPlan(db: Db, key: EncKey | undefined, dir: string | undefined, caDir: string | undefined): Promise<ProviderFilesPlan> {
  const t = await Tables.load(db);
  const rows = t.has('Config') ? await readConfigRows(db, t) : [];
  return planProviderFiles(readProviders(rows, key), key, dir, caDir, rows);
}

export interface ProviderFilesResult {
  files: LinotpFileResult[];
  caFiles: LinotpFileResult[];
  rewritten: { type: string; provider: string; keys: string[] }[];
}

function fileOpts(kind: 'provider-file' | 'ca-certificate', owner: FileOwner | undefined, env: NodeJS.ProcessEnv | undefined) {
  return {
    kind,
    owner,
    env,
    existing: 'refuse' as const,
    refuse: (p: string) => new UsageError(`${p} already exists with other content; nothing was written`, 'choose another directory, or remove the file after checking it'),
  };
}

/** Checks every file first (refusals before anything is written), as --plan shows it. */
export function checkProviderFiles(plan: ProviderFilesPlan, owner?: FileOwner, env?: NodeJS.ProcessEnv): { files: LinotpFileResult[]; caFiles: LinotpFileResult[] } {
  return {
    files: plan.files.map((f) => planLinotpFile(f.path, f.content, fileOpts('provider-file', owner, env))),
    caFiles: plan.caFiles.map((f) => planLinotpFile(f.path, f.content, fileOpts('ca-certificate', owner, env))),
  };
}

export async function applyProviderFiles(db: Db, plan: ProviderFilesPlan, owner?: FileOwner, env?: NodeJS.ProcessEnv): Promise<ProviderFilesResult> {
  checkProviderFiles(plan, owner, env);
  const created: string[] = [];
  const out: ProviderFilesResult = { files: [], caFiles: [], rewritten: [] };
  try {
    for (const f of plan.files) {
      const r = writeLinotpFile(f.path, f.content, fileOpts('provider-file', owner, env));
      if (r.action === 'created') created.push(r.path);
      out.files.push(r);
    }
    await applyRewrites(db, plan.rewrites);
    out.rewritten = plan.rewrites.map((r) => ({ type: r.type, provider: r.provider, keys: r.keys }));
  } catch (e) {
    for (const p of created) {
      try {
        unlinkSync(p);
      } catch {
        /* already gone */
      }
    }
    throw e;
  }
  // CA files change nothing in the database: written last, never rolled back with it.
  for (const f of plan.caFiles) out.caFiles.push(writeLinotpFile(f.path, f.content, fileOpts('ca-certificate', owner, env)));
  return out;
}

/** Replaces the definitions' Config rows (and class names) in one transaction. */
export async function applyRewrites(db: Db, rewrites: PlannedRewrite[]): Promise<void> {
  if (!rewrites.length) return;
  const t = await Tables.load(db);
  await db.transaction(async (tx) => {
    for (const rw of rewrites) {
      if (rw.classFix) await tx.execute(`UPDATE ${t.t('Config')} SET ${t.c('Value')} = ? WHERE ${t.c('Key')} = ?`, [rw.classFix.to, rw.classFix.key]);
      for (const k of rw.deleteRowKeys) await tx.execute(`DELETE FROM ${t.t('Config')} WHERE ${t.c('Key')} = ?`, [k]);
      for (const r of rw.rows) {
        await tx.execute(`INSERT INTO ${t.t('Config')} (${t.c('Key')}, ${t.c('Value')}, ${t.c('Type')}, ${t.c('Description')}) VALUES (?, ?, ?, ?)`, [r.key, r.value, r.type, r.description]);
      }
    }
  });
}
