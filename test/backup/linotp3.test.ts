// A LinOTP 3.4 database (model 3.2.3.0, local admins, emoji) backed up on one engine and restored
// on the others: the 3.4 table shapes come from the schema model, every value carries over.
import { expect, it } from 'vitest';
import { createBackup } from '../../src/backup/create.js';
import { inspectDump } from '../../src/backup/inspect.js';
import { applyRestore, planRestore } from '../../src/backup/restore.js';
import { openBackup } from '../../src/backup/source.js';
import { createTableStatements } from '../../src/schema/ddl.js';
import { LINOTP_3_4 } from '../../src/schema/tables.js';
import { ALL_ENGINES, describeEngines, serverAvailable } from '../helpers/db.js';
import { freshDb, tableContent, tmp } from './helpers.js';

describeEngines('LinOTP 3.4 backups', (engine) => {
  it('restore into every other engine with the 3.4 model, admins included', async () => {
    const source = await freshDb(engine);
    try {
      const db = source.db;
      for (const t of LINOTP_3_4.tables.filter((x) => x.presence !== 'optional')) {
        for (const s of createTableStatements(t, engine, { mysqlTable: 'utf8mb4' })) await db.execute(s);
      }
      await db.insertMany('Config', ['Key', 'Value', 'Type', 'Description'], [
        ['linotp.sql_data_model_version', '3.2.3.0', null, null],
        ['linotp.Config', '2025-01-31 14:05:00.123456', null, null],
        ['linotp.useridresolver.group.LinOTP_local_admins', 'useridresolver.SQLIdResolver.IdResolver.LinOTP_local_admins', 'text', 'None'],
      ]);
      await db.insertMany('Realm', ['id', 'name', 'default', 'option'], [[1, 'linotp_admins', false, ''], [2, 'zürich 🔐', true, '']]);
      await db.insertMany('imported_user', ['groupid', 'userid', 'username', 'phone', 'mobile', 'email', 'surname', 'givenname', 'password'], [
        ['LinOTP_local_admins', 'admin', 'admin', '', '', 'a@example.com', 'Ädmin', 'Ada 😀', '$6$rounds=656000$abcdefghijklmnop$x'],
      ]);
      await db.insertMany('audit', ['id', 'timestamp', 'signature', 'action', 'success', 'serial', 'tokentype', 'user', 'realm', 'administrator', 'action_detail', 'info', 'linotp_server', 'client', 'log_level', 'clearance_level'], [
        [1, '2025-01-31T14:05:00.123+00:00', 'ab'.repeat(256), 'admin/init', '1', 'oath1', 'HMAC', 'jürgen', 'zürich 🔐', "'admin'", '', 'ok', 'srv', '10.0.0.1', 'INFO', 0],
      ]);
      const file = (await createBackup(db, { outDir: tmp(), encKey: null })).file;
      for (const to of ALL_ENGINES.filter((e) => e !== engine)) {
        if (!(await serverAvailable(to))) continue;
        const target = await freshDb(to);
        try {
          const src = await openBackup(file);
          const info = await inspectDump(src);
          expect(info.modelVersion).toBe('3.2.3.0');
          const plan = await planRestore(target.db, src, info);
          expect(plan.problems).toEqual([]);
          expect(plan.tables.every((t) => t.ddl === 'model')).toBe(true);
          await applyRestore(target.db, src, plan);
          for (const t of ['Config', 'Realm', 'imported_user', 'audit', 'Token']) expect(await tableContent(target.db, t), `${engine}→${to} ${t}`).toEqual(await tableContent(db, t));
        } finally {
          await target.drop();
        }
      }
    } finally {
      await source.drop();
    }
  }, 120_000);
});
