/**
 * What `linotp-migrate --version` reports: the tool's version and, for bug reports, the Node
 * runtime, the platform and the installed versions of the runtime dependencies (database drivers,
 * OpenPGP, …). Dependency versions are read from their package.json files, found the way Node
 * resolves packages (node_modules folders upwards from this file), so no driver is loaded and a
 * broken native module (better-sqlite3 built for another Node) cannot stop `--version -v`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

interface PackageJson {
  name: string;
  version: string;
  dependencies?: Record<string, string>;
}

const here = dirname(fileURLToPath(import.meta.url));
const ownPackageJson = join(here, '..', 'package.json');

function readPackageJson(file: string): PackageJson {
  return JSON.parse(readFileSync(file, 'utf8')) as PackageJson;
}

export const VERSION: string = readPackageJson(ownPackageJson).version;

export interface VersionInfo {
  tool: string;
  version: string;
  /** Folder the tool runs from (the package root). */
  installedAt: string;
  node: string;
  /** `process.versions.modules`: native modules (better-sqlite3) are built for exactly one. */
  nodeAbi: string;
  platform: string;
  arch: string;
  /** glibc of this system (null elsewhere): the bundled better-sqlite3 needs the one it was built against or newer. */
  glibc: string | null;
  /** Every runtime dependency of package.json → installed version, or null when it is missing. */
  dependencies: Record<string, string | null>;
}

/** Version of an installed package, or null; looks in node_modules folders upwards from `from`. */
export function installedVersion(name: string, from: string = here): string | null {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name, 'package.json');
    if (existsSync(candidate)) {
      try {
        return readPackageJson(candidate).version ?? null;
      } catch {
        return null;
      }
    }
    if (dirname(dir) === dir) return null;
  }
}

/** From Node's diagnostic report header (about 50 ms, so only for `--version -v` / `--json`). */
function runtimeGlibc(): string | null {
  const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined;
  return report?.header?.glibcVersionRuntime ?? null;
}

export function versionInfo(): VersionInfo {
  const own = readPackageJson(ownPackageJson);
  const dependencies: Record<string, string | null> = {};
  for (const name of Object.keys(own.dependencies ?? {}).sort()) dependencies[name] = installedVersion(name);
  return {
    tool: own.name,
    version: own.version,
    installedAt: dirname(ownPackageJson),
    node: process.versions.node,
    nodeAbi: process.versions.modules,
    platform: process.platform,
    arch: process.arch,
    glibc: runtimeGlibc(),
    dependencies,
  };
}

/** One line without verbosity; with it the runtime, the platform and one line per dependency. */
export function renderVersion(verbose: number): string {
  if (verbose <= 0) return `linotp-migrate ${VERSION}\n`;
  const info = versionInfo();
  const width = Math.max(...Object.keys(info.dependencies).map((n) => n.length));
  const lines = [
    `linotp-migrate ${info.version}`,
    `installed at ${info.installedAt}`,
    `node ${info.node} (ABI ${info.nodeAbi}) on ${info.platform}-${info.arch}${info.glibc ? `, glibc ${info.glibc}` : ''}`,
    'dependencies:',
    ...Object.entries(info.dependencies).map(([name, v]) => `  ${name.padEnd(width)}  ${v ?? 'MISSING'}`),
  ];
  return lines.join('\n') + '\n';
}
