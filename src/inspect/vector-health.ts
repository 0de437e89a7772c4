// Embedding-quality checks on the vectors of one response: broken components (null, NaN,
// ±Infinity) and all-zero vectors (every response), L2 norm outside the band a normalised model
// must keep and identical vectors for different inputs (the sampled full check), and dimensions
// that differ from what the model is expected to return (every response).
// Pure functions plus one small learned-expectations map; the relay records the result.
import type { AnomalyKind, VectorSummary } from '../core/response-facts.ts';

export interface NormBand {
  check: boolean;
  min: number;
  max: number;
}

/** The anomalies of one summarised vector (from the streaming inspectors). The norm needs sumSq,
 *  which only the sampled full check computes: pass a band with `check: false` otherwise. */
export function summaryAnomalies(s: VectorSummary, band: NormBand): AnomalyKind[] {
  const kinds: AnomalyKind[] = [];
  if (s.nulls) kinds.push('null_component');
  if (s.nan) kinds.push('nan_component');
  if (s.inf) kinds.push('inf_component');
  if (kinds.length > 0) return kinds;
  if (s.zero) return ['zero_vector'];
  if (band.check) {
    const norm = Math.sqrt(s.sumSq);
    if (norm < band.min || norm > band.max) return ['norm_out_of_range'];
  }
  return kinds;
}

/** Vectors identical to an earlier one whose input differs (the same input may repeat), by key. */
export function countDuplicates(keys: readonly (string | undefined)[], inputs: readonly string[] | undefined): number {
  if (inputs === undefined || inputs.length !== keys.length || keys.length < 2) return 0;
  const seen = new Map<string, string>();
  let duplicates = 0;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i];
    if (key === undefined) continue;
    const input = seen.get(key);
    if (input !== undefined && input !== inputs[i]) duplicates++;
    else if (input === undefined) seen.set(key, inputs[i]!);
  }
  return duplicates;
}

/** duplicateVectors on scanner summaries (their keys; none when health was off). */
export function duplicateSummaries(vectors: readonly VectorSummary[], inputs: readonly string[] | undefined): number {
  return countDuplicates(
    vectors.map((v) => v.key),
    inputs,
  );
}

/**
 * What dimension each model should return: configured, or learned from its first healthy
 * response to a request without `dimensions`. A request's own `dimensions` (MRL truncation) is
 * always what that request should get. Learned models are capped so memory stays bounded.
 */
export class DimensionExpectations {
  readonly #configured: ReadonlyMap<string, number>;
  readonly #learned = new Map<string, number>();
  readonly #limit: number;

  constructor(configured: ReadonlyMap<string, number>, limit: number) {
    this.#configured = configured;
    this.#limit = limit;
  }

  expected(model: string, requested: number | undefined): number | undefined {
    return requested ?? this.#configured.get(model) ?? this.#learned.get(model);
  }

  learn(model: string, dimension: number): void {
    if (this.#configured.has(model) || this.#learned.has(model) || this.#learned.size >= this.#limit) return;
    this.#learned.set(model, dimension);
  }
}

export function addAnomaly(map: Map<AnomalyKind, number>, kind: AnomalyKind, n = 1): void {
  if (n > 0) map.set(kind, (map.get(kind) ?? 0) + n);
}
