import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The real-programs suite runs with `npm run test:stack` (vitest.stack.config.ts), the
    // 60-second soak with `npm run test:soak` (vitest.soak.config.ts), the Python client SDKs with
    // `npm run test:clients` (vitest.clients.config.ts), real vLLM with `npm run test:vllm`
    // (vitest.vllm.config.ts).
    exclude: ['test/stack/**', 'test/clients/**', 'test/vllm/**', 'test/soak.test.ts', '**/node_modules/**'],
    // promtool, amtool and docker-compose, provisioned into ~/.cache/embedding-relay (no root).
    globalSetup: ['./test/tools/global-setup.ts'],
    // Each file gets its own process: the OTel globals (tracer/meter providers) are per process.
    pool: 'forks',
    testTimeout: 20_000,
    hookTimeout: 20_000,
    reporters: ['default', './test/summary-reporter.ts'],
  },
});
