// Span projection of the request record: GenAI semantic conventions plus `embedding.*`.
import type { Attributes } from '@opentelemetry/api';
import { overheadS, type RequestRecord } from '../relay/record.ts';
import * as sc from './semconv.ts';

export const spanName = (rec: RequestRecord): string =>
  rec.model !== undefined ? `${sc.GEN_AI_OPERATION_NAME_VALUE_EMBEDDINGS} ${rec.model}` : sc.GEN_AI_OPERATION_NAME_VALUE_EMBEDDINGS;

/** Attributes known when the span starts (what a sampler may look at). */
export function startAttributes(rec: RequestRecord): Attributes {
  const attrs: Attributes = {
    [sc.ATTR_GEN_AI_OPERATION_NAME]: sc.GEN_AI_OPERATION_NAME_VALUE_EMBEDDINGS,
    [sc.ATTR_GEN_AI_PROVIDER_NAME]: rec.providerName,
    [sc.ATTR_SERVER_ADDRESS]: rec.serverAddress,
    [sc.ATTR_SERVER_PORT]: rec.serverPort,
    [sc.ATTR_HTTP_REQUEST_METHOD]: rec.method,
  };
  if (rec.route !== undefined) attrs[sc.ATTR_HTTP_ROUTE] = rec.route;
  if (rec.model !== undefined) attrs[sc.ATTR_GEN_AI_REQUEST_MODEL] = rec.model;
  const req = rec.request;
  if (req) {
    attrs[sc.ATTR_GEN_AI_REQUEST_ENCODING_FORMATS] = [req.encodingFormat];
    attrs[sc.ATTR_EMBEDDING_BATCH_SIZE] = req.inputCount;
    attrs[sc.ATTR_EMBEDDING_INPUT_TYPE] = req.inputType;
    attrs[sc.ATTR_EMBEDDING_INPUT_CHARS] = req.inputChars;
    if (req.dimensions !== undefined) attrs[sc.ATTR_EMBEDDING_REQUEST_DIMENSIONS] = req.dimensions;
  }
  return attrs;
}

/** Attributes known when the request has finished. */
export function endAttributes(rec: RequestRecord): Attributes {
  const attrs: Attributes = {};
  if (rec.httpStatus > 0) attrs[sc.ATTR_HTTP_RESPONSE_STATUS_CODE] = rec.httpStatus;
  if (rec.errorType !== undefined) attrs[sc.ATTR_ERROR_TYPE] = rec.errorType;
  if (rec.upstreamMessage !== undefined) attrs[sc.ATTR_EMBEDDING_UPSTREAM_ERROR_MESSAGE] = rec.upstreamMessage;
  if (rec.inputCharacters !== undefined) attrs[sc.ATTR_EMBEDDING_USAGE_INPUT_CHARACTERS] = rec.inputCharacters;
  const res = rec.response;
  if (res) {
    if (res.responseModel !== undefined) attrs[sc.ATTR_GEN_AI_RESPONSE_MODEL] = res.responseModel;
    if (res.dimension !== undefined) attrs[sc.ATTR_GEN_AI_EMBEDDINGS_DIMENSION_COUNT] = res.dimension;
    attrs[sc.ATTR_EMBEDDING_VECTOR_COUNT] = res.vectorCount;
  }
  if (rec.anomalies.size > 0) attrs[sc.ATTR_EMBEDDING_VECTOR_ANOMALY] = [...rec.anomalies.keys()].sort();
  if (rec.expectedDimension !== undefined && rec.anomalies.has('dimension_mismatch'))
    attrs[sc.ATTR_EMBEDDING_DIMENSION_EXPECTED] = rec.expectedDimension;
  if (rec.inputTokens !== undefined) {
    attrs[sc.ATTR_GEN_AI_USAGE_INPUT_TOKENS] = rec.inputTokens;
    attrs[sc.ATTR_EMBEDDING_USAGE_ESTIMATED] = rec.tokensEstimated;
  }
  if (rec.upstreamS !== undefined) attrs[sc.ATTR_EMBEDDING_UPSTREAM_DURATION] = rec.upstreamS;
  const overhead = overheadS(rec);
  if (overhead !== undefined) attrs[sc.ATTR_EMBEDDING_RELAY_OVERHEAD] = overhead;
  return attrs;
}
