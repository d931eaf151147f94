// The `audit` command group in-process: flags → core → JSON result, exit codes, confirmation.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commands } from '../../src/cli/audit.js';
import { Output } from '../../src/cli/output.js';
import type { CommandContext } from '../../src/cli/spec.js';
import { openDatabase } from '../../src/db/index.js';
import { signLinotp2Row } from '../../src/audit/signatures.js';
import { AbortedError, ChecksFailedError, UsageError } from '../../src/errors.js';
import { auditRow, createLinotp2AuditTable, insertAuditRows } from './audit-fixture.js';

function ctx(yes = true) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  stdout.on('data', (d) => (out += d));
  const c: CommandContext = {
    out: new Output({ json: true, quiet: false, verbose: 0, color: false, stdout, stderr }),
    global: { json: true, verbose: 0, quiet: false, yes, color: false },
    env: {},
    cwd: process.cwd(),
    stdin: { isTTY: false } as NodeJS.ReadStream,
  };
  return { c, json: () => JSON.parse(out) };
}

const spec = (name: string) => commands.find((s) => s.path[1] === name)!;

describe('audit commands', () => {
  let dir: string;
  let uri: string;
  const oldKey = generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
  const newKey = generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lmt-audit-cli-'));
    uri = `sqlite:///${join(dir, 'linotp.db')}`;
    const db = await openDatabase(uri, { create: true });
    await createLinotp2AuditTable(db);
    const rows = [1, 2, 3].map((id) => auditRow(id, `2024-10-27 02:1${id}:00.000000`));
    for (const r of rows) r.signature = signLinotp2Row(r, oldKey.privateKey);
    rows.push(auditRow(4, '2024-07-01 12:00:00.500000'));
    await insertAuditRows(db, rows);
    await db.execute("UPDATE audit SET info = 'changed' WHERE id = 3");
    await db.close();
    writeFileSync(join(dir, 'public.pem'), oldKey.publicKey);
    writeFileSync(join(dir, 'audit-private.pem'), newKey.privateKey);
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('to-utc requires a valid zone', async () => {
    await expect(spec('to-utc').run(ctx().c, [], { databaseUri: uri })).rejects.toThrow(UsageError);
    await expect(spec('to-utc').run(ctx().c, [], { databaseUri: uri, timezone: 'Europe/Nowhere' })).rejects.toThrow(/Europe\/Nowhere/);
  });

  it('verify-signatures reports invalid rows with exit 3 and the JSON document', async () => {
    const t = ctx();
    await expect(spec('verify-signatures').run(t.c, [], { databaseUri: uri, auditPublicKey: join(dir, 'public.pem') })).rejects.toThrow(ChecksFailedError);
    expect(t.json()).toMatchObject({ total: 4, valid: 2, invalid: 1, invalidIds: [3], unverifiable: 1 });
  });

  it('seal writes the signed report', async () => {
    const t = ctx();
    await spec('seal').run(t.c, [], { databaseUri: uri, auditPublicKey: join(dir, 'public.pem'), auditPrivateKey: join(dir, 'audit-private.pem'), out: join(dir, 'backup') });
    expect(t.json().check).toMatchObject({ valid: 2, invalid: 1 });
    expect(readdirSync(join(dir, 'backup'))).toHaveLength(2);
  });

  it('to-utc --plan changes nothing; without --yes and a TTY it refuses; with --yes it converts once', async () => {
    const p = ctx();
    await spec('to-utc').run(p.c, [], { databaseUri: uri, timezone: 'Europe/Berlin', plan: true });
    expect(p.json()).toMatchObject({ toConvert: 4, ambiguous: 3, signedToConvert: 3 });
    await expect(spec('to-utc').run(ctx(false).c, [], { databaseUri: uri, timezone: 'Europe/Berlin' })).rejects.toThrow(AbortedError);
    const a = ctx();
    await spec('to-utc').run(a.c, [], { databaseUri: uri, timezone: 'Europe/Berlin' });
    expect(a.json()).toMatchObject({ converted: 4, samples: [{ id: 4, before: '2024-07-01 12:00:00.500000', after: '2024-07-01T10:00:00.500+00:00' }] });
    const b = ctx();
    await spec('to-utc').run(b.c, [], { databaseUri: uri, timezone: 'Europe/Berlin' });
    expect(b.json()).toMatchObject({ toConvert: 0, alreadyUtc: 4 });
  });

  it('finds the audit table through the LinOTP 2 ini (linotpAudit.sql.url, table_prefix) and the LinOTP 3 SQLite sibling', async () => {
    const auditUri = `sqlite:///${join(dir, 'audit.db')}`;
    const a = await openDatabase(auditUri, { create: true });
    await createLinotp2AuditTable(a, 'lo_audit');
    await insertAuditRows(a, [auditRow(1, '2024-01-01 12:00:00.000000')], 'lo_audit');
    await a.close();
    const main = await openDatabase(`sqlite:///${join(dir, 'main.db')}`, { create: true });
    await main.execute('CREATE TABLE "Config" ("Key" VARCHAR(255))');
    await main.close();
    writeFileSync(join(dir, 'linotp.ini'), `[DEFAULT]\n[app:main]\nsqlalchemy.url = sqlite:///${join(dir, 'main.db')}\nlinotpAudit.sql.url = ${auditUri}\nlinotpAudit.sql.table_prefix = lo_\n`);
    const viaIni = ctx();
    await spec('to-utc').run(viaIni.c, [], { ini: join(dir, 'linotp.ini'), timezone: 'UTC', plan: true });
    expect(viaIni.json()).toMatchObject({ table: 'lo_audit', toConvert: 1, samples: [{ after: '2024-01-01T12:00:00.000+00:00' }] });

    // LinOTP 3 keeps a SQLite installation's audit trail in `<file>_audit`.
    const sib = await openDatabase(`sqlite:///${join(dir, 'main.db')}_audit`, { create: true });
    await createLinotp2AuditTable(sib);
    await insertAuditRows(sib, [auditRow(7, '2024-01-01 12:00:00.000000'), auditRow(8, '2024-01-01 12:00:01.000000')]);
    await sib.close();
    const viaSibling = ctx();
    await spec('to-utc').run(viaSibling.c, [], { databaseUri: `sqlite:///${join(dir, 'main.db')}`, timezone: 'UTC', plan: true });
    expect(viaSibling.json()).toMatchObject({ table: 'audit', total: 2 });
  });
});
