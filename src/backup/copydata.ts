/**
 * PostgreSQL COPY text data as pg_dump writes it (one row per line, tab-separated, `\N` = NULL):
 * the field count check and the decoding of the cross-engine path. The same-engine path sends the
 * lines to COPY as they are.
 */
import type { SqlValue } from '../db/types.js';
import { InputError } from '../errors.js';
import { unescapeCopy } from './sqltext.js';

/** Fields per line of a block of COPY lines; every line must have the same number. */
export function copyFields(data: Buffer, where: string, firstLine: number): number {
  let fields = -1;
  let line = firstLine;
  // indexOf jumps from tab to tab: several times faster than looking at every byte in JS.
  for (let p = 0; p < data.length; line++) {
    const nl = data.indexOf(0x0a, p);
    const end = nl < 0 ? data.length : nl;
    let n = 1;
    for (let t = data.indexOf(0x09, p); t >= 0 && t < end; t = data.indexOf(0x09, t + 1)) n++;
    if (fields < 0) fields = n;
    else if (n !== fields) throw new InputError(`${where} line ${line}: a COPY row has ${n} fields after rows with ${fields}`, 'the dump is damaged');
    p = end + 1;
  }
  return fields;
}

export function parseCopyLines(data: Buffer): SqlValue[][] {
  const rows: SqlValue[][] = [];
  let p = 0;
  while (p < data.length) {
    let nl = data.indexOf(0x0a, p);
    if (nl < 0) nl = data.length;
    const end = nl > p && data[nl - 1] === 0x0d ? nl - 1 : nl;
    rows.push(
      data
        .toString('utf8', p, end)
        .split('\t')
        .map((f) => (f === '\\N' ? null : unescapeCopy(f))),
    );
    p = nl + 1;
  }
  return rows;
}

