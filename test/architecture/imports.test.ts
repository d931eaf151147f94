// The layering rules of docs/architecture.md, checked on the source: domain folders never import
// src/cli/, database drivers are imported only in src/db/, and no module imports itself back through others.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const src = fileURLToPath(new URL('../../src', import.meta.url));

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Every static or dynamic import of a module: relative ones resolved to src/…ts, packages by name. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs = [...text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => m[1] ?? m[2]);
  return specs.map((s) => (s.startsWith('.') ? resolve(dirname(file), s).replace(/\.js$/, '.ts') : s));
}

const graph = new Map(files(src).map((f) => [f, importsOf(f)]));
const rel = (f: string) => relative(src, f);

describe('layering', () => {
  it('domain modules never import the CLI layer', () => {
    const offenders = [...graph].flatMap(([f, deps]) =>
      rel(f).startsWith('cli/') ? [] : deps.filter((d) => d.startsWith(join(src, 'cli') + '/')).map((d) => `${rel(f)} → ${rel(d)}`),
    );
    expect(offenders).toEqual([]);
  });

  it('database drivers are imported only by src/db/', () => {
    const drivers = ['mysql2', 'mysql2/promise', 'pg', 'better-sqlite3'];
    const offenders = [...graph].flatMap(([f, deps]) => (rel(f).startsWith('db/') ? [] : deps.filter((d) => drivers.includes(d)).map((d) => `${rel(f)} → ${d}`)));
    expect(offenders).toEqual([]);
  });

  it('has no import circle', () => {
    const circles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const path: string[] = [];
    const visit = (f: string) => {
      state.set(f, 'open');
      path.push(f);
      for (const d of graph.get(f) ?? []) {
        if (!graph.has(d)) continue;
        if (state.get(d) === 'open') circles.push([...path.slice(path.indexOf(d)), d].map(rel).join(' → '));
        else if (!state.has(d)) visit(d);
      }
      path.pop();
      state.set(f, 'done');
    };
    for (const f of graph.keys()) if (!state.has(f)) visit(f);
    expect(circles).toEqual([]);
  });
});
