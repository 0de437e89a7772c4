// Log projection of the request record: the one JSON line per request (schema in README). Its event
// names what the request was: an operation's (embedding_request, rerank_request, score_request), or
// http_request for the routes that are none (passed on, unknown).
import type { RequestRecord } from '../core/record.ts';

const EVENTS = { embeddings: 'embedding_request', rerank: 'rerank_request', score: 'score_request' } as const;

export interface LogLine {
  event: (typeof EVENTS)[keyof typeof EVENTS] | 'http_request';
  /** The name of the inbound key the request presented, when it names one. */
  caller?: string;
  /** The request's `user` field as RELAY_END_USER keeps it: its hash, or the value. */
  user_hash?: string;
  user?: string;
  /** http_request lines: what was asked, and of which route. */
  method?: string;
  route?: string;
  model: string | undefined;
  status: 'ok' | 'error';
  http_status: number;
  error_type: string | undefined;
  error_message: string | undefined;
  input_count: number | undefined;
  input_tokens: number | undefined;
  input_tokens_estimated: boolean | undefined;
  /** What an upstream that counts characters (Infinity) reported as usage. */
  input_characters?: number;
  output_dim: number | undefined;
  /** The model the response names (gen_ai.response.model), when it names one. */
  response_model: string | undefined;
  /** Vectors per anomaly kind, only when there were anomalies. */
  anomalies?: Record<string, number>;
  /** With a dimension_mismatch: what the model should have returned. */
  expected_dim?: number;
  vector_count: number | undefined;
  encoding_format: string | undefined;
  /** Rerank: documents asked about, top_n; score: pairs. Then results and the best score. */
  documents?: number;
  top_n?: number;
  results?: number;
  top_score?: number;
  duration_ms: number;
  upstream_ms: number | undefined;
  /** How long it waited for room in the memory budget, when it had to. */
  queue_ms?: number;
  /** Why it got 503 overloaded. */
  shed_reason?: string;
  trace_id: string | undefined;
  span_id: string | undefined;
  inputs?: readonly string[];
}

const ms = (s: number): number => Math.round(s * 1e6) / 1e3;

export function logLine(rec: RequestRecord, includeInputs: boolean): LogLine {
  const line: LogLine = {
    event: rec.operation === undefined ? 'http_request' : EVENTS[rec.operation],
    model: rec.model,
    status: rec.errorType === undefined ? 'ok' : 'error',
    http_status: rec.httpStatus,
    error_type: rec.errorType,
    error_message: rec.errorMessage,
    input_count: rec.request?.inputCount,
    input_tokens: rec.inputTokens,
    input_tokens_estimated: rec.inputTokens === undefined ? undefined : rec.tokensEstimated,
    output_dim: rec.response?.dimension,
    response_model: rec.response?.responseModel,
    vector_count: rec.response?.vectorCount,
    encoding_format: rec.request?.encodingFormat,
    duration_ms: ms(rec.durationS),
    upstream_ms: rec.upstreamS === undefined ? undefined : ms(rec.upstreamS),
    trace_id: rec.traceId,
    span_id: rec.spanId,
  };
  if (rec.caller !== undefined) line.caller = rec.caller;
  if (rec.endUser !== undefined) line[rec.endUser.hashed ? 'user_hash' : 'user'] = rec.endUser.id;
  if (rec.operation === undefined) {
    line.method = rec.method;
    if (rec.route !== undefined) line.route = rec.route;
  }
  if (rec.ranking) {
    line.documents = rec.ranking.documentCount;
    if (rec.ranking.topN !== undefined) line.top_n = rec.ranking.topN;
  }
  if (rec.ranked) {
    line.results = rec.ranked.resultCount;
    if (rec.ranked.topScore !== undefined) line.top_score = rec.ranked.topScore;
    line.response_model = rec.ranked.responseModel;
  }
  if (rec.inputCharacters !== undefined) line.input_characters = rec.inputCharacters;
  if (rec.queuedS !== undefined) line.queue_ms = ms(rec.queuedS);
  if (rec.shedReason !== undefined) line.shed_reason = rec.shedReason;
  if (rec.anomalies.size > 0) line.anomalies = Object.fromEntries(rec.anomalies);
  if (rec.anomalies.has('dimension_mismatch')) line.expected_dim = rec.expectedDimension;
  if (includeInputs && rec.request) line.inputs = rec.request.texts;
  if (includeInputs && rec.ranking) line.inputs = rec.ranking.texts;
  return line;
}

/** 5xx (the relay or upstream failed) → error; 4xx or broken vectors → warn; else info. */
export const logLevel = (rec: RequestRecord): 'info' | 'warn' | 'error' =>
  rec.httpStatus >= 500 ? 'error' : rec.httpStatus >= 400 || rec.errorType !== undefined || rec.anomalies.size > 0 ? 'warn' : 'info';
