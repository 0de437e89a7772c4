// A stand-in OTLP/HTTP receiver and Loki push endpoint (the tests' and the bench's one sink):
// counts every POST by path (requests, bytes) and, unless `keepBodies` is off, records it (path,
// content type, body). It answers as the real ones do: Loki 204, OTLP protobuf an empty
// Export*ServiceResponse, OTLP JSON `{}`.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SinkExport {
  path: string;
  type: string;
  body: Buffer;
}

export type SinkCounts = Record<string, { requests: number; bytes: number }>;

export interface TelemetrySink {
  url: string;
  port: number;
  /** Every POST, in order (empty when keepBodies is off). */
  exports: SinkExport[];
  /** Requests and bytes per path. */
  counts: SinkCounts;
  close(): Promise<void>;
}

export async function startTelemetrySink(opts: { keepBodies?: boolean } = {}): Promise<TelemetrySink> {
  const keep = opts.keepBodies ?? true;
  const exports: SinkExport[] = [];
  const counts: SinkCounts = {};
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?', 1)[0]!;
    const chunks: Buffer[] = [];
    let bytes = 0;
    req.on('data', (c: Buffer) => {
      bytes += c.length;
      if (keep) chunks.push(c);
    });
    req.on('end', () => {
      const count = counts[path] ?? { requests: 0, bytes: 0 };
      counts[path] = count;
      count.requests++;
      count.bytes += bytes;
      const type = String(req.headers['content-type'] ?? '');
      if (keep) exports.push({ path: req.url ?? '', type, body: Buffer.concat(chunks) });
      if (path.endsWith('/loki/api/v1/push')) res.writeHead(204).end();
      else if (type.includes('json')) res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      else res.writeHead(200, { 'content-type': 'application/x-protobuf', 'content-length': 0 }).end();
    });
  });
  server.keepAliveTimeout = 120_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    exports,
    counts,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
