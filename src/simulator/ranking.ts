// The SIMULATOR's rerank and score, as vLLM answers them for an embedding model: each document's
// score is the cosine of its fake vector and the query's (simulator.ts), so it is as meaningless as
// the vectors, and as deterministic. Shapes: vLLM's /rerank (Jina/Cohere style) and /score. The
// `nan` fault answers the first score as a bare NaN, as a Python server would.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { FAULT_HEADER, SIMULATOR_HEADER } from '../core/headers.ts';
import type { RankingOperation } from '../core/ranking.ts';
import { readBody } from '../protocol/body.ts';
import { validateRankingRequest } from '../protocol/ranking-request.ts';
import { parseJsonBody } from '../protocol/request.ts';
import { simulatedTokens, simulatedVector } from './vectors.ts';

const NAN_MARK = 4096.5;

/** What of the simulator's options the scores depend on (simulator.ts passes its own). */
export interface FakeModel {
  model: string;
  dimensions: number;
  seed: number;
}

export async function ranking(operation: RankingOperation, opts: FakeModel, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const json = parseJsonBody(await readBody(req, 64 * 1024 * 1024)) as Record<string, unknown>;
  const request = validateRankingRequest(operation, json, { maxBatch: 1_000_000, maxInputChars: Number.POSITIVE_INFINITY });
  const [query, ...documents] = operation === 'rerank' ? request.texts : pairsOf(json);
  const q = simulatedVector(query ?? '', opts.dimensions, opts.seed);
  const scores = documents.map((d) => cosine(q, simulatedVector(d, opts.dimensions, opts.seed)));
  const tokens =
    request.texts.reduce((n, t) => n + simulatedTokens(t).length, 0) +
    (operation === 'rerank' ? (documents.length - 1) * simulatedTokens(query ?? '').length : 0);
  const nan = String(req.headers[FAULT_HEADER] ?? '') === 'nan';
  if (nan && scores.length > 0) scores[0] = NAN_MARK;
  const model = request.model ?? opts.model;
  const body = operation === 'rerank' ? rerankAnswer(model, scores, documents, request.topN, tokens) : scoreAnswer(model, scores, tokens);
  const text = JSON.stringify(body);
  res.writeHead(200, { 'content-type': 'application/json', [SIMULATOR_HEADER]: 'true' });
  res.end(nan ? text.replace(String(NAN_MARK), 'NaN') : text);
}

/** score's text_1 (one text, or the first of a list) against each of text_2. */
function pairsOf(json: Record<string, unknown>): string[] {
  const left = json['text_1'];
  const right = json['text_2'];
  return [Array.isArray(left) ? String(left[0]) : String(left), ...(Array.isArray(right) ? right.map(String) : [String(right)])];
}

function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  for (let i = 0; i < a.length; i++) dot += a[i]! * b[i]!;
  return dot; // both are unit vectors
}

function rerankAnswer(model: string, scores: number[], documents: string[], topN: number | undefined, tokens: number) {
  const results = scores
    .map((relevance_score, index) => ({ index, document: { text: documents[index] }, relevance_score }))
    .sort((x, y) => y.relevance_score - x.relevance_score)
    .slice(0, topN ?? scores.length);
  return { id: 'rerank-simulated', model, usage: { prompt_tokens: tokens, total_tokens: tokens }, results };
}

function scoreAnswer(model: string, scores: number[], tokens: number) {
  const data = scores.map((score, index) => ({ index, object: 'score', score }));
  return {
    id: 'score-simulated',
    object: 'list',
    created: 0,
    model,
    data,
    usage: { prompt_tokens: tokens, total_tokens: tokens, completion_tokens: 0 },
  };
}
