// A telemetry sink for the benchmark: accepts OTLP/HTTP (POST /v1/traces, /v1/metrics, /v1/logs)
// and Loki pushes (POST /loki/api/v1/push), counts requests and bytes, and answers success. One
// port per name so each relay's telemetry is counted apart. Run as its own process by bench/run.ts:
//   node bench/otlp-sink.ts relay relay-otel-off   → prints {"ports":{"relay":N,...}} on stdout
// GET /stats on any port returns {name: {path: {requests, bytes}}}.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

type Counts = Record<string, { requests: number; bytes: number }>;
const stats: Record<string, Counts> = {};

function listenAs(name: string): Promise<number> {
  const counts: Counts = {};
  stats[name] = counts;
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?', 1)[0]!;
    if (req.method === 'GET' && path === '/stats') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(stats));
      return;
    }
    let bytes = 0;
    req.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
    });
    req.once('end', () => {
      const c = counts[path] ?? { requests: 0, bytes: 0 };
      counts[path] = c;
      c.requests++;
      c.bytes += bytes;
      if (path.endsWith('/loki/api/v1/push')) {
        res.writeHead(204).end();
      } else if (String(req.headers['content-type'] ?? '').includes('json')) {
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      } else {
        // An empty protobuf message is a valid, fully successful Export*ServiceResponse.
        res.writeHead(200, { 'content-type': 'application/x-protobuf', 'content-length': 0 }).end();
      }
    });
  });
  server.keepAliveTimeout = 120_000;
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

const ports: Record<string, number> = {};
for (const name of process.argv.slice(2)) ports[name] = await listenAs(name);
process.stdout.write(`${JSON.stringify({ ports })}\n`);
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
