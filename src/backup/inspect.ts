/**
 * The validation pass over a backup: parse the whole dump, count and checksum the rows of every
 * table, compare with the manifest, find the model version, and keep a sample of encrypted values
 * to test a key against. Nothing touches a database; `verify` is this plus the key check, and
 * `restore` runs it to the end before it changes anything.
 */
import type { EncKey } from '../crypto/enckey.js';
import { parseEncKey } from '../crypto/enckey.js';
import { classifyTokenSeed, isEncryptedConfigType } from '../crypto/values.js';
import { checkKeySamples, KEY_SAMPLE, type KeyCheck, type KeySamples } from './key-check.js';
import type { Engine, SqlValue } from '../db/types.js';
import { InputError, KeyError } from '../errors.js';
import { MODEL_VERSION_KEY } from '../schema/version.js';
import type { DumpTableDef } from './ddldef.js';
import { readDump, type ColumnSpec } from './dumpread.js';
import { decryptKeyBytes } from './gpg.js';
import { dumpWhere, type BackupSource } from './source.js';
import { RowTextHasher } from './sqltext.js';
import { sha256Hasher } from './background-hash.js';

export interface TableInfo {
  name: string;
  columns: string[];
  /** Column types as the dump declares them (when it has a CREATE TABLE). */
  columnSpecs?: ColumnSpec[];
  /** The table's definition parsed from the dump's CREATE TABLE (same-engine restores build their DDL from it). */
  def?: DumpTableDef;
  /** Line of the CREATE TABLE. */
  line?: number;
  rows: number;
  /** Checksum of the table's row text, compared with the manifest's; '' for a dump without a manifest. */
  sha256: string;
}

export interface DumpInfo {
  dialect: Engine;
  tables: TableInfo[];
  /** linotp.sql_data_model_version from the Config rows, null when absent. */
  modelVersion: string | null;
  /** Config has a linotp.Config row (LinOTP has used the database). */
  touched: boolean;
  isLinotp: boolean;
  statements: number;
  /** Statements deliberately not restored, by kind: what restore and verify list. */
  ignored: IgnoredStatements[];
  /** What the restore does differently from what the dump asks (e.g. ENGINE=MyISAM → InnoDB), per table. */
  notes: string[];
  problems: string[];
  /** Up to 50 encrypted values of each kind, to check a key against. */
  samples: KeySamples;
}

export interface IgnoredStatements {
  what: string;
  count: number;
  /** Line of the first one. */
  line: number;
}

const SAMPLE = KEY_SAMPLE;

export async function inspectDump(src: BackupSource, onBytes?: (bytes: number) => void): Promise<DumpInfo> {
  const where = dumpWhere(src);
  const tables = new Map<string, TableInfo & { hasher: RowTextHasher | null }>();
  // Per-table checksums are compared with a manifest; without one they would only cost a second hash of every row.
  const checksums = Boolean(src.manifest);
  const info: DumpInfo = { dialect: src.dialect, tables: [], modelVersion: null, touched: false, isLinotp: false, statements: 0, ignored: [], notes: [], problems: [], samples: { seeds: [], config: [] } };
  const get = (name: string) => {
    let t = tables.get(name);
    if (!t) tables.set(name, (t = { name, columns: [], rows: 0, sha256: '', hasher: checksums ? new RowTextHasher() : null }));
    return t;
  };
  const ignored = new Map<string, IgnoredStatements>();
  let bytes = 0;
  // The dump's checksum, where openBackup left it to this pass (a plain dump: read once, not twice),
  // on a worker thread for a large dump.
  const hash = src.dumpSha256 ? null : sha256Hasher(src.dumpBytes);
  const counted = (async function* () {
    for await (const c of src.openDump()) {
      bytes += c.length;
      await hash?.update(c);
      onBytes?.(bytes);
      yield c;
    }
  })();
  // A failed pass (a damaged dump) stops the hashing worker too.
  try {
    for await (const ev of readDump(counted, src.dialect, where)) {
      info.statements++;
      if (ev.type === 'create') {
        const t = get(ev.table);
        if (t.def) throw new InputError(`${where} line ${ev.line}: the dump is refused: a second CREATE TABLE ${ev.table} (the first at line ${t.line})`, 'restore one database\'s dump at a time');
        if (t.rows) throw new InputError(`${where} line ${ev.line}: the dump is refused: CREATE TABLE ${ev.table} after rows for it`, 'the dump is damaged');
        t.columns = ev.columns.map((c) => c.name);
        t.columnSpecs = ev.columns;
        t.def = ev.def;
        t.line = ev.line;
        for (const n of ev.def.notes) info.notes.push(`${ev.table}: ${n}`);
      } else if (ev.type === 'ignored') {
        // mysqldump creates a placeholder table for each view before the view itself: not a table of the dump
        const placeholder = ev.view !== undefined ? tables.get(ev.view) : undefined;
        if (placeholder?.def && placeholder.rows === 0) {
          tables.delete(ev.view!);
          info.notes = info.notes.filter((n) => !n.startsWith(`${ev.view}: `));
          info.notes.push(`${ev.view}: the dump's placeholder table for view ${ev.view} (line ${placeholder.line}) is not restored`);
        }
        const known = ignored.get(ev.what);
        if (known) known.count++;
        else ignored.set(ev.what, { what: ev.what, count: 1, line: ev.line });
      } else if (ev.type === 'rows') {
        const t = get(ev.table);
        const cols = ev.columns ?? t.columns;
        if (!cols.length) throw new InputError(`${where} line ${ev.line}: rows for ${ev.table} come before its CREATE TABLE and name no columns`, 'the dump is not complete');
        if (ev.columns && t.rows === 0 && !t.def) t.columns = ev.columns;
        const fields = ev.fields();
        if (fields !== cols.length) {
          throw new InputError(`${where} line ${ev.line}: a row of ${ev.table} has ${fields} values for ${cols.length} columns`, 'the dump is damaged');
        }
        t.hasher?.addLines(ev.rowText(), ev.count());
        t.rows += ev.count();
        const lc = ev.table.toLowerCase();
        if (lc === 'config' || (lc === 'token' && info.samples.seeds.length < SAMPLE)) sample(info, ev.table, cols, ev.values());
      }
    }
  } catch (e) {
    await hash?.abandon();
    throw e;
  }
  info.ignored = [...ignored.values()];
  for (const t of tables.values()) {
    const { hasher, ...rest } = t;
    info.tables.push({ ...rest, sha256: hasher?.digest() ?? '' });
  }
  const lower = new Set(info.tables.map((t) => t.name.toLowerCase()));
  info.isLinotp = lower.has('config') && lower.has('token');
  if (!info.isLinotp) info.problems.push('the dump has no LinOTP Config and Token tables: it is not a LinOTP database dump');
  if (src.manifest) {
    for (const m of src.manifest.tables) {
      const t = info.tables.find((x) => x.name === m.name);
      if (!t) info.problems.push(`table ${m.name} is in the manifest but not in the dump`);
      else if (t.rows !== m.rows || t.sha256 !== m.sha256) info.problems.push(`table ${m.name}: ${t.rows} rows in the dump, checksum ${t.sha256 === m.sha256 ? 'ok' : 'differs'}; the manifest says ${m.rows} rows`);
    }
    for (const t of info.tables) if (!src.manifest.tables.some((m) => m.name === t.name)) info.problems.push(`table ${t.name} is in the dump but not in the manifest`);
  }
  if (hash) src.dumpSha256 = await hash.digest();
  if (bytes !== src.dumpBytes) info.problems.push(`the dump changed while it was read (${bytes} bytes now, ${src.dumpBytes} before)`);
  return info;
}

function sample(info: DumpInfo, table: string, cols: string[], rows: SqlValue[][]): void {
  const lc = table.toLowerCase();
  if (lc === 'config') {
    const k = cols.indexOf('Key');
    const v = cols.indexOf('Value');
    const ty = cols.indexOf('Type');
    for (const r of rows) {
      if (r[k] === MODEL_VERSION_KEY) info.modelVersion = r[v] === null ? '' : String(r[v]);
      if (r[k] === 'linotp.Config') info.touched = true;
      // Chunked values (key__[i:n]; the last chunk carries the type) are only decryptable reassembled: not sampled.
      const chunk = typeof r[k] === 'string' && /__\[\d+:\d+\]$/.test(r[k] as string);
      if (info.samples.config.length < SAMPLE && ty >= 0 && !chunk && isEncryptedConfigType(r[ty] as string) && typeof r[v] === 'string' && r[v]) info.samples.config.push(r[v] as string);
    }
  } else if (lc === 'token') {
    const e = cols.indexOf('LinOtpKeyEnc');
    const iv = cols.indexOf('LinOtpKeyIV');
    const ty = cols.indexOf('LinOtpTokenType');
    for (const r of rows) {
      if (info.samples.seeds.length >= SAMPLE) break;
      const row = { keyEnc: r[e] as string | null, keyIv: r[iv] as string | null, tokenType: ty >= 0 ? (r[ty] as string | null) : null };
      if (classifyTokenSeed(row) === 'encrypted' && row.keyIv) info.samples.seeds.push({ enc: row.keyEnc!, iv: row.keyIv });
    }
  }
}

export type { KeyCheck } from './key-check.js';

/** Does `key` decrypt the sampled seeds and Config secrets of the dump? (src/backup/key-check.ts) */
export function checkKey(key: EncKey, info: DumpInfo): KeyCheck {
  return checkKeySamples(key, info.samples);
}

/** The key inside the backup: decrypted with the passphrase (gpg) or read as is (raw encKey member). */
export async function keyFromBackup(src: BackupSource, passphrase: string | undefined): Promise<EncKey> {
  if (!src.key) throw new KeyError(`${src.path} contains no encKey`, 'give the key with --enc-key, or use a backup made with the key');
  if (src.key.form === 'raw') return parseEncKey(src.key.data, `${src.path}:${src.key.name}`);
  if (passphrase === undefined) throw new KeyError(`the passphrase for ${src.key.name} is needed`, 'give it with --passphrase-file or LINOTP_MIGRATE_PASSPHRASE');
  const bytes = await decryptKeyBytes(src.key.data, passphrase, src.key.name);
  return parseEncKey(bytes, `${src.key.name} (decrypted)`);
}
