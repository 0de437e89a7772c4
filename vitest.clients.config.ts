import { defineConfig } from 'vitest/config';

// `npm run test:clients`: real client SDKs (Python: openai, LangChain, LlamaIndex, LiteLLM) against a
// relay process. The venv is built by test/clients/setup.sh (cached in ~/.cache/embedding-relay).
export default defineConfig({
  test: {
    include: ['test/clients/**/*.test.ts'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 300_000,
    hookTimeout: 600_000,
    reporters: ['default', './test/summary-reporter.ts'],
  },
});
