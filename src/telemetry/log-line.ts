// Log projection of the request record: the one JSON line per request (schema in README).
import type { RequestRecord } from '../core/record.ts';

export interface LogLine {
  event: 'embedding_request';
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
    event: 'embedding_request',
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
  if (rec.inputCharacters !== undefined) line.input_characters = rec.inputCharacters;
  if (rec.queuedS !== undefined) line.queue_ms = ms(rec.queuedS);
  if (rec.shedReason !== undefined) line.shed_reason = rec.shedReason;
  if (rec.anomalies.size > 0) line.anomalies = Object.fromEntries(rec.anomalies);
  if (rec.anomalies.has('dimension_mismatch')) line.expected_dim = rec.expectedDimension;
  if (includeInputs && rec.request) line.inputs = rec.request.texts;
  return line;
}

/** 5xx (the relay or upstream failed) → error; 4xx or broken vectors → warn; else info. */
export const logLevel = (rec: RequestRecord): 'info' | 'warn' | 'error' =>
  rec.httpStatus >= 500 ? 'error' : rec.httpStatus >= 400 || rec.errorType !== undefined || rec.anomalies.size > 0 ? 'warn' : 'info';
