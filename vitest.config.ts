import { defineConfig } from 'vitest/config';

// One config, one project per kind of test (test/<kind>/). `npm test` runs the first four; the
// suites that need real programs or a quiet machine run on their own:
//   unit         npm run test:unit: test/unit/ (mirrors src/), test/bench/ (mirrors bench/), test/support/:
//                one module at a time, no program to provision (npm run test:watch reruns it on change)
//   integration  test/integration/: the real relay wiring and simulator on loopback, in-memory spans
//   process      test/process/: the built entry point as a real process (dist/)
//   deploy       test/deploy/: compose, Prometheus, Grafana and packaging files, with real tools
//   stack        npm run test:stack: the real Collector, Jaeger, VictoriaLogs, Prometheus, Alertmanager
//   clients      npm run test:clients: real Python client SDKs
//   vllm         npm run test:vllm: real vLLM behind the relay
//   infinity     npm run test:infinity: real Infinity behind the relay
//   ollama       npm run test:ollama: real Ollama behind the relay
//   soak         npm run test:soak: the 60-second soak, alone on the machine
//   docker       npm run test:docker: the Dockerfile built and run by a real Docker engine
//   kube         npm run test:kube: the Helm chart against a real Kubernetes API server, then on a one-node cluster
const timeouts = { testTimeout: 20_000, hookTimeout: 20_000 };
const npmTest = {
  // promtool, amtool, helm and docker-compose, provisioned into ~/.cache/embedding-relay (no root).
  globalSetup: ['./test/tools/global-setup.ts'],
  ...timeouts,
};
const alone = { fileParallelism: false };

export default defineConfig({
  test: {
    // Each file gets its own process: the OTel globals (tracer/meter providers) are per process.
    pool: 'forks',
    reporters: ['default', './test/support/summary-reporter.ts'],
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['test/unit/**/*.test.ts', 'test/bench/**/*.test.ts', 'test/support/**/*.test.ts'], ...timeouts },
      },
      { extends: true, test: { name: 'integration', include: ['test/integration/**/*.test.ts'], ...npmTest } },
      { extends: true, test: { name: 'process', include: ['test/process/**/*.test.ts'], ...npmTest } },
      { extends: true, test: { name: 'deploy', include: ['test/deploy/**/*.test.ts', 'test/licences/**/*.test.ts'], ...npmTest } },
      // The first run builds the Collector, Jaeger and VictoriaLogs: the hook timeout leaves room for it
      // (docs/development.md, "Their times").
      {
        extends: true,
        test: { name: 'stack', include: ['test/stack/**/*.test.ts'], testTimeout: 180_000, hookTimeout: 900_000, ...alone },
      },
      // The venv is built by test/clients/setup.sh (cached in ~/.cache/embedding-relay).
      {
        extends: true,
        test: { name: 'clients', include: ['test/clients/**/*.test.ts'], testTimeout: 300_000, hookTimeout: 600_000, ...alone },
      },
      // test/vllm/setup.sh provisions vLLM on the first run; a failed install fails the run.
      { extends: true, test: { name: 'vllm', include: ['test/vllm/**/*.test.ts'], testTimeout: 120_000, hookTimeout: 900_000, ...alone } },
      // test/infinity/setup.sh provisions Infinity on the first run.
      {
        extends: true,
        test: { name: 'infinity', include: ['test/infinity/**/*.test.ts'], testTimeout: 60_000, hookTimeout: 900_000, ...alone },
      },
      // test/ollama/setup.sh builds Ollama from its Go module on the first run and reuses test:infinity's model.
      {
        extends: true,
        test: { name: 'ollama', include: ['test/ollama/**/*.test.ts'], testTimeout: 60_000, hookTimeout: 1_800_000, ...alone },
      },
      { extends: true, test: { name: 'soak', include: ['test/soak/**/*.test.ts'], testTimeout: 180_000, ...alone } },
      // The CPU guard measures one process against another: nothing else may run beside it.
      { extends: true, test: { name: 'perf', include: ['test/perf/**/*.test.ts'], testTimeout: 180_000, ...alone } },
      // The first run makes the Debian and Node base images (engine.sh).
      {
        extends: true,
        test: { name: 'docker', include: ['test/docker/**/*.test.ts'], ...npmTest, testTimeout: 60_000, hookTimeout: 900_000, ...alone },
      },
      // The first run builds the Kubernetes programs from their Go modules; the node test needs root.
      {
        extends: true,
        test: { name: 'kube', include: ['test/kube/**/*.test.ts'], ...npmTest, testTimeout: 240_000, hookTimeout: 1_200_000, ...alone },
      },
    ],
  },
});
