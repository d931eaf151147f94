// debian/copyright (machine-readable format 1.0) for the .deb: linotp-migrate itself under the
// AGPL-3.0-or-later (full text: Debian's common-licenses has no AGPL), and one paragraph per bundled
// Node.js package with its licence from package.json and the copyright lines of its LICENSE file.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { PKG, ROOT } from './build.mjs';

/** Licences whose full text Debian ships in /usr/share/common-licenses (DEP-5 short names). */
const COMMON_LICENSES = { 'Apache-2.0': 'Apache-2.0', 'LGPL-3.0+': 'LGPL-3', 'LGPL-3.0-or-later': 'LGPL-3', 'LGPL-2.1+': 'LGPL-2.1', 'GPL-3.0+': 'GPL-3', 'MPL-2.0': 'MPL-2.0', 'CC0-1.0': 'CC0-1.0' };

/** Every installed package below node_modules (scoped and nested ones too). */
function packageDirs(modules) {
  const out = [];
  for (const name of readdirSync(modules)) {
    if (name.startsWith('.')) continue;
    const dir = join(modules, name);
    if (name.startsWith('@')) {
      for (const sub of readdirSync(dir)) out.push(join(dir, sub));
    } else out.push(dir);
  }
  for (const dir of [...out]) if (existsSync(join(dir, 'node_modules'))) out.push(...packageDirs(join(dir, 'node_modules')));
  return out;
}

function licenseOf(pkg) {
  const l = pkg.license ?? pkg.licenses;
  if (typeof l === 'string') return l;
  if (Array.isArray(l)) return l.map((x) => x.type ?? x).join(' or ');
  if (l && l.type) return l.type;
  return 'unknown';
}

/** DEP-5 names: `LGPL-3.0-or-later` → `LGPL-3.0+`; SPDX `OR` → `or`. */
function dep5License(spdx) {
  return spdx.replace(/\(|\)/g, '').replace(/-or-later/g, '+').replace(/\bOR\b/g, 'or');
}

function copyrightLines(dir) {
  const lines = [];
  for (const f of readdirSync(dir)) {
    if (!/^(licen[cs]e|copying|notice)/i.test(f)) continue;
    for (const line of readFileSync(join(dir, f), 'utf8').split('\n')) {
      const t = line.trim();
      if (/^(copyright\s*(\(c\)|©|\d)|\(c\)\s*\d|©)/i.test(t) && !/copyright (notice|holders?|owner)/i.test(t)) lines.push(t.replace(/^copyright\s*(\(c\)|©)?\s*/i, ''));
    }
  }
  return [...new Set(lines)];
}

const indent = (text) =>
  text
    .replace(/\s+$/, '')
    .split('\n')
    .map((l) => (l.trim() === '' ? ' .' : ' ' + l))
    .join('\n');

/** @param libDir the staged /usr/lib/linotp-migrate */
export function debianCopyright(libDir) {
  const usrLib = `usr/lib/${PKG.name}`;
  const paragraphs = [
    ['Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/', `Upstream-Name: ${PKG.name}`].join('\n'),
    ['Files: *', `Copyright: the ${PKG.name} developers`, `License: ${dep5License(PKG.license)}`].join('\n'),
  ];
  const used = new Set([dep5License(PKG.license)]);
  for (const dir of packageDirs(join(libDir, 'node_modules')).sort()) {
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    const license = dep5License(licenseOf(pkg));
    used.add(license);
    const holders = copyrightLines(dir);
    paragraphs.push(
      [
        `Files: ${usrLib}/${relative(libDir, dir)}/*`,
        `Copyright: ${holders.length ? holders.join('\n           ') : `the authors of ${pkg.name} ${pkg.version}`}`,
        `License: ${license}`,
      ].join('\n'),
    );
  }
  for (const license of [...used].sort()) {
    if (license === dep5License(PKG.license)) {
      paragraphs.push(`License: ${license}\n${indent(readFileSync(join(ROOT, 'LICENSE'), 'utf8'))}`);
    } else {
      const alternatives = license.split(' or ');
      const texts = alternatives.map((l) =>
        COMMON_LICENSES[l]
          ? `On Debian systems the full text of the ${l} licence is in /usr/share/common-licenses/${COMMON_LICENSES[l]}.`
          : `The full text of the ${l} licence is in the LICENSE file of each package so licensed, below /${usrLib}/node_modules/.`,
      );
      paragraphs.push(`License: ${license}\n${indent(texts.join('\n'))}`);
    }
  }
  return paragraphs.join('\n\n') + '\n';
}
