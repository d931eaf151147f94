/** `linotp-migrate radius inventory` and `radius convert` (issue 17): flags → src/radius → table or --json. */
import type { ChalkInstance } from 'chalk';
import { ChecksFailedError } from '../errors.js';
import type { Finding, Inventory } from '../radius/inventory.js';
import { renderTable } from './output.js';
import { confirmOrAbort } from './prompt.js';
import type { CommandSpec, OptionSpec } from './spec.js';

const sourceOptions: OptionSpec[] = [
  { flags: '--freeradius <dir>', description: 'FreeRADIUS 2 or 3 configuration directory of the old host (default: the first of /etc/freeradius/3.0, /etc/freeradius, /etc/raddb holding radiusd.conf)' },
  { flags: '--rlm-perl-ini <file>', description: "radius_linotp.pm's settings (default: /etc/linotp2/rlm_perl.ini, else /etc/linotp/rlm_perl.ini)" },
  { flags: '--pam <dir>', description: 'pam.d directory to search for pam_linotp.so / pam_py_linotp lines (default: /etc/pam.d)' },
];

const level = (f: Finding, c: ChalkInstance) => (f.level === 'decision' ? c.red('decision') : f.level === 'warning' ? c.yellow('warning') : c.dim('info'));

function renderFindings(findings: Finding[], c: ChalkInstance): string {
  if (!findings.length) return 'nothing needs attention';
  return renderTable(['', 'where', 'finding'], findings.map((f) => [level(f, c), f.where, f.message]));
}

function renderSettings(inv: Pick<Inventory, 'linotp3'>): string {
  if (!inv.linotp3.length) return '';
  return 'LinOTP 3 settings the RADIUS path needs:\n' + renderTable(['setting', 'where', 'value', 'why'], inv.linotp3.map((s) => [s.name, s.where, s.value, s.why]));
}

function renderInventory(inv: Inventory, c: ChalkInstance): string {
  const head = [
    `FreeRADIUS   ${inv.freeradius ? `${inv.freeradius.dir} (${inv.freeradius.layout === 'freeradius2' ? 'FreeRADIUS 2 layout' : 'FreeRADIUS 3 layout'}, ${inv.freeradius.files} files)` : c.dim('not found')}`,
    `rlm_perl.ini ${inv.rlmPerlIni ? `${inv.rlmPerlIni.file} (${inv.rlmPerlIni.keys} keys)` : c.dim('not found')}`,
    `PAM          ${inv.pam ? `${inv.pam.dir} (${inv.pam.lines.length} LinOTP line${inv.pam.lines.length === 1 ? '' : 's'})` : c.dim('not found')}`,
  ].join('\n');
  const targets = inv.targets.length
    ? renderTable(
        ['Auth-Type', 'module', 'URL', 'realm', 'resConf', 'TLS verify', 'client='],
        inv.targets.map((t) => [t.authType, t.source, t.url ?? c.red('(none)'), t.realm || '–', t.resConf || '–', t.tlsVerifyPeer && t.tlsVerifyHost ? 'on' : c.red(!t.tlsVerifyPeer && !t.tlsVerifyHost ? 'off' : !t.tlsVerifyPeer ? 'no cert check' : 'no host check'), t.preferNasAddress ? 'NAS-IP-Address' : 'source address']),
      )
    : c.dim('no Auth-Type asks LinOTP');
  const becomes = inv.becomes.length ? renderTable(['old', 'where', 'becomes'], inv.becomes.map((b) => [b.what, b.where, b.becomes])) : '';
  return [head, '', targets, ...(becomes ? ['', becomes] : []), '', renderFindings(inv.findings, c), ...(inv.linotp3.length ? ['', renderSettings(inv)] : [])].join('\n');
}

/** The document for --json: the tree's raw parse is left out (client secrets are in it). */
function inventoryDoc(inv: Inventory) {
  const { tree, ...rest } = inv;
  return {
    ...rest,
    tree: tree && {
      perl: tree.perl,
      linotp2: tree.linotp2,
      authTypes: tree.authTypes,
      rules: tree.rules,
      logic: tree.logic.map((l) => ({ server: l.server, file: l.file, line: l.line })),
      listens: tree.listens,
      clients: tree.clients.map((c) => ({ name: c.name, file: c.file, line: c.line, keys: c.pairs.map((p) => p.key) })),
    },
    decisions: inv.findings.filter((f) => f.level === 'decision').length,
  };
}

export const commands: CommandSpec[] = [
  {
    path: ['radius', 'inventory'],
    summary: 'Find the RADIUS (FreeRADIUS + LinOTP module) and PAM integration of the old host, and what breaks on LinOTP 3',
    description:
      "Reads the FreeRADIUS configuration (FreeRADIUS 2 modules/ or 3 mods-enabled/, sites-enabled/, clients.conf, the users file), LinOTP's rlm_perl.ini exactly as radius_linotp.pm reads it (Perl Config::File: case-sensitive keys, `AUTHTYPE[KEY]` scopes), rlm_linotp2's settings and the pam_linotp lines. " +
      'Lists every Auth-Type that asks LinOTP with its URL, realm, resConf and TLS settings, what each piece becomes, what breaks on LinOTP 3 (the hard-coded /etc/linotp2/rlm_perl.ini, non-https URLs, TLS checks off, Debug logging PIN+OTP, client= needing LinOTP 3.4 settings, pam_py_linotp) ' +
      'and the LinOTP 3 settings the RADIUS path needs. Read-only; exits 3 when something needs a decision.',
    options: sourceOptions,
    examples: ['linotp-migrate radius inventory', 'linotp-migrate radius inventory --freeradius /mnt/old/etc/freeradius --rlm-perl-ini /mnt/old/etc/linotp2/rlm_perl.ini --json'],
    async run(ctx, _args, opts) {
      const { collectInventory } = await import('../radius/inventory.js');
      const inv = collectInventory({ freeradius: opts.freeradius, rlmPerlIni: opts.rlmPerlIni, pam: opts.pam }, ctx.cwd);
      ctx.out.result(inventoryDoc(inv), () => renderInventory(inv, ctx.out.c));
      const decisions = inv.findings.filter((f) => f.level === 'decision');
      if (decisions.length) throw new ChecksFailedError(`${decisions.length} finding${decisions.length === 1 ? '' : 's'} need${decisions.length === 1 ? 's' : ''} a decision: ${decisions[0].message}${decisions.length > 1 ? ' …' : ''}`, 'see the "decision" rows; radius convert takes --url, --scope-url and --tls-verify for them');
    },
  },
  {
    path: ['radius', 'convert'],
    summary: 'Write the FreeRADIUS 3.2 configuration (rlm_rest, or LinOTP\'s perl module) and PAM lines for LinOTP 3',
    description:
      "Writes into --out: mods-available/linotp (rlm_rest instances posting user, pass, realm, resConf, client and state to simplecheck; TLS verified unless the old configuration did not; CA file from HTTPS_CA_FILE/HTTPS_CA_DIR) or, with --module perl, mods-available/perl and linotp2/rlm_perl.ini (for /etc/linotp2/rlm_perl.ini, the path radius_linotp.pm reads); " +
      'sites-available/linotp, a complete virtual server with one Auth-Type per old Auth-Type/scope (:-) → Access-Accept, :-( → Access-Reject, a challenge → Access-Challenge with State and Reply-Message); ' +
      "clients.conf with the old clients; the old users-file rules that chose an Auth-Type; pam.d files with the new url=. Plans first (--plan shows everything, client secrets masked); files are written atomically, an existing different file only with --force.",
    options: [
      { flags: '--out <dir>', description: 'directory to write the files into (laid out like /etc/freeradius/3.0; required)' },
      { flags: '--url <url>', description: 'LinOTP 3 validate URL, e.g. https://linotp3.example.com/validate/simplecheck (required)' },
      { flags: '--module <name>', description: 'rest: FreeRADIUS rlm_rest, no LinOTP module; perl: keep LinOTP\'s radius_linotp.pm', choices: ['rest', 'perl'], default: 'rest' },
      ...sourceOptions,
      { flags: '--listen <addr:port>', description: 'auth listen address of the new virtual server (repeatable; default: the old auth listen sections, else *:1812)', repeatable: true },
      { flags: '--scope-url <authtype=url>', description: 'URL for an Auth-Type whose old scope posted elsewhere (repeatable)', repeatable: true },
      { flags: '--tls-verify <mode>', description: 'auto: verify certificate and host name unless the old configuration turned that off', choices: ['auto', 'on', 'off'], default: 'auto' },
      { flags: '--ca-file <file>', description: 'CA certificates to verify LinOTP 3 with (default: HTTPS_CA_FILE of rlm_perl.ini, else the system store)' },
      { flags: '--perl-module <file>', description: 'with --module perl: radius_linotp.pm on the new host (default: the old filename, else /usr/lib/linotp/radius_linotp.pm)' },
      { flags: '--plan', description: 'show the files and settings, write nothing' },
      { flags: '--dry-run', description: 'same as --plan' },
      { flags: '--force', description: 'replace existing files with other content' },
    ],
    examples: [
      'linotp-migrate radius convert --out ./radius3 --url https://linotp3.example.com/validate/simplecheck --plan',
      'linotp-migrate radius convert --freeradius /mnt/old/etc/freeradius --rlm-perl-ini /mnt/old/etc/linotp2/rlm_perl.ini --module perl --out ./radius3 --url https://linotp3.example.com/validate/simplecheck',
      'linotp-migrate radius convert --pam /etc/pam.d --out ./pam --url https://linotp3.example.com/validate/simplecheck',
    ],
    async run(ctx, _args, opts) {
      const { planRadiusConvert, applyRadiusConvert, shownText } = await import('../radius/convert.js');
      const plan = planRadiusConvert(
        { out: opts.out, url: opts.url, module: opts.module, freeradius: opts.freeradius, rlmPerlIni: opts.rlmPerlIni, pam: opts.pam, listen: opts.listen, scopeUrl: opts.scopeUrl, tlsVerify: opts.tlsVerify, caFile: opts.caFile, perlModule: opts.perlModule },
        ctx.cwd,
      );
      const dryRun = Boolean(opts.plan || opts.dryRun);
      for (const w of plan.warnings) ctx.out.warn(w);
      for (const f of plan.findings.filter((x) => x.level !== 'info')) ctx.out.warn(`${f.where}: ${f.message}`);
      if (!dryRun) {
        if (opts.force && plan.files.some((f) => f.state === 'replace')) await confirmOrAbort(ctx, `replace ${plan.files.filter((f) => f.state === 'replace').length} existing file(s) in ${plan.out}?`);
        applyRadiusConvert(plan, Boolean(opts.force));
      }
      const doc = {
        module: plan.module,
        url: plan.url,
        out: plan.out,
        dryRun,
        targets: plan.targets.map((t) => ({ authType: t.authType, source: t.source, oldUrl: t.url, url: t.newUrl, realm: t.realm, resConf: t.resConf, tlsVerifyPeer: t.tlsVerifyPeer, tlsVerifyHost: t.tlsVerifyHost, caFile: t.caFile, caDir: t.caDir, client: t.preferNasAddress ? 'NAS-IP-Address' : 'Packet-Src-IP-Address', origin: t.origin })),
        files: plan.files.map((f) => ({ name: f.name, path: f.path, installAs: f.installAs, mode: f.mode.toString(8).padStart(4, '0'), state: f.state, written: !dryRun && f.state !== 'unchanged', ...(dryRun ? { text: shownText(f) } : {}) })),
        warnings: plan.warnings,
        findings: plan.findings,
        linotp3: plan.inventory.linotp3,
        steps: plan.steps,
      };
      ctx.out.result(doc, (d, c) => {
        const files = d.files.map((f) => `${d.dryRun ? 'would write' : f.written ? 'wrote' : 'unchanged'} ${f.path} (${f.mode}) → ${f.installAs}`).join('\n');
        const contents = d.dryRun ? '\n\n' + d.files.map((f) => `--- ${f.path}\n${f.text}`).join('\n') : '';
        const steps = 'then:\n' + d.steps.map((s, i) => `  ${i + 1}. ${s}`).join('\n');
        return [files + contents, '', steps, '', renderSettings(plan.inventory)].join('\n').replace(/\n+$/, '') + (d.dryRun ? `\n${c.dim('(--plan: nothing was written)')}` : '');
      });
    },
  },
];
