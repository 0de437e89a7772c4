// The JSON.parse reference path: what the relay did before src/inspect/scanner.ts streamed it, kept
// as the oracle the scanner is tested against (test/unit/inspect/scanner.test.ts, inspect-regression)
// and the before of bench/micro/inspect.ts. Not production code.
import { decodeElements, FLOAT32_LE } from '../../src/inspect/vector-encoding.ts';
import type { AnomalyKind } from '../../src/core/response-facts.ts';
import { countDuplicates, summaryAnomalies, type NormBand } from '../../src/inspect/vector-health.ts';

export interface ParsedFacts {
  responseModel: string | undefined;
  /** usage.prompt_tokens, when the upstream reported it. */
  promptTokens: number | undefined;
  vectorCount: number;
  /** Dimension of the first vector (what gen_ai.embeddings.dimension.count reports). */
  dimension: number | undefined;
  /** Vector count per dimension; more than one key means the response mixed dimensions. */
  vectorsByDimension: Map<number, number>;
  /** The vectors as parsed (references into the parsed body, for the quality checks). */
  embeddings: unknown[];
  /** The body was not JSON until bare NaN/Infinity tokens (Python's json.dumps) were quoted. */
  nonJsonNumbers: boolean;
}

// Bare NaN / Infinity / -Infinity as array elements: what Python servers emit for broken vectors.
const NON_JSON_NUMBER = /(?<=[[,]\s*)(NaN|-?Infinity)(?=\s*[,\]])/g;

/** JSON.parse, falling back to quoting bare NaN/Infinity tokens so a broken vector is still seen. */
function parseLenient(text: string): { json: unknown; nonJsonNumbers: boolean } {
  try {
    return { json: JSON.parse(text), nonJsonNumbers: false };
  } catch (err) {
    if (!/NaN|Infinity/.test(text)) throw err;
    return { json: JSON.parse(text.replace(NON_JSON_NUMBER, '"$1"')), nonJsonNumbers: true };
  }
}

/** Float32 count carried by a base64 string (4 bytes per float), without decoding it. */
export function base64FloatCount(b64: string): number {
  let len = b64.length;
  let padding = 0;
  while (len > 0 && b64.charCodeAt(len - 1) === 61 /* = */) {
    len--;
    padding++;
  }
  const bytes = Math.floor(((len + padding) * 3) / 4) - padding;
  return Math.floor(bytes / 4);
}

export function vectorDimension(embedding: unknown): number | undefined {
  if (Array.isArray(embedding)) return embedding.length;
  if (typeof embedding === 'string') return base64FloatCount(embedding);
  return undefined;
}

export function inspectEmbeddingsResponse(body: Buffer): ParsedFacts {
  const parsed = parseLenient(body.toString('utf8'));
  const json = parsed.json as {
    model?: unknown;
    data?: unknown;
    usage?: { prompt_tokens?: unknown } | null;
  };
  const facts: ParsedFacts = {
    responseModel: typeof json.model === 'string' ? json.model : undefined,
    promptTokens: undefined,
    vectorCount: 0,
    dimension: undefined,
    vectorsByDimension: new Map(),
    embeddings: [],
    nonJsonNumbers: parsed.nonJsonNumbers,
  };
  const prompt = json.usage?.prompt_tokens;
  if (typeof prompt === 'number' && Number.isInteger(prompt) && prompt >= 0) facts.promptTokens = prompt;
  if (Array.isArray(json.data)) {
    for (const item of json.data as { embedding?: unknown }[]) {
      const dim = vectorDimension(item?.embedding);
      if (dim === undefined) continue;
      facts.embeddings.push(item.embedding);
      facts.vectorCount++;
      facts.dimension ??= dim;
      facts.vectorsByDimension.set(dim, (facts.vectorsByDimension.get(dim) ?? 0) + 1);
    }
  }
  return facts;
}

/** A vector as it arrives: a float array (possibly with null, or "NaN"/"Infinity" recovered from
 *  non-JSON output), a base64 string of little-endian float32, or something unusable. */
export type RawVector = unknown;

/** Decodes base64 little-endian float32 (as OpenAI-compatible servers send it). */
export const decodeBase64Floats = (b64: string): Float32Array => decodeElements(Buffer.from(b64, 'base64'), FLOAT32_LE);

/** The anomalies of one vector (empty when healthy). */
export function vectorAnomalies(raw: RawVector, band: NormBand): AnomalyKind[] {
  const values: ArrayLike<unknown> | undefined = typeof raw === 'string' ? decodeBase64Floats(raw) : Array.isArray(raw) ? raw : undefined;
  if (values === undefined) return ['null_component'];
  let sumSq = 0;
  let hasNull = false;
  let hasNaN = false;
  let hasInf = false;
  let nonZero = false;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v === 'number') {
      if (Number.isNaN(v)) hasNaN = true;
      else if (v === Infinity || v === -Infinity) hasInf = true;
      else {
        sumSq += v * v;
        if (v !== 0) nonZero = true;
      }
    } else if (v === 'NaN') hasNaN = true;
    else if (v === 'Infinity' || v === '-Infinity') hasInf = true;
    else hasNull = true;
  }
  return summaryAnomalies(
    { dimension: values.length, sumSq, nulls: hasNull, nan: hasNaN, inf: hasInf, zero: !nonZero, key: undefined },
    band,
  );
}

/** Duplicates among parsed vectors (the JSON.parse reference path; the relay uses duplicateSummaries). */
export function duplicateVectors(vectors: readonly RawVector[], inputs: readonly string[] | undefined): number {
  if (inputs === undefined || vectors.length < 2) return 0;
  return countDuplicates(
    vectors.map((v) => (typeof v === 'string' ? v : Array.isArray(v) ? v.join(',') : undefined)),
    inputs,
  );
}
