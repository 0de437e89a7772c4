import { defineConfig } from 'vitest/config';

// `npm run test:stack`: the relay against the real Collector, Prometheus (and, as they land,
// Tempo, Loki, Alertmanager). Binaries are built or reused from ~/.cache/embedding-relay.
export default defineConfig({
  test: {
    include: ['test/stack/**/*.test.ts'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 180_000,
    // The first run builds the Collector (about 2 minutes cold on 2 cores).
    hookTimeout: 900_000,
    reporters: ['default', './test/summary-reporter.ts'],
  },
});
