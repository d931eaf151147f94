import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Temporary directories made through test/helpers/tmp.ts are removed after each file.
    setupFiles: ['test/setup-tmp.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Database tests use uniquely named databases, so files may run in parallel.
    fileParallelism: true,
  },
});
