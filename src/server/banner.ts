// What the operator sees at start-up (stderr): the banner and the one warning for an upstream that
// does not answer. Kept apart from main.ts, whose import runs the CLI.
import { readFileSync } from 'node:fs';
import type { RunningRelay } from './app.ts';
import type { Config } from '../config/load.ts';
import type { UpstreamCheck } from './upstream-check.ts';
import type { UpstreamProfile } from '../upstream/profile.ts';

/** The package version (package.json sits two levels above src/server/ and dist/server/). */
export const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

const WILDCARD = new Set(['0.0.0.0', '::']);
const LOOPBACK = /^(127\.|::1$|localhost$)/;
const hostPort = (host: string, port: number) => `${host.includes(':') ? `[${host}]` : host}:${port}`;

export interface BannerFacts {
  config: Config;
  relay: Pick<RunningRelay, 'url' | 'upstreamUrl' | 'bound' | 'simulator' | 'gpu' | 'memory'>;
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
  const keys = config.apiKeys ?? config.apiKeysFile?.keys;
  if (keys === undefined && !LOOPBACK.test(host)) {
    lines.push('  Inbound auth: none. Anyone who reaches this port can call the upstream; set RELAY_API_KEYS to require a key.');
  } else if (keys !== undefined) {
    const named = keys.filter((k) => k.caller !== undefined).length;
    const from = config.apiKeysFile ? `RELAY_API_KEYS_FILE (${config.apiKeysFile.path}, re-read on change and SIGHUP)` : 'RELAY_API_KEYS';
    lines.push(`  Inbound auth: ${keys.length} key(s) from ${from} (Authorization: Bearer <key>), ${named} of them naming a caller.`);
  }
  if (keys === undefined && config.callerHeader !== undefined) {
    lines.push(`  Callers: named by the ${config.callerHeader} header (trusted: set it only behind a proxy that sets it).`);
  }
  if (relay.simulator) {
    lines.push(
      `  Upstream: ${relay.upstreamUrl}, the built-in SIMULATOR (deterministic fake vectors, not a model). Set RELAY_UPSTREAM_URL to relay to a real server.`,
    );
  } else if (upstream.reachable) {
    const shown = upstream.models.slice(0, 5).join(', ');
    const more = upstream.models.length > 5 ? ` and ${upstream.models.length - 5} more` : '';
    const listed = upstream.models.length > 0 ? `, serving ${shown}${more}` : '';
    lines.push(`  Upstream: ${relay.upstreamUrl} (GET /models answered ${upstream.status}${listed}).`);
  } else {
    lines.push(`  Upstream: ${relay.upstreamUrl}`);
  }
  lines.push(
    metrics
      ? `  Prometheus metrics: ${metrics.url}${WILDCARD.has(metrics.host) ? ` (listening on ${hostPort(metrics.host, metrics.port)})` : ''}`
      : '  Telemetry disabled (OTEL_SDK_DISABLED=true, or started without --import ./dist/instrument.js): no metrics, no spans.',
  );
  lines.push(memoryLine(relay.memory, config));
  if (relay.gpu) lines.push(`  GPU gauges: polling ${config.gpuCommand} every ${config.gpuIntervalMs / 1000} s (hw_gpu_* metrics).`);

  const model = relay.simulator
    ? config.simulatorModel
    : upstream.reachable
      ? (config.canaryModel ?? exampleModel(upstream.models))
      : undefined;
  const shownModel = model ?? '<a model your server serves>';
  // `dimensions` only where it is known to work: the simulator truncates like Qwen3-Embedding (MRL).
  const body = JSON.stringify(
    relay.simulator
      ? { model: shownModel, input: ['hello world', '你好，世界'], dimensions: 8 }
      : { model: shownModel, input: ['hello world'] },
  );
  const key = keys !== undefined ? ` -H 'authorization: Bearer <key>'` : '';
  lines.push(
    '',
    'Try it:',
    `  curl -s ${relay.url}/v1/embeddings -H 'content-type: application/json'${key} \\`,
    `    -d '${body.replaceAll("'", "'\\''")}'`,
    '',
    '  // openai npm client (Node):',
    `  const client = new OpenAI({ baseURL: '${relay.url}/v1', apiKey: '${keys !== undefined ? '<key>' : relay.simulator ? 'unused-by-the-simulator' : 'your upstream key, or any string'}' });`,
    `  const r = await client.embeddings.create({ model: ${JSON.stringify(shownModel)}, input: 'hello world' });`,
    '',
  );
  return lines.join('\n');
}

/** The model for the example call: one whose name says it embeds, else the first listed (a server
 *  such as OpenAI's lists chat models too). */
export function exampleModel(models: readonly string[]): string | undefined {
  return models.find((m) => /embed/i.test(m)) ?? models[0];
}

/** The one warning for an upstream that does not answer at start-up. */
export function upstreamWarning(upstreamUrl: string, check: UpstreamCheck): string | undefined {
  if (check.reachable) return undefined;
  return `embedding-relay: warning: the upstream ${upstreamUrl} does not answer (${check.reason}); /v1/embeddings answers 502 upstream_unreachable (or 504 upstream_timeout) until it does, and GET /readyz says 503.`;
}

/** One line when the start-up check found out what the upstream is (RELAY_PROVIDER_NAME unset). */
export function detectedProviderNotice(config: Config, profile: UpstreamProfile): string | undefined {
  if (config.providerName !== undefined || profile.providerName !== 'infinity') return undefined;
  const unit =
    profile.usage === 'characters'
      ? 'characters, logged as input_characters, never as tokens (RELAY_UPSTREAM_USAGE=tokens if it runs with --lengths-via-tokenize)'
      : 'tokens (RELAY_UPSTREAM_USAGE)';
  return `  Detected Infinity (its model list says owned_by: infinity): gen_ai.provider.name=infinity; its usage counts ${unit}.`;
}

const mib = (bytes: number) => `${Math.round(bytes / 2 ** 20)} MiB`;

/** What requests in flight may hold, from what, and what happens past it. */
function memoryLine(memory: RunningRelay['memory'], config: Config): string {
  const limit =
    memory.limitSource === 'machine'
      ? "the machine's memory"
      : memory.limitSource === 'cgroup'
        ? 'the cgroup limit'
        : 'RELAY_MEMORY_LIMIT_BYTES';
  const from =
    memory.budgetSource === 'RELAY_MEMORY_BUDGET_BYTES' ? 'RELAY_MEMORY_BUDGET_BYTES' : `a quarter of ${limit}, ${mib(memory.limitBytes)}`;
  return `  Memory budget: requests in flight hold at most ${mib(memory.budgetBytes)} (${from}); past it up to ${config.queueMax} wait ${config.queueTimeoutMs / 1000} s, the rest get 503 overloaded.`;
}
