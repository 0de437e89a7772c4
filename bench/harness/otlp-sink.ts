// The benchmark's telemetry sink, as its own process (test/support/telemetry-sink.ts, counting
// only): one port per name so each relay's telemetry is counted apart. Run by bench/proxy/run.ts
// and bench/soak/soak.ts:
//   node bench/harness/otlp-sink.ts relay relay-otel-off   → prints {"ports":{"relay":N,...}} on stdout
// GET /stats on the stats port returns {name: {path: {requests, bytes}}}.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type SinkCounts, startTelemetrySink } from '../../test/support/telemetry-sink.ts';

const stats: Record<string, SinkCounts> = {};
const ports: Record<string, number> = {};
for (const name of process.argv.slice(2)) {
  const sink = await startTelemetrySink({ keepBodies: false });
  stats[name] = sink.counts;
  ports[name] = sink.port;
}
const statsServer = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(stats)));
await new Promise<void>((resolve) => statsServer.listen(0, '127.0.0.1', resolve));
ports['stats'] = (statsServer.address() as AddressInfo).port;
process.stdout.write(`${JSON.stringify({ ports })}\n`);
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
