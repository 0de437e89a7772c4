// CLI entry: `embedding-relay [options]` or `embedding-relay simulator [options]`.
// Human-facing text goes to stderr; stdout carries only the JSON log lines.
import './node-version.ts';
import { startRelay } from './app.ts';
import { ConfigError, helpText, loadConfig, sdkDisabled, type Config } from './config.ts';
import { simulatorOptions, startSimulator } from './simulator.ts';

function banner(config: Config, url: string, upstreamUrl: string, simulated: boolean, metricsUrl: string | undefined, gpu: boolean): string {
  const base = url.replace('0.0.0.0', '127.0.0.1');
  const lines = [
    `embedding-relay listening on ${base} → upstream ${upstreamUrl}`,
    simulated
      ? '  Upstream: the built-in SIMULATOR (deterministic fake vectors, not a model). Set RELAY_UPSTREAM_URL to relay to a real server.'
      : '',
    metricsUrl ? `  Prometheus metrics: ${metricsUrl.replace('0.0.0.0', '127.0.0.1')}` : '  Telemetry disabled (OTEL_SDK_DISABLED=true).',
    gpu ? `  GPU gauges: polling ${config.gpuCommand} every ${config.gpuIntervalMs / 1000} s (hw_gpu_* metrics).` : '',
    '',
    'Try it:',
    `  curl -s ${base}/v1/embeddings -H 'content-type: application/json' \\`,
    `    -d '{"model":"${config.simulatorModel}","input":["hello world","你好，世界"],"dimensions":8}'`,
    '',
    '  // openai npm client (Node):',
    `  const client = new OpenAI({ baseURL: '${base}/v1', apiKey: 'unused-by-the-simulator' });`,
    `  const r = await client.embeddings.create({ model: '${config.simulatorModel}', input: 'hello world' });`,
    '',
  ];
  return lines.filter((l, i) => l !== '' || i > 3).join('\n');
}

async function main(): Promise<void> {
  let loaded;
  try {
    loaded = loadConfig(process.argv.slice(2), process.env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(`embedding-relay: ${err.message}`);
    process.exit(2);
  }
  const { command, config } = loaded;
  if (command === 'help') {
    console.log(helpText());
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
  const metricsUrl =
    sdkDisabled(process.env) ? undefined : `http://${config.metricsHost}:${config.metricsPort}/metrics`;
  console.error(banner(config, relay.url, relay.upstreamUrl, relay.simulator !== undefined, metricsUrl, relay.gpu !== undefined));

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
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

await main();
