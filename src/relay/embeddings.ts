// POST /v1/embeddings, as stages over one RequestRecord, in call order. Each stage fills its
// fields of the record or throws a RelayError (its code in brackets):
//   1. authorize   inbound key                                   [invalid_api_key]
//   2. method      POST only                                     [method_not_allowed]
//   3. read        the body, bounded                             [body_too_large, client_aborted]
//   4. parse       JSON → model (record.model), request          [invalid_json, invalid_request, batch_too_large, input_too_long]
//   5. span        the SERVER span starts (telemetry/project.ts); one refused earlier gets it as it is answered
//   6. dispatch    to the upstream                               [upstream_unreachable, upstream_timeout, client_aborted]
//   7. relay       the body streams to the client, read on the way (forward.ts, inspect/)   [upstream_response_error, upstream_timeout]
//   8. outcome     status, the upstream's error message, response facts, quality, tokens
// Whatever happened, `fail` answers a thrown error and `finish` projects the record (span,
// metrics, log line). Every answer names its trace in `x-request-id` (requestIdHeader). The
// handler never throws. The outcome fields have one writer each per source: `fail` for the
// relay's own errors (also an unknown path's 404, via `refuse`), stage 7 (status) and stage 8
// (error type, the upstream's message) for what the upstream answered.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { context, isSpanContextValid, propagation, type Span, trace } from '@opentelemetry/api';
import type { Logger } from 'pino';
import { errors as undiciErrors } from 'undici';
import { RelayError, toRelayError, writeError } from '../errors.ts';
import { REQUEST_ID_HEADER } from '../headers.ts';
import { BytesInspector } from '../inspect/bytes-body.ts';
import { assessQuality } from '../inspect/quality.ts';
import { ResponseScanner } from '../inspect/scanner.ts';
import type { DimensionExpectations, NormBand } from '../inspect/vector-health.ts';
import type { RelayMetrics } from '../telemetry/metrics.ts';
import type { ModelLabels } from '../telemetry/model-labels.ts';
import type { Projections } from '../telemetry/project.ts';
import { authorize, type InboundAuth } from './auth.ts';
import { BodyTooLargeError, readBody } from './body.ts';
import type { UpstreamProfile } from './profile.ts';
import { estimateTokens, secondsSince, type RequestRecord } from './record.ts';
import { boundedModelName, parseJsonBody, requestedModel, validateEmbeddingRequest } from './request.ts';
import { forwardResponseHeaders, type Upstream, type UpstreamResponse } from './upstream.ts';
import { forward } from './forward.ts';
import { ErrorBodyCapture } from './upstream-error.ts';

export interface EmbeddingsOptions {
  upstream: Upstream;
  metrics: RelayMetrics;
  logger: Logger;
  auth: InboundAuth | undefined;
  projections: Projections;
  labels: ModelLabels;
  dimensions: DimensionExpectations;
  maxBodyBytes: number;
  maxBatch: number;
  maxInputChars: number;
  inspectMaxBytes: number;
  estimateTokens: boolean;
  /** What the upstream's usage counts (read per request). */
  profile: UpstreamProfile;
  vectorCheckRate: number;
  normBand: NormBand;
  modelMismatchCheck: boolean;
  random: () => number;
}

/** The relay's trace id as the response's request id, so a caller holding a response or an error
 *  finds its log line (trace_id) and its trace. None when the relay does not trace. */
function requestIdHeader(span: Span | undefined): Record<string, string> {
  const sc = span?.spanContext();
  return sc !== undefined && isSpanContextValid(sc) ? { [REQUEST_ID_HEADER]: sc.traceId } : {};
}

const clientAborted = (cause: unknown) => new RelayError('client_aborted', 'The client closed the connection.', { cause });

type Inspector = ResponseScanner | BytesInspector;
/** What reads the upstream body on its way to the client: the inspector (2xx), the error capture (4xx/5xx). */
interface Readers {
  scanner: Inspector | undefined;
  errorBody: ErrorBodyCapture | undefined;
}

export class EmbeddingsFlow {
  readonly #opts: EmbeddingsOptions;

  constructor(opts: EmbeddingsOptions) {
    this.#opts = opts;
  }

  /** Stage 4: the model as soon as the JSON names one (telemetry keeps it even when the request
   *  is then refused), then the validated request. */
  #parse(rec: RequestRecord, body: Buffer): void {
    const json = parseJsonBody(body);
    const named = requestedModel(json);
    rec.model = named === undefined ? undefined : boundedModelName(named);
    if (rec.model !== undefined) rec.modelLabel = this.#opts.labels.label(rec.model);
    rec.request = validateEmbeddingRequest(json, this.#opts.maxBatch, this.#opts.maxInputChars);
  }

  /** Stage 6. */
  async #dispatch(req: IncomingMessage, body: Buffer, signal: AbortSignal): Promise<UpstreamResponse> {
    try {
      return await this.#opts.upstream.request('POST', '/embeddings', req.headers, body, signal);
    } catch (err) {
      throw signal.aborted ? clientAborted(err) : err;
    }
  }

  /** What reads a 2xx body as it passes: JSON (ResponseScanner) or vLLM's binary vectors
   *  (BytesInspector); none when inspection is off or the vectors' layout is unknown. */
  #inspector(rec: RequestRecord, up: UpstreamResponse, health: boolean): Inspector | undefined {
    const req = rec.request;
    if (up.statusCode < 200 || up.statusCode >= 300 || this.#opts.inspectMaxBytes === 0 || !req || req.vectorEncoding === undefined)
      return undefined;
    const type = String(up.headers['content-type'] ?? '');
    if (!type.startsWith('application/octet-stream'))
      return new ResponseScanner({ health, maxBytes: this.#opts.inspectMaxBytes, encoding: req.vectorEncoding });
    const metadata = up.headers['metadata'];
    return new BytesInspector({
      health,
      maxBytes: this.#opts.inspectMaxBytes,
      metadata: typeof metadata === 'string' ? metadata : undefined,
      encoding: req.vectorEncoding,
      inputCount: req.inputCount,
    });
  }

  /** Stage 7: status and headers, then the body, chunk by chunk, to the client and the readers.
   *  `answeredAt`: when the upstream's response headers arrived (dispatch resolved). */
  async #relay(
    rec: RequestRecord,
    up: UpstreamResponse,
    res: ServerResponse,
    signal: AbortSignal,
    readers: Readers,
    times: { sentAt: bigint; answeredAt: bigint },
    span: Span,
  ): Promise<void> {
    rec.httpStatus = up.statusCode;
    // Which side broke first? An upstream body error while the client is still there means the
    // upstream broke (forward then destroys the client response, which also fires `signal`).
    let upstreamBroke = false;
    up.body.once('error', () => {
      if (!signal.aborted) upstreamBroke = true;
    });
    up.body.once('end', () => {
      rec.upstreamS = secondsSince(times.sentAt);
    });
    // An upstream's own request id (OpenAI's; vLLM's when it sends one) is kept: it is theirs to answer for.
    res.writeHead(up.statusCode, { ...requestIdHeader(span), ...forwardResponseHeaders(up.headers) });
    // Nothing is buffered or re-serialised (inspect/scanner.ts; measured in bench/micro/inspect.ts).
    const { scanner, errorBody } = readers;
    const read = (chunk: Buffer) => {
      scanner?.push(chunk);
      errorBody?.push(chunk);
    };
    try {
      // The error capture and the bytes inspector keep chunk views; the scanner copies what it keeps.
      await forward(up.body, res, read, { release: errorBody === undefined && !(scanner instanceof BytesInspector) });
      // All but the wait for the upstream's answer (record.ts, relayS).
      rec.relayS = Number(times.sentAt - rec.startNs + (process.hrtime.bigint() - times.answeredAt)) / 1e9;
    } catch (err) {
      if (signal.aborted && !upstreamBroke) throw clientAborted(err);
      throw err instanceof undiciErrors.BodyTimeoutError
        ? new RelayError('upstream_timeout', 'The upstream stopped sending its response.', { cause: err })
        : new RelayError('upstream_response_error', 'The upstream response broke off.', { cause: err });
    } finally {
      rec.upstreamS ??= secondsSince(times.sentAt);
    }
  }

  /** Stage 8: what the response says. Telemetry errors are counted, never thrown. */
  #outcome(rec: RequestRecord, up: UpstreamResponse, readers: Readers, health: boolean): void {
    const { scanner, errorBody } = readers;
    if (errorBody) {
      rec.errorType = String(up.statusCode);
      rec.upstreamMessage = errorBody.message(rec.request?.texts ?? []);
      rec.errorMessage =
        rec.upstreamMessage === undefined
          ? `The upstream answered HTTP ${up.statusCode}.`
          : `The upstream answered HTTP ${up.statusCode}: ${rec.upstreamMessage}`;
      return;
    }
    if (!scanner || scanner.overflowed) return;
    try {
      rec.response = scanner.finish();
    } catch {
      this.#opts.metrics.telemetryError('inspect');
    }
    try {
      const req = rec.request;
      const res = rec.response;
      if (req && res && res.vectorCount > 0) {
        const texts = req.inputType === 'string_array' ? req.texts : undefined;
        const verdict = assessQuality(
          { ...req, texts },
          res,
          health,
          this.#opts.dimensions,
          this.#opts.normBand,
          this.#opts.modelMismatchCheck,
        );
        rec.expectedDimension = verdict.expectedDimension;
        rec.anomalies = verdict.anomalies;
      }
    } catch {
      this.#opts.metrics.telemetryError('quality');
    }
    const headerTokens = Number(up.headers['x-compute-tokens']);
    // Characters (Infinity) are never reported as tokens: kept as what they are.
    const reported = rec.response?.promptTokens;
    if (reported !== undefined && this.#opts.profile.usage === 'characters') rec.inputCharacters = reported;
    else if (reported !== undefined) rec.inputTokens = reported;
    else if (Number.isInteger(headerTokens) && headerTokens >= 0) rec.inputTokens = headerTokens;
    else if (this.#opts.estimateTokens && rec.request) {
      rec.inputTokens = estimateTokens(rec.request);
      rec.tokensEstimated = true;
    }
  }

  /** Answers a thrown error. For a 413 it resolves once the rest of the upload was discarded (or
   *  a bound was hit), so the client is never reset mid-upload; see body.ts. */
  async #fail(rec: RequestRecord, err: RelayError, res: ServerResponse, span: Span): Promise<void> {
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
      writeError(res, err, requestIdHeader(span), err.drained);
      // The request took as long as it took to answer it; the discarding after that is not latency.
      rec.answeredNs = process.hrtime.bigint();
      const drained = await err.drained;
      rec.model ??= err.model === undefined ? undefined : boundedModelName(err.model);
      if (rec.model !== undefined) rec.modelLabel = this.#opts.labels.label(rec.model);
      // The client kept sending past the bound: close now (it may see a reset, as with nginx).
      if (drained === 'bound') res.once('finish', () => socket?.destroy());
      return;
    }
    writeError(res, err, requestIdHeader(span));
  }

  /** A recorded request refused before the flow (an unknown path): answered and projected as any
   *  other failure, by the same `#fail` and `finish`. Never throws. */
  async refuse(req: IncomingMessage, res: ServerResponse, rec: RequestRecord, err: RelayError): Promise<void> {
    const parent = propagation.extract(context.active(), req.headers);
    const span = this.#opts.projections.startServerSpan(rec, parent);
    try {
      await this.#fail(rec, err, res, span);
    } finally {
      this.#opts.projections.finish(rec, span, parent);
    }
  }

  /** The flow of one request (stages 1–8); never throws. */
  async handle(req: IncomingMessage, res: ServerResponse, rec: RequestRecord): Promise<void> {
    const parent = propagation.extract(context.active(), req.headers);
    const abort = new AbortController();
    const clientGone = () => {
      if (!res.writableFinished) abort.abort();
    };
    res.once('close', clientGone);
    let span: Span | undefined;
    try {
      authorize(this.#opts.auth, req);
      if (req.method !== 'POST')
        throw new RelayError('method_not_allowed', `Method ${req.method} is not allowed on ${rec.route}; use POST.`);
      const body = await readBody(req, this.#opts.maxBodyBytes);
      this.#parse(rec, body);
      const serverSpan = this.#opts.projections.startServerSpan(rec, parent);
      span = serverSpan;
      await context.with(trace.setSpan(parent, serverSpan), async () => {
        const sentAt = process.hrtime.bigint();
        const up = await this.#dispatch(req, body, abort.signal);
        const answeredAt = process.hrtime.bigint();
        // Whether this response's vectors get the health check is decided up front (sampling).
        const health = this.#opts.random() < this.#opts.vectorCheckRate;
        const readers: Readers = {
          scanner: this.#inspector(rec, up, health),
          errorBody: up.statusCode >= 400 ? new ErrorBodyCapture() : undefined,
        };
        await this.#relay(rec, up, res, abort.signal, readers, { sentAt, answeredAt }, serverSpan);
        this.#outcome(rec, up, readers, health);
      });
    } catch (err) {
      // A request refused before stage 5 gets its span now, so that its error names it too.
      span ??= this.#opts.projections.startServerSpan(rec, parent);
      await this.#fail(rec, toRelayError(err), res, span);
    } finally {
      res.off('close', clientGone);
      this.#opts.projections.finish(rec, span, parent);
    }
  }
}
