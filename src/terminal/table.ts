/**
 * Plain tables (no borders, two spaces between columns) that fit the terminal: when the natural
 * widths do not fit, the widest columns give up room first and their cells wrap inside the column.
 * The full text of every cell stays in the command's --json document.
 */
import { stripAnsi, visibleWidth, wrapText } from './text.js';
import { tableWidth } from './width.js';

export type Align = 'left' | 'right';

const GAP = 2;
/** A column is never made narrower than this (or its natural width, when that is smaller). */
const MIN_COLUMN = 6;

export interface TableOptions {
  /** Width to fit; default: the terminal's (src/terminal/width.ts tableWidth). `Infinity` never wraps. */
  width?: number;
}

export function renderTable(headers: string[], rows: (string | number)[][], align: Align[] = [], opts: TableOptions = {}): string {
  const cells = [headers, ...rows.map((r) => headers.map((_, i) => String(r[i] ?? '')))];
  const natural = headers.map((_, i) => Math.max(...cells.map((r) => visibleWidth(r[i]))));
  const widths = fitWidths(natural, (opts.width ?? tableWidth()) - GAP * (headers.length - 1));
  const fmt = (r: string[]) => {
    const parts = r.map((v, i) => (visibleWidth(v) <= widths[i] ? [v] : wrapText(v, widths[i])));
    const height = Math.max(...parts.map((p) => p.length));
    const lines: string[] = [];
    for (let k = 0; k < height; k++) {
      const line = parts
        .map((p, i) => {
          const v = p[k] ?? '';
          const pad = ' '.repeat(Math.max(0, widths[i] - visibleWidth(v)));
          return align[i] === 'right' ? pad + v : v + pad;
        })
        .join(' '.repeat(GAP))
        .trimEnd();
      lines.push(line);
    }
    return lines.join('\n');
  };
  const rule = widths.map((w) => '─'.repeat(w)).join(' '.repeat(GAP));
  return [fmt(headers), rule, ...cells.slice(1).map(fmt)].join('\n');
}

/**
 * Column widths within `room`: columns narrower than an even share keep their width, the others
 * share what is left (water-filling), never below MIN_COLUMN — a table with too many columns for
 * the terminal overflows rather than becoming unreadable.
 */
export function fitWidths(natural: number[], room: number): number[] {
  const total = natural.reduce((a, b) => a + b, 0);
  if (total <= room) return natural;
  const order = natural.map((w, i) => i).sort((a, b) => natural[a] - natural[b]);
  const out = [...natural];
  let left = room;
  for (let k = 0; k < order.length; k++) {
    const i = order[k];
    const share = Math.floor(left / (order.length - k));
    out[i] = Math.max(Math.min(natural[i], MIN_COLUMN), Math.min(natural[i], share));
    left -= out[i];
  }
  return out;
}

export { stripAnsi };
