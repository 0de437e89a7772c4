// CLI entry: `embedding-relay [options]`, `embedding-relay simulator [options]`, `--help`, `--version`.
// Human-facing text goes to stderr; stdout carries only the JSON log lines (and --help/--version).
import './server/node-version.ts';
import { startRelay } from './server/app.ts';
import { banner, detectedProviderNotice, upstreamWarning, VERSION } from './server/banner.ts';
import { helpText, processConfig, settingNames } from './config/load.ts';
import { startSimulator } from './server/simulator-server.ts';
import { simulatorOptions } from './simulator/simulator.ts';
import { exitOnStartupFailure } from './server/startup-failure.ts';
import { activeTelemetry } from './telemetry/sdk.ts';

async function main(): Promise<void> {
  const { command, config } = processConfig();
  if (command === 'help') {
    console.log(helpText());
    return;
  }
  if (command === 'version') {
    console.log(VERSION);
    return;
  }
  if (command === 'simulator') {
    const sim = await startSimulator(
      simulatorOptions(config),
      config.simulatorHost,
      config.simulatorPort,
      settingNames('simulatorHost', 'simulatorPort'),
    );
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
    // Drained: flush spans and logs (side by side, each bounded) and exit. Not "when the event loop empties" (instrument.ts's
    // beforeExit, still the fallback): a span export retrying against a dead Collector keeps the loop
    // alive for its whole timeout, past `docker stop`'s 10 s.
    const flushSpans = () =>
      activeTelemetry()
        ?.shutdown()
        .catch((err: unknown) => console.error('embedding-relay: telemetry flush failed:', err));
    relay
      .close(config.shutdownGraceMs, flushSpans)
      .catch((err: unknown) => {
        console.error('embedding-relay: shutdown failed:', err);
        process.exitCode = 1;
      })
      .finally(() => process.exit());
  };
  // Before the banner: whoever reads it may signal at once.
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));

  const telemetry = activeTelemetry();
  const metrics = telemetry?.metricsUrl && telemetry.metricsBound ? { url: telemetry.metricsUrl, ...telemetry.metricsBound } : undefined;
  const upstream = await relay.checkUpstream();
  console.error(banner({ config, relay, metrics, upstream }));
  const warning = upstreamWarning(relay.upstreamUrl, upstream);
  if (warning) console.error(warning);
  const detected = detectedProviderNotice(config, relay.profile);
  if (detected) console.error(detected);
}

await main().catch(exitOnStartupFailure);
