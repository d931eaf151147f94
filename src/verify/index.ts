/**
 * `verify`: read-only checks that a LinOTP 2.x/3.x database and an encKey belong together, and what
 * state the database is in. Nothing is written; tokens and text columns are streamed in batches.
 *
 * A check fails (exit 3) when something is broken for LinOTP: a missing LinOTP table, an
 * undecryptable value, an unusable model version, a missing 3.x admin realm. Things that need
 * attention but work — mojibake still to repair, admins without a password — are warnings.
 */
import type { AuditLocation } from '../audit/location.js';
import type { EncKey } from '../crypto/enckey.js';
import { describeDbUrl } from '../db/url.js';
import type { Db } from '../db/types.js';
import { compareToModel } from '../schema/inspect.js';
import { LINOTP_2_12, LINOTP_3_4, type SchemaModel, type TableDef } from '../schema/tables.js';
import { detectModelVersion, TARGET_MODEL_VERSION, type ModelVersionInfo } from '../schema/version.js';
import { checkAdminRealm, checkLocalAdmins, type AdminNames } from './admins.js';
import { scanEncoding } from './encoding.js';
import { checkConfig, checkTokens, newTallies, type SecretTallies } from './secrets.js';
import { checkFileAccess, type NeededFile, type ServiceUserChoice } from './files.js';
import type { CheckResult, KeyStats, VerifyReport } from './types.js';

export type { VerifyReport, CheckResult } from './types.js';

export interface VerifyOptions {
  /** Skip the mojibake scan (it reads every text column, including the audit trail). */
  skipEncoding?: boolean;
  /** LinOTP 2's audit public key (PEM): check every audit signature instead of only counting them. */
  auditPublicKeyPem?: string;
  /** LinOTP 3 ADMIN_RESOLVER_NAME / ADMIN_REALM_NAME when not the defaults. */
  adminNames?: AdminNames;
  /** Compare the tables on every node (automatic on a Galera node). */
  cluster?: boolean;
  /** Further nodes to compare: URIs or host[:port] (PostgreSQL standbys are found only this way). */
  nodes?: string[];
  /** The files LinOTP 3 reads and the user it runs as: checked for read access (src/verify/files.ts). */
  fileAccess?: { files: NeededFile[]; serviceUser: ServiceUserChoice; given?: string };
  /**
   * Where LinOTP 3.4 reads the audit table (src/audit/location.ts) and, for a separate one, its opened
   * database: a LinOTP 3 database is checked against it and the audit checks run there.
   */
  audit?: { location: AuditLocation; db?: Db };
  /** A progress bar for the token pass (decrypting every seed takes seconds on tens of thousands of tokens). */
  progress?: (label: string, total: number) => { tick(n?: number): void; finish?(): void };
}

/** Which releases accept the stored model version, in words. */
function acceptance(m: ModelVersionInfo): string {
  switch (m.state) {
    case 'known':
    case 'pre-2.10':
      return m.current
        ? `${m.releases}: LinOTP 3.2.3 … 3.4 start on it`
        : `${m.releases}: LinOTP 3.4 refuses to start until ${m.remainingSteps.length} migration step(s) run (${m.remainingSteps.join(', ')})`;
    case 'untouched':
      return `${m.releases}: LinOTP 3.4 only stamps ${TARGET_MODEL_VERSION}`;
    default:
      return m.releases;
  }
}

function modelCheck(m: ModelVersionInfo): CheckResult {
  const base = { id: 'model-version', title: 'database model version' };
  const stored = m.stored ?? '(none)';
  if (m.state === 'no-linotp') return { ...base, status: 'fail', summary: 'not a LinOTP database: there is no Config table', hint: 'check the database URI' };
  if (m.state === 'newer' || m.state === 'unknown') return { ...base, status: 'fail', summary: `${stored}: ${m.notes.join('; ')}`, hint: 'restore a backup of the LinOTP 2 database or use the matching LinOTP release' };
  return { ...base, status: 'pass', summary: `${stored} — ${acceptance(m)}` };
}

function keyStats(t: SecretTallies, key: EncKey | undefined): KeyStats {
  const tallies = [t.seeds, t.pins, t.ocra, t.config];
  const checked = tallies.reduce((n, x) => n + x.checked, 0);
  const failed = tallies.reduce((n, x) => n + x.failed, 0);
  let verdict: KeyStats['verdict'] = 'matches';
  if (!key) verdict = 'not-given';
  else if (checked === 0) verdict = 'nothing-to-check';
  else if (failed === checked) verdict = 'wrong-key';
  else if (failed > 0) verdict = 'partial';
  return { verdict, checked, failed, paddings: t.paddings };
}

function keyChecks(t: SecretTallies, stats: KeyStats, key: EncKey | undefined): CheckResult[] {
  if (!key) {
    return [{ id: 'enc-key', title: 'encKey', status: 'skip', summary: 'no encKey given: seeds, PINs and Config secrets were not checked', hint: 'give it with --enc-key, LINOTP_SECRET_FILE or --ini (linotpSecretFile)' }];
  }
  const wrong = stats.verdict === 'wrong-key';
  // With a wrong key the hint belongs to the encKey row only; the per-value rows just list names.
  const keyHint = wrong ? undefined : 'these values were written with another encKey or are damaged';
  const out: CheckResult[] = [];
  if (wrong) {
    out.push({
      id: 'enc-key',
      title: 'encKey',
      status: 'fail',
      summary: `wrong encKey: none of the ${stats.checked} encrypted values decrypts (${stats.failed} failed)`,
      checked: stats.checked,
      failed: stats.failed,
      hint: `this encKey (${key.source}) does not belong to this database; use the encKey of the installation that wrote it`,
    });
  }
  out.push(
    t.seeds.result(
      { id: 'token-seeds', title: 'token seeds decrypt' },
      { pass: `all ${t.seeds.checked} encrypted seeds decrypt`, fail: `${t.seeds.failed} of ${t.seeds.checked} token seeds do not decrypt`, none: 'no encrypted token seeds' },
      keyHint,
    ),
    t.pins.result(
      { id: 'token-pins', title: 'encrypted PINs decrypt' },
      { pass: `all ${t.pins.checked} encrypted PINs decrypt (@@ OTP PINs, user and SO PINs)`, fail: `${t.pins.failed} of ${t.pins.checked} encrypted PINs do not decrypt`, none: 'no encrypted PINs' },
      keyHint,
    ),
    t.ocra.result(
      { id: 'ocra-secrets', title: 'ocra2 sharedSecrets decrypt' },
      { pass: `all ${t.ocra.checked} ocra sharedSecrets decrypt`, fail: `${t.ocra.failed} of ${t.ocra.checked} ocra sharedSecrets do not decrypt`, none: 'no ocra sharedSecrets' },
      keyHint,
    ),
    t.config.result(
      { id: 'config-secrets', title: 'encrypted Config values decrypt' },
      { pass: `all ${t.config.checked} encrypted Config values decrypt`, fail: `${t.config.failed} of ${t.config.checked} encrypted Config values do not decrypt`, none: 'no encrypted Config values' },
      keyHint,
    ),
  );
  return out;
}

async function utf8ConversionMarker(db: Db, config: string): Promise<boolean> {
  const q = (n: string) => db.dialect.quoteIdent(n);
  const rows = await db.query(`SELECT ${q('Key')} AS k FROM ${q(config)} WHERE ${q('Key')} = ?`, ['linotp.utf8_conversion']);
  return rows.some((r) => r.k === 'linotp.utf8_conversion');
}

export async function runVerify(db: Db, key: EncKey | undefined, opts: VerifyOptions = {}): Promise<VerifyReport> {
  const model = await detectModelVersion(db);
  const is3 = model.stored !== null && /^[34]\./.test(model.stored);
  const schema: SchemaModel = is3 ? LINOTP_3_4 : LINOTP_2_12;
  const cmp = await compareToModel(db, schema, { requireAudit: false });
  const checks: CheckResult[] = [modelCheck(model)];

  const missingTables = cmp.missing;
  checks.push(
    missingTables.length
      ? { id: 'tables', title: 'LinOTP tables', status: 'fail', summary: `${missingTables.length} LinOTP ${schema.name} table(s) missing`, failed: missingTables.length, items: missingTables, hint: 'is this the LinOTP database? `linotp-migrate init database` creates missing tables' }
      : { id: 'tables', title: 'LinOTP tables', status: 'pass', summary: `${Object.keys(cmp.present).length} LinOTP ${schema.name} tables present${cmp.present.audit ? '' : ' (no audit table: audit may live elsewhere)'}` },
  );

  const t = newTallies();
  if (cmp.present.Token) {
    let bar;
    if (opts.progress) {
      const [c] = await db.query(`SELECT COUNT(*) AS n FROM ${db.dialect.quoteIdent(cmp.present.Token)}`);
      bar = opts.progress('checking tokens', Number(c?.n ?? 0));
    }
    await checkTokens(db, cmp.present.Token, key, t, bar);
  }
  if (cmp.present.Config) await checkConfig(db, cmp.present.Config, key, t);
  const stats = keyStats(t, key);
  checks.push(...keyChecks(t, stats, key));
  if (t.chunks.failed > 0) {
    checks.push(t.chunks.result({ id: 'config-chunks', title: 'chunked Config values complete' }, { pass: '', fail: `${t.chunks.failed} chunked Config value(s) are incomplete` }, 'LinOTP silently reads such values with parts missing; restore them from a backup'));
  }

  // Providers 3.4 cannot load, LDAP CAs in Config, removed token types, empty keys (issue 16/21).
  if (cmp.present.Config) checks.push(...(await (await import('./host.js')).hostChecks(db, key)));

  if (is3 && cmp.present.Config) {
    checks.push(await checkAdminRealm(db, { config: cmp.present.Config, realm: cmp.present.Realm }, opts.adminNames));
    checks.push(await checkLocalAdmins(db, cmp.present.imported_user, opts.adminNames));
  }

  // Only LinOTP 3 reads the files as its service user; a LinOTP 2 source is checked for its data only.
  if (opts.fileAccess && is3) checks.push(checkFileAccess(opts.fileAccess.files, opts.fileAccess.serviceUser, opts.fileAccess.given));

  // Audit trail: where LinOTP 3.4 reads it, its timestamp forms and LinOTP 2 signatures (src/audit, loaded only here).
  let auditDb = db;
  if (is3 && opts.audit) {
    const { auditLocationCheck } = await import('./audit-location.js');
    checks.push(await auditLocationCheck(db, opts.audit.location, opts.audit.db));
    if (opts.audit.location.target.kind === 'separate' && opts.audit.db) auditDb = opts.audit.db;
  }
  const { auditChecks } = await import('../audit/integration.js');
  checks.push(...(await auditChecks(auditDb, { publicKeyPem: opts.auditPublicKeyPem })));

  let encoding: VerifyReport['encoding'] = { suspicious: 0, multiple: 0, byColumn: {}, samples: [], scanned: 0 };
  if (!opts.skipEncoding) {
    const tables: { def: TableDef; stored: string }[] = schema.tables.filter((d) => cmp.present[d.name]).map((d) => ({ def: d, stored: cmp.present[d.name] }));
    encoding = await scanEncoding(db, tables);
    const marker = cmp.present.Config ? await utf8ConversionMarker(db, cmp.present.Config) : false;
    const cols = Object.entries(encoding.byColumn)
      .sort((a, b) => b[1] - a[1])
      .map(([c, n]) => `${c}: ${n}`);
    checks.push(
      encoding.suspicious === 0
        ? { id: 'encoding', title: 'text encoding', status: 'pass', summary: `no double-encoded text in ${encoding.scanned} non-empty text values`, checked: encoding.scanned, failed: 0 }
        : {
            id: 'encoding',
            title: 'text encoding',
            status: 'warn',
            summary: `${encoding.suspicious} text value(s) look double-encoded (latin1/utf8 mojibake)${encoding.multiple ? `, ${encoding.multiple} of them more than twice` : ''}${marker ? '; LinOTP 3 left the marker linotp.utf8_conversion' : ''}`,
            checked: encoding.scanned,
            failed: encoding.suspicious,
            items: cols,
            hint: 'repair them with `linotp-migrate admin fix-db-encoding` (try --dry-run first)',
          },
    );
  } else {
    checks.push({ id: 'encoding', title: 'text encoding', status: 'skip', summary: 'not scanned (--skip-encoding)' });
  }

  let cluster: VerifyReport['cluster'];
  const info = await db.cluster();
  if (opts.cluster || opts.nodes?.length || info.kind === 'galera') {
    const { clusterCheck, compareNodes } = await import('./cluster.js');
    const { galeraNodeError } = await import('../db/cluster.js');
    const notSynced = info.kind === 'galera' ? galeraNodeError(db.url, info) : undefined;
    if (notSynced) checks.push({ id: 'cluster-node', title: 'Galera node state', status: 'fail', summary: notSynced.message, hint: notSynced.hint });
    cluster = await compareNodes(db, opts.nodes ?? []);
    checks.push(clusterCheck(cluster));
  }

  return {
    ok: !checks.some((c) => c.status === 'fail'),
    database: { url: describeDbUrl(db.url), engine: db.engine, server: await db.serverVersion() },
    encKey: key ? { source: key.source, fingerprint: key.fingerprint() } : null,
    model: { ...model, schema: schema.name },
    tables: { present: Object.values(cmp.present), missing: cmp.missing, foreign: cmp.foreign },
    tokens: { total: t.total, byType: t.byType },
    key: stats,
    encoding,
    ...(cluster ? { cluster } : {}),
    checks,
  };
}
