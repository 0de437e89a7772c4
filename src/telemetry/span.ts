// Span projection of the request record: GenAI semantic conventions plus `embedding.*` for the
// operations; the HTTP semantic conventions alone for the routes that are none (passed on, unknown).
import type { Attributes } from '@opentelemetry/api';
import type { RequestRecord } from '../core/record.ts';
import * as semconv from './semconv.ts';

/** `{operation} {model}` (GenAI); `{method} {route}` or `{method}` (HTTP) for the rest. */
export function spanName(rec: RequestRecord): string {
  if (rec.operation === undefined) return rec.route !== undefined ? `${rec.method} ${rec.route}` : rec.method;
  return rec.model !== undefined ? `${rec.operation} ${rec.model}` : rec.operation;
}

/** Attributes known when the span starts (what a sampler may look at). */
export function startAttributes(rec: RequestRecord): Attributes {
  const attrs: Attributes = {
    [semconv.ATTR_HTTP_REQUEST_METHOD]: rec.method,
    [semconv.ATTR_SERVER_ADDRESS]: rec.serverAddress,
    [semconv.ATTR_SERVER_PORT]: rec.serverPort,
  };
  if (rec.route !== undefined) attrs[semconv.ATTR_HTTP_ROUTE] = rec.route;
  if (rec.caller !== undefined) attrs[semconv.ATTR_EMBEDDING_CALLER] = rec.caller;
  if (rec.operation === undefined) return attrs;
  attrs[semconv.ATTR_GEN_AI_OPERATION_NAME] = rec.operation;
  attrs[semconv.ATTR_GEN_AI_PROVIDER_NAME] = rec.providerName;
  if (rec.model !== undefined) attrs[semconv.ATTR_GEN_AI_REQUEST_MODEL] = rec.model;
  if (rec.endUser !== undefined) attrs[rec.endUser.hashed ? semconv.ATTR_USER_HASH : semconv.ATTR_USER_ID] = rec.endUser.id;
  const req = rec.request;
  if (req) {
    attrs[semconv.ATTR_GEN_AI_REQUEST_ENCODING_FORMATS] = [req.encodingFormat];
    attrs[semconv.ATTR_EMBEDDING_BATCH_SIZE] = req.inputCount;
    attrs[semconv.ATTR_EMBEDDING_INPUT_TYPE] = req.inputType;
    attrs[semconv.ATTR_EMBEDDING_INPUT_CHARS] = req.inputChars;
    if (req.dimensions !== undefined) attrs[semconv.ATTR_EMBEDDING_REQUEST_DIMENSIONS] = req.dimensions;
  }
  const ranking = rec.ranking;
  if (ranking) {
    attrs[semconv.ATTR_EMBEDDING_RETRIEVAL_DOCUMENTS] = ranking.documentCount;
    attrs[semconv.ATTR_EMBEDDING_INPUT_CHARS] = ranking.inputChars;
    if (ranking.topN !== undefined) attrs[semconv.ATTR_EMBEDDING_RETRIEVAL_TOP_N] = ranking.topN;
  }
  return attrs;
}

/** Attributes known when the request has finished. */
export function endAttributes(rec: RequestRecord): Attributes {
  const attrs: Attributes = {};
  if (rec.httpStatus > 0) attrs[semconv.ATTR_HTTP_RESPONSE_STATUS_CODE] = rec.httpStatus;
  if (rec.errorType !== undefined) attrs[semconv.ATTR_ERROR_TYPE] = rec.errorType;
  if (rec.upstreamMessage !== undefined) attrs[semconv.ATTR_EMBEDDING_UPSTREAM_ERROR_MESSAGE] = rec.upstreamMessage;
  if (rec.inputCharacters !== undefined) attrs[semconv.ATTR_EMBEDDING_USAGE_INPUT_CHARACTERS] = rec.inputCharacters;
  const res = rec.response;
  if (res) {
    if (res.responseModel !== undefined) attrs[semconv.ATTR_GEN_AI_RESPONSE_MODEL] = res.responseModel;
    if (res.dimension !== undefined) attrs[semconv.ATTR_GEN_AI_EMBEDDINGS_DIMENSION_COUNT] = res.dimension;
    attrs[semconv.ATTR_EMBEDDING_VECTOR_COUNT] = res.vectorCount;
  }
  const ranked = rec.ranked;
  if (ranked) {
    if (ranked.responseModel !== undefined) attrs[semconv.ATTR_GEN_AI_RESPONSE_MODEL] = ranked.responseModel;
    attrs[semconv.ATTR_EMBEDDING_RETRIEVAL_RESULTS] = ranked.resultCount;
    if (ranked.topScore !== undefined) attrs[semconv.ATTR_EMBEDDING_RETRIEVAL_TOP_SCORE] = ranked.topScore;
  }
  if (rec.anomalies.size > 0) {
    const kinds = ranked ? semconv.ATTR_EMBEDDING_RETRIEVAL_ANOMALY : semconv.ATTR_EMBEDDING_VECTOR_ANOMALY;
    attrs[kinds] = [...rec.anomalies.keys()].sort();
  }
  if (rec.expectedDimension !== undefined && rec.anomalies.has('dimension_mismatch'))
    attrs[semconv.ATTR_EMBEDDING_DIMENSION_EXPECTED] = rec.expectedDimension;
  if (rec.inputTokens !== undefined) {
    attrs[semconv.ATTR_GEN_AI_USAGE_INPUT_TOKENS] = rec.inputTokens;
    attrs[semconv.ATTR_EMBEDDING_USAGE_ESTIMATED] = rec.tokensEstimated;
  }
  if (rec.upstreamS !== undefined) attrs[semconv.ATTR_EMBEDDING_UPSTREAM_DURATION] = rec.upstreamS;
  if (rec.overheadS !== undefined) attrs[semconv.ATTR_EMBEDDING_RELAY_OVERHEAD] = rec.overheadS;
  if (rec.queuedS !== undefined) attrs[semconv.ATTR_EMBEDDING_RELAY_QUEUE_WAIT] = rec.queuedS;
  if (rec.shedReason !== undefined) attrs[semconv.ATTR_EMBEDDING_RELAY_SHED_REASON] = rec.shedReason;
  return attrs;
}
