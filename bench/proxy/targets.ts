// The things measured side by side: the upstream itself (the floor), nginx, a bare Node.js
// pass-through (node-floor.ts: the floor of any relay built on Node), the relay with full telemetry
// (OTLP spans, Prometheus /metrics, Loki logs), the relay with OTEL_SDK_DISABLED, and LiteLLM.
// The relay runs exactly as in production: node <config.nodeFlags> --import ./dist/instrument.js dist/main.js.
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startChild, tempDir, type Child } from '../../test/support/child.ts';
import { startLitellm } from './litellm.ts';
import { LOOP_PROBE_ENV, LOOP_PROBE_MODULE, LoopProbe } from './loop-delay.ts';
import { nginxArgs } from './nginx.ts';
import { freePort, waitForPort } from '../../test/support/port.ts';
import { cleanEnv } from './clean-env.ts';

export const TARGET_NAMES = ['direct', 'nginx', 'node-floor', 'relay', 'relay-otel-off', 'litellm'] as const;
export type TargetName = (typeof TARGET_NAMES)[number];

export interface Target {
  name: TargetName;
  /** http://127.0.0.1:port */
  origin: string;
  /** The proxy process (none for direct). */
  child: Child | undefined;
  /** Prometheus endpoint (the relay with telemetry, LiteLLM). */
  metricsUrl: string | undefined;
  /** The relay's event-loop delay per phase (both relay targets). */
  loopProbe?: LoopProbe;
  /** Too slow for the (d) fixed rates (LiteLLM). */
  slow?: boolean;
  stop(): Promise<void>;
}

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The V8 flags the relay ships with (package.json config.nodeFlags: the Dockerfile, bin/ and
 *  `npm start` carry the same; test/deploy/node-flags.test.ts keeps them equal). */
export const relayNodeFlags = (root = ROOT): string[] =>
  ((JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as { config?: { nodeFlags?: string } }).config?.nodeFlags ?? '')
    .split(' ')
    .filter(Boolean);

async function startRelay(
  name: 'relay' | 'relay-otel-off',
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
    if (name === 'relay') await waitForPort(metricsPort, child.running);
  } catch (err) {
    await child.stop();
    throw new Error(`${name} did not start: ${(err as Error).message}\n${child.stderrTail().trim()}`);
  }
  return {
    name,
    origin: `http://127.0.0.1:${port}`,
    child,
    metricsUrl: name === 'relay' ? `http://127.0.0.1:${metricsPort}/metrics` : undefined,
    loopProbe: new LoopProbe(child.pid, probeFile),
    stop: async () => {
      await child.stop();
      rmSync(probeFile, { force: true });
    },
  };
}

async function startNginx(bin: string, upstreamPort: number): Promise<Target> {
  const port = await freePort();
  const { dir, args } = nginxArgs(port, upstreamPort);
  const remove = tempDir(dir);
  const child = startChild('nginx', bin, args);
  const stop = async () => {
    await child.stop();
    remove();
  };
  try {
    await waitForPort(port, child.running);
  } catch (err) {
    let log = '';
    try {
      log = readFileSync(`${dir}/error.log`, 'utf8').trim();
    } catch {
      // no log written
    }
    await stop();
    throw new Error(`nginx did not start: ${(err as Error).message}\n${child.stderrTail().trim()}\n${log}`);
  }
  return { name: 'nginx', origin: `http://127.0.0.1:${port}`, child, metricsUrl: undefined, stop };
}

async function startNodeFloor(upstream: string, root = ROOT): Promise<Target> {
  const port = await freePort();
  const child = startChild(
    'node-floor',
    process.execPath,
    [...relayNodeFlags(root), `${root}bench/proxy/node-floor.ts`, upstream, String(port)],
    cleanEnv(),
  );
  try {
    await waitForPort(port, child.running);
  } catch (err) {
    await child.stop();
    throw new Error(`node-floor did not start: ${(err as Error).message}\n${child.stderrTail().trim()}`);
  }
  return { name: 'node-floor', origin: `http://127.0.0.1:${port}`, child, metricsUrl: undefined, stop: () => child.stop() };
}

export interface TargetSetup {
  upstreamPort: number;
  nginx: string | undefined;
  /** One sink port per relay target, so each one's telemetry is counted apart. */
  sinkPorts: Record<string, number>;
  /** Extra node flags for the relay, before its --import (the soak's --inject-leak uses this). */
  relayNodeArgs?: string[];
  /** Environment changes for the relay (bench/proxy/tail.ts): a value sets, undefined removes. */
  relayEnv?: Record<string, string | undefined>;
  /** Another checkout whose dist/ the relay runs from (bench/proxy/tail.ts --before DIR). */
  relayRoot?: string;
}

export async function startTarget(name: TargetName, setup: TargetSetup): Promise<Target> {
  const upstream = `http://127.0.0.1:${setup.upstreamPort}`;
  switch (name) {
    case 'direct':
      return { name, origin: upstream, child: undefined, metricsUrl: undefined, stop: async () => {} };
    case 'nginx':
      return startNginx(setup.nginx!, setup.upstreamPort);
    case 'node-floor':
      return startNodeFloor(upstream);
    case 'relay':
    case 'relay-otel-off':
      return startRelay(name, upstream, setup.sinkPorts[name]!, setup.relayNodeArgs ?? [], setup.relayEnv, setup.relayRoot);
    case 'litellm':
      return startLitellm(upstream, `http://127.0.0.1:${setup.sinkPorts['litellm']}`);
  }
}
