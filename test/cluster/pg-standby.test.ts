/**
 * A private PostgreSQL primary with a streaming hot standby (test/helpers/cluster.ts), through the
 * built CLI: every mutating command pointed at the standby stops at once (exit 1, naming the
 * primary), with nothing changed; a restore through the primary shows on the standby exactly
 * (verify --node; sequences too).
 */
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBackup } from '../../src/backup/create.js';
import { openDatabase } from '../../src/db/index.js';
import { buildInstallation } from '../../src/fixtures/installation.js';
import { writeInstallation } from '../../src/fixtures/write.js';
import { tableSums } from '../../src/verify/cluster.js';
import type { VerifyReport } from '../../src/verify/types.js';
import { tmp } from '../backup/helpers.js';
import { clusterSkip, startPgPair, type PgPair } from '../helpers/cluster.js';
import { ensureBuilt, runCli } from '../e2e/global-setup.js';

const run = runCli;

let pair: PgPair | undefined;
let skipReason = '';
let backupFile = '';

beforeAll(async () => {
  await ensureBuilt();
  try {
    pair = await startPgPair();
  } catch (e) {
    skipReason = clusterSkip(e);
    return;
  }
  // A LinOTP 2 backup to restore (made from a database on the primary, then dropped).
  const src = await pair.createDatabase();
  const db = await openDatabase(pair.primaryUrl(src.name));
  try {
    await writeInstallation(db, buildInstallation({ seed: 7, tokens: 20, auditRows: 300 }));
    backupFile = (await createBackup(db, { outDir: tmp(), encKey: null })).file;
  } finally {
    await db.close();
    await src.drop();
  }
}, 180_000);

afterAll(async () => {
  await pair?.stop();
  if (backupFile) rmSync(dirname(backupFile), { recursive: true, force: true });
}, 60_000);

async function sequences(url: string): Promise<Record<string, string>> {
  const db = await openDatabase(url);
  try {
    const rows = await db.query("SELECT sequencename AS n, last_value::text AS v FROM pg_sequences WHERE schemaname = 'public' ORDER BY 1");
    return Object.fromEntries(rows.map((r) => [String(r.n), String(r.v)]));
  } finally {
    await db.close();
  }
}

describe('PostgreSQL primary with a streaming standby', () => {
  it('every mutating command pointed at the standby is refused before any work, naming the primary', async (t) => {
    if (!pair) return t.skip(skipReason);
    const { name, drop } = await pair.createDatabase();
    try {
      expect(run(['--yes', 'backup', 'restore', '--file', backupFile, '--database-uri', pair.primaryUrl(name)]).code).toBe(0);
      await pair.caughtUp();
      const standby = pair.standbyUrl(name);
      const probe = await openDatabase(standby);
      const before = await tableSums(probe);
      await probe.close();
      const attempts: string[][] = [
        ['backup', 'restore', '--file', backupFile, '--database-uri', standby],
        ['init', 'database', '--database-uri', standby, '--enc-key', 'fixtures/demo/encKey'],
        ['admin', 'fix-db-encoding', '--database-uri', standby],
        ['audit', 'to-utc', '--timezone', 'Europe/Berlin', '--database-uri', standby],
      ];
      for (const args of attempts) {
        const r = run(['--yes', ...args]);
        expect(r.code, `${args.slice(0, 2).join(' ')}: ${r.stderr}`).toBe(1);
        expect(r.stderr).toMatch(/^error: .* is a PostgreSQL standby \(in recovery, read-only\); nothing was changed$/m);
        expect(r.stderr).toMatch(new RegExp(`^hint: point the database URI at the primary, 127\\.0\\.0\\.1:${pair.primaryPort} `, 'm'));
        expect(r.stderr).not.toMatch(/\n\s+at /);
      }
      const db = await openDatabase(standby);
      try {
        expect(await tableSums(db)).toEqual(before);
      } finally {
        await db.close();
      }
    } finally {
      await drop();
    }
  });

  it('a restore through the primary: the standby has the same tables and sequences (verify --node)', async (t) => {
    if (!pair) return t.skip(skipReason);
    const { name, drop } = await pair.createDatabase();
    try {
      const r = run<any>(['--json', '--yes', 'backup', 'restore', '--file', backupFile, '--database-uri', pair.primaryUrl(name)]);
      expect(r.code, r.stderr).toBe(0);
      const v = run<VerifyReport>(['--json', 'verify', '--database-uri', pair.primaryUrl(name), '--skip-encoding', '--node', `127.0.0.1:${pair.standbyPort}`]);
      expect(v.json, v.stderr).toBeDefined();
      const check = v.json!.checks.find((c) => c.id === 'cluster')!;
      expect(check.status, JSON.stringify(check)).toBe('pass');
      expect(v.json!.cluster!.nodes).toHaveLength(2);
      expect(v.json!.cluster!.kind).toBe('pg-primary');
      await pair.caughtUp();
      // A standby sees each sequence where the primary WAL-logged it, up to 32 values ahead
      // (SEQ_LOG_VALS): never behind, so a promoted standby hands out no id twice.
      const primarySeq = await sequences(pair.primaryUrl(name));
      const standbySeq = await sequences(pair.standbyUrl(name));
      expect(Object.keys(standbySeq)).toEqual(Object.keys(primarySeq));
      expect(Object.keys(primarySeq).length).toBeGreaterThan(3);
      for (const [seq, v] of Object.entries(primarySeq)) {
        if (v === 'null') continue;
        expect(Number(standbySeq[seq]), seq).toBeGreaterThanOrEqual(Number(v));
        expect(Number(standbySeq[seq]), seq).toBeLessThanOrEqual(Number(v) + 32);
      }
    } finally {
      await drop();
    }
  });

  it('local-admins on the standby: refused like every mutating command, naming the primary, nothing written', async (t) => {
    if (!pair) return t.skip(skipReason);
    const { name, drop } = await pair.createDatabase();
    try {
      // the demo LinOTP 2 MariaDB dump, restored across engines and upgraded on the primary
      expect(run(['-q', '--yes', 'backup', 'restore', '--file', 'fixtures/demo/linotp2-mysql.sql', '--database-uri', pair.primaryUrl(name)]).code).toBe(0);
      expect(run(['-q', '--yes', 'init', 'database', '--database-uri', pair.primaryUrl(name), '--enc-key', 'fixtures/demo/encKey']).code).toBe(0);
      await pair.caughtUp();
      const r = run(['--yes', 'local-admins', 'add', 'alice', '--database-uri', pair.standbyUrl(name)]);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toMatch(/^error: .* is a PostgreSQL standby \(in recovery, read-only\); nothing was changed$/m);
      expect(r.stderr).toMatch(new RegExp(`^hint: point the database URI at the primary, 127\\.0\\.0\\.1:${pair.primaryPort} `, 'm'));
      const list = run<any>(['--json', 'local-admins', 'list', '--database-uri', pair.primaryUrl(name)]);
      expect(list.code, list.stderr).toBe(0);
      expect(JSON.stringify(list.json)).not.toContain('alice');
    } finally {
      await drop();
    }
  });
});
