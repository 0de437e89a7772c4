// An embeddings server that costs next to nothing per request: one single-input answer (one
// 2560-dim float vector, as the simulator writes it), serialised once at start-up, to every POST.
// Its own process, so that its CPU is not the measured proxy's: test/perf/cpu-guard.test.ts.
//   node test/support/canned-upstream.ts   → prints {"port":N} once listening on 127.0.0.1
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { simulatedVector } from '../../src/simulator/simulator.ts';

const MODEL = 'Qwen/Qwen3-Embedding-4B';
const body = Buffer.from(
  JSON.stringify({
    object: 'list',
    data: [{ object: 'embedding', index: 0, embedding: Array.from(simulatedVector('a short query', 2560, 1)) }],
    model: MODEL,
    usage: { prompt_tokens: 4, total_tokens: 4 },
  }),
);
const server = createServer((req, res) => {
  req.resume();
  req.once('end', () => res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length }).end(body));
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
