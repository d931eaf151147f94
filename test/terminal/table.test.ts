import { describe, expect, it } from 'vitest';
import { fitWidths, renderTable } from '../../src/terminal/table.js';
import { visibleWidth, wrapCommand, wrapText } from '../../src/terminal/text.js';
import { tableWidth, terminalWidth } from '../../src/terminal/width.js';

const long = 'a long explanation that goes on and on about what the check found and what to do about it';

describe('renderTable', () => {
  it('leaves a table that fits exactly as it was', () => {
    const t = renderTable(['a', 'b'], [['x', 1], ['yy', 22]], ['left', 'right'], { width: 80 });
    expect(t).toBe('a    b\n──  ──\nx    1\nyy  22');
  });

  it('wraps the widest column inside itself so every line fits', () => {
    const t = renderTable(['', 'check', 'result'], [['ok', 'token seeds decrypt', long], ['FAIL', 'x', long + ' ' + long]], [], { width: 50 });
    for (const line of t.split('\n')) expect(visibleWidth(line)).toBeLessThanOrEqual(50);
    expect(t.replace(/\s+/g, ' ')).toContain('what to do about it');
  });

  it('breaks a long word (a path) where it must', () => {
    const t = renderTable(['file'], [['/var/lib/linotp/' + 'x'.repeat(120)]], [], { width: 40 });
    for (const line of t.split('\n')) expect(visibleWidth(line)).toBeLessThanOrEqual(40);
    expect(t.split('\n').slice(2).join('')).toBe('/var/lib/linotp/' + 'x'.repeat(120));
  });

  it('keeps colour codes out of the width', () => {
    const red = '\x1b[31mFAIL\x1b[39m';
    const t = renderTable(['s', 'n'], [[red, 1]], [], { width: 80 });
    expect(t.split('\n')[2]).toBe(`${red}  1`);
  });

  it('never wraps with width Infinity', () => {
    const t = renderTable(['a'], [[long + long]], [], { width: Infinity });
    expect(t.split('\n')).toHaveLength(3);
  });
});

describe('fitWidths', () => {
  it('gives narrow columns their width and shares the rest', () => {
    expect(fitWidths([4, 100, 100], 80)).toEqual([4, 38, 38]);
    expect(fitWidths([10, 20], 80)).toEqual([10, 20]);
  });
});

describe('wrapping text', () => {
  it('wraps at spaces', () => {
    expect(wrapText('one two three four', 9)).toEqual(['one two', 'three', 'four']);
  });
  it('breaks a command with shell continuations that paste as one command', () => {
    const cmd = '  linotp-migrate backup restore --backup /srv/backups/linotp_backup_2611220830.tar.gz --install-enc-key --yes';
    const w = wrapCommand(cmd, 60);
    for (const line of w.split('\n')) expect(line.length).toBeLessThanOrEqual(60);
    expect(w.replace(/ \\\n\s+/g, ' ')).toBe(cmd);
  });
});

describe('terminalWidth', () => {
  it('prefers COLUMNS, then the terminal, then 80', () => {
    expect(terminalWidth({ isTTY: true, columns: 120 }, { COLUMNS: '100' })).toBe(100);
    expect(terminalWidth({ isTTY: true, columns: 120 }, {})).toBe(120);
    expect(terminalWidth({ isTTY: false }, {})).toBe(80);
  });
  it('fits tables to a terminal or to COLUMNS, never to a pipe', () => {
    expect(tableWidth({ isTTY: false }, {})).toBe(Infinity);
    expect(tableWidth({ isTTY: false }, { COLUMNS: '90' })).toBe(90);
    expect(tableWidth({ isTTY: true }, {})).toBe(80);
  });
});
