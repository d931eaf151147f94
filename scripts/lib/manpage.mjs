// linotp-migrate(1) in man(7) roff, from the same reference data as docs/commands.md
// (scripts/lib/reference.mjs). Used by scripts/deb.mjs; `node scripts/lib/manpage.mjs > x.1` to look at it.
import { fileURLToPath } from 'node:url';
import { PKG } from './build.mjs';
import { argumentSynopsis, defaultText, loadReference, optionNotes } from './reference.mjs';

/** Text for roff: backslashes, a leading dot or quote, hyphens as minus signs (options), Markdown marks dropped. */
export function roffText(text) {
  return String(text)
    .replace(/\\/g, '\\e')
    .replace(/\*\*([^*]+)\*\*/g, '$1')
    .replace(/`([^`]*)`/g, '$1')
    .replace(/-/g, '\\-')
    .replace(/…/g, '...')
    .replace(/→/g, '\\(->')
    .replace(/←/g, '\\(<-')
    .replace(/≥/g, '\\(>=')
    .replace(/≤/g, '\\(<=')
    .replace(/—/g, '\\(em')
    .replace(/–/g, '\\(en')
    .replace(/×/g, '\\(mu')
    // anything else beyond ASCII as a groff Unicode escape: the page is plain ASCII, whatever the locale
    .replace(/[^\x00-\x7f]/gu, (c) => `\\[u${c.codePointAt(0).toString(16).toUpperCase().padStart(4, '0')}]`)
    .split('\n')
    .map((line) => (/^[.']/.test(line) ? '\\&' + line : line))
    .join('\n');
}

const bold = (t) => `\\fB${roffText(t)}\\fR`;

/** The option table's preformatted descriptions: blank lines part paragraphs, every line break and indent is kept. */
export function roffBlock(text) {
  return String(text)
    .split(/\n\s*\n/)
    .map((para) =>
      para
        .split('\n')
        .map((line) => {
          const indent = /^ */.exec(line)[0].length;
          return '\\ '.repeat(indent) + roffText(line.slice(indent));
        })
        .join('\n.br\n'),
    )
    .join('\n.PP\n');
}

function optionParagraph(flags, description, notes = [], def) {
  const extra = notes.map((n) => (n.kind === 'choices' ? `one of: ${n.values.join(', ')}` : n.kind === 'env' ? `environment: ${n.name}` : 'may be repeated'));
  if (def !== undefined && def !== '') extra.push(`default: ${def}`);
  return ['.TP', bold(flags), roffText(description) + (extra.length ? ` (${roffText(extra.join('; '))})` : '')];
}

/** @param {string} date the page's date (the package's build date), e.g. 2026-12-02 */
export async function renderManPage(date, distDir) {
  const ref = await loadReference(distDir);
  const out = [
    `.TH LINOTP\\-MIGRATE 1 "${date}" "linotp\\-migrate ${roffText(PKG.version)}" "User Commands"`,
    '.SH NAME',
    `linotp\\-migrate \\- ${roffText(PKG.description.replace(/\.$/, ''))}`,
    '.SH SYNOPSIS',
    `${bold('linotp-migrate')} [\\fIglobal options\\fR] \\fIcommand\\fR [\\fIoptions\\fR] [\\fIarguments\\fR]`,
    '.br',
    `${bold('linotp-migrate --version')} [${bold('-v')}]`,
    '.SH DESCRIPTION',
    roffText(ref.description),
    '.PP',
    roffText('Every command prints a short report; with --json exactly one JSON document goes to stdout and everything else to stderr. Commands that change something have --plan or --dry-run, ask for confirmation on a terminal, and take --yes in scripts. Secrets (encKey bytes, passwords, passphrases) are read from files or the environment, never from the command line.'),
    '.SH GLOBAL OPTIONS',
  ];
  for (const o of ref.globalOptions) out.push(...optionParagraph(o.flags, o.description));
  out.push('.SH COMMANDS');
  for (const s of ref.specs) {
    const args = argumentSynopsis(s);
    out.push(`.SS "${roffText(['linotp-migrate', ...s.path].join(' ') + (args ? ' ' + args : '')).replace(/"/g, '\\(dq')}"`);
    out.push(roffBlock(s.description ?? s.summary));
    for (const a of s.arguments ?? []) out.push(...optionParagraph(a.name + (a.required ? '' : ' (optional)'), a.description));
    for (const o of s.options) out.push(...optionParagraph(o.flags, o.description, optionNotes(o), defaultText(o)));
    if (s.examples?.length) {
      out.push('.PP', 'Examples:', '.PP', '.RS 4', '.nf', ...s.examples.map(roffText), '.fi', '.RE');
    }
  }
  out.push('.SH EXIT STATUS');
  for (const e of ref.exitCodes) out.push('.TP', bold(String(e.code)), roffText(e.meaning));
  out.push('.SH ENVIRONMENT');
  for (const [name, e] of ref.environment) {
    out.push('.TP', bold(name), roffText(`Consulted when ${e.option} is absent; see that option of ${[...new Set(e.commands)].join(', ')}.`));
  }
  out.push('.TP', bold('NO_COLOR'), roffText('When set, no colours (as --no-color).'));
  out.push(
    '.SH FILES',
    '.TP',
    bold('/usr/share/doc/linotp-migrate/'),
    roffText('The guides (upgrade guide, settings, backups, catch-up, audit, api-check, install), gzip-compressed where larger than 4 kB (read them with zless), and the command reference commands.md.gz, generated from the same option table as this page.'),
    '.SH SEE ALSO',
    roffText('/usr/share/doc/linotp-migrate/upgrade-guide.md.gz; the LinOTP 3 documentation.'),
  );
  return out.join('\n') + '\n';
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  process.stdout.write(await renderManPage(new Date().toISOString().slice(0, 10)));
}
