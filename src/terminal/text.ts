/** Measuring and breaking terminal text: colour codes take no room, code points do. */
const ANSI = /\x1b\[[0-9;]*m/g;

export function stripAnsi(s: string): string {
  return s.replace(ANSI, '');
}

/** Columns a string takes on screen (one per code point; colour codes none). */
export function visibleWidth(s: string): number {
  let n = 0;
  for (const _ of stripAnsi(s)) n += 1;
  return n;
}

/**
 * Breaks `text` into lines of at most `width` columns: at spaces where it can, inside a word
 * (a path, a URL) where it must. A text that already fits comes back as it is, colour included;
 * one that must be broken loses its colour codes (a code cut in two would colour the rest of the screen).
 */
export function wrapText(text: string, width: number): string[] {
  if (visibleWidth(text) <= width) return [text];
  const plain = stripAnsi(text);
  const lines: string[] = [];
  let line = '';
  for (const word of plain.split(/(?<= )/)) {
    let rest = word;
    while (rest.length) {
      const room = width - [...line].length;
      const chars = [...rest];
      if (chars.length <= room) {
        line += rest;
        rest = '';
      } else if (line.trim().length > 0 && chars.length <= width) {
        lines.push(line.trimEnd());
        line = '';
      } else {
        line += chars.slice(0, room).join('');
        rest = chars.slice(room).join('');
        lines.push(line.trimEnd());
        line = '';
      }
    }
  }
  if (line.trim().length > 0 || lines.length === 0) lines.push(line.trimEnd());
  return lines;
}

/** Wraps every line of a block; continuation lines are indented like the line they continue. */
export function wrapBlock(text: string, width: number): string {
  return text
    .split('\n')
    .flatMap((l) => {
      if (visibleWidth(l) <= width) return [l];
      const indent = /^ */.exec(stripAnsi(l))![0];
      const body = wrapText(stripAnsi(l).slice(indent.length), Math.max(10, width - indent.length - 2));
      return body.map((b, i) => (i === 0 ? indent : indent + '  ') + b);
    })
    .join('\n');
}

/**
 * Breaks a shell command at spaces into lines ending in ` \`, so that what is shown stays one
 * command when pasted. Quoted arguments are not looked into: commands shown by this tool quote none with spaces.
 */
export function wrapCommand(line: string, width: number): string {
  if (visibleWidth(line) <= width) return line;
  const indent = /^ */.exec(stripAnsi(line))![0];
  const words = stripAnsi(line).slice(indent.length).split(' ');
  const lines: string[] = [];
  let cur = indent + words[0];
  for (const w of words.slice(1)) {
    if ([...cur].length + 1 + [...w].length + 2 > width && cur.trim().length) {
      lines.push(cur + ' \\');
      cur = indent + '    ' + w;
    } else cur += ' ' + w;
  }
  lines.push(cur);
  return lines.join('\n');
}
