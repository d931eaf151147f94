/**
 * LinOTP 2 audit signatures, checked the LinOTP 2 way.
 *
 * What LinOTP 2.12 signed (branch-v2.12 linotpd/src/linotp/lib/audit/SQLAudit.py, `_sign` →
 * `_attr_to_dict` → module function `getAsString`), after the row was flushed so its id is known:
 *
 *   number=<id>, date=<timestamp>, action=<action>, <success>, serial=<serial>, <tokentype>,
 *   user=<user>, <realm>, admin=<administrator>, <action_detail>, <info>, server=<linotp_server>,
 *   <log_level>, <clearance_level>, client=<client>
 *
 * (one line, ", " between the parts). Text columns read through `AuditTable.__getattribute__`, which
 * turns empty values into "" (and JSON-unescapes them when `linotp.uencode_data` was on); LinOTP 2's
 * own check (`row2dict`) also maps NULL to "". The signature is RSA PKCS#1 v1.5 over SHA-256
 * (M2Crypto EVP, md=sha256), stored as lower-case hex.
 *
 * LinOTP 3.4 (linotp/lib/audit/SQLAudit.py) uses the same template but `repr()`s the administrator
 * and signs UTF-8 bytes; its timestamps are ISO UTC. That is why LinOTP 3 reports every LinOTP 2 row
 * as "signature invalid", and why rows converted by `audit to-utc` (the date is part of the signed
 * text) can only be checked before the conversion.
 *
 * The byte form is not fully certain: the text is a Python 2 `unicode`, and M2Crypto's
 * `sign_update` took the object's buffer — UTF-8 if it was encoded first, but the raw internal
 * UCS-4 (Debian's wide Python 2) or UCS-2 form if not. A signature counts as valid when it verifies
 * over any of these encodings of the one text (all are injective, so this admits no other text);
 * which form matched is reported. Rows written before LinOTP 2 had a `client` column were signed
 * without the `, client=` part; that form is tried only when `client` is empty.
 */
import { createPublicKey, verify as rsaVerify, createPrivateKey, sign as rsaSign, constants, type KeyObject, createHash } from 'node:crypto';
import { encodeMysqlLatin1 } from '../encoding/mysql-latin1.js';
import { KeyError } from '../errors.js';
import type { Db, Row, SqlValue } from '../db/types.js';
import { isLinotp3Timestamp } from './timezone.js';
import { DEFAULT_AUDIT_TABLE, type ProgressSink, announceTotal, idValue, requireAuditTable, toCount } from './table.js';

/** The columns of one audit row that the signed text uses. */
export interface AuditSignedFields {
  id: SqlValue;
  timestamp: SqlValue;
  action: SqlValue;
  success: SqlValue;
  serial: SqlValue;
  tokentype: SqlValue;
  user: SqlValue;
  realm: SqlValue;
  administrator: SqlValue;
  action_detail: SqlValue;
  info: SqlValue;
  linotp_server: SqlValue;
  client: SqlValue;
  log_level: SqlValue;
  clearance_level: SqlValue;
}

export const SIGNED_COLUMNS: (keyof AuditSignedFields)[] = [
  'id', 'timestamp', 'action', 'success', 'serial', 'tokentype', 'user', 'realm',
  'administrator', 'action_detail', 'info', 'linotp_server', 'client', 'log_level', 'clearance_level',
];

export interface TextOptions {
  /** The values are stored JSON-\u-escaped (LinOTP 2 `linotp.uencode_data = True`). */
  uencoded?: boolean;
  /** Leave out `, client=…` (rows from before the client column). */
  withoutClient?: boolean;
}

function text(v: SqlValue, uencoded: boolean): string {
  if (v === null || v === undefined || v === '') return '';
  const s = Buffer.isBuffer(v) ? v.toString('utf8') : v instanceof Date ? v.toISOString() : String(v);
  if (!uencoded) return s;
  try {
    return JSON.parse(`"${s}"`) as string;
  } catch {
    return s;
  }
}

/** LinOTP 2's `getAsString` text of a row. */
export function linotp2AuditText(row: AuditSignedFields, opts: TextOptions = {}): string {
  const u = Boolean(opts.uencoded);
  const t = (v: SqlValue) => text(v, u);
  const s =
    `number=${t(row.id)}, date=${t(row.timestamp)}, action=${t(row.action)}, ${t(row.success)}, ` +
    `serial=${t(row.serial)}, ${t(row.tokentype)}, user=${t(row.user)}, ${t(row.realm)}, ` +
    `admin=${t(row.administrator)}, ${t(row.action_detail)}, ${t(row.info)}, server=${t(row.linotp_server)}, ` +
    `${t(row.log_level)}, ${t(row.clearance_level)}`;
  return opts.withoutClient ? s : `${s}, client=${t(row.client)}`;
}

export type ByteForm = 'utf-8' | 'ucs-4' | 'ucs-2';

export function linotp2AuditBytes(textForm: string, form: ByteForm = 'utf-8'): Buffer {
  if (form === 'utf-8') return Buffer.from(textForm, 'utf8');
  if (form === 'ucs-2') return Buffer.from(textForm, 'utf16le');
  const cps = [...textForm].map((c) => c.codePointAt(0)!);
  const b = Buffer.alloc(cps.length * 4);
  cps.forEach((cp, i) => b.writeUInt32LE(cp, i * 4));
  return b;
}

/** Signs a row the LinOTP 2 way (tests, fixtures). Returns lower-case hex like LinOTP's `hexlify`. */
export function signLinotp2Row(row: AuditSignedFields, privateKeyPem: string | KeyObject, opts: TextOptions & { form?: ByteForm } = {}): string {
  const key = typeof privateKeyPem === 'string' ? createPrivateKey(privateKeyPem) : privateKeyPem;
  const data = linotp2AuditBytes(linotp2AuditText(row, opts), opts.form ?? 'utf-8');
  return rsaSign('sha256', data, { key, padding: constants.RSA_PKCS1_PADDING }).toString('hex');
}

/** Reads a PEM public key (SPKI or PKCS#1; a private key PEM gives its public half). */
export function loadRsaPublicKey(pem: string, source: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch {
    throw new KeyError(`${source} is not a PEM public key`, 'give LinOTP 2\'s audit public key, /etc/linotp2/public.pem (linotpAudit.key.public)');
  }
  if (key.asymmetricKeyType !== 'rsa') throw new KeyError(`${source} is a ${key.asymmetricKeyType} key, not RSA`, 'LinOTP audit keys are RSA keys');
  return key;
}

/** SHA-256 of the DER SubjectPublicKeyInfo, hex: names a key in reports without showing it. */
export function publicKeyFingerprint(key: KeyObject): string {
  return createHash('sha256').update(key.export({ type: 'spki', format: 'der' })).digest('hex');
}

export interface SignatureCounts {
  table: string;
  total: number;
  /** Rows in LinOTP 2 form (local timestamp) that carry a signature. */
  linotp2Signed: number;
  /** Rows without a signature. */
  unsigned: number;
  /** Rows with a LinOTP 3 timestamp (written by LinOTP 3, or converted by `audit to-utc`). */
  linotp3Rows: number;
}

function countSql(db: Db, table: string): string {
  const q = db.dialect.quoteIdent;
  const sig = q('signature');
  const ts = q('timestamp');
  const unsigned = `(${sig} IS NULL OR ${sig} = '')`;
  const l3 = `(${db.dialect.endsWith(ts, '+00:00')})`;
  return (
    `SELECT COUNT(*) AS n_total, ` +
    `SUM(CASE WHEN ${unsigned} THEN 1 ELSE 0 END) AS n_unsigned, ` +
    `SUM(CASE WHEN NOT ${unsigned} AND ${l3} THEN 1 ELSE 0 END) AS n_l3_signed, ` +
    `SUM(CASE WHEN ${l3} THEN 1 ELSE 0 END) AS n_l3 ` +
    `FROM ${q(table)}`
  );
}

/** How many audit rows carry LinOTP 2 signatures — one aggregate query, no key needed (for `verify`). */
export async function countLinotp2Signatures(db: Db, opts: { table?: string } = {}): Promise<SignatureCounts> {
  const table = await requireAuditTable(db, opts.table ?? DEFAULT_AUDIT_TABLE);
  const [r] = await db.query(countSql(db, table));
  const total = toCount(r?.n_total);
  const unsigned = toCount(r?.n_unsigned);
  // The SQL test (suffix +00:00) is the cheap form of isLinotp3Timestamp; no LinOTP 2 value ends so.
  return { table, total, unsigned, linotp3Rows: toCount(r?.n_l3), linotp2Signed: total - unsigned - toCount(r?.n_l3_signed) };
}

export interface SignatureCheck {
  table: string;
  publicKeySha256: string;
  total: number;
  valid: number;
  invalid: number;
  unverifiable: number;
  unverifiableReasons: { unsigned: number; linotp3Timestamp: number };
  /** Invalid rows whose signature is not even hex of the right length. */
  malformed: number;
  /** The first `maxInvalidIds` ids of invalid rows, in id order. */
  invalidIds: (number | string)[];
  invalidIdsTruncated: boolean;
  /** Which byte form / template variant the valid signatures matched. */
  matchedForms: Record<string, number>;
}

export interface CheckOptions {
  table?: string;
  uencoded?: boolean;
  maxInvalidIds?: number;
  batchSize?: number;
  progress?: ProgressSink;
}

const FORMS: ByteForm[] = ['utf-8', 'ucs-4', 'ucs-2'];

/**
 * MySQL tables written by LinOTP 2 over a latin1 connection hold its UTF-8 bytes read as MySQL latin1
 * characters ("jÃ¼rgen"); the signature covers the real text. Undo that once when the row does not
 * verify as read (src/encoding/mysql-latin1.ts has MySQL's latin1, which is not ISO-8859-1).
 */
const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
function repairMojibake(s: string): string | undefined {
  if (!/[\u0080-\u00ff\u0152-\u2122]/.test(s)) return undefined;
  const bytes = encodeMysqlLatin1(s);
  if (!bytes) return undefined;
  try {
    const fixed = STRICT_UTF8.decode(bytes);
    return fixed === s ? undefined : fixed;
  } catch {
    return undefined;
  }
}

/** Checks every audit row's LinOTP 2 signature with LinOTP 2's public key. Streams; memory stays bounded. */
export async function checkLinotp2Signatures(db: Db, publicKeyPem: string, opts: CheckOptions = {}): Promise<SignatureCheck> {
  const key = loadRsaPublicKey(publicKeyPem, 'the audit public key');
  const table = await requireAuditTable(db, opts.table ?? DEFAULT_AUDIT_TABLE);
  const max = opts.maxInvalidIds ?? 100;
  const res: SignatureCheck = {
    table,
    publicKeySha256: publicKeyFingerprint(key),
    total: 0,
    valid: 0,
    invalid: 0,
    unverifiable: 0,
    unverifiableReasons: { unsigned: 0, linotp3Timestamp: 0 },
    malformed: 0,
    invalidIds: [],
    invalidIdsTruncated: false,
    matchedForms: {},
  };
  const q = db.dialect.quoteIdent;
  const cols = [...SIGNED_COLUMNS, 'signature'].map((c) => `${q(c)} AS ${q(c)}`).join(', ');
  const sql = `SELECT ${cols} FROM ${q(table)} ORDER BY ${q('id')}`;
  const keyBytes = (key.asymmetricKeyDetails?.modulusLength ?? 2048) / 8;
  await announceTotal(db, table, opts.progress);
  for await (const batch of db.stream(sql, [], { batchSize: opts.batchSize ?? 2000 })) {
    for (const row of batch) {
      res.total++;
      const outcome = checkRow(row, key, keyBytes, Boolean(opts.uencoded));
      if (outcome === 'unsigned' || outcome === 'linotp3Timestamp') {
        res.unverifiable++;
        res.unverifiableReasons[outcome]++;
      } else if (outcome === 'invalid' || outcome === 'malformed') {
        res.invalid++;
        if (outcome === 'malformed') res.malformed++;
        if (res.invalidIds.length < max) res.invalidIds.push(idValue(row.id));
        else res.invalidIdsTruncated = true;
      } else {
        res.valid++;
        res.matchedForms[outcome] = (res.matchedForms[outcome] ?? 0) + 1;
      }
    }
    opts.progress?.tick(batch.length);
  }
  opts.progress?.finish?.();
  return res;
}

function checkRow(row: Row, key: KeyObject, keyBytes: number, uencoded: boolean): string {
  const sig = row.signature === null || row.signature === undefined ? '' : String(row.signature).trim();
  if (!sig) return 'unsigned';
  if (typeof row.timestamp === 'string' && isLinotp3Timestamp(row.timestamp)) return 'linotp3Timestamp';
  if (!/^[0-9a-fA-F]+$/.test(sig) || sig.length !== keyBytes * 2) return 'malformed';
  const signature = Buffer.from(sig, 'hex');
  const fields = row as unknown as AuditSignedFields;
  const clientEmpty = fields.client === null || fields.client === undefined || fields.client === '';
  const texts: [string, string][] = [['', linotp2AuditText(fields, { uencoded })]];
  if (clientEmpty) texts.push(['no-client', linotp2AuditText(fields, { uencoded, withoutClient: true })]);
  for (const [label, t] of [...texts]) {
    const fixed = repairMojibake(t);
    if (fixed) texts.push([label ? `${label}+mojibake-repaired` : 'mojibake-repaired', fixed]);
  }
  for (const [label, t] of texts) {
    for (const form of FORMS) {
      if (rsaVerify('sha256', linotp2AuditBytes(t, form), { key, padding: constants.RSA_PKCS1_PADDING }, signature)) {
        return label ? `${form}+${label}` : form;
      }
    }
  }
  return 'invalid';
}
