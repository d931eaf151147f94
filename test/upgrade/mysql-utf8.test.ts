/**
 * Step 3.0.0.0 on MariaDB: latin1 LinOTP tables holding Python 2's raw UTF-8 bytes are converted to
 * utf8mb4 and repaired row by row; other applications' tables are left alone; utf8 databases get
 * the `suggested` flag.
 */
import { describe, expect, it } from 'vitest';
import { EncKey } from '../../src/crypto/enckey.js';
import { openDatabase } from '../../src/db/index.js';
import type { Db } from '../../src/db/types.js';
import { SAMPLE_ENC_KEY } from '../../src/fixtures/sample.js';
import { applyUpgrade } from '../../src/upgrade/apply.js';
import { MARKER_KEY } from '../../src/upgrade/mysql-utf8.js';
import { planUpgrade } from '../../src/upgrade/plan.js';
import { createTestDatabase, serverAvailable } from '../helpers/db.js';
import { loadSample212, snapshot } from './sample-db.js';

const KEY = new EncKey(SAMPLE_ENC_KEY, 'sample key');
const available = await serverAvailable('mysql');

async function withDb(charset: 'latin1' | 'utf8', fn: (db: Db) => Promise<void>) {
  const t = await createTestDatabase('mysql', { charset });
  const db = await openDatabase(t.url);
  try {
    await loadSample212(db, { latin1Connection: true });
    await fn(db);
  } finally {
    await db.close();
    await t.drop();
  }
}

const col = async (db: Db, sql: string) => (await db.query<{ v: string }>(sql)).map((r) => r.v);

describe.skipIf(!available)('3.0.0.0 MySQL character sets', () => {
  it('latin1 database: LinOTP tables converted and every free-text column repaired; foreign tables untouched', async () => {
    await withDb('latin1', async (db) => {
      await db.execute('CREATE TABLE otherapp (id INT PRIMARY KEY, name VARCHAR(20))');
      // genuine latin1 text (0xFC = ü) next to Python 2's UTF-8 bytes: must not be "repaired"
      await db.execute("UPDATE `Token` SET `LinOtpTokenDesc` = CONCAT('Gr', _latin1 X'FC', 'n') WHERE `LinOtpTokenId` = 3");
      await db.execute('ALTER TABLE `Config` ROW_FORMAT=COMPACT');
      const plan = await planUpgrade(db, { encKey: KEY });
      const step = plan.actions.find((a) => a.id === '3.0.0.0')!;
      expect(step.effects.tablesToConvert).toEqual(['Config', 'Realm', 'Token', 'TokenRealm', 'audit', 'challenges', 'logging_config', 'ocra', 'REPORTING'].sort());
      expect(step.notes.join('\n')).toContain('otherapp');
      expect(step.notes.join('\n')).toContain('Config: ROW_FORMAT=DYNAMIC');
      await applyUpgrade(db, { encKey: KEY });
      const cs = await db.tableCharsets();
      expect(cs.Token).toBe('utf8mb4');
      expect(cs.otherapp).toBe('latin1');
      expect(await col(db, 'SELECT `LinOtpTokenDesc` AS v FROM `Token` ORDER BY `LinOtpTokenId`')).toEqual([
        'Hardware-Token für Jürgen',
        'Smartphone von Zoë',
        'Grün',
      ]);
      expect(await col(db, 'SELECT user AS v FROM audit ORDER BY id')).toEqual(['jürgen', 'jürgen', 'zoë.østergård', 'Łukasz']);
      expect(await col(db, "SELECT `Value` AS v FROM `Config` WHERE `Key` = 'linotp.Policy.smstext.action'")).toEqual(['smstext="Ihr Einmalkennwort für LinOTP: <otp>"']);
      expect(await col(db, `SELECT \`Key\` AS v FROM \`Config\` WHERE \`Key\` IN ('linotp.utf8_conversion', '${MARKER_KEY}')`)).toEqual([]);
      // idempotent: a second run finds nothing to do
      expect((await applyUpgrade(db, { encKey: KEY })).upToDate).toBe(true);
    });
  });

  it('an ALTER that happened before a kill is still repaired on the next run', async () => {
    await withDb('latin1', async (db) => {
      await db.execute("INSERT INTO `Config` (`Key`, `Value`, `Type`, `Description`) VALUES (?, 'Token', '', '')", [MARKER_KEY]);
      await db.execute('ALTER TABLE `Token` CONVERT TO CHARACTER SET utf8mb4');
      expect((await col(db, 'SELECT `LinOtpTokenDesc` AS v FROM `Token` WHERE `LinOtpTokenId` = 1'))[0]).toBe('Hardware-Token fÃ¼r JÃ¼rgen');
      await applyUpgrade(db, { encKey: KEY });
      expect((await col(db, 'SELECT `LinOtpTokenDesc` AS v FROM `Token` WHERE `LinOtpTokenId` = 1'))[0]).toBe('Hardware-Token für Jürgen');
    });
  });

  it('a MyISAM latin1 table whose utf8mb4 keys exceed 1000 bytes is refused before anything changes', async () => {
    await withDb('latin1', async (db) => {
      await db.execute('ALTER TABLE `Config` ENGINE=MyISAM');
      const before = await snapshot(db);
      await expect(applyUpgrade(db, { encKey: KEY })).rejects.toThrow(/Config is a MyISAM table/);
      expect(await snapshot(db)).toBe(before);
    });
  });

  it('utf8 database with double-encoded text: no conversion, linotp.utf8_conversion = suggested', async () => {
    await withDb('utf8', async (db) => {
      const plan = await planUpgrade(db, { encKey: KEY });
      expect(plan.actions.find((a) => a.id === '3.0.0.0')!.effects.tablesToConvert).toEqual([]);
      await applyUpgrade(db, { encKey: KEY });
      expect(await col(db, "SELECT `Value` AS v FROM `Config` WHERE `Key` = 'linotp.utf8_conversion'")).toEqual(['suggested']);
      expect((await col(db, 'SELECT `LinOtpTokenDesc` AS v FROM `Token` WHERE `LinOtpTokenId` = 1'))[0]).toBe('Hardware-Token fÃ¼r JÃ¼rgen');
    });
  });
});
