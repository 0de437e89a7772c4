// CLI entry: `embedding-relay [options]`, `embedding-relay simulator [options]`, `--help`, `--version`.
// Human-facing text goes to stderr; stdout carries only the JSON log lines (and --help/--version).
import './node-version.ts';
import { readFileSync } from 'node:fs';
import { startRelay, type RunningRelay } from './app.ts';
import { helpText, loadConfig, sdkDisabled, type Config } from './config.ts';
import { simulatorOptions, startSimulator } from './simulator.ts';
import { exitOnStartupFailure } from './startup-failure.ts';
import { activeTelemetry } from './telemetry.ts';
import type { UpstreamCheck } from './upstream-check.ts';

/** The package version (package.json sits one level above both src/ and dist/). */
export const VERSION = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

const WILDCARD = new Set(['0.0.0.0', '::']);
const LOOPBACK = /^(127\.|::1$|localhost$)/;
const hostPort = (host: string, port: number) => `${host.includes(':') ? `[${host}]` : host}:${port}`;

export interface BannerFacts {
  config: Config;
  relay: Pick<RunningRelay, 'url' | 'upstreamUrl' | 'bound' | 'simulator' | 'gpu'>;
  metrics: { url: string; host: string; port: number } | undefined;
  upstream: UpstreamCheck;
}

/** What the operator sees at start-up: where it listens (as bound), who may call it, where it
 *  relays to and whether that answers, where the metrics are, and a call that works. */
export function banner({ config, relay, metrics, upstream }: BannerFacts): string {
  const { host, port } = relay.bound;
  const everywhere = WILDCARD.has(host);
  const lines = [
    everywhere
      ? `embedding-relay ${VERSION} listening on ${hostPort(host, port)} (all interfaces; from this machine: ${relay.url})`
      : `embedding-relay ${VERSION} listening on ${relay.url}`,
  ];
  if (config.apiKeys === undefined && !LOOPBACK.test(host)) {
    lines.push('  Inbound auth: none. Anyone who reaches this port can call the upstream; set RELAY_API_KEYS to require a key.');
  } else if (config.apiKeys !== undefined) {
    lines.push(`  Inbound auth: ${config.apiKeys.length} key(s) from RELAY_API_KEYS (Authorization: Bearer <key>).`);
  }
  if (relay.simulator) {
    lines.push(`  Upstream: ${relay.upstreamUrl}, the built-in SIMULATOR (deterministic fake vectors, not a model). Set RELAY_UPSTREAM_URL to relay to a real server.`);
  } else if (upstream.reachable) {
    const listed = upstream.models.length > 0 ? `, serving ${upstream.models.join(', ')}` : '';
    lines.push(`  Upstream: ${relay.upstreamUrl} (GET /models answered ${upstream.status}${listed}).`);
  } else {
    lines.push(`  Upstream: ${relay.upstreamUrl}`);
  }
  lines.push(
    metrics
      ? `  Prometheus metrics: ${metrics.url}${WILDCARD.has(metrics.host) ? ` (listening on ${hostPort(metrics.host, metrics.port)})` : ''}`
      : '  Telemetry disabled (OTEL_SDK_DISABLED=true).',
  );
  if (relay.gpu) lines.push(`  GPU gauges: polling ${config.gpuCommand} every ${config.gpuIntervalMs / 1000} s (hw_gpu_* metrics).`);

  const model = relay.simulator ? config.simulatorModel : upstream.reachable ? (config.canaryModel ?? upstream.models[0]) : undefined;
  const shownModel = model ?? '<a model your server serves>';
  // `dimensions` only where it is known to work: the simulator truncates like Qwen3-Embedding (MRL).
  const body = relay.simulator ? `{"model":"${shownModel}","input":["hello world","你好，世界"],"dimensions":8}` : `{"model":"${shownModel}","input":["hello world"]}`;
  const key = config.apiKeys !== undefined ? ` -H 'authorization: Bearer <key>'` : '';
  lines.push(
    '',
    'Try it:',
    `  curl -s ${relay.url}/v1/embeddings -H 'content-type: application/json'${key} \\`,
    `    -d '${body}'`,
    '',
    '  // openai npm client (Node):',
    `  const client = new OpenAI({ baseURL: '${relay.url}/v1', apiKey: '${config.apiKeys !== undefined ? '<key>' : relay.simulator ? 'unused-by-the-simulator' : 'your upstream key, or any string'}' });`,
    `  const r = await client.embeddings.create({ model: '${shownModel}', input: 'hello world' });`,
    '',
  );
  return lines.join('\n');
}

/** The one warning for an upstream that does not answer at start-up (requests then get 502). */
export function upstreamWarning(upstreamUrl: string, check: UpstreamCheck): string | undefined {
  if (check.reachable) return undefined;
  return `embedding-relay: warning: the upstream ${upstreamUrl} does not answer (${check.reason}); /v1/embeddings answers 502 upstream_unreachable until it does, and GET /readyz says 503.`;
}

async function main(): Promise<void> {
  const { command, config } = loadConfig(process.argv.slice(2), process.env);
  if (command === 'help') {
    console.log(helpText());
    return;
  }
  if (command === 'version') {
    console.log(VERSION);
    return;
  }
  if (command === 'simulator') {
    const sim = await startSimulator(simulatorOptions(config), config.simulatorHost, config.simulatorPort);
    console.error(`embedding-relay SIMULATOR (fake vectors, not a model) serving ${config.simulatorModel} at ${sim.url}/v1`);
    const stop = () => void sim.close();
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
    return;
  }
  const relay = await startRelay(config);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      console.error(`embedding-relay: second ${signal}, exiting now`);
      process.exit(1);
    }
    stopping = true;
    console.error(`embedding-relay: ${signal} received, draining in-flight requests`);
    // Once everything is closed the event loop empties; instrument.ts then flushes telemetry.
    relay.close(config.shutdownGraceMs).catch((err: unknown) => {
      console.error('embedding-relay: shutdown failed:', err);
      process.exitCode = 1;
    });
  };
  // Before the banner: whoever reads it may signal at once.
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));

  const telemetry = activeTelemetry();
  const metrics =
    sdkDisabled(process.env) || !telemetry?.metricsUrl || !telemetry.metricsBound ? undefined : { url: telemetry.metricsUrl, ...telemetry.metricsBound };
  const upstream = await relay.checkUpstream();
  console.error(banner({ config, relay, metrics, upstream }));
  const warning = upstreamWarning(relay.upstreamUrl, upstream);
  if (warning) console.error(warning);
}

await main().catch(exitOnStartupFailure);
