/**
 * Database-side findings of the host migration (issue 16), shared by `host inventory`, `verify`
 * and the `init database --plan` warnings: provider definitions LinOTP 3.4 cannot load, LDAP CA
 * certificates kept in Config (3.x ignores them), token types LinOTP 3 removed, tokens with an
 * empty key (LinOTP issue #205), and token counts per realm. Read-only.
 */
import type { EncKey } from '../crypto/enckey.js';
import { groupConfigRows, type ConfigRow } from '../crypto/chunks.js';
import { classifyTokenSeed } from '../crypto/values.js';
import type { Db } from '../db/types.js';
import { readConfigRows, Tables } from '../upgrade/sql.js';
import { isCertificateKey, PEM_BLOCK, providerProblems, readProviders, type ProblemContext, type ProviderDefinition, type ProviderProblem } from './providers.js';

/** LinOTP 3 has no token class for these any more (OCRA v1 and Vasco were dropped with 3.0). */
export const REMOVED_TOKEN_TYPES = ['ocra', 'vasco'];
/** Types that never hold a seed of their own (the server holds none or asks another server). */
const SEEDLESS_TYPES = new Set(['qr', 'push', 'remote', 'radius', 'forward']);

export interface LdapCaCertificate {
  resolver: string;
  configKey: string;
  pem: string;
}

export interface RealmCount {
  realm: string;
  tokens: number;
}

export interface DatabaseFindings {
  providers: { type: string; name: string; className: string; configKey: string; encrypted: boolean; unreadable?: string }[];
  providerProblems: ProviderProblem[];
  /** File paths provider definitions name (certificate keys holding a path, not a PEM). */
  providerPaths: { type: string; provider: string; key: string; path: string }[];
  ldapCaCertificates: LdapCaCertificate[];
  removedTokenTypes: { type: string; serials: string[] }[];
  emptyKeyTokens: string[];
  tokensPerRealm: RealmCount[];
  tokensWithoutRealm: number;
}

/** The CA certificates LinOTP 2's LDAPIdResolver wrote to its own CA file from Config. */
export function ldapCaCertificates(rows: readonly ConfigRow[]): LdapCaCertificate[] {
  const prefix = 'linotp.ldapresolver.CACERTIFICATE.';
  return groupConfigRows(rows)
    .entries.filter((e) => e.key.startsWith(prefix) && PEM_BLOCK.test(e.value ?? ''))
    .map((e) => ({ resolver: e.key.slice(prefix.length), configKey: e.key, pem: (e.value ?? '').trim().replace(/\r\n/g, '\n') + '\n' }));
}

export async function readDatabaseFindings(db: Db, key: EncKey | undefined, ctx: ProblemContext = {}): Promise<{ findings: DatabaseFindings; definitions: ProviderDefinition[] }> {
  const t = await Tables.load(db);
  const rows = t.has('Config') ? await readConfigRows(db, t) : [];
  const definitions = readProviders(rows, key);
  const findings: DatabaseFindings = {
    providers: definitions.map((d) => ({ type: d.type, name: d.name, className: d.className, configKey: d.configKey, encrypted: d.encrypted, ...(d.unreadable ? { unreadable: d.unreadable } : {}) })),
    providerProblems: definitions.flatMap((d) => providerProblems(d, ctx)),
    providerPaths: definitions.flatMap((d) =>
      Object.entries(d.config ?? {})
        .filter(([k, v]) => isCertificateKey(k) && typeof v === 'string' && v.trim().startsWith('/') && !PEM_BLOCK.test(v))
        .map(([k, v]) => ({ type: d.type, provider: d.name, key: k, path: String(v).trim() })),
    ),
    ldapCaCertificates: ldapCaCertificates(rows),
    removedTokenTypes: [],
    emptyKeyTokens: [],
    tokensPerRealm: [],
    tokensWithoutRealm: 0,
  };
  if (!t.has('Token')) return { findings, definitions };
  const removed = new Map<string, string[]>();
  const c = (n: string) => t.c(n);
  const sql = `SELECT ${c('LinOtpTokenId')} AS id, ${c('LinOtpTokenSerialnumber')} AS serial, ${c('LinOtpTokenType')} AS type, ${c('LinOtpKeyEnc')} AS k, ${c('LinOtpKeyIV')} AS iv FROM ${t.t('Token')}`;
  for await (const batch of db.stream(sql, [], { batchSize: 1000 })) {
    for (const r of batch) {
      const serial = String(r.serial ?? '');
      const type = String(r.type ?? '').toLowerCase();
      if (REMOVED_TOKEN_TYPES.includes(type)) removed.set(type, [...(removed.get(type) ?? []), serial]);
      const kind = classifyTokenSeed({ keyEnc: r.k === null ? null : String(r.k), keyIv: r.iv === null ? null : String(r.iv), tokenType: type });
      if (kind === 'empty' && !SEEDLESS_TYPES.has(type)) findings.emptyKeyTokens.push(serial);
    }
  }
  findings.removedTokenTypes = [...removed].map(([type, serials]) => ({ type, serials }));
  if (t.has('TokenRealm') && t.has('Realm')) {
    const counts = await db.query<{ name: string; n: number }>(
      `SELECT r.${c('name')} AS name, COUNT(tr.${c('token_id')}) AS n FROM ${t.t('Realm')} r LEFT JOIN ${t.t('TokenRealm')} tr ON tr.${c('realm_id')} = r.${c('id')} GROUP BY r.${c('name')} ORDER BY r.${c('name')}`,
    );
    findings.tokensPerRealm = counts.map((x) => ({ realm: String(x.name), tokens: Number(x.n) }));
    // NOT IN (an uncorrelated subquery: one hash/temp index) — a correlated NOT EXISTS was quadratic on SQLite without an index on token_id.
    const none = await db.query<{ n: number }>(
      `SELECT COUNT(*) AS n FROM ${t.t('Token')} WHERE ${c('LinOtpTokenId')} NOT IN (SELECT ${c('token_id')} FROM ${t.t('TokenRealm')} WHERE ${c('token_id')} IS NOT NULL)`,
    );
    findings.tokensWithoutRealm = Number(none[0]?.n ?? 0);
  }
  return { findings, definitions };
}

/** One line per finding, for warnings (init database --plan) and text output. */
export function findingLines(f: DatabaseFindings): string[] {
  const lines: string[] = [];
  for (const p of f.providerProblems) lines.push(`${p.type} provider ${p.provider}${p.key ? ` key ${p.key}` : ''}: ${p.detail}`);
  for (const c of f.ldapCaCertificates) lines.push(`LDAP resolver ${c.resolver}: its CA certificate is kept in Config (${c.configKey}), which LinOTP 3 ignores: export it with --ca-out DIR and run update-ca-certificates`);
  for (const r of f.removedTokenTypes) lines.push(`${r.serials.length} ${r.type} token(s) (${r.serials.slice(0, 5).join(', ')}${r.serials.length > 5 ? ', …' : ''}): LinOTP 3 removed this token type; they cannot authenticate after the upgrade`);
  if (f.emptyKeyTokens.length) lines.push(`${f.emptyKeyTokens.length} token(s) with an empty key (${f.emptyKeyTokens.slice(0, 5).join(', ')}${f.emptyKeyTokens.length > 5 ? ', …' : ''}): LinOTP issue #205; re-enrol them`);
  return lines;
}
