// The benchmark's upstream: a minimal OpenAI-compatible embeddings server that can never be the
// bottleneck. Every scenario's body is serialised once at start-up; a request picks its body by the
// x-bench-scenario header, its body is read and discarded, and the errors scenario answers 503 to
// exactly every 1/errorRate-th request. Run as its own process by bench/proxy/run.ts:
//   node bench/harness/upstream.ts [scenario ...]   → prints {"port":N} on stdout once listening (127.0.0.1)
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { errorBody, MODEL, responseBody, SCENARIO_HEADER, type Scenario } from './scenario.ts';
import { SCENARIOS } from './scenarios/index.ts';

interface Route {
  scenario: Scenario;
  ok: Buffer;
  served: number;
}

const wanted = process.argv.slice(2);
const routes = new Map<string, Route>();
for (const scenario of SCENARIOS) {
  if (wanted.length > 0 && !wanted.includes(scenario.name)) continue;
  routes.set(scenario.name, { scenario, ok: responseBody(scenario), served: 0 });
}

const JSON_TYPE = 'application/json';
const models = Buffer.from(JSON.stringify({ object: 'list', data: [{ id: MODEL, object: 'model', owned_by: 'bench' }] }));

const server = createServer((req, res) => {
  req.resume();
  req.once('end', () => {
    const route = routes.get(String(req.headers[SCENARIO_HEADER] ?? ''));
    let status = 200;
    let body: Buffer = models;
    if (req.method === 'POST' && route) {
      const n = route.served++;
      const { errorRate } = route.scenario;
      const fail = errorRate > 0 && Math.floor((n + 1) * errorRate) > Math.floor(n * errorRate);
      status = fail ? 503 : 200;
      body = fail ? errorBody : route.ok;
    } else if (req.method === 'POST') {
      status = 404;
      body = Buffer.from(JSON.stringify({ object: 'error', message: `bench upstream: unknown ${SCENARIO_HEADER}` }));
    }
    res.writeHead(status, { 'content-type': JSON_TYPE, 'content-length': body.length });
    res.end(body);
  });
});
server.keepAliveTimeout = 120_000;
server.headersTimeout = 130_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);
});
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
