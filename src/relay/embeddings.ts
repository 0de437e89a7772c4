// POST /v1/embeddings, as stages over one request record, in call order. Each stage fills its
// fields of the record or throws a RelayError (its code in brackets):
//   1. authorize   inbound key                                   [invalid_api_key]
//   2. method      POST only                                     [method_not_allowed]
//   3. admit       room in the memory budget for its body (admission.ts)   [overloaded, client_aborted]
//   4. read        the body, bounded (protocol/body.ts)          [body_too_large, overloaded, client_aborted]
//   5. parse       JSON → model (record.model), request          [invalid_json, invalid_request, batch_too_large, input_too_long]
//   6. span        the SERVER span starts, with what the request says (telemetry/request-telemetry.ts)
//   7. dispatch    to the upstream                               [upstream_unreachable, upstream_timeout, client_aborted]
//   8. relay       the body streams to the client, read on the way (forward.ts, inspect/)   [upstream_response_error, upstream_timeout]
//   9. outcome     the upstream's error message, response facts, quality, tokens
// A thrown error is answered by `#fail` (answer-error.ts writes it and records it). The router
// begins and ends the request's recording around `handle`, which never throws; what the request
// was admitted with goes back to the budget as `handle` returns. The outcome fields have one
// writer each per source: `#fail` for the relay's own errors, stage 8 (status) and stage 9 (error
// type, the upstream's message) for what the upstream answered.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { context } from '@opentelemetry/api';
import type { EmbeddingRequest } from '../core/embedding-request.ts';
import { RelayError, toRelayError } from '../core/errors.ts';
import { secondsSince, type RequestRecord } from '../core/record.ts';
import { BytesInspector } from '../inspect/bytes-body.ts';
import { assessQuality } from '../inspect/quality.ts';
import { ResponseScanner } from '../inspect/scanner.ts';
import type { DimensionExpectations, NormBand } from '../inspect/vector-health.ts';
import { discardUpload, readBody } from '../protocol/body.ts';
import { parseJsonBody, requestedModel, validateEmbeddingRequest } from '../protocol/request.ts';
import type { RelayMetrics } from '../telemetry/metrics.ts';
import type { Recording } from '../telemetry/request-telemetry.ts';
import { forwardResponseHeaders, type Upstream, type UpstreamResponse } from '../upstream/client.ts';
import { ErrorBodyCapture } from '../upstream/error-message.ts';
import { upstreamFailure } from '../upstream/failure.ts';
import type { UpstreamProfile } from '../upstream/profile.ts';
import { type Admission, OverloadedError, type Ticket } from './admission.ts';
import { answerError } from './answer-error.ts';
import { authorize, type InboundAuth } from './auth.ts';
import { forward } from './forward.ts';

export interface EmbeddingsOptions {
  upstream: Upstream;
  metrics: RelayMetrics;
  admission: Admission;
  auth: InboundAuth | undefined;
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

/** One request on its way through the stages: what they share besides the record. */
interface Exchange {
  req: IncomingMessage;
  res: ServerResponse;
  recording: Recording;
  rec: RequestRecord;
  /** Fires when the client goes away before its answer is complete. */
  signal: AbortSignal;
  /** process.hrtime.bigint() when the upstream call was sent (stage 7) and when its response
   *  headers arrived: the wait between them is the model's, not the relay's. */
  dispatchNs: bigint;
  upstreamHeadersNs: bigint;
  /** What the request holds of the memory budget, once admitted. */
  ticket: Ticket | undefined;
}

type Inspector = ResponseScanner | BytesInspector;
/** What reads the upstream body on its way to the client. */
interface Readers {
  /** Whether this response's vectors get the full health check (sampled up front). */
  health: boolean;
  /** The inspector of a 2xx body; none when inspection is off or the vectors' layout is unknown. */
  inspector: Inspector | undefined;
  /** The capture of a 4xx/5xx body, for the upstream's message. */
  errorBody: ErrorBodyCapture | undefined;
}

const clientAborted = (cause: unknown) => new RelayError('client_aborted', 'The client closed the connection.', { cause });

export class EmbeddingsFlow {
  readonly #opts: EmbeddingsOptions;

  constructor(opts: EmbeddingsOptions) {
    this.#opts = opts;
  }

  /** The flow of one request (stages 1–9); never throws. */
  async handle(req: IncomingMessage, res: ServerResponse, recording: Recording): Promise<void> {
    const abort = new AbortController();
    const clientGone = () => {
      if (!res.writableFinished) abort.abort();
    };
    res.once('close', clientGone);
    const x: Exchange = {
      req,
      res,
      recording,
      rec: recording.rec,
      signal: abort.signal,
      dispatchNs: 0n,
      upstreamHeadersNs: 0n,
      ticket: undefined,
    };
    try {
      authorize(this.#opts.auth, req);
      if (req.method !== 'POST')
        throw new RelayError('method_not_allowed', `Method ${req.method} is not allowed on ${x.rec.route}; use POST.`);
      x.ticket = await this.#admit(x);
      const body = await this.#read(x, x.ticket);
      this.#parse(x.rec, body);
      recording.span();
      await context.with(recording.context(), async () => {
        const up = await this.#dispatch(x, body);
        const readers = this.#readers(x.rec, up);
        await this.#relay(x, up, readers);
        this.#outcome(x.rec, up, readers);
      });
    } catch (err) {
      await this.#fail(x, toRelayError(err));
    } finally {
      res.off('close', clientGone);
      if (x.ticket) this.#opts.admission.release(x.ticket);
    }
  }

  /** Stage 3: room for the body it announces (a body without Content-Length is charged as it
   *  arrives, stage 4). Refused before any of the body is read; the refusal still discards the
   *  upload (body.ts), so the client reads its 503 instead of a reset. */
  async #admit(x: Exchange): Promise<Ticket> {
    const declared = Number(x.req.headers['content-length']);
    // A body over the limit is refused by stage 4 (413) without being held: charge nothing for it.
    const bodyBytes = Number.isFinite(declared) && declared <= this.#opts.maxBodyBytes ? declared : 0;
    try {
      const ticket = await this.#opts.admission.admit(bodyBytes, x.signal);
      if (ticket.waitedS > 0) x.rec.queuedS = ticket.waitedS;
      return ticket;
    } catch (err) {
      throw err instanceof OverloadedError ? err.withUpload(discardUpload(x.req, this.#opts.maxBodyBytes)) : err;
    }
  }

  /** Stage 4. */
  #read(x: Exchange, ticket: Ticket): Promise<Buffer> {
    const { admission } = this.#opts;
    return readBody(
      x.req,
      this.#opts.maxBodyBytes,
      (bytes) => admission.grow(ticket, bytes),
      (upload) => admission.overBudget(upload),
    );
  }

  /** Stage 5: the model as soon as the JSON names one (telemetry keeps it even when the request
   *  is then refused), then the validated request. */
  #parse(rec: RequestRecord, body: Buffer): void {
    const json = parseJsonBody(body);
    rec.model = requestedModel(json);
    rec.request = validateEmbeddingRequest(json, this.#opts.maxBatch, this.#opts.maxInputChars);
  }

  /** Stage 7. */
  async #dispatch(x: Exchange, body: Buffer): Promise<UpstreamResponse> {
    x.dispatchNs = process.hrtime.bigint();
    try {
      const up = await this.#opts.upstream.request('POST', '/embeddings', x.req.headers, body, x.signal);
      x.upstreamHeadersNs = process.hrtime.bigint();
      return up;
    } catch (err) {
      throw x.signal.aborted ? clientAborted(err) : err;
    }
  }

  #readers(rec: RequestRecord, up: UpstreamResponse): Readers {
    const health = this.#opts.random() < this.#opts.vectorCheckRate;
    return {
      health,
      inspector: this.#inspector(rec.request, up, health),
      errorBody: up.statusCode >= 400 ? new ErrorBodyCapture() : undefined,
    };
  }

  /** What reads a 2xx body as it passes: JSON (ResponseScanner) or vLLM's binary vectors
   *  (BytesInspector); none when inspection is off or the vectors' layout is unknown. */
  #inspector(req: EmbeddingRequest | undefined, up: UpstreamResponse, health: boolean): Inspector | undefined {
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

  /** Stage 8: status and headers, then the body, chunk by chunk, to the client and the readers. */
  async #relay(x: Exchange, up: UpstreamResponse, readers: Readers): Promise<void> {
    const { rec, res, signal } = x;
    rec.httpStatus = up.statusCode;
    // Which side broke first? An upstream body error while the client is still there means the
    // upstream broke (forward then destroys the client response, which also fires `signal`).
    let upstreamBroke = false;
    up.body.once('error', () => {
      if (!signal.aborted) upstreamBroke = true;
    });
    up.body.once('end', () => {
      rec.upstreamS = secondsSince(x.dispatchNs);
    });
    // An upstream's own request id (OpenAI's; vLLM's when it sends one) is kept: it is theirs to answer for.
    res.writeHead(up.statusCode, { ...x.recording.requestIdHeader(), ...forwardResponseHeaders(up.headers) });
    // Nothing is buffered or re-serialised: each chunk goes on as it came.
    const { inspector, errorBody } = readers;
    const read = (chunk: Buffer) => {
      inspector?.push(chunk);
      errorBody?.push(chunk);
    };
    try {
      // The error capture and the bytes inspector keep chunk views; the scanner copies what it keeps.
      await forward(up.body, res, read, { release: errorBody === undefined && !(inspector instanceof BytesInspector) });
      rec.overheadS = Number(x.dispatchNs - rec.startNs + (process.hrtime.bigint() - x.upstreamHeadersNs)) / 1e9;
    } catch (err) {
      throw signal.aborted && !upstreamBroke ? clientAborted(err) : upstreamFailure(err, 'body');
    } finally {
      rec.upstreamS ??= secondsSince(x.dispatchNs);
    }
  }

  /** Stage 9: what the response says. Telemetry errors are counted, never thrown. */
  #outcome(rec: RequestRecord, up: UpstreamResponse, readers: Readers): void {
    if (readers.errorBody) {
      this.#upstreamRefusal(rec, up.statusCode, readers.errorBody);
      return;
    }
    const { inspector } = readers;
    if (!inspector || inspector.overflowed) return;
    try {
      rec.response = inspector.finish();
    } catch {
      this.#opts.metrics.telemetryError('inspect');
    }
    try {
      this.#quality(rec, readers.health);
    } catch {
      this.#opts.metrics.telemetryError('quality');
    }
    this.#usage(rec, up);
  }

  /** A 4xx/5xx the upstream answered: its status as the error type, its reason as the message. */
  #upstreamRefusal(rec: RequestRecord, status: number, errorBody: ErrorBodyCapture): void {
    rec.errorType = String(status);
    rec.upstreamMessage = errorBody.message(rec.request?.texts ?? []);
    rec.errorMessage =
      rec.upstreamMessage === undefined
        ? `The upstream answered HTTP ${status}.`
        : `The upstream answered HTTP ${status}: ${rec.upstreamMessage}`;
  }

  #quality(rec: RequestRecord, health: boolean): void {
    const req = rec.request;
    const res = rec.response;
    if (!req || !res || res.vectorCount === 0) return;
    const texts = req.inputType === 'string_array' ? req.texts : undefined;
    const { dimensions, normBand, modelMismatchCheck } = this.#opts;
    const verdict = assessQuality({ ...req, texts }, res, health, dimensions, normBand, modelMismatchCheck);
    rec.expectedDimension = verdict.expectedDimension;
    rec.anomalies = verdict.anomalies;
  }

  /** Input tokens of an inspected response: the upstream's usage, else its x-compute-tokens header,
   *  else (when enabled) an estimate. Characters (Infinity) are never reported as tokens: kept as
   *  what they are. */
  #usage(rec: RequestRecord, up: UpstreamResponse): void {
    const reported = rec.response?.promptTokens;
    const headerTokens = Number(up.headers['x-compute-tokens']);
    if (reported !== undefined && this.#opts.profile.usage === 'characters') rec.inputCharacters = reported;
    else if (reported !== undefined) rec.inputTokens = reported;
    else if (Number.isInteger(headerTokens) && headerTokens >= 0) rec.inputTokens = headerTokens;
    else if (this.#opts.estimateTokens && rec.request) {
      // About 4 characters per token: a rough figure, marked as estimated wherever it is reported.
      rec.inputTokens = rec.request.inputTokenIds ?? Math.ceil(rec.request.inputChars / 4);
      rec.tokensEstimated = true;
    }
  }

  /** Answers a thrown error. For a refused upload (413, 503) it resolves once the rest of it was
   *  discarded (or a bound was hit), so the client is never reset mid-upload; see protocol/body.ts. */
  async #fail(x: Exchange, err: RelayError): Promise<void> {
    const { rec, res } = x;
    if (err.code === 'client_aborted') {
      rec.errorType = err.code;
      rec.errorMessage = err.message;
      rec.httpStatus = res.headersSent ? res.statusCode : err.status;
      res.destroy();
      return;
    }
    if (err instanceof OverloadedError) {
      rec.shedReason = err.reason;
      if (err.waitedS > 0) rec.queuedS = err.waitedS;
    }
    const { upload } = err;
    if (upload === undefined) {
      answerError(x.recording, err, res);
      return;
    }
    // Discarding holds nothing: the budget gets its bytes back now, not when the upload ends.
    if (x.ticket) this.#opts.admission.release(x.ticket);
    const socket = res.socket;
    answerError(x.recording, err, res, upload.drained);
    // The request took as long as it took to answer it; the discarding after that is not latency.
    rec.endNs = process.hrtime.bigint();
    const drained = await upload.drained;
    rec.model ??= upload.model;
    // The client kept sending past the bound: close now (it may see a reset, as with nginx).
    if (drained === 'bound') res.once('finish', () => socket?.destroy());
  }
}
