/**
 * Python's `textwrap.fill` with its defaults (width 70, hyphenated words split after the hyphen,
 * over-long words broken, whitespace collapsed to single spaces), so that `config explain` wraps
 * its descriptions where `linotp config explain` wraps them. Checked against python3 in
 * test/settings/pytextwrap.test.ts.
 */

const LT = '[\\p{L}\\p{M}]'; // Python's [^\d\W]: a letter
const WP = "[\\p{L}\\p{M}\\p{N}_!\"'&.,?]"; // [\w!"'&.,?]
const WS = '[\\t\\n\\x0b\\x0c\\r ]';
const NWS = '[^\\t\\n\\x0b\\x0c\\r ]';

/** textwrap.TextWrapper.wordsep_re (Python 3.7+), as one capturing group so split keeps every chunk. */
const WORDSEP = new RegExp(
  `(${WS}+` +
    `|(?<=${WP})-{2,}(?=[\\p{L}\\p{N}_])` +
    `|${NWS}+?(?:-(?:(?<=${LT}{2}-)|(?<=${LT}-${LT}-))(?=${LT}-?${LT})|(?=${WS}|$)|(?<=${WP})(?=-{2,}[\\p{L}\\p{N}_])))`,
  'u',
);

export interface FillOptions {
  width?: number;
  initialIndent?: string;
  subsequentIndent?: string;
}

export function pyFill(text: string, opts: FillOptions = {}): string {
  return pyWrap(text, opts).join('\n');
}

export function pyWrap(text: string, { width = 70, initialIndent = '', subsequentIndent = '' }: FillOptions = {}): string[] {
  // expandtabs(8), then every whitespace character becomes a space
  const munged = expandTabs(text).replace(/[\t\n\x0b\x0c\r]/g, ' ');
  const chunks = munged.split(WORDSEP).filter((c) => c !== '').reverse();
  const lines: string[] = [];
  const len = (s: string) => [...s].length;
  while (chunks.length) {
    const cur: string[] = [];
    let curLen = 0;
    const indent = lines.length ? subsequentIndent : initialIndent;
    const room = width - len(indent);
    if (lines.length && chunks[chunks.length - 1].trim() === '') chunks.pop();
    while (chunks.length) {
      const l = len(chunks[chunks.length - 1]);
      if (curLen + l <= room) {
        cur.push(chunks.pop()!);
        curLen += l;
      } else break;
    }
    if (chunks.length && len(chunks[chunks.length - 1]) > room) {
      // _handle_long_word with break_long_words and break_on_hyphens
      const spaceLeft = room < 1 ? 1 : room - curLen;
      const chunk = [...chunks[chunks.length - 1]];
      let end = spaceLeft;
      const head = chunk.slice(0, spaceLeft).join('');
      const hy = head.lastIndexOf('-');
      if (hy > 0 && /[^-]/.test(head.slice(0, hy))) end = [...head.slice(0, hy)].length + 1;
      cur.push(chunk.slice(0, end).join(''));
      chunks[chunks.length - 1] = chunk.slice(end).join('');
      if (chunks[chunks.length - 1] === '') chunks.pop();
    }
    if (cur.length && cur[cur.length - 1].trim() === '') cur.pop();
    if (cur.length) lines.push(indent + cur.join(''));
  }
  return lines;
}

function expandTabs(s: string): string {
  let out = '';
  let col = 0;
  for (const ch of s) {
    if (ch === '\t') {
      const n = 8 - (col % 8);
      out += ' '.repeat(n);
      col += n;
    } else {
      out += ch;
      col = ch === '\n' || ch === '\r' ? 0 : col + 1;
    }
  }
  return out;
}
