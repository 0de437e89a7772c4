// Embedding-quality checks on the vectors of one response: broken components (null, NaN,
// ±Infinity), all-zero vectors, L2 norm outside the band a normalised model must keep, identical
// vectors for different inputs, and dimensions that differ from what the model is expected to
// return. Pure functions plus one small learned-expectations map; the relay records the result.
import { endianness } from 'node:os';
import type { VectorSummary } from './scanner.ts';

export type AnomalyKind =
  | 'dimension_mismatch'
  | 'null_component'
  | 'nan_component'
  | 'inf_component'
  | 'zero_vector'
  | 'norm_out_of_range'
  | 'duplicate_vector';

export const ANOMALY_KINDS: readonly AnomalyKind[] = [
  'dimension_mismatch',
  'null_component',
  'nan_component',
  'inf_component',
  'zero_vector',
  'norm_out_of_range',
  'duplicate_vector',
];

export interface NormBand {
  check: boolean;
  min: number;
  max: number;
}

/** A vector as it arrives: a float array (possibly with null, or "NaN"/"Infinity" recovered from
 *  non-JSON output), a base64 string of little-endian float32, or something unusable. */
export type RawVector = unknown;

const LITTLE_ENDIAN = endianness() === 'LE';

/** Decodes base64 float32 (little-endian, as OpenAI-compatible servers send it). On a
 *  little-endian host the bytes are the floats: one aligned copy, then a view. Measured in
 *  bench/vector-health.ts: decode + check of a 2560-dim vector went from 31.5 µs (readFloatLE per
 *  element) to 18.0 µs; most of the rest is the base64 decoding itself. */
export function decodeBase64Floats(b64: string): Float32Array {
  const bytes = Buffer.from(b64, 'base64');
  const count = Math.floor(bytes.length / 4);
  if (LITTLE_ENDIAN) {
    const aligned = new Uint8Array(count * 4);
    aligned.set(bytes.subarray(0, count * 4));
    return new Float32Array(aligned.buffer);
  }
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = bytes.readFloatLE(i * 4);
  return out;
}

/** The anomalies of one vector (empty when healthy). */
export function vectorAnomalies(raw: RawVector, band: NormBand): AnomalyKind[] {
  const values: ArrayLike<unknown> | undefined = typeof raw === 'string' ? decodeBase64Floats(raw) : Array.isArray(raw) ? raw : undefined;
  if (values === undefined) return ['null_component'];
  let sumSq = 0;
  let hasNull = false;
  let hasNaN = false;
  let hasInf = false;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v === 'number') {
      if (v !== v) hasNaN = true;
      else if (v === Infinity || v === -Infinity) hasInf = true;
      else sumSq += v * v;
    } else if (v === 'NaN') hasNaN = true;
    else if (v === 'Infinity' || v === '-Infinity') hasInf = true;
    else hasNull = true;
  }
  return summaryAnomalies({ dimension: values.length, sumSq, nulls: hasNull, nan: hasNaN, inf: hasInf, key: undefined }, band);
}

/** The anomalies of one summarised vector (the streaming scanner's, or vectorAnomalies' own). */
export function summaryAnomalies(s: VectorSummary, band: NormBand): AnomalyKind[] {
  const kinds: AnomalyKind[] = [];
  if (s.nulls) kinds.push('null_component');
  if (s.nan) kinds.push('nan_component');
  if (s.inf) kinds.push('inf_component');
  if (kinds.length > 0) return kinds;
  if (s.sumSq === 0) return ['zero_vector'];
  if (band.check) {
    const norm = Math.sqrt(s.sumSq);
    if (norm < band.min || norm > band.max) return ['norm_out_of_range'];
  }
  return kinds;
}

/** Vectors identical to an earlier one whose input differs (the same input may repeat), by key. */
function countDuplicates(keys: readonly (string | undefined)[], inputs: readonly string[] | undefined): number {
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
  return countDuplicates(vectors.map((v) => v.key), inputs);
}

/** Duplicates among parsed vectors (the JSON.parse reference path; the relay uses duplicateSummaries). */
export function duplicateVectors(vectors: readonly RawVector[], inputs: readonly string[] | undefined): number {
  if (inputs === undefined || vectors.length < 2) return 0;
  return countDuplicates(vectors.map((v) => (typeof v === 'string' ? v : Array.isArray(v) ? v.join(',') : undefined)), inputs);
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

export interface HealthReport {
  /** Vectors per anomaly kind (a vector can count under several kinds). */
  anomalies: Map<AnomalyKind, number>;
  /** The dimension this response should have had, when known. */
  expectedDimension: number | undefined;
  /** Whether the vector checks ran (sampling); dimensions are always checked. */
  sampled: boolean;
}

export function addAnomaly(map: Map<AnomalyKind, number>, kind: AnomalyKind, n = 1): void {
  if (n > 0) map.set(kind, (map.get(kind) ?? 0) + n);
}
