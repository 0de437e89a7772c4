import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The real-programs suite runs with `npm run test:stack` (vitest.stack.config.ts).
    exclude: ['test/stack/**', '**/node_modules/**'],
    // Each file gets its own process: the OTel globals (tracer/meter providers) are per process.
    pool: 'forks',
    testTimeout: 20_000,
    hookTimeout: 20_000,
    reporters: ['default', './test/summary-reporter.ts'],
  },
});
