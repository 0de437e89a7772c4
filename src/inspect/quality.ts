// The quality verdict on one response: dimension consistency and broken vectors (always), the
// norm band and duplicates (when the full check was sampled), from what the request asked and what
// the inspectors read. Pure but for the learned dimensions, which it may teach.
import type { VectorEncoding } from '../core/embedding-request.ts';
import type { AnomalyKind, ResponseFacts } from '../core/response-facts.ts';
import { ROUNDING_ERROR } from './vector-encoding.ts';
import { addAnomaly, type DimensionExpectations, duplicateSummaries, type NormBand, summaryAnomalies } from './vector-health.ts';

/** What the quality checks need to know about the request. */
export interface QualityRequest {
  model: string;
  dimensions: number | undefined;
  /** Inputs of a string-array request (duplicates count only between different inputs). */
  texts: readonly string[] | undefined;
  normalized: boolean;
  vectorEncoding: VectorEncoding | undefined;
}

export interface QualityVerdict {
  /** Vectors per anomaly kind (empty when healthy). */
  anomalies: Map<AnomalyKind, number>;
  /** The dimension the response should have had, when known. */
  expectedDimension: number | undefined;
}

/** The norm band for one request's vectors: none for raw vectors the client asked for
 *  (use_activation: false), widened by the rounding of a low-precision embed_dtype. */
export function normBandFor(req: QualityRequest, band: NormBand): NormBand {
  if (!req.normalized) return { ...band, check: false };
  const e = req.vectorEncoding === undefined ? 0 : ROUNDING_ERROR[req.vectorEncoding.dtype];
  return e < 2 ** -20 ? band : { check: band.check, min: band.min * (1 - e), max: band.max * (1 + e) };
}

/**
 * Whether the model a response names is the one the request asked for. Spellings of one model pass:
 * a suffix after `-`, `:` or `@` (OpenAI answers `text-embedding-ada-002` with `…-002-v2`, Ollama
 * adds `:latest`) and an organisation prefix (`Qwen/Qwen3-Embedding-4B` for `Qwen3-Embedding-4B`).
 * A server that answers any name with its own model (Infinity does) fails it: a silent model swap.
 */
export function sameModel(requested: string, answered: string): boolean {
  if (requested === answered) return true;
  const [short, long] = requested.length < answered.length ? [requested, answered] : [answered, requested];
  if (long.startsWith(short) && '-:@'.includes(long[short.length]!)) return true;
  return long.endsWith(`/${short}`);
}

/** Checks one response; a healthy response of a model without an expected dimension teaches it. */
export function assessQuality(
  req: QualityRequest,
  res: ResponseFacts,
  health: boolean,
  dimensions: DimensionExpectations,
  band: NormBand,
  modelCheck = true,
): QualityVerdict {
  const anomalies = new Map<AnomalyKind, number>();
  const expected = dimensions.expected(req.model, req.dimensions);
  if (expected !== undefined) {
    for (const [dim, n] of res.vectorsByDimension) if (dim !== expected) addAnomaly(anomalies, 'dimension_mismatch', n);
  }
  // Broken vectors on every response; the norm and duplicates need the sampled full check.
  const checked = health ? normBandFor(req, band) : { ...band, check: false };
  for (const v of res.vectors) for (const kind of summaryAnomalies(v, checked)) addAnomaly(anomalies, kind);
  if (health) addAnomaly(anomalies, 'duplicate_vector', duplicateSummaries(res.vectors, req.texts));
  // Every vector came from the other model (and it must not teach its dimension to this one).
  if (modelCheck && res.responseModel !== undefined && !sameModel(req.model, res.responseModel))
    addAnomaly(anomalies, 'model_mismatch', res.vectorCount);
  if (anomalies.size === 0 && expected === undefined && res.vectorsByDimension.size === 1) dimensions.learn(req.model, res.dimension!);
  return { anomalies, expectedDimension: expected };
}
