// The relay as a bench target, exactly as in production: node <config.nodeFlags> --import
// ./dist/instrument.js dist/main.js, with full telemetry (OTLP spans and Loki logs to the bench's
// sink, Prometheus /metrics) or with OTEL_SDK_DISABLED (relay-otel-off); relay-before is the relay
// with full telemetry as another checkout built it (npm run bench -- --before DIR). Each relay process also
// preloads the loop probe (loop-probe.ts), so the runner sees its event-loop delay per phase.
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startChild } from '../../../test/support/child.ts';
import { freePort, waitForPort } from '../../../test/support/port.ts';
import { cleanEnv } from '../clean-env.ts';
import { LOOP_PROBE_ENV, LOOP_PROBE_MODULE, LoopProbe } from '../loop-delay.ts';
import { ROOT, relayNodeFlags, type Target } from './target.ts';

export async function startRelay(
  name: 'relay' | 'relay-before' | 'relay-otel-off',
  upstream: string,
  sinkPort: number,
  nodeArgs: string[],
  extraEnv: Record<string, string | undefined> = {},
  root = ROOT,
): Promise<Target> {
  const [port, metricsPort] = [await freePort(), await freePort()];
  const sink = `http://127.0.0.1:${sinkPort}`;
  const env: NodeJS.ProcessEnv = {
    ...cleanEnv(),
    RELAY_UPSTREAM_URL: `${upstream}/v1`,
    RELAY_HOST: '127.0.0.1',
    RELAY_PORT: String(port),
    RELAY_PROVIDER_NAME: 'vllm',
    OTEL_SERVICE_NAME: `embedding-relay-bench-${name}`,
    OTEL_EXPORTER_PROMETHEUS_HOST: '127.0.0.1',
    OTEL_EXPORTER_PROMETHEUS_PORT: String(metricsPort),
    OTEL_EXPORTER_OTLP_ENDPOINT: sink,
    LOKI_URL: sink,
    NODE_ENV: 'production',
  };
  if (name === 'relay-otel-off') env['OTEL_SDK_DISABLED'] = 'true';
  // bench/proxy/tail.ts's variants: a value replaces the setting, undefined removes it.
  for (const [k, v] of Object.entries(extraEnv)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  const probeFile = join(tmpdir(), `embedding-relay-bench-loop-${process.pid}-${port}.jsonl`);
  env[LOOP_PROBE_ENV] = probeFile;
  const child = startChild(
    name,
    process.execPath,
    [...relayNodeFlags(root), ...nodeArgs, '--import', LOOP_PROBE_MODULE, '--import', `${root}dist/instrument.js`, `${root}dist/main.js`],
    env,
  );
  try {
    await waitForPort(port, child.running);
    if (name !== 'relay-otel-off') await waitForPort(metricsPort, child.running);
  } catch (err) {
    await child.stop();
    throw new Error(`${name} did not start: ${(err as Error).message}\n${child.stderrTail().trim()}`);
  }
  return {
    name,
    origin: `http://127.0.0.1:${port}`,
    child,
    metricsUrl: name !== 'relay-otel-off' ? `http://127.0.0.1:${metricsPort}/metrics` : undefined,
    loopProbe: new LoopProbe(child.pid, probeFile),
    stop: async () => {
      await child.stop();
      rmSync(probeFile, { force: true });
    },
  };
}
