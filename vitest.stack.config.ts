import { defineConfig } from 'vitest/config';

// `npm run test:stack`: the relay against the real Collector, Jaeger, VictoriaLogs, Prometheus and
// Alertmanager (test/stack/stack.ts). Binaries are built or reused from ~/.cache/embedding-relay.
export default defineConfig({
  test: {
    include: ['test/stack/**/*.test.ts'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 180_000,
    // The first run builds the Collector, Jaeger and VictoriaLogs (about 7 minutes cold on 2 cores).
    hookTimeout: 900_000,
    reporters: ['default', './test/summary-reporter.ts'],
  },
});
