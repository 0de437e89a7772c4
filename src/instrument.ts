// Telemetry bootstrap, loaded before the app: `node --import ./dist/instrument.js dist/main.js`.
// It starts the SDK for the relay command and flushes it when the process has drained
// (main.ts closes the server on SIGTERM/SIGINT; then the event loop empties and `beforeExit` fires).
import './server/node-version.ts';
import { processConfig } from './config/load.ts';
import { startAdminServer } from './server/admin-server.ts';
import { exitOnStartupFailure } from './server/startup-failure.ts';
import { startTelemetry } from './telemetry/sdk.ts';

try {
  const { command, config } = processConfig();
  if (command === 'relay') {
    const telemetry = await startTelemetry({
      serviceName: config.serviceName,
      serveMetrics: (metrics) => startAdminServer(config.metricsHost, config.metricsPort, metrics),
    });
    process.once('beforeExit', () => {
      telemetry
        .shutdown()
        .catch((err: unknown) => console.error('embedding-relay: telemetry flush failed:', err))
        // Last step of shutdown: an exporter still retrying against a dead Collector must not hold the exit.
        .finally(() => process.exit());
    });
  }
} catch (err) {
  exitOnStartupFailure(err);
}
