// The one request record. Everything telemetry reports about a request is a field here, computed
// once; spans, metrics and the log line are projections of it and can never disagree.
import type { EmbeddingRequest } from './embedding-request.ts';
import type { ShedReason } from './errors.ts';
import type { RankingAnomalyKind, RankingFacts, RankingOperation, RankingRequest } from './ranking.ts';
import type { AnomalyKind, ResponseFacts } from './response-facts.ts';

/** The GenAI operation a request is (gen_ai.operation.name); undefined for the model server's other
 *  routes the relay passes on, which are HTTP requests only (relay/routes.ts). */
export type Operation = 'embeddings' | RankingOperation;

/** An end user as reported: `hashed` says whether `id` is the value's hash (user.hash) or the value (user.id). */
export interface EndUser {
  readonly id: string;
  readonly hashed: boolean;
}

export interface RequestRecord {
  /** process.hrtime.bigint() at arrival. */
  readonly startNs: bigint;
  /** Wall-clock arrival (ms since epoch), the span's start time. */
  readonly startEpochMs: number;
  readonly method: string;
  /** Route template, or undefined when no route matched. */
  readonly route: string | undefined;
  readonly operation: Operation | undefined;
  readonly providerName: string;
  readonly serverAddress: string;
  readonly serverPort: number;
  /** Who sent it: the name of the inbound key it presented (RELAY_API_KEYS `name:key`); undefined
   *  without inbound auth or for a bare key. Never the key itself. */
  caller: string | undefined;
  /** The caller's metric label (its name, or _OTHER past the label limit), set as the record is
   *  projected; undefined when no caller is named. */
  callerLabel: string | undefined;
  /** The request's own `user` field (OpenAI's end-user id) as telemetry reports it
   *  (RELAY_END_USER): hashed, as sent, or undefined (dropped, or none sent). Never a metric label. */
  endUser: EndUser | undefined;

  /** The model the client asked for (bounded: protocol/request.ts), as soon as the body was read
   *  far enough to name it (also on a 400 or 413), else undefined. */
  model: string | undefined;
  request: EmbeddingRequest | undefined;
  /** A rerank or score call, once parsed (the embeddings request is `request`). */
  ranking: RankingRequest | undefined;
  /** The model's metric label (its name, or _OTHER past the label limit), set as the record is projected. */
  modelLabel: string;
  response: ResponseFacts | undefined;
  /** What a rerank or score answer said (inspect/ranking.ts). */
  ranked: RankingFacts | undefined;
  /** Vectors (embeddings) or results (rerank, score) per quality anomaly kind (empty when healthy
   *  or not inspected). */
  anomalies: Map<AnomalyKind | RankingAnomalyKind, number>;
  /** The dimension the response should have had, when known. */
  expectedDimension: number | undefined;
  /** Input tokens reported by the upstream (usage or x-compute-tokens), or estimated. */
  inputTokens: number | undefined;
  tokensEstimated: boolean;
  /** Input characters, when that is what the upstream's usage counts (UpstreamProfile.usage). */
  inputCharacters: number | undefined;

  /** Seconds the request waited for room in the memory budget (relay/admission.ts), when it had
   *  to wait (admitted or refused after it). */
  queuedS: number | undefined;
  /** Why the request was refused with 503 overloaded (queue_full, queue_timeout, body_over_budget). */
  shedReason: ShedReason | undefined;

  /** Status sent to the client (0 when nothing was sent). */
  httpStatus: number;
  /** Low-cardinality failure class: a RelayError code or the upstream HTTP status. */
  errorType: string | undefined;
  errorMessage: string | undefined;
  /** The reason the upstream gave with a 4xx/5xx (bounded, inputs redacted; upstream-error.ts). */
  upstreamMessage: string | undefined;

  /** process.hrtime.bigint() when the answer was complete, set only when telemetry is recorded
   *  later than that (a 413 whose upload is still being discarded); the request ends here. */
  endNs: bigint | undefined;
  /** Upstream call: dispatch → the upstream body's end (its last byte read), in seconds. */
  upstreamS: number | undefined;
  /** What the relay added to a request that the upstream answered, in seconds
   *  (embedding.relay.overhead): from its arrival to the last byte written to the client, less
   *  the wait for the upstream's answer (dispatch → its response headers: the model's time).
   *  Reading the request, the upstream call's set-up, streaming and inspecting the body, and the
   *  socket writes are in it. Not in it: how long the request waited in the socket before the
   *  event loop reached it (nodejs_eventloop_delay_* shows that). */
  overheadS: number | undefined;
  durationS: number;

  traceId: string | undefined;
  spanId: string | undefined;
}

export function newRecord(init: {
  method: string;
  route: string | undefined;
  operation: Operation | undefined;
  providerName: string;
  serverAddress: string;
  serverPort: number;
}): RequestRecord {
  return {
    startNs: process.hrtime.bigint(),
    startEpochMs: Date.now(),
    ...init,
    caller: undefined,
    callerLabel: undefined,
    endUser: undefined,
    model: undefined,
    request: undefined,
    ranking: undefined,
    modelLabel: '',
    response: undefined,
    ranked: undefined,
    anomalies: new Map(),
    expectedDimension: undefined,
    inputTokens: undefined,
    tokensEstimated: false,
    inputCharacters: undefined,
    queuedS: undefined,
    shedReason: undefined,
    httpStatus: 0,
    errorType: undefined,
    errorMessage: undefined,
    upstreamMessage: undefined,
    endNs: undefined,
    upstreamS: undefined,
    overheadS: undefined,
    durationS: 0,
    traceId: undefined,
    spanId: undefined,
  };
}

/** Seconds from `startNs` to `endNs` (now, when not given). */
export const secondsSince = (startNs: bigint, endNs: bigint = process.hrtime.bigint()): number => Number(endNs - startNs) / 1e9;
