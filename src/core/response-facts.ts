// The facts the inspectors produce and the quality checks read: shared types, so neither side
// imports the other.

export interface VectorSummary {
  /** Element count (float array) or, base64, the components the bytes hold (ScannerOptions.encoding). */
  dimension: number;
  /** Sum of squares of the finite components (the sampled full check only; 0 otherwise). */
  sumSq: number;
  /** A null (or other non-number) component; NaN (bare or "NaN"); ±Infinity (bare, string or overflow). */
  nulls: boolean;
  nan: boolean;
  inf: boolean;
  /** No component is a non-zero number (all read as 0, or none): the zero-vector check. Like
   *  nulls/nan/inf it is known for every inspected vector, sampled or not. */
  zero: boolean;
  /** Duplicate-detection key, undefined when health is off. Float arrays: the dimension and a
   *  64-bit hash of every component's text (its decimal digits and exponent; zero in any spelling,
   *  NaN and ±Infinity bare or quoted are one value each), so identical vectors share a key and
   *  vectors that differ anywhere, even by one ulp, do not. Unlike Array#join, one double written
   *  two ways (0.6 / 0.60) is two keys: servers write each double one way. Base64: the dimension,
   *  the text length and a 64-bit hash of the decoded components (as float32). */
  key: string | undefined;
}

/** What a response says, read as it streams past (scanner.ts for JSON, bytes-body.ts for vLLM's
 *  binary body): the facts of the request record's response. */
export interface ResponseFacts {
  responseModel: string | undefined;
  /** usage.prompt_tokens, when the upstream reported it. */
  promptTokens: number | undefined;
  vectorCount: number;
  /** Dimension of the first vector (what gen_ai.embeddings.dimension.count reports). */
  dimension: number | undefined;
  /** Vector count per dimension; more than one key means the response mixed dimensions. */
  vectorsByDimension: Map<number, number>;
  /** The body was not JSON until bare NaN/Infinity tokens (Python's json.dumps) were quoted. */
  nonJsonNumbers: boolean;
  /** One summary per vector (data[*].embedding), in order. */
  vectors: VectorSummary[];
}

/** What the quality checks can find wrong with a response's vectors (docs/quality.md). */
export const ANOMALY_KINDS = [
  'dimension_mismatch',
  'null_component',
  'nan_component',
  'inf_component',
  'zero_vector',
  'norm_out_of_range',
  'duplicate_vector',
  'model_mismatch',
] as const;
export type AnomalyKind = (typeof ANOMALY_KINDS)[number];
