/**
 * The host parts of `init database` (issue 16, issue 21 item 7): the findings as plan warnings,
 * and `--provider-files-dir` / `--ca-out` (src/host/provider-files.ts) planned, checked before the
 * upgrade changes anything, and applied after it (so the rewritten values are in LinOTP 3.4's form).
 */
import type { ChalkInstance } from 'chalk';
import type { EncKey } from '../crypto/enckey.js';
import type { Db } from '../db/types.js';
import { parseOwnerSpec, type FileOwner } from '../files/ownership.js';
import { findingLines, readDatabaseFindings } from './findings.js';
import { applyProviderFiles, checkProviderFiles, readProviderFilesPlan, type ProviderFilesPlan } from './provider-files.js';
import path from 'node:path';

export interface HostPartsOptions {
  providerFilesDir?: string;
  caOut?: string;
  owner?: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

export interface ProviderFilesDoc {
  files: { path: string; source: string; sha256: string; action: string; user: string; group: string; mode: string }[];
  rewrites: { type: string; provider: string; configKey: string; keys: string[]; encrypted: boolean; rows: number; classFix?: { key: string; from: string; to: string } }[];
  caFiles: { path: string; source: string; sha256: string; action: string; user: string; group: string; mode: string }[];
  caInstall: string[];
}

function resolved(o: HostPartsOptions): { dir?: string; caDir?: string; owner?: FileOwner } {
  return {
    dir: o.providerFilesDir,
    caDir: o.caOut === undefined ? undefined : path.resolve(o.cwd ?? process.cwd(), o.caOut),
    owner: o.owner === undefined ? undefined : parseOwnerSpec(String(o.owner)),
  };
}

function doc(plan: ProviderFilesPlan, checked: ReturnType<typeof checkProviderFiles>): ProviderFilesDoc {
  return {
    files: plan.files.map((f, i) => ({ path: f.path, source: f.source, sha256: f.sha256, action: checked.files[i].action, user: checked.files[i].user, group: checked.files[i].group, mode: checked.files[i].mode })),
    rewrites: plan.rewrites.map((r) => ({ type: r.type, provider: r.provider, configKey: r.configKey, keys: r.keys, encrypted: r.encrypted, rows: r.rows.length, ...(r.classFix ? { classFix: r.classFix } : {}) })),
    caFiles: plan.caFiles.map((f, i) => ({ path: f.path, source: f.source, sha256: f.sha256, action: checked.caFiles[i].action, user: checked.caFiles[i].user, group: checked.caFiles[i].group, mode: checked.caFiles[i].mode })),
    caInstall: plan.caInstall,
  };
}

/** Warnings for what the options do not fix; the preview of what they will do. Throws what apply would refuse. */
export async function planHostParts(db: Db, key: EncKey | undefined, o: HostPartsOptions): Promise<{ warnings: string[]; preview?: ProviderFilesDoc }> {
  const { dir, caDir, owner } = resolved(o);
  const { findings } = await readDatabaseFindings(db, key);
  if (dir !== undefined) findings.providerProblems = findings.providerProblems.filter((p) => p.kind !== 'inline-pem' && !(p.kind === 'unknown-class' && /rewrites it/.test(p.detail)));
  if (caDir !== undefined) findings.ldapCaCertificates = [];
  const warnings = findingLines(findings);
  if (dir === undefined && caDir === undefined) return { warnings };
  const plan = await readProviderFilesPlan(db, key, dir, caDir);
  const checked = checkProviderFiles(plan, owner, o.env);
  for (const r of [...checked.files, ...checked.caFiles]) warnings.push(...r.warnings);
  return { warnings: [...new Set(warnings)], preview: doc(plan, checked) };
}

/**
 * What apply would refuse (an existing different file, no key for an encrypted definition), thrown
 * before the upgrade changes anything. planHostParts without the findings: they only make warnings,
 * which apply does not print, and reading them is a full pass over the Token table plus two
 * aggregates (~0.5 s on 50k tokens). Without --provider-files-dir and --ca-out nothing can be refused.
 */
export async function checkHostParts(db: Db, key: EncKey | undefined, o: HostPartsOptions): Promise<void> {
  const { dir, caDir, owner } = resolved(o);
  if (dir === undefined && caDir === undefined) return;
  checkProviderFiles(await readProviderFilesPlan(db, key, dir, caDir), owner, o.env);
}

export async function applyHostParts(db: Db, key: EncKey | undefined, o: HostPartsOptions): Promise<{ warnings: string[]; result?: ProviderFilesDoc }> {
  const { dir, caDir, owner } = resolved(o);
  if (dir === undefined && caDir === undefined) return { warnings: [] };
  const plan = await readProviderFilesPlan(db, key, dir, caDir);
  const r = await applyProviderFiles(db, plan, owner, o.env);
  const warnings = [...new Set([...r.files, ...r.caFiles].flatMap((f) => f.warnings))];
  return { warnings, result: doc(plan, { files: r.files, caFiles: r.caFiles }) };
}

export function renderProviderFiles(d: ProviderFilesDoc | undefined, c: ChalkInstance): string[] {
  if (!d) return [];
  const lines: string[] = [];
  for (const f of [...d.files, ...d.caFiles]) lines.push(`${f.action === 'unchanged' ? c.dim('unchanged') : f.action} ${f.path} (${f.user}:${f.group} ${f.mode}) ← ${f.source}`);
  for (const r of d.rewrites) {
    const paths = r.keys.filter((k) => k !== 'Class');
    if (paths.length) lines.push(`rewrite ${r.configKey}: ${paths.join(', ')} → file path${r.encrypted ? ' (re-encrypted)' : ''}, ${r.rows} Config row(s)`);
    if (r.classFix) lines.push(`rewrite ${r.classFix.key}: class ${r.classFix.from} → ${r.classFix.to} (the name LinOTP 3.4 registers)`);
  }
  if (!d.files.length && !d.rewrites.length && !d.caFiles.length) lines.push(c.dim('provider files: no inline PEM in any provider definition, no LDAP CA certificate in Config; nothing to write'));
  if (d.caInstall.length) lines.push('install the CA certificates for LinOTP 3 (TLS_CA_CERTIFICATES_FILE is the system bundle):', ...d.caInstall.map((l) => `  ${l}`));
  return lines;
}
