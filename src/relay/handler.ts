// The relay's request handler: routing, the /v1/embeddings flow and pass-throughs. It is a plain
// (req, res) function with no socket of its own (server.ts owns that), it never throws, and it
// turns every embeddings call into one RequestRecord projected onto a span, metrics and a log line.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { context, propagation, SpanKind, SpanStatusCode, trace, isSpanContextValid, type Context, type Span } from '@opentelemetry/api';
import type { Logger } from 'pino';
import { errors as undiciErrors } from 'undici';
import { BodyTooLargeError, readBody } from './body.ts';
import { boundedModelName, parseJsonBody, requestedModel, validateEmbeddingRequest, type EmbeddingRequest } from './request.ts';
import { RelayError, toRelayError, writeError } from '../errors.ts';
import { logLevel, logLine } from '../telemetry/log-line.ts';
import type { RelayMetrics } from '../telemetry/metrics.ts';
import type { InboundAuth } from './auth.ts';
import { ModelLabels } from '../telemetry/model-labels.ts';
import { estimateTokens, newRecord, secondsSince, type RequestRecord } from './record.ts';
import { BytesInspector } from '../inspect/bytes-body.ts';
import { ResponseScanner } from '../inspect/scanner.ts';
import { OTHER_VALUE, TRACER_NAME } from '../telemetry/semconv.ts';
import { endAttributes, spanName, startAttributes } from '../telemetry/span.ts';
import { forwardResponseHeaders, type Upstream } from './upstream.ts';
import { ErrorBodyCapture } from './upstream-error.ts';
import { ROUNDING_ERROR } from '../inspect/vector-encoding.ts';
import { addAnomaly, DimensionExpectations, duplicateSummaries, summaryAnomalies, type AnomalyKind, type NormBand } from '../inspect/vector-health.ts';

export interface RelayOptions {
  upstream: Upstream;
  logger: Logger;
  metrics: RelayMetrics;
  /** Inbound auth (RELAY_API_KEYS); undefined: every client is let through. */
  auth?: InboundAuth;
  providerName: string;
  maxBodyBytes: number;
  maxBatch: number;
  /** Longest string input, in characters (400 input_too_long above). */
  maxInputChars?: number;
  maxModelLabels: number;
  inspectMaxBytes: number;
  estimateTokens: boolean;
  logInputs: boolean;
  /** Quality checks: configured dimensions per model, sampling rate, norm band. */
  expectedDimensions: ReadonlyMap<string, number>;
  vectorCheckRate: number;
  normBand: NormBand;
  /** Test seam for the sampling decision; defaults to Math.random. */
  random?: () => number;
  readyTimeoutMs?: number;
}

const EMBEDDINGS_ROUTES = new Set(['/v1/embeddings', '/embeddings']);
const MODELS_ROUTES = new Set(['/v1/models', '/models']);

/** Marks the readiness probe's upstream call so telemetry can leave it out. */
export const PROBE_HEADER = 'x-embedding-relay-probe';

const clientAborted = (cause: unknown) => new RelayError('client_aborted', 'The client closed the connection.', { cause });

const json = (res: ServerResponse, status: number, body: unknown) => {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
};

function errorHeaders(err: RelayError): Record<string, string> {
  if (err.code === 'body_too_large') return { connection: 'close' };
  if (err.code === 'method_not_allowed') return { allow: 'POST' };
  if (err.code === 'invalid_api_key') return { 'www-authenticate': 'Bearer realm="embedding-relay"' };
  return {};
}

/** The norm band for one request's vectors: none for raw vectors the client asked for
 *  (use_activation: false), widened by the rounding of a low-precision embed_dtype. */
function normBandFor(req: EmbeddingRequest, band: NormBand): NormBand {
  if (!req.normalized) return { ...band, check: false };
  const e = req.vectorEncoding === undefined ? 0 : ROUNDING_ERROR[req.vectorEncoding.dtype];
  return e < 2 ** -20 ? band : { check: band.check, min: band.min * (1 - e), max: band.max * (1 + e) };
}

export function createRelayHandler(opts: RelayOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const tracer = trace.getTracer(TRACER_NAME);
  const labels = new ModelLabels(opts.maxModelLabels);
  const dimensions = new DimensionExpectations(opts.expectedDimensions, 10_000);
  const random = opts.random ?? Math.random;
  const { upstream, metrics, logger } = opts;

  /** Dimension consistency (always) and vector health (when sampled: the scanner computed it). */
  function checkQuality(rec: RequestRecord, health: boolean): void {
    const req = rec.request;
    const res = rec.response;
    if (!req || !res || res.vectorCount === 0) return;
    const anomalies = new Map<AnomalyKind, number>();
    const expected = dimensions.expected(req.model, req.dimensions);
    rec.expectedDimension = expected;
    if (expected !== undefined) {
      for (const [dim, n] of res.vectorsByDimension) if (dim !== expected) addAnomaly(anomalies, 'dimension_mismatch', n);
    }
    if (health) {
      const band = normBandFor(req, opts.normBand);
      for (const v of res.vectors) for (const kind of summaryAnomalies(v, band)) addAnomaly(anomalies, kind);
      addAnomaly(anomalies, 'duplicate_vector', duplicateSummaries(res.vectors, req.inputType === 'string_array' ? req.texts : undefined));
    }
    if (anomalies.size === 0 && expected === undefined && res.vectorsByDimension.size === 1) dimensions.learn(req.model, res.dimension!);
    rec.anomalies = anomalies;
  }

  function finish(rec: RequestRecord, span: Span | undefined, parent: Context): void {
    rec.durationS = secondsSince(rec.startNs, rec.answeredNs);
    rec.modelLabel ||= OTHER_VALUE;
    try {
      span ??= tracer.startSpan(spanName(rec), { kind: SpanKind.SERVER, startTime: rec.startEpochMs, attributes: startAttributes(rec) }, parent);
      const sc = span.spanContext();
      if (isSpanContextValid(sc)) {
        rec.traceId = sc.traceId;
        rec.spanId = sc.spanId;
      }
      span.setAttributes(endAttributes(rec));
      const failed = rec.httpStatus >= 500 || (rec.errorType !== undefined && rec.httpStatus < 400);
      if (failed) span.setStatus({ code: SpanStatusCode.ERROR, message: rec.errorMessage ?? rec.errorType });
      span.end(rec.answeredNs === undefined ? undefined : rec.startEpochMs + rec.durationS * 1000);
    } catch {
      metrics.telemetryError('span');
    }
    try {
      metrics.record(rec);
    } catch {
      metrics.telemetryError('metrics');
    }
    try {
      logger[logLevel(rec)](logLine(rec, opts.logInputs));
    } catch {
      metrics.telemetryError('log');
    }
  }

  /** Throws invalid_api_key (401) unless inbound auth is off or the client sent a configured key. */
  function authorize(req: IncomingMessage): void {
    const result = opts.auth?.check(req.headers) ?? 'ok';
    if (result === 'missing') {
      throw new RelayError('invalid_api_key', 'You did not provide an API key: send Authorization: Bearer <key> (or api-key: <key>).');
    }
    if (result === 'invalid') throw new RelayError('invalid_api_key', 'Incorrect API key provided.');
  }

  /** Answers the failure. For a 413 it resolves once the rest of the upload was discarded (or a
   *  bound was hit), so the client is never reset mid-upload; see body.ts. */
  async function fail(rec: RequestRecord, err: RelayError, res: ServerResponse): Promise<void> {
    rec.errorType = err.code;
    rec.errorMessage = err.message;
    if (err.code === 'client_aborted') {
      rec.httpStatus = res.headersSent ? res.statusCode : err.status;
      res.destroy();
      return;
    }
    if (!res.headersSent) rec.httpStatus = err.status;
    if (err instanceof BodyTooLargeError) {
      const socket = res.socket;
      writeError(res, err, errorHeaders(err), err.drained);
      // The request took as long as it took to answer it; the discarding after that is not latency.
      rec.answeredNs = process.hrtime.bigint();
      const outcome = await err.drained;
      rec.model ??= err.model === undefined ? undefined : boundedModelName(err.model);
      if (rec.model !== undefined) rec.modelLabel = labels.label(rec.model);
      // The client kept sending past the bound: close now (it may see a reset, as with nginx).
      if (outcome === 'bound') res.once('finish', () => socket?.destroy());
      return;
    }
    writeError(res, err, errorHeaders(err));
  }

  async function embeddings(req: IncomingMessage, res: ServerResponse, rec: RequestRecord): Promise<void> {
    const parent = propagation.extract(context.active(), req.headers);
    const abort = new AbortController();
    const clientGone = () => {
      if (!res.writableFinished) abort.abort();
    };
    res.once('close', clientGone);
    let span: Span | undefined;
    try {
      authorize(req);
      if (req.method !== 'POST') {
        throw new RelayError('method_not_allowed', `Method ${req.method} is not allowed on ${rec.route}; use POST.`);
      }
      const body = await readBody(req, opts.maxBodyBytes);
      const json = parseJsonBody(body);
      const named = requestedModel(json);
      rec.model = named === undefined ? undefined : boundedModelName(named);
      if (rec.model !== undefined) rec.modelLabel = labels.label(rec.model);
      const request = validateEmbeddingRequest(json, opts.maxBatch, opts.maxInputChars);
      rec.request = request;
      span = tracer.startSpan(spanName(rec), { kind: SpanKind.SERVER, startTime: rec.startEpochMs, attributes: startAttributes(rec) }, parent);
      await context.with(trace.setSpan(parent, span), () => forward(req, res, rec, body, abort.signal));
    } catch (err) {
      await fail(rec, toRelayError(err), res);
    } finally {
      res.off('close', clientGone);
      finish(rec, span, parent);
    }
  }

  async function forward(req: IncomingMessage, res: ServerResponse, rec: RequestRecord, body: Buffer, signal: AbortSignal): Promise<void> {
    const sentAt = process.hrtime.bigint();
    let up;
    try {
      up = await upstream.request('POST', '/embeddings', req.headers, body, signal);
    } catch (err) {
      throw signal.aborted ? clientAborted(err) : err;
    }
    rec.httpStatus = up.statusCode;
    // Which side broke first? An upstream body error while the client is still there means the
    // upstream broke (pipeline then destroys the client response, which also fires `signal`).
    let upstreamBroke = false;
    up.body.once('error', () => {
      if (!signal.aborted) upstreamBroke = true;
    });
    res.writeHead(up.statusCode, forwardResponseHeaders(up.headers));

    // Each chunk is scanned as it passes on its way to the client: nothing is buffered, nothing
    // re-serialised (response-scanner.ts; measured against JSON.parse in bench/inspect.ts).
    // Whether this response's vectors get the health check is decided up front (sampling).
    const health = random() < opts.vectorCheckRate;
    const scanner = up.statusCode >= 200 && up.statusCode < 300 ? inspector(rec, up.headers, health) : undefined;
    if (scanner) up.body.on('data', (chunk: Buffer) => scanner.push(chunk));
    const errorBody = up.statusCode >= 400 ? new ErrorBodyCapture() : undefined;
    if (errorBody) up.body.on('data', (chunk: Buffer) => errorBody.push(chunk));
    try {
      await pipeline(up.body, res);
    } catch (err) {
      rec.upstreamS = secondsSince(sentAt);
      if (signal.aborted && !upstreamBroke) throw clientAborted(err);
      throw err instanceof undiciErrors.BodyTimeoutError
        ? new RelayError('upstream_timeout', 'The upstream stopped sending its response.', { cause: err })
        : new RelayError('upstream_response_error', 'The upstream response broke off.', { cause: err });
    }
    rec.upstreamS = secondsSince(sentAt);

    if (errorBody) {
      rec.errorType = String(up.statusCode);
      rec.upstreamMessage = errorBody.message(rec.request?.texts ?? []);
      rec.errorMessage = rec.upstreamMessage === undefined ? `The upstream answered HTTP ${up.statusCode}.` : `The upstream answered HTTP ${up.statusCode}: ${rec.upstreamMessage}`;
      return;
    }
    if (!scanner || scanner.overflowed) return;
    try {
      rec.response = scanner.finish();
    } catch {
      metrics.telemetryError('inspect');
    }
    try {
      checkQuality(rec, health);
    } catch {
      metrics.telemetryError('quality');
    }
    const headerTokens = Number(up.headers['x-compute-tokens']);
    if (rec.response?.promptTokens !== undefined) rec.inputTokens = rec.response.promptTokens;
    else if (Number.isInteger(headerTokens) && headerTokens >= 0) rec.inputTokens = headerTokens;
    else if (opts.estimateTokens && rec.request) {
      rec.inputTokens = estimateTokens(rec.request);
      rec.tokensEstimated = true;
    }
  }

  /** What reads a 2xx body as it passes: JSON (ResponseScanner) or vLLM's binary vectors
   *  (BytesInspector); none when inspection is off or the vectors' layout is unknown. */
  function inspector(rec: RequestRecord, headers: Record<string, string | string[] | undefined>, health: boolean): ResponseScanner | BytesInspector | undefined {
    const req = rec.request;
    if (opts.inspectMaxBytes === 0 || !req || req.vectorEncoding === undefined) return undefined;
    const type = String(headers['content-type'] ?? '');
    if (!type.startsWith('application/octet-stream')) return new ResponseScanner({ health, maxBytes: opts.inspectMaxBytes, encoding: req.vectorEncoding });
    const metadata = headers['metadata'];
    return new BytesInspector({ health, maxBytes: opts.inspectMaxBytes, metadata: typeof metadata === 'string' ? metadata : undefined, encoding: req.vectorEncoding, inputCount: req.inputCount });
  }

  async function passThroughModels(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      authorize(req);
    } catch (err) {
      const e = toRelayError(err);
      return writeError(res, e, errorHeaders(e));
    }
    const abort = new AbortController();
    res.once('close', () => abort.abort());
    try {
      const up = await upstream.request('GET', '/models', req.headers, undefined, abort.signal);
      res.writeHead(up.statusCode, forwardResponseHeaders(up.headers));
      await pipeline(up.body, res);
    } catch (err) {
      if (!abort.signal.aborted) writeError(res, toRelayError(err));
    }
  }

  /** One upstream probe shared by concurrent /readyz calls and reused for 1 s: /readyz is open
   *  (no API key), so a flood of probes must not take the upstream pool from real requests. */
  let probe: { at: number; result: Promise<number | undefined> } | undefined;
  function probeUpstream(): Promise<number | undefined> {
    if (probe && performance.now() - probe.at < 1_000) return probe.result;
    const signal = AbortSignal.timeout(opts.readyTimeoutMs ?? 2_000);
    const result = upstream.request('GET', '/models', { [PROBE_HEADER]: 'readyz' }, undefined, signal).then(
      async (up) => {
        await up.body.dump();
        return up.statusCode;
      },
      () => undefined,
    );
    probe = { at: performance.now(), result };
    return result;
  }

  async function ready(res: ServerResponse): Promise<void> {
    const status = await probeUpstream();
    // Any HTTP answer means the upstream is reachable (some servers have no /models).
    if (status !== undefined) json(res, 200, { status: 'ready', upstream: { reachable: true, status } });
    else json(res, 503, { status: 'not_ready', upstream: { reachable: false } });
  }

  return function handle(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '/').split('?', 1)[0]!;
    if (EMBEDDINGS_ROUTES.has(path) || !(MODELS_ROUTES.has(path) || path === '/healthz' || path === '/readyz')) {
      metrics.requestStarted(req.method ?? 'GET');
      const rec = newRecord({
        method: req.method ?? 'GET',
        route: EMBEDDINGS_ROUTES.has(path) ? path : undefined,
        providerName: opts.providerName,
        serverAddress: upstream.address,
        serverPort: upstream.port,
      });
      const work = EMBEDDINGS_ROUTES.has(path)
        ? embeddings(req, res, rec)
        : Promise.resolve().then(() => {
            const parent = propagation.extract(context.active(), req.headers);
            fail(rec, new RelayError('not_found', `Unknown path ${path}: this relay serves POST /v1/embeddings and GET /v1/models.`), res);
            finish(rec, undefined, parent);
          });
      work.catch(() => metrics.telemetryError('handler')).finally(() => metrics.requestEnded(rec.method));
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      writeError(res, new RelayError('method_not_allowed', `Method ${req.method} is not allowed on ${path}; use GET.`), { allow: 'GET, HEAD' });
      return;
    }
    if (path === '/healthz') return json(res, 200, { status: 'ok' });
    if (path === '/readyz') {
      void ready(res);
      return;
    }
    void passThroughModels(req, res);
  };
}

