import { defineConfig } from 'vitest/config';

// `npm run test:vllm`: the relay in front of real vLLM (CPU build, a tiny model built locally) with
// the stack around it. test/vllm/setup.sh provisions vLLM under ~/.cache/embedding-relay (cold about
// 4 min); a failed install fails the run.
export default defineConfig({
  test: {
    include: ['test/vllm/**/*.test.ts'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 900_000,
    reporters: ['default', './test/summary-reporter.ts'],
  },
});
