// Parses and validates a rerank or score request body, as the embeddings request is read
// (request.ts): the original bytes are what gets forwarded; this decides whether to forward and
// describes the request. What the servers accept beyond the fields read here (return_documents,
// truncate_prompt_tokens, instructions, multimodal documents) is theirs to judge.
//   rerank  {model?, query, documents: [string | {text}], top_n?}      (vLLM, Jina, Cohere; TEI: `texts`)
//   score   {model?, text_1: string | string[], text_2: string | string[]}   (vLLM /score)
import { RelayError } from '../core/errors.ts';
import type { RankingOperation, RankingRequest } from '../core/ranking.ts';
import { requestedModel } from './request.ts';

export interface RankingLimits {
  /** Most documents (rerank) or pairs (score) per request: RELAY_MAX_BATCH. */
  maxBatch: number;
  /** Longest text, in characters: RELAY_MAX_INPUT_CHARS. */
  maxInputChars: number;
}

const invalid = (param: string, message: string) => new RelayError('invalid_request', message, { param });

/** A parsed body → validated request. Throws RelayError (invalid_request, batch_too_large, input_too_long). */
export function validateRankingRequest(operation: RankingOperation, json: unknown, limits: RankingLimits): RankingRequest {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new RelayError('invalid_request', 'The request body must be a JSON object.');
  }
  const body = json as Record<string, unknown>;
  const model = body['model'];
  if (model !== undefined && typeof model !== 'string') throw invalid('model', "'model' must be a string.");
  return operation === 'rerank' ? rerank(body, limits) : score(body, limits);
}

function rerank(body: Record<string, unknown>, limits: RankingLimits): RankingRequest {
  const query = body['query'];
  if (typeof query !== 'string') throw invalid('query', "'query' must be a string.");
  // TEI's own /rerank names its documents `texts`.
  const documents = body['documents'] ?? body['texts'];
  if (!Array.isArray(documents) || documents.length === 0) throw invalid('documents', "'documents' must be a non-empty array.");
  const texts = [within('query', query, limits), ...documentTexts(documents, limits)];
  const topN = body['top_n'];
  if (topN !== undefined && !(typeof topN === 'number' && Number.isInteger(topN) && topN >= 0)) {
    throw invalid('top_n', "'top_n' must be a non-negative integer.");
  }
  const asked = topN === undefined || topN === 0 ? undefined : topN;
  return {
    operation: 'rerank',
    model: requestedModel(body),
    documentCount: documents.length,
    topN: asked,
    expectedResults: Math.min(asked ?? documents.length, documents.length),
    inputChars: chars(texts),
    texts,
  };
}

function score(body: Record<string, unknown>, limits: RankingLimits): RankingRequest {
  const left = textList('text_1', body['text_1']);
  const right = textList('text_2', body['text_2']);
  const pairs = Math.max(left.length, right.length);
  batchBound('text_2', pairs, limits);
  const texts = [...left, ...right].map((t, i) => within(i < left.length ? 'text_1' : 'text_2', t, limits));
  return {
    operation: 'score',
    model: requestedModel(body),
    documentCount: pairs,
    topN: undefined,
    expectedResults: pairs,
    inputChars: chars(texts),
    texts,
  };
}

/** Each document's text: a string, or an object's `text` (Cohere v2, Jina); other documents
 *  (vLLM's multimodal content) are counted and passed on, with no text of theirs kept. */
function documentTexts(documents: unknown[], limits: RankingLimits): string[] {
  batchBound('documents', documents.length, limits);
  const texts: string[] = [];
  for (let i = 0; i < documents.length; i++) {
    const d: unknown = documents[i];
    const text = typeof d === 'string' ? d : typeof d === 'object' && d !== null ? (d as { text?: unknown }).text : undefined;
    if (typeof text === 'string') texts.push(within(`documents[${i}]`, text, limits));
    else if (typeof d !== 'object' || d === null) throw invalid(`documents[${i}]`, `'documents[${i}]' must be a string or an object.`);
  }
  return texts;
}

function textList(param: string, v: unknown): string[] {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v) && v.length > 0 && v.every((t) => typeof t === 'string')) return v as string[];
  throw invalid(param, `'${param}' must be a string or a non-empty array of strings.`);
}

function batchBound(param: string, n: number, limits: RankingLimits): void {
  if (n > limits.maxBatch) {
    throw new RelayError(
      'batch_too_large',
      `'${param}' has ${n} items; this relay accepts at most ${limits.maxBatch} per request (RELAY_MAX_BATCH).`,
      {
        param,
      },
    );
  }
}

function within(param: string, text: string, limits: RankingLimits): string {
  if (text.length > limits.maxInputChars) {
    throw new RelayError(
      'input_too_long',
      `'${param}' has ${text.length} characters; this relay accepts at most ${limits.maxInputChars} per input.`,
      {
        param,
      },
    );
  }
  return text;
}

const chars = (texts: readonly string[]): number => texts.reduce((n, t) => n + t.length, 0);
