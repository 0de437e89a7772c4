// The floor of any Node.js relay on this machine: a pass-through in the relay's own stack (node:http
// server, undici Pool, the body streamed chunk by chunk with backpressure, the relay's node flags)
// and nothing else: no telemetry, no inspection, no validation. What the relay costs above it is
// the relay's own work; what it costs above nginx below it is Node's.
//   node test/support/node-floor-proxy.ts UPSTREAM_ORIGIN PORT   → serves 127.0.0.1:PORT
import { createServer } from 'node:http';
import { Pool } from 'undici';

const [origin, port] = process.argv.slice(2);
const pool = new Pool(origin!, { connections: 256 });

const server = createServer((req, res) => {
  const parts: Buffer[] = [];
  req.on('data', (c: Buffer) => parts.push(c));
  req.on('end', () => {
    const headers: Record<string, string> = {};
    for (const name of ['content-type', 'authorization', 'x-bench-scenario']) {
      const v = req.headers[name];
      if (typeof v === 'string') headers[name] = v;
    }
    pool.request({ method: req.method as 'POST', path: req.url!, headers, body: Buffer.concat(parts) }).then(
      (up) => {
        const out: Record<string, string | string[]> = {};
        for (const [k, v] of Object.entries(up.headers)) if (v !== undefined && k !== 'connection' && k !== 'keep-alive') out[k] = v;
        res.writeHead(up.statusCode, out);
        up.body.on('data', (c: Buffer) => {
          if (!res.write(c)) up.body.pause();
        });
        res.on('drain', () => up.body.resume());
        up.body.on('end', () => res.end());
        up.body.on('error', () => res.destroy());
      },
      () => res.writeHead(502).end(),
    );
  });
});
server.listen(Number(port), '127.0.0.1');
process.on('SIGTERM', () => server.close(() => process.exit(0)));
