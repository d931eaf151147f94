/**
 * The encKey paper form of `linotp init enc-key --dump` (LinOTP 3.x `linotp/cli/init_cmd.py`
 * `dump_key`): the lowercase hex of the key in 16-digit chunks, one per line as
 * `<chunk> <crc32 of the chunk's ASCII, 8 hex>`, then a line of 16 spaces, a space and the first
 * 8 hex digits of SHA-1 over all chunk text. A 96-byte key gives 12 lines plus the checksum line.
 * An optional header (file name + timestamp and an instruction paragraph) precedes the table.
 */
import { createHash } from 'node:crypto';
import { KeyError } from '../errors.js';

const CHUNK = 16;
const HEX_DIGITS = 192;

let table: Uint32Array | undefined;
/** CRC-32 (IEEE, as Python's binascii.crc32). */
export function crc32(data: Buffer): number {
  if (!table) {
    table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (const b of data) crc = table[(crc ^ b) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

const hex8 = (n: number) => n.toString(16).padStart(8, '0');
const CHUNK_LINE = /^\s*([0-9a-fA-F]{16})\s+([0-9a-fA-F]{8})\s*$/;
const SUM_LINE = /^\s+([0-9a-fA-F]{8})\s*$/;

export function looksLikeDump(text: string): boolean {
  return text.split(/\r?\n/).some((l) => CHUNK_LINE.test(l));
}

/** Python's `datetime.now().isoformat()`: local time, microseconds, no zone. */
function pythonIsoNow(d: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds() * 1000, 6)}`;
}

export function formatDump(hex: string, opts: { filename: string; now?: Date; instructions: boolean }): string {
  const lines: string[] = [];
  if (opts.instructions) {
    lines.push(
      `${opts.filename} ${pythonIsoNow(opts.now ?? new Date())}`,
      '',
      'INSTRUCTIONS: Print this and store it in a safe place. Remember where you put',
      'it.',
      '',
      'To recover the keys, concatenate the FIRST column of each line and pass the',
      'result to `linotp init enc-key` using the `--keys` option (spaces are',
      'allowed to make the key data easier to enter):',
      '',
      `  linotp init enc-key --keys '${hex.slice(0, 12)}...${hex.slice(-12)}'`,
      '',
      'linotp-migrate also reads this whole printout as a key file (--enc-key FILE)',
      'and checks every line.',
      '',
      'Compare the output to this list; if the values on the final lines agree,',
      'everything is probably OK. Otherwise compare the values in the second columns;',
      'if there is a mismatch, then the data in the first column on that line',
      'contains one or more typos.',
      '',
    );
  }
  const sha = createHash('sha1');
  for (let i = 0; i < hex.length; i += CHUNK) {
    const chunk = hex.slice(i, i + CHUNK);
    sha.update(chunk, 'ascii');
    lines.push(`${chunk} ${hex8(crc32(Buffer.from(chunk, 'ascii')))}`);
  }
  lines.push(`${' '.repeat(CHUNK)} ${sha.digest('hex').slice(0, 8)}`);
  return lines.join('\n') + '\n';
}

/**
 * Reads the chunk table (header lines are skipped), checks every line's CRC32 and the SHA-1
 * checksum line, and returns the 96 key bytes. Errors name the line number so a typo on a
 * retyped printout can be found.
 */
export function parseDumpForm(text: string, source: string): Buffer {
  const rows = text.split(/\r?\n/);
  const chunks: string[] = [];
  let checksum: string | undefined;
  let checksumLine = 0;
  rows.forEach((line, i) => {
    const lineNo = i + 1;
    const m = CHUNK_LINE.exec(line);
    if (m) {
      if (checksum !== undefined) {
        throw new KeyError(`encKey ${source} line ${lineNo}: key data after the checksum line`, 'give one `--dump` printout per file');
      }
      const chunk = m[1].toLowerCase();
      const want = m[2].toLowerCase();
      const got = hex8(crc32(Buffer.from(chunk, 'ascii')));
      if (got !== want) {
        throw new KeyError(`encKey ${source} line ${lineNo}: CRC32 of ${chunk.length} key digits is ${got}, the printout says ${want}`, 'compare that line with the paper copy; one of its first-column digits is mistyped');
      }
      chunks.push(chunk);
      return;
    }
    const s = SUM_LINE.exec(line);
    if (s && chunks.length > 0 && checksum === undefined) {
      checksum = s[1].toLowerCase();
      checksumLine = lineNo;
    }
  });
  const hex = chunks.join('');
  if (hex.length !== HEX_DIGITS) {
    throw new KeyError(
      `encKey ${source} is a --dump printout with ${chunks.length} key lines (${hex.length / 2} bytes); LinOTP keys are 12 lines (96 bytes)`,
      'copy all twelve key lines of the printout',
    );
  }
  if (checksum === undefined) {
    throw new KeyError(`encKey ${source} is a --dump printout without its checksum line`, 'copy the last line (16 spaces and 8 hex digits) too');
  }
  const sum = createHash('sha1').update(hex, 'ascii').digest('hex').slice(0, 8);
  if (sum !== checksum) {
    throw new KeyError(`encKey ${source} line ${checksumLine}: checksum of the key lines is ${sum}, the printout says ${checksum}`, 'a key line is missing, doubled or out of order');
  }
  return Buffer.from(hex, 'hex');
}
