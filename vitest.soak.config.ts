import { defineConfig } from 'vitest/config';

// `npm run test:soak`: the 60-second soak (bench/soak.ts) on its own, so no other test file
// shares the 2 cores with its fixed-rate load (CI runs it as a separate step).
export default defineConfig({
  test: {
    include: ['test/soak.test.ts'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 180_000,
    reporters: ['default', './test/summary-reporter.ts'],
  },
});
