// One relayed call, as stages over one request record, in call order: the GenAI operations
// (embeddings, rerank, score) and the model server's other routes the relay passes on share them.
// Each stage fills its fields of the record or throws a RelayError (its code in brackets); the
// operation's own stages (its parse, what reads its answer, its outcome) are an `OperationStages`
// (embeddings.ts, ranking.ts, pass-through.ts):
//   1. identify    inbound key and the caller it names, or the trusted caller header   [invalid_api_key]
//   2. method      the route's methods                           [method_not_allowed]
//   3. admit       room in the memory budget for its body (admission.ts)   [overloaded, client_aborted]
//   4. read        the body, bounded (protocol/body.ts)          [body_too_large, overloaded, client_aborted]
//   5. parse       the operation's: JSON → model, request        [invalid_json, invalid_request, batch_too_large, input_too_long]
//   6. span        the SERVER span starts, with what the request says (telemetry/request-telemetry.ts)
//   7. dispatch    to the upstream                               [upstream_unreachable, upstream_timeout, client_aborted]
//   8. relay       the body streams to the client, read on the way by the operation's reader (forward.ts)   [upstream_response_error, upstream_timeout]
//   9. outcome     the upstream's error message, or the operation's: response facts, quality, tokens
// A thrown error is answered by `#fail` (answer-error.ts writes it and records it). The router
// begins and ends the request's recording around `handle`, which never throws; what the request
// was admitted with goes back to the budget as `handle` returns. The outcome fields have one
// writer each per source: `#fail` for the relay's own errors, stage 8 (status) and stage 9 (error
// type, the upstream's message) for what the upstream answered.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { context } from '@opentelemetry/api';
import { RelayError, toRelayError } from '../core/errors.ts';
import { secondsSince, type RequestRecord } from '../core/record.ts';
import { discardUpload, readBody } from '../protocol/body.ts';
import type { Recording } from '../telemetry/request-telemetry.ts';
import { forwardResponseHeaders, type Upstream, type UpstreamResponse } from '../upstream/client.ts';
import { ErrorBodyCapture } from '../upstream/error-message.ts';
import { upstreamFailure } from '../upstream/failure.ts';
import { type Admission, OverloadedError, type Ticket } from './admission.ts';
import { answerError } from './answer-error.ts';
import { type CallerSource, identify } from './auth.ts';
import { forward } from './forward.ts';
import type { Route } from './routes.ts';

/** What reads a 2xx body on its way to the client. */
export interface BodyReader {
  push(chunk: Buffer): void;
  /** It keeps views of the chunks it was given (their memory must not be freed after the write). */
  readonly keepsChunks: boolean;
}

/** An operation's own stages (5, the reader of stage 8, and 9). */
export interface OperationStages<R extends BodyReader = BodyReader> {
  /** The methods the route takes (405 otherwise). */
  readonly methods: readonly string[];
  /** Stage 5: the body → the record's model and request. */
  parse(rec: RequestRecord, body: Buffer): void;
  /** Stage 8: the reader of a 2xx body, if any. */
  reader(rec: RequestRecord, up: UpstreamResponse): R | undefined;
  /** Stage 9, for a 2xx answer: what it says. Telemetry errors are counted, never thrown. */
  outcome(rec: RequestRecord, up: UpstreamResponse, reader: R | undefined): void;
}

export interface FlowOptions extends CallerSource {
  upstream: Upstream;
  admission: Admission;
  maxBodyBytes: number;
}

/** One request on its way through the stages: what they share besides the record. */
interface Exchange {
  req: IncomingMessage;
  res: ServerResponse;
  route: Route;
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

/** What reads the upstream body on its way to the client. */
interface Readers<R extends BodyReader> {
  /** The operation's reader of a 2xx body. */
  body: R | undefined;
  /** The capture of a 4xx/5xx body, for the upstream's message. */
  errorBody: ErrorBodyCapture | undefined;
}

const clientAborted = (cause: unknown) => new RelayError('client_aborted', 'The client closed the connection.', { cause });

const methodNotAllowed = (method: string | undefined, route: Route, methods: readonly string[]) =>
  new RelayError('method_not_allowed', `Method ${method} is not allowed on ${route.path}; use ${methods.join(' or ')}.`, {
    headers: { allow: methods.join(', ') },
  });

export class RelayFlow {
  readonly #opts: FlowOptions;

  constructor(opts: FlowOptions) {
    this.#opts = opts;
  }

  /** The flow of one request (stages 1–9) on `route`, its operation's stages `op`; never throws. */
  async handle<R extends BodyReader>(
    req: IncomingMessage,
    res: ServerResponse,
    recording: Recording,
    route: Route,
    op: OperationStages<R>,
  ): Promise<void> {
    const abort = new AbortController();
    const clientGone = () => {
      if (!res.writableFinished) abort.abort();
    };
    res.once('close', clientGone);
    const x: Exchange = {
      req,
      res,
      route,
      recording,
      rec: recording.rec,
      signal: abort.signal,
      dispatchNs: 0n,
      upstreamHeadersNs: 0n,
      ticket: undefined,
    };
    try {
      x.rec.caller = identify(this.#opts, req);
      if (!op.methods.includes(req.method ?? '')) throw methodNotAllowed(req.method, route, op.methods);
      x.ticket = await this.#admit(x);
      const body = await this.#read(x, x.ticket);
      op.parse(x.rec, body);
      recording.span();
      await context.with(recording.context(), async () => {
        const up = await this.#dispatch(x, body);
        const readers: Readers<R> = {
          body: up.statusCode >= 200 && up.statusCode < 300 ? op.reader(x.rec, up) : undefined,
          errorBody: up.statusCode >= 400 ? new ErrorBodyCapture() : undefined,
        };
        await this.#relay(x, up, readers);
        if (readers.errorBody) this.#upstreamRefusal(x.rec, up.statusCode, readers.errorBody);
        else op.outcome(x.rec, up, readers.body);
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

  /** Stage 7. */
  async #dispatch(x: Exchange, body: Buffer): Promise<UpstreamResponse> {
    x.dispatchNs = process.hrtime.bigint();
    try {
      const { route, req } = x;
      const method = req.method === 'GET' || req.method === 'HEAD' ? req.method : 'POST';
      const query = route.operation === undefined ? (req.url ?? '').slice(route.path.length) : '';
      const up = await this.#opts.upstream.request(
        method,
        route.upstreamPath + query,
        req.headers,
        method === 'POST' ? body : undefined,
        x.signal,
        route.from,
      );
      x.upstreamHeadersNs = process.hrtime.bigint();
      return up;
    } catch (err) {
      throw x.signal.aborted ? clientAborted(err) : err;
    }
  }

  /** Stage 8: status and headers, then the body, chunk by chunk, to the client and the readers. */
  async #relay<R extends BodyReader>(x: Exchange, up: UpstreamResponse, readers: Readers<R>): Promise<void> {
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
    const { body, errorBody } = readers;
    const read = (chunk: Buffer) => {
      body?.push(chunk);
      errorBody?.push(chunk);
    };
    try {
      // The error capture keeps chunk views, and so may the operation's reader.
      await forward(up.body, res, read, { release: errorBody === undefined && !(body?.keepsChunks ?? false) });
      rec.overheadS = Number(x.dispatchNs - rec.startNs + (process.hrtime.bigint() - x.upstreamHeadersNs)) / 1e9;
    } catch (err) {
      throw signal.aborted && !upstreamBroke ? clientAborted(err) : upstreamFailure(err, 'body');
    } finally {
      rec.upstreamS ??= secondsSince(x.dispatchNs);
    }
  }

  /** A 4xx/5xx the upstream answered: its status as the error type, its reason as the message. */
  #upstreamRefusal(rec: RequestRecord, status: number, errorBody: ErrorBodyCapture): void {
    rec.errorType = String(status);
    rec.upstreamMessage = errorBody.message(rec.request?.texts ?? rec.ranking?.texts ?? []);
    rec.errorMessage =
      rec.upstreamMessage === undefined
        ? `The upstream answered HTTP ${status}.`
        : `The upstream answered HTTP ${status}: ${rec.upstreamMessage}`;
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
