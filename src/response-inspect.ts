// Reads the facts telemetry needs out of an upstream embeddings response body: response model,
// reported usage, how many vectors and of which dimension. The body has already been streamed to
// the client unchanged; this runs on a copy and may throw (the caller counts the failure).

export interface ResponseFacts {
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

export function inspectEmbeddingsResponse(body: Buffer): ResponseFacts {
  const parsed = parseLenient(body.toString('utf8'));
  const json = parsed.json as {
    model?: unknown;
    data?: unknown;
    usage?: { prompt_tokens?: unknown } | null;
  };
  const facts: ResponseFacts = {
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
