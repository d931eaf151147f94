// Properties over many generated logs: counts are exact for any mix of formats, prefixes, offsets and
// noise, and splitting a log into several files (some gzipped) changes nothing but the file list.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { analyzeAccessLogs } from '../../src/apicheck/analyze.js';
import { generateLog, type GenFormat } from './genlog.js';

const dir = mkdtempSync(join(tmpdir(), 'apicheck-prop-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

const options = fc.record({
  seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
  lines: fc.integer({ min: 0, max: 800 }),
  formats: fc.subarray<GenFormat>(['apache-combined', 'apache-common', 'apache-vhost', 'nginx'], { minLength: 1 }),
  prefixes: fc.subarray(['', '/linotp', '/a/b', '/x%20y'], { minLength: 1 }),
  offsets: fc.array(fc.integer({ min: -720, max: 840 }), { minLength: 1, maxLength: 4 }),
  malformedRate: fc.double({ min: 0, max: 0.3, noNaN: true }),
  blankRate: fc.double({ min: 0, max: 0.1, noNaN: true }),
  noiseRate: fc.double({ min: 0, max: 0.3, noNaN: true }),
});

describe('api-check properties', () => {
  it('exact counts for any generated log', async () => {
    await fc.assert(fc.asyncProperty(options, async (o) => {
      const { text, expected } = generateLog(o);
      const file = join(dir, `p${n++}.log`);
      writeFileSync(file, text);
      const r = await analyzeAccessLogs([file]);
      expect([r.lines, r.blank, r.malformed.count, r.requests, r.apiCalls]).toEqual([expected.lines, expected.blank, expected.malformed, expected.requests, expected.apiCalls]);
      expect(r.notApi).toEqual(expected.notApi);
      expect(r.findings.length).toBe(expected.groups.size);
      for (const f of r.findings) {
        const g = expected.groups.get(`${f.method} ${f.endpoint}`)!;
        expect([f.verdict, f.count, f.distinctClients, f.firstSeen, f.lastSeen]).toEqual([g.verdict, g.count, g.clients.size, new Date(g.first).toISOString(), new Date(g.last).toISOString()]);
      }
    }), { numRuns: 40, examples: [[{ seed: 1, lines: 0, formats: ['nginx'], prefixes: [''], offsets: [0], malformedRate: 0, blankRate: 0, noiseRate: 0 }], [{ seed: 2, lines: 1, formats: ['apache-common'], prefixes: ['/linotp'], offsets: [-720], malformedRate: 0, blankRate: 1, noiseRate: 0 }]] });
  });

  it('splitting a log into files (some gzipped) gives the same findings and totals', async () => {
    await fc.assert(fc.asyncProperty(options, fc.array(fc.integer({ min: 0, max: 800 }), { maxLength: 4 }), fc.array(fc.boolean(), { minLength: 5, maxLength: 5 }),
      async (o, cuts, gz) => {
        const { text } = generateLog(o);
        const whole = join(dir, `w${n++}.log`);
        writeFileSync(whole, text);
        const lines = text.split('\n').slice(0, -1);
        const points = [...new Set(cuts.map((c) => Math.min(c, lines.length)))].sort((a, b) => a - b);
        const parts: string[] = [];
        let from = 0;
        for (const p of [...points, lines.length]) {
          const chunk = lines.slice(from, p).map((l) => l + '\n').join('');
          const file = join(dir, `s${n++}.log`);
          writeFileSync(file, gz[parts.length] ? gzipSync(chunk) : chunk);
          parts.push(file);
          from = p;
        }
        const a = await analyzeAccessLogs([whole]);
        const b = await analyzeAccessLogs(parts);
        const strip = (r: typeof a) => ({ ...r, files: undefined, malformed: { count: r.malformed.count } });
        expect(strip(b)).toEqual(strip(a));
      }), { numRuns: 30 });
  });
});
