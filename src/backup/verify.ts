/**
 * `backup verify`: everything that can be checked without a database — member checksums, a full
 * parse of the dump, per-table row counts and checksums against the manifest, the model version,
 * and, given the key or the passphrase, whether the key decrypts the dump's seeds and secrets.
 */
import type { EncKey } from '../crypto/enckey.js';
import type { Engine } from '../db/types.js';
import { describeModelVersion } from '../schema/version.js';
import { checkKey, inspectDump, keyFromBackup, type DumpInfo, type KeyCheck } from './inspect.js';
import { openBackup, type BackupKind, type BackupSource } from './source.js';

export interface VerifyReport {
  file: string;
  kind: BackupKind;
  dialect: Engine;
  dump: string;
  bytes: number;
  modelVersion: string | null;
  modelState: string;
  /** 'ok' when the manifest's checksums were compared and matched; 'none' without a manifest. */
  checksums: 'ok' | 'failed' | 'none';
  tables: { name: string; rows: number }[];
  encKey: {
    present: boolean;
    form?: 'gpg' | 'raw';
    fingerprint?: string;
    matchesManifest?: boolean;
    check?: KeyCheck;
    /**
     * With --enc-key and a key inside the backup: 'opened' (the passphrase opened it; see `sameAsGiven`),
     * 'not-opened' (no passphrase given: only the --enc-key was tested). Absent otherwise.
     */
    backupKey?: 'opened' | 'not-opened';
    /** The backup's own key is the --enc-key (when opened). */
    sameAsGiven?: boolean;
  };
  problems: string[];
  ok: boolean;
}

export interface VerifyOptions {
  /** A key to test (from --enc-key). */
  key?: EncKey;
  /** The passphrase of the key inside the backup. */
  passphrase?: string;
  /** Asked only when the backup holds a gpg-encrypted key and no passphrase was given. */
  getPassphrase?: () => Promise<string | undefined>;
  onBytes?: (bytes: number, total: number) => void;
}

export async function verifyBackup(file: string, opts: VerifyOptions = {}): Promise<{ report: VerifyReport; src: BackupSource; info: DumpInfo; key?: EncKey }> {
  const src = await openBackup(file);
  const info = await inspectDump(src, (b) => opts.onBytes?.(b, src.dumpBytes));
  const problems = [...info.problems];
  const model = describeModelVersion({ configTable: info.isLinotp, stored: info.modelVersion, touched: info.touched });
  if (info.isLinotp && !model.upgradable) problems.push(...model.notes);
  let key = opts.key;
  const encKey: VerifyReport['encKey'] = { present: Boolean(src.key), form: src.key?.form };
  let passphrase = opts.passphrase;
  if (!key && src.key?.form === 'gpg' && passphrase === undefined && opts.getPassphrase) passphrase = await opts.getPassphrase();
  if (!key && src.key && (src.key.form === 'raw' || passphrase !== undefined)) key = await keyFromBackup(src, passphrase);
  else if (key && src.key) {
    // The key given is tested below; the backup's own key is opened too when it can be (a wrong
    // passphrase fails as it does without --enc-key), and the report says when it was not.
    if (src.key.form === 'raw' || passphrase !== undefined) {
      const own = await keyFromBackup(src, passphrase);
      encKey.backupKey = 'opened';
      encKey.sameAsGiven = own.fingerprint() === key.fingerprint();
      if (!encKey.sameAsGiven) problems.push(`the backup's own ${src.key.name} is not the --enc-key given (fingerprints differ)`);
    } else {
      encKey.backupKey = 'not-opened';
    }
  }
  if (key) {
    encKey.fingerprint = key.fingerprint();
    if (src.manifest?.encKey) encKey.matchesManifest = src.manifest.encKey.fingerprint === encKey.fingerprint;
    if (encKey.matchesManifest === false) problems.push('the key is not the one the backup was made with (fingerprint differs from the manifest)');
    encKey.check = checkKey(key, info);
    if (!encKey.check.ok) problems.push(`the key does not decrypt the backup's data (${encKey.check.failed} of ${encKey.check.checked} sampled values fail)`);
  }
  const report: VerifyReport = {
    file,
    kind: src.kind,
    dialect: src.dialect,
    dump: src.dumpName,
    bytes: src.dumpBytes,
    modelVersion: info.modelVersion,
    modelState: model.releases,
    checksums: src.manifest ? (info.problems.some((p) => /checksum|manifest/.test(p)) ? 'failed' : 'ok') : 'none',
    tables: info.tables.map((t) => ({ name: t.name, rows: t.rows })),
    encKey,
    problems,
    ok: problems.length === 0,
  };
  return { report, src, info, key };
}
