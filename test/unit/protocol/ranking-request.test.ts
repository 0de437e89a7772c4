import { describe, expect, it } from 'vitest';
import { validateRankingRequest } from '../../../src/protocol/ranking-request.ts';

const limits = { maxBatch: 4, maxInputChars: 20 };
const refusal = (op: 'rerank' | 'score', body: unknown) => {
  try {
    validateRankingRequest(op, body, limits);
  } catch (err) {
    return [(err as { code: string }).code, (err as Error).message];
  }
  throw new Error('accepted');
};

describe('protocol/ranking-request.ts', () => {
  it('a rerank: documents, top_n and what a complete answer holds', () => {
    expect(validateRankingRequest('rerank', { model: 'm', query: 'q', documents: ['ab', { text: 'cde' }], top_n: 1 }, limits)).toEqual({
      operation: 'rerank',
      model: 'm',
      documentCount: 2,
      topN: 1,
      expectedResults: 1,
      inputChars: 6,
      texts: ['q', 'ab', 'cde'],
    });
    // top_n 0 (vLLM's default) and a top_n above the documents ask for all of them; TEI's `texts` is its documents.
    expect(validateRankingRequest('rerank', { query: 'q', documents: ['a', 'b'], top_n: 0 }, limits)).toMatchObject({
      topN: undefined,
      expectedResults: 2,
      model: undefined,
    });
    expect(validateRankingRequest('rerank', { query: 'q', texts: ['a', 'b', 'c'], top_n: 9 }, limits)).toMatchObject({
      documentCount: 3,
      expectedResults: 3,
    });
  });

  it('a score: one text against many is as many pairs', () => {
    expect(validateRankingRequest('score', { text_1: 'q', text_2: ['a', 'b', 'c'] }, limits)).toMatchObject({
      documentCount: 3,
      expectedResults: 3,
      inputChars: 4,
    });
    expect(validateRankingRequest('score', { text_1: ['x', 'y'], text_2: ['a', 'b'] }, limits)).toMatchObject({ documentCount: 2 });
  });

  it('refuses what no server accepts, naming the parameter', () => {
    expect(refusal('rerank', { documents: ['a'] })).toEqual(['invalid_request', "'query' must be a string."]);
    expect(refusal('rerank', { query: 'q', documents: [] })).toEqual(['invalid_request', "'documents' must be a non-empty array."]);
    expect(refusal('rerank', { query: 'q', documents: ['a'], top_n: -1 })).toEqual([
      'invalid_request',
      "'top_n' must be a non-negative integer.",
    ]);
    expect(refusal('rerank', { query: 'q', documents: ['a', 7] })).toEqual([
      'invalid_request',
      "'documents[1]' must be a string or an object.",
    ]);
    expect(refusal('rerank', { query: 'q', documents: ['a', 'b', 'c', 'd', 'e'] })[0]).toBe('batch_too_large');
    expect(refusal('rerank', { query: 'q', documents: ['x'.repeat(21)] })).toEqual([
      'input_too_long',
      "'documents[0]' has 21 characters; this relay accepts at most 20 per input.",
    ]);
    expect(refusal('score', { text_1: 'q' })).toEqual(['invalid_request', "'text_2' must be a string or a non-empty array of strings."]);
    expect(refusal('score', { model: 3, text_1: 'q', text_2: 'd' })).toEqual(['invalid_request', "'model' must be a string."]);
  });
});
