// What a batch-indexing job does to a relay: `batches` clients at once, each sending large batches
// (2000 inputs of 7 KB by default: about 13.4 MB), while a steady stream of single-input queries
// goes on beside them. Used by the overload tests (test/docker/overload.test.ts under a real memory
// limit) and `npm run bench:overload`. Every answer is classified: 200, a clean 503 (Retry-After and
// the OpenAI-style error body), another status, or a transport failure (a reset).
import { request, Agent, createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FloodOptions {
  /** The relay's base URL, e.g. http://127.0.0.1:8080. */
  url: string;
  /** Clients sending large batches at once. */
  batches: number;
  /** Batches each of them sends, one after another. */
  rounds: number;
  inputsPerBatch: number;
  charsPerInput: number;
  /** Single-input requests per second, from the start until the last batch is answered. */
  smallPerSecond: number;
  model: string;
}

export interface ClassCounts {
  sent: number;
  ok: number;
  /** 503 with Retry-After and `error.code` "overloaded". */
  shed: number;
  /** Any other status, by status. */
  other: Record<string, number>;
  /** No answer: reset, refused, timed out. By message. */
  failed: Record<string, number>;
  /** Latency of the answered requests, ms. */
  p50Ms: number;
  p99Ms: number;
  /** The relay's request ids of the answered requests (x-request-id), to find their log lines. */
  requestIds: string[];
}

export interface FloodResult {
  seconds: number;
  large: ClassCounts;
  small: ClassCounts;
}

export async function flood(opts: FloodOptions): Promise<FloodResult> {
  const started = performance.now();
  const agent = new Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY });
  const large = newCounts();
  const small = newCounts();
  const largeLatencies: number[] = [];
  const smallLatencies: number[] = [];
  const batch = Buffer.from(JSON.stringify(batchBody(opts)));
  const one = Buffer.from(JSON.stringify({ model: opts.model, input: 'how do I rotate a key?', dimensions: 8 }));
  let floodOver = false;
  const workers = Array.from({ length: opts.batches }, async () => {
    for (let r = 0; r < opts.rounds; r++) await send(opts.url, agent, batch, large, largeLatencies);
  });
  const queries = (async () => {
    const gap = 1000 / opts.smallPerSecond;
    const pending: Promise<void>[] = [];
    for (let next = performance.now(); !floodOver; next += gap) {
      pending.push(send(opts.url, agent, one, small, smallLatencies));
      await sleep(Math.max(0, next + gap - performance.now()));
    }
    await Promise.all(pending);
  })();
  await Promise.all(workers);
  floodOver = true;
  await queries;
  agent.destroy();
  return {
    seconds: (performance.now() - started) / 1000,
    large: summarise(large, largeLatencies),
    small: summarise(small, smallLatencies),
  };
}

function batchBody(opts: FloodOptions): unknown {
  const text = 'lorem ipsum dolor sit amet '.repeat(Math.ceil(opts.charsPerInput / 27)).slice(0, opts.charsPerInput);
  return { model: opts.model, input: Array.from({ length: opts.inputsPerBatch }, (_, i) => `${i} ${text}`), dimensions: 8 };
}

function send(url: string, agent: Agent, body: Buffer, counts: ClassCounts, latencies: number[]): Promise<void> {
  counts.sent++;
  const t0 = performance.now();
  return new Promise((resolve) => {
    const req = request(
      `${url}/v1/embeddings`,
      { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': body.length }, timeout: 120_000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          latencies.push(performance.now() - t0);
          const id = res.headers['x-request-id'];
          if (typeof id === 'string') counts.requestIds.push(id);
          classify(res.statusCode ?? 0, res.headers['retry-after'], Buffer.concat(chunks).toString('utf8'), counts);
          resolve();
        });
        res.on('error', (err) => fail(counts, err, resolve));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', (err) => fail(counts, err, resolve));
    req.end(body);
  });
}

function classify(status: number, retryAfter: string | string[] | undefined, text: string, counts: ClassCounts): void {
  if (status === 200) {
    counts.ok++;
    return;
  }
  let code: unknown;
  try {
    code = (JSON.parse(text) as { error?: { code?: unknown } }).error?.code;
  } catch {
    code = undefined;
  }
  if (status === 503 && code === 'overloaded' && typeof retryAfter === 'string' && /^\d+$/.test(retryAfter)) counts.shed++;
  else {
    const key = `${status} ${String(code)}`;
    counts.other[key] = (counts.other[key] ?? 0) + 1;
  }
}

/** Counted once per request: a socket error after the response ended is not a second failure. */
function fail(counts: ClassCounts, err: Error, resolve: () => void): void {
  const key = (err as NodeJS.ErrnoException).code ?? err.message;
  counts.failed[key] = (counts.failed[key] ?? 0) + 1;
  resolve();
}

const newCounts = (): ClassCounts => ({ sent: 0, ok: 0, shed: 0, other: {}, failed: {}, p50Ms: 0, p99Ms: 0, requestIds: [] });

function summarise(counts: ClassCounts, latencies: number[]): ClassCounts {
  const sorted = latencies.sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  return { ...counts, p50Ms: at(0.5), p99Ms: at(0.99) };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** An upstream as quick as a GPU server answering `dimensions: 8`: reads the whole body, answers
 *  one tiny vector per input after `delayMs`. */
export async function quickUpstream(delayMs: number, host = '127.0.0.1'): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (!req.url?.endsWith('/embeddings')) {
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"object":"list","data":[{"id":"flood","object":"model"}]}');
        return;
      }
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { model: string; input: unknown };
      const count = Array.isArray(body.input) && typeof body.input[0] !== 'number' ? body.input.length : 1;
      const vector = [0.5, 0.5, 0.5, 0.5, 0.0, 0.0, 0.0, 0.0];
      const data = Array.from({ length: count }, (_, index) => ({ object: 'embedding', index, embedding: vector }));
      const answer = JSON.stringify({ object: 'list', model: body.model, data, usage: { prompt_tokens: count, total_tokens: count } });
      setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end(answer), delayMs);
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => server.listen(0, host, r));
  return { server, url: `http://${host}:${(server.address() as AddressInfo).port}/v1` };
}
