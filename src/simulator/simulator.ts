// The embeddings SIMULATOR: an OpenAI-compatible fake model server. It is the relay's embedded
// default upstream (so a newcomer sees the whole pipeline without a GPU) and the upstream of the
// tests. It is NOT a model: vectors are deterministic bag-of-words hashes, seeded by the text and
// `seed` (another seed behaves like another model), L2-normalised, truncated MRL-style when a
// request asks for fewer `dimensions`. Every response says so in `x-embedding-simulator: true`.
// Rerank and score (ranking.ts) score documents by the cosine of those vectors.
import { FAULT_HEADER, SIMULATOR_HEADER } from '../core/headers.ts';
import { sendJson } from '../core/send-json.ts';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody } from '../protocol/body.ts';
import type { EmbeddingRequest } from '../core/embedding-request.ts';
import { parseEmbeddingRequest } from '../protocol/request.ts';
import type { Config } from '../config/load.ts';
import { RelayError, toRelayError, writeError } from '../core/errors.ts';
import type { RankingOperation } from '../core/ranking.ts';
import { ranking } from './ranking.ts';
import { simulatedTokens, simulatedVector, toBase64 } from './vectors.ts';

export { simulatedTokens, simulatedVector, toBase64 };

export interface SimulatorOptions {
  model: string;
  dimensions: number;
  seed: number;
  latencyMs: number;
  latencyPerTokenMs: number;
  failRate: number;
  /** Test seam for failRate; defaults to Math.random. */
  random?: () => number;
}

export function simulatorOptions(config: Config): SimulatorOptions {
  return {
    model: config.simulatorModel,
    dimensions: config.simulatorDimensions,
    seed: config.simulatorSeed,
    latencyMs: config.simulatorLatencyMs,
    latencyPerTokenMs: config.simulatorLatencyPerTokenMs,
    failRate: config.simulatorFailRate,
  };
}

function inputsOf(body: Buffer): (string | number[])[] {
  const input = (JSON.parse(body.toString('utf8')) as { input: unknown }).input;
  if (typeof input === 'string') return [input];
  const arr = input as unknown[];
  return typeof arr[0] === 'number' ? [arr as number[]] : (arr as (string | number[])[]);
}

/** Waits `ms`, or less when the client goes away first: a pending fake latency must not hold a
 *  shutting-down process (test/process/drain.test.ts). */
const sleep = (ms: number, res: ServerResponse) =>
  new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      res.off('close', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    res.once('close', done);
  });

/** The simulator's response body: fake vectors for the inputs, with the fault's broken vector
 *  (see FAULT_HEADER) when one was asked for. */
function responseText(
  request: EmbeddingRequest,
  inputs: (string | number[])[],
  fault: string,
  dims: number,
  seed: number,
  promptTokens: number,
): string {
  const swapped = /^dims:(\d+)$/.exec(fault);
  const vectors = inputs.map((input) => simulatedVector(input, swapped ? Number(swapped[1]) : dims, seed));
  const NAN_MARK = 4096.5; // exactly representable in float32; replaced by a bare NaN below
  if (fault === 'zero') vectors[0]!.fill(0);
  if (fault === 'unnormalized') vectors[0] = vectors[0]!.map((x) => x * 3);
  if (fault === 'nan') vectors[0]![0] = request.encodingFormat === 'base64' ? NaN : NAN_MARK;
  if (fault === 'duplicate' && vectors.length > 1) vectors[1] = vectors[0]!;
  const data = vectors.map((v, index) => {
    const embedding: unknown = request.encodingFormat === 'base64' ? toBase64(v) : Array.from(v);
    if (fault === 'null' && index === 0 && Array.isArray(embedding)) embedding[0] = null;
    return { object: 'embedding', index, embedding };
  });
  // `model:NAME` answers as another model, as a server that serves one model whatever is asked does.
  const answeredModel = fault.startsWith('model:') ? fault.slice('model:'.length) : request.model;
  const out: Record<string, unknown> = { object: 'list', data, model: answeredModel };
  if (fault !== 'no-usage') out['usage'] = { prompt_tokens: promptTokens, total_tokens: promptTokens };
  const text = JSON.stringify(out);
  return fault === 'nan' && request.encodingFormat !== 'base64' ? text.replace(`[${NAN_MARK},`, '[NaN,') : text;
}

/** Rerank and score under the paths vLLM serves them (ranking.ts). */
const RANKING_ROUTES = new Map<string, RankingOperation>([
  ['/v1/rerank', 'rerank'],
  ['/rerank', 'rerank'],
  ['/v2/rerank', 'rerank'],
  ['/v1/score', 'score'],
  ['/score', 'score'],
]);

export function createSimulatorHandler(opts: SimulatorOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const random = opts.random ?? Math.random;
  const headers = { 'content-type': 'application/json', [SIMULATOR_HEADER]: 'true' };
  const send = (res: ServerResponse, status: number, body: unknown) => sendJson(res, status, body, { [SIMULATOR_HEADER]: 'true' });

  async function embeddings(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const fault = String(req.headers[FAULT_HEADER] ?? '');
    const body = await readBody(req, 256 * 1024 * 1024);
    const request = parseEmbeddingRequest(body, 1_000_000);
    // As OpenAI: the relay forwards any encoding_format, and the upstream refuses what it lacks.
    if (request.encodingFormat !== 'float' && request.encodingFormat !== 'base64') {
      throw new RelayError('invalid_request', `SIMULATOR: 'encoding_format' must be "float" or "base64".`, { param: 'encoding_format' });
    }
    const dims = request.dimensions ?? opts.dimensions;
    if (dims > opts.dimensions) {
      throw new RelayError('invalid_request', `SIMULATOR: 'dimensions' must be at most ${opts.dimensions} for ${opts.model}.`, {
        param: 'dimensions',
      });
    }
    const inputs = inputsOf(body);
    const tokenCounts = inputs.map((i) => (typeof i === 'string' ? simulatedTokens(i).length : i.length));
    const promptTokens = tokenCounts.reduce((a, b) => a + b, 0);

    const latency = opts.latencyMs + opts.latencyPerTokenMs * promptTokens;
    if (latency > 0) await sleep(latency, res);
    if (res.destroyed || fault === 'hang') return; // hang never answers; the client's timeout decides
    if (/^[45]\d\d$/.test(fault) || random() < opts.failRate) {
      const status = /^[45]\d\d$/.test(fault) ? Number(fault) : 500;
      send(res, status, {
        error: {
          message: `SIMULATOR: injected fault (HTTP ${status}).`,
          type: status >= 500 ? 'server_error' : 'invalid_request_error',
          param: null,
          code: 'simulated_fault',
        },
      });
      return;
    }
    if (fault === 'garbage') {
      res.writeHead(200, headers);
      res.end('{"object":"list","data":[{"embedding":[0.1,');
      return;
    }
    const text = responseText(request, inputs, fault, dims, opts.seed, promptTokens);
    if (fault === 'reset') {
      res.writeHead(200, { ...headers, 'content-length': Buffer.byteLength(text) });
      res.write(text.slice(0, Math.floor(text.length / 2)));
      setTimeout(() => res.socket?.destroy(), 5);
      return;
    }
    res.writeHead(200, { ...headers, 'content-length': Buffer.byteLength(text) });
    res.end(text);
  }

  return (req, res) => {
    const path = (req.url ?? '/').split('?', 1)[0]!;
    if ((path === '/v1/embeddings' || path === '/embeddings') && req.method === 'POST') {
      embeddings(req, res).catch((err: unknown) => writeError(res, toRelayError(err), { [SIMULATOR_HEADER]: 'true' }));
    } else if (RANKING_ROUTES.has(path) && req.method === 'POST') {
      ranking(RANKING_ROUTES.get(path)!, opts, req, res).catch((err: unknown) =>
        writeError(res, toRelayError(err), { [SIMULATOR_HEADER]: 'true' }),
      );
    } else if ((path === '/v1/models' || path === '/models') && req.method === 'GET') {
      send(res, 200, { object: 'list', data: [{ id: opts.model, object: 'model', created: 0, owned_by: 'embedding-relay-simulator' }] });
    } else if (path === '/health' && req.method === 'GET') {
      send(res, 200, { status: 'ok', simulator: true });
    } else {
      writeError(res, new RelayError('not_found', `SIMULATOR: unknown route ${req.method} ${path}.`), { [SIMULATOR_HEADER]: 'true' });
    }
  };
}
