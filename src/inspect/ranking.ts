// Reads a rerank or score answer once it has passed to the client: the body is small (one score per
// document) and captured whole, up to the inspection bound, then parsed. Facts and checks:
//   rerank  {results: [{index, relevance_score, document?}], usage, model}   (vLLM, TEI-in-Jina shape, Cohere)
//   score   {data: [{index, score}], usage, model}                             (vLLM /score)
//   TEI's own /rerank answers a bare array [{index, score}]: the same facts.
// Python servers write NaN and ±Infinity bare, which JSON.parse refuses: those tokens are quoted
// first and counted as what they are.
import type { RankingAnomalyKind, RankingFacts, RankingRequest } from '../core/ranking.ts';

/** A bare NaN/Infinity/-Infinity where a JSON value starts (after `:`, `[` or `,`), outside strings
 *  as far as a response of numbers and short texts goes. */
const BARE_NON_FINITE = /([:[,]\s*)(-?Infinity|NaN)(?=\s*[,\]}])/g;

export class RankingCapture {
  readonly #max: number;
  readonly #chunks: Buffer[] = [];
  #bytes = 0;
  overflowed = false;

  constructor(maxBytes: number) {
    this.#max = maxBytes;
  }

  push(chunk: Buffer): void {
    if (this.overflowed) return;
    this.#bytes += chunk.length;
    if (this.#bytes > this.#max) {
      this.overflowed = true;
      this.#chunks.length = 0;
      return;
    }
    this.#chunks.push(chunk);
  }

  /** The answer's facts; throws when the body is not the JSON of a rerank or score answer. */
  finish(): RankingFacts {
    return rankingFacts(parseLenient(Buffer.concat(this.#chunks).toString('utf8')));
  }
}

function parseLenient(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return JSON.parse(text.replace(BARE_NON_FINITE, '$1"$2"'));
  }
}

const record = (v: unknown): Record<string, unknown> | undefined =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;

const count = (v: unknown): number | undefined => (typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : undefined);

export function rankingFacts(json: unknown): RankingFacts {
  const body = record(json);
  const results: unknown = Array.isArray(json) ? json : (body?.['results'] ?? body?.['data']);
  if (!Array.isArray(results)) throw new Error('not a rerank or score answer');
  const usage = record(body?.['usage']);
  const facts: RankingFacts = {
    responseModel: typeof body?.['model'] === 'string' ? body['model'] : undefined,
    promptTokens: count(usage?.['prompt_tokens']) ?? count(usage?.['total_tokens']),
    resultCount: results.length,
    topScore: undefined,
    indexes: [],
    nanScores: 0,
    infScores: 0,
  };
  for (const item of results) {
    const r = record(item);
    facts.indexes.push(typeof r?.['index'] === 'number' ? r['index'] : Number.NaN);
    const score = scoreOf(r?.['relevance_score'] ?? r?.['score']);
    if (Number.isNaN(score)) facts.nanScores++;
    else if (!Number.isFinite(score)) facts.infScores++;
    else if (facts.topScore === undefined || score > facts.topScore) facts.topScore = score;
  }
  return facts;
}

/** A score as a number: quoted NaN/Infinity (see parseLenient) read as what they say; anything else
 *  that is not a number is NaN. */
function scoreOf(v: unknown): number {
  if (typeof v === 'number') return v;
  if (v === 'Infinity') return Number.POSITIVE_INFINITY;
  if (v === '-Infinity') return Number.NEGATIVE_INFINITY;
  return Number.NaN;
}

/** What is wrong with an answer, per kind, against what was asked. */
export function rankingAnomalies(req: RankingRequest, facts: RankingFacts): Map<RankingAnomalyKind, number> {
  const found = new Map<RankingAnomalyKind, number>();
  const add = (kind: RankingAnomalyKind, n: number) => {
    if (n > 0) found.set(kind, n);
  };
  add('nan_score', facts.nanScores);
  add('inf_score', facts.infScores);
  const seen = new Set<number>();
  let outOfRange = 0;
  let repeated = 0;
  for (const i of facts.indexes) {
    if (!Number.isInteger(i) || i < 0 || i >= req.documentCount) outOfRange++;
    else if (seen.has(i)) repeated++;
    else seen.add(i);
  }
  add('index_out_of_range', outOfRange);
  add('duplicate_index', repeated);
  add('missing_results', req.expectedResults - facts.resultCount);
  return found;
}
