/** `linotp-migrate api-check`: which calls in the old server's access logs LinOTP 3 rejects or deprecates. */
import { ChecksFailedError, InputError } from '../errors.js';
import { analyzeAccessLogs, FAIL_ON, failOnTriggered, LOG_FORMATS, renderApiCheckReport, type FailOn, type LogFormat } from '../apicheck/index.js';
import type { CommandSpec } from './spec.js';

export const commands: CommandSpec[] = [
  {
    path: ['api-check'],
    summary: 'List the calls in LinOTP 2 access logs that LinOTP 3 rejects (GET on POST-only endpoints) or deprecates',
    description:
      'Reads Apache (common, combined, vhost_combined) and nginx (combined) access logs, plain or gzip, line by line, and ' +
      'reports per endpoint and HTTP method: calls, top client addresses, first/last seen (UTC) and a verdict — ' +
      'rejected (LinOTP 3 answers 405 or 404: GET on an endpoint that is POST-only since LinOTP 3, migration guide §3.9.4; ' +
      'an endpoint or controller LinOTP 3.4 no longer routes or disables by default), deprecated (a method deprecated since 3.2, ' +
      'the legacy Selfservice UI), or ok. ' +
      'URL prefixes in front of LinOTP (a reverse-proxy path such as /linotp/validate/check) are detected; --prefix strips one explicitly. ' +
      'Malformed lines are counted and a few quoted (query values masked), never fatal — unless not one line is an access-log line (exit 1). Rules and JSON schema: docs/api-check.md.',
    options: [
      { flags: '--access-log <file...>', description: 'access log(s) of the LinOTP 2 server, plain or .gz (several files may follow, or repeat the option)' },
      { flags: '--format <format>', description: 'log format', choices: [...LOG_FORMATS], default: 'auto' },
      { flags: '--fail-on <verdict>', description: 'exit 3 if a call with this verdict (or worse) was found: rejected, or deprecated (= rejected or deprecated)', choices: [...FAIL_ON] },
      { flags: '--prefix <path>', description: 'URL prefix in front of the LinOTP endpoints to strip (e.g. /linotp); calls outside it are not counted; default: detect' },
    ],
    examples: [
      'linotp-migrate api-check --access-log /var/log/apache2/access.log /var/log/apache2/access.log.*.gz',
      'linotp-migrate api-check --access-log access.log --prefix /linotp --fail-on rejected --json',
    ],
    async run(ctx, _args, opts) {
      const files: string[] = opts.accessLog ?? [];
      const progress = ctx.out.progress('reading logs', 0);
      let progressDone = 0;
      const warnings: string[] = [];
      const report = await analyzeAccessLogs(files, {
        format: opts.format as LogFormat,
        prefix: opts.prefix,
        onProgress: (done, total) => {
          progress.setTotal(total);
          progress.tick(done - progressDone);
          progressDone = done;
        },
        onWarning: (m) => warnings.push(m),
      });
      progress.finish();
      // Input of which not one line is a log line (binary garbage, the wrong file) is an error, not an empty
      // report that a CI gate with --fail-on would pass; the per-file warnings then say nothing more.
      const logLines = report.files.reduce((n, f) => n + f.layouts.common + f.layouts.combined + f.layouts.vhost_combined, 0);
      if (logLines === 0 && report.malformed.count > 0) {
        const names = report.files.filter((f) => f.malformed > 0).map((f) => f.path);
        throw new InputError(
          `none of the ${report.malformed.count} lines of ${names.join(', ')} is an access-log line (Apache common/combined/vhost_combined, nginx combined)`,
          'give the web server\'s access log of the LinOTP 2 server (not its error log or LinOTP\'s own log)',
        );
      }
      for (const w of warnings) ctx.out.warn(w);
      ctx.out.result(report, renderApiCheckReport);
      const failOn = opts.failOn as FailOn | undefined;
      if (failOnTriggered(report, failOn)) {
        const n = report.summary.rejected.calls + (failOn === 'deprecated' ? report.summary.deprecated.calls : 0);
        throw new ChecksFailedError(`api-check: ${n} call${n === 1 ? '' : 's'} that LinOTP 3 ${failOn === 'rejected' ? 'rejects' : 'rejects or deprecates'} (--fail-on ${failOn})`,
          'change these clients before the upgrade; the report lists endpoint, method and client addresses');
      }
      return 0;
    },
  },
];
