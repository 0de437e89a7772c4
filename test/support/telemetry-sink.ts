// A stand-in OTLP/HTTP receiver and Loki push endpoint for process tests: records every POST the
// relay sends (path, content type, body) and answers 200. Protobuf posts get an empty protobuf
// body (what an OTLP receiver returns), anything else `{}`.
import { createServer } from 'node:http';
import { listen, type RunningServer } from '../../src/server/listen.ts';

export interface SinkExport {
  path: string;
  type: string;
  body: Buffer;
}

export interface TelemetrySink {
  url: string;
  exports: SinkExport[];
  close(): Promise<void>;
}

export async function startTelemetrySink(): Promise<TelemetrySink> {
  const exports: SinkExport[] = [];
  const running: RunningServer = await listen(
    createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const type = String(req.headers['content-type']);
        exports.push({ path: req.url ?? '', type, body: Buffer.concat(chunks) });
        if (type === 'application/x-protobuf') res.writeHead(200, { 'content-type': type }).end();
        else res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    }),
    '127.0.0.1',
    0,
  );
  return { url: running.url, exports, close: () => running.close() };
}
