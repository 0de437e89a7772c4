// What the relay knows of a rerank or score call (the retrieval tier's two operations): the request
// once parsed (protocol/ranking-request.ts writes it), the response once read (inspect/ranking.ts),
// and what can be wrong with the scores. Types only, like embedding-request.ts.

/** rerank: one query against N documents, the best top_n back (vLLM /rerank, /v1/rerank, /v2/rerank;
 *  TEI and Infinity /rerank). score: text_1 against text_2, one score per pair (vLLM /score). */
export type RankingOperation = 'rerank' | 'score';

export interface RankingRequest {
  operation: RankingOperation;
  model: string | undefined;
  /** rerank: the documents; score: the pairs (text_2's items, or 1). */
  documentCount: number;
  /** rerank's top_n when the client set one above 0 (0 or absent: every document). */
  topN: number | undefined;
  /** Results a complete answer holds: min(top_n, documents) for rerank, the pairs for score. */
  expectedResults: number;
  /** Characters of the query (rerank) or text_1 (score) and of the documents / text_2, together. */
  inputChars: number;
  /** The texts (query first), only for opt-in input logging. */
  texts: readonly string[];
}

export interface RankingFacts {
  responseModel: string | undefined;
  /** usage.prompt_tokens, else usage.total_tokens (no output tokens: the two are the same count). */
  promptTokens: number | undefined;
  resultCount: number;
  /** The highest finite score, when there was one. */
  topScore: number | undefined;
  /** The indexes the results name, in order (for the checks below). */
  indexes: number[];
  /** Scores that are NaN or ±Infinity (Python's json.dumps writes them bare), or not numbers. */
  nanScores: number;
  infScores: number;
}

/** What the checks can find wrong with a rerank or score answer (docs/quality.md). */
export const RANKING_ANOMALY_KINDS = ['nan_score', 'inf_score', 'index_out_of_range', 'duplicate_index', 'missing_results'] as const;
export type RankingAnomalyKind = (typeof RANKING_ANOMALY_KINDS)[number];
