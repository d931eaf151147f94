/** Writes report.json, report.md and junit.xml into a directory (created when missing), each atomically. */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../errors.js';
import type { RehearsalReport } from '../rehearse/types.js';
import { renderJunit } from './junit.js';
import { renderMarkdown } from './markdown.js';

export const REPORT_FILES = { json: 'report.json', markdown: 'report.md', junit: 'junit.xml' } as const;

export function writeReports(dir: string, r: RehearsalReport): string[] {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw new InputError(`cannot create the report directory ${dir}: ${(e as NodeJS.ErrnoException).code ?? e}`, 'give a writable --report-dir');
  }
  const out: [string, string][] = [
    [REPORT_FILES.json, JSON.stringify(r, null, 2) + '\n'],
    [REPORT_FILES.markdown, renderMarkdown(r)],
    [REPORT_FILES.junit, renderJunit(r)],
  ];
  const written: string[] = [];
  for (const [name, text] of out) {
    const file = join(dir, name);
    const tmp = `${file}.${process.pid}.tmp`;
    try {
      writeFileSync(tmp, text, { mode: 0o644 });
      renameSync(tmp, file);
    } catch (e) {
      throw new InputError(`cannot write ${file}: ${(e as NodeJS.ErrnoException).code ?? e}`, 'give a writable --report-dir');
    }
    written.push(file);
  }
  return written;
}
