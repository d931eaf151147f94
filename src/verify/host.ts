/**
 * verify's view of the host findings (src/host/findings.ts): provider definitions LinOTP 3.4
 * cannot load fail (exit 3) by provider and key; LDAP CA certificates in Config, removed token
 * types and empty keys are warnings (LinOTP starts, but they need a decision).
 */
import type { EncKey } from '../crypto/enckey.js';
import type { Db } from '../db/types.js';
import { readDatabaseFindings, type DatabaseFindings } from '../host/findings.js';
import { ITEM_LIMIT, type CheckResult } from './types.js';

function limited(items: string[]): Pick<CheckResult, 'items' | 'moreItems'> {
  return { items: items.slice(0, ITEM_LIMIT), ...(items.length > ITEM_LIMIT ? { moreItems: items.length - ITEM_LIMIT } : {}) };
}

export function findingChecks(f: DatabaseFindings, keyGiven: boolean): CheckResult[] {
  const out: CheckResult[] = [];
  const errors = f.providerProblems.filter((p) => p.severity === 'error');
  const warnings = f.providerProblems.filter((p) => p.severity === 'warning');
  const unchecked = f.providers.filter((p) => p.unreadable === 'no-key').map((p) => `${p.type}:${p.name}`);
  const base = { id: 'providers', title: 'provider definitions LinOTP 3.4 can load' };
  const items = f.providerProblems.map((p) => `${p.type}:${p.provider}${p.key ? `.${p.key}` : ''} (${p.kind})`);
  if (errors.length) {
    out.push({
      ...base,
      status: 'fail',
      summary: `${errors.length} provider setting(s) LinOTP 3.4 cannot use: ${[...new Set(errors.map((p) => `${p.type} provider ${p.provider}`))].join(', ')}`,
      checked: f.providers.length,
      failed: errors.length,
      ...limited(items),
      hint: 'inline PEMs: `linotp-migrate init database --provider-files-dir /etc/linotp/providers` writes them to files and points the definitions there; missing files: copy them to this host (`host migrate`)',
    });
  } else if (warnings.length || (unchecked.length && !keyGiven)) {
    out.push({ ...base, status: 'warn', summary: warnings.length ? `${warnings.length} provider setting(s) name files in /etc/linotp2` : `${unchecked.length} encrypted provider definition(s) not checked without the encKey`, ...limited(warnings.length ? items : unchecked), hint: warnings.length ? 'point them into /etc/linotp (host migrate --rewrite-paths)' : 'give --enc-key' });
  } else {
    out.push({ ...base, status: 'pass', summary: f.providers.length ? `${f.providers.length} provider definition(s) load as they are` : 'no provider definitions', checked: f.providers.length, failed: 0 });
  }
  if (f.ldapCaCertificates.length) {
    out.push({
      id: 'ldap-ca-certificates',
      title: 'LDAP CA certificates',
      status: 'warn',
      summary: `${f.ldapCaCertificates.length} LDAP resolver CA certificate(s) kept in Config, which LinOTP 3 ignores (it uses TLS_CA_CERTIFICATES_FILE)`,
      ...limited(f.ldapCaCertificates.map((c) => c.resolver)),
      hint: 'export them with `init database --ca-out DIR`, copy to /usr/local/share/ca-certificates/ and run update-ca-certificates',
    });
  }
  for (const r of f.removedTokenTypes) {
    out.push({ id: `removed-token-type-${r.type}`, title: `${r.type} tokens`, status: 'warn', summary: `${r.serials.length} ${r.type} token(s): LinOTP 3 removed this token type`, ...limited(r.serials), hint: 'enrol replacement tokens before the upgrade' });
  }
  if (f.emptyKeyTokens.length) {
    out.push({ id: 'empty-token-keys', title: 'tokens with an empty key', status: 'warn', summary: `${f.emptyKeyTokens.length} token(s) have no key (LinOTP issue #205): they can never authenticate`, ...limited(f.emptyKeyTokens), hint: 're-enrol or delete them' });
  }
  return out;
}

export async function hostChecks(db: Db, key: EncKey | undefined): Promise<CheckResult[]> {
  const { findings } = await readDatabaseFindings(db, key);
  return findingChecks(findings, key !== undefined);
}
