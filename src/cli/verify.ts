/** `linotp-migrate verify` — placeholder until the verify core lands. */
import type { CommandSpec } from './spec.js';
import { installationOptions } from './options.js';

export const commands: CommandSpec[] = [
  {
    path: ['verify'],
    summary: 'Check that a LinOTP database and an encKey belong together, and what state the database is in',
    options: [...installationOptions],
    async run(ctx) {
      ctx.out.result({ ok: true }, () => 'not implemented yet');
    },
  },
];
