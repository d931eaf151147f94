/**
 * manifest.json, the first member of every archive `backup create` writes. It lets `verify` and
 * `restore` check every byte (SHA-256 per member, per-table row checksums) before anything is
 * changed, and `list` describe a backup without reading the dump.
 */
import { readFileSync } from 'node:fs';
import type { Engine } from '../db/types.js';
import { InputError } from '../errors.js';

export const MANIFEST_NAME = 'manifest.json';
export const KEY_MEMBER = 'encKey.gpg';
export const FORMAT = 'linotp-migrate-backup';

export interface TableManifest {
  name: string;
  rows: number;
  /** SHA-256 over the rows as the dump carries them, each followed by a newline (src/backup/sqltext.ts RowTextHasher). */
  sha256: string;
}

export interface Manifest {
  format: typeof FORMAT;
  formatVersion: 1;
  tool: { name: string; version: string };
  createdAt: string;
  source: { engine: Engine; serverVersion: string; database: string };
  /** Config `linotp.sql_data_model_version` (null: not stored, i.e. LinOTP ≤ 2.9 or untouched). */
  modelVersion: string | null;
  dump: { member: string; dialect: Engine; bytes: number; sha256: string };
  tables: TableManifest[];
  /** Tables left out on purpose (e.g. audit with --skip-audit). */
  skippedTables: string[];
  encKey: { member: string; sha256: string; fingerprint: string; bytes: number } | null;
}

export function toolVersion(): string {
  try {
    return JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version;
  } catch {
    return 'unknown';
  }
}

export function parseManifest(text: string, where: string): Manifest {
  let doc: any;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new InputError(`${where}: manifest.json is not valid JSON (${(e as Error).message})`, 'the archive is damaged');
  }
  if (doc?.format !== FORMAT) throw new InputError(`${where}: manifest.json is not a linotp-migrate backup manifest`);
  if (doc.formatVersion !== 1) {
    throw new InputError(`${where}: backup format version ${doc.formatVersion} is not supported by this version of linotp-migrate`, 'use a newer linotp-migrate');
  }
  if (!doc.dump?.member || !Array.isArray(doc.tables) || !['mysql', 'postgres', 'sqlite'].includes(doc.dump.dialect)) {
    throw new InputError(`${where}: manifest.json lacks the dump description`, 'the archive is damaged');
  }
  return doc as Manifest;
}
