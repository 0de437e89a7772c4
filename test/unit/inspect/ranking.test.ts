import { describe, expect, it } from 'vitest';
import type { RankingRequest } from '../../../src/core/ranking.ts';
import { RankingCapture, rankingAnomalies, rankingFacts } from '../../../src/inspect/ranking.ts';

const request = (over: Partial<RankingRequest> = {}): RankingRequest => ({
  operation: 'rerank',
  model: 'm',
  documentCount: 3,
  topN: undefined,
  expectedResults: 3,
  inputChars: 10,
  texts: [],
  ...over,
});

const capture = (text: string, max = 1 << 20) => {
  const c = new RankingCapture(max);
  for (let i = 0; i < text.length; i += 7) c.push(Buffer.from(text.slice(i, i + 7)));
  return c;
};

describe('inspect/ranking.ts', () => {
  it('reads vLLM rerank, vLLM score and TEI rerank answers', () => {
    expect(
      capture(
        '{"model":"r","usage":{"total_tokens":12},"results":[{"index":1,"relevance_score":0.9},{"index":0,"relevance_score":0.1}]}',
      ).finish(),
    ).toEqual({ responseModel: 'r', promptTokens: 12, resultCount: 2, topScore: 0.9, indexes: [1, 0], nanScores: 0, infScores: 0 });
    expect(rankingFacts({ model: 's', usage: { prompt_tokens: 5, total_tokens: 5 }, data: [{ index: 0, score: 0.25 }] })).toMatchObject({
      promptTokens: 5,
      resultCount: 1,
      topScore: 0.25,
    });
    expect(rankingFacts([{ index: 0, score: 0.5 }])).toMatchObject({ responseModel: undefined, promptTokens: undefined, resultCount: 1 });
  });

  it("counts Python's bare NaN and Infinity, and overflowing numbers, as the non-finite scores they are", () => {
    const facts = capture(
      '{"results":[{"index":0,"relevance_score":NaN},{"index":1,"relevance_score":-Infinity},{"index":2,"relevance_score":1e999},{"index":3,"relevance_score":"x"}]}',
    ).finish();
    expect(facts).toMatchObject({ nanScores: 2, infScores: 2, topScore: undefined });
  });

  it('is not a ranking answer: throws (counted as an inspect failure by the caller)', () => {
    expect(() => capture('{"object":"list","data":"nope"}').finish()).toThrow();
    expect(() => capture('not json').finish()).toThrow();
  });

  it('stops keeping a body past its bound', () => {
    const c = capture('{"results":[]}', 8);
    expect(c.overflowed).toBe(true);
  });

  it('finds indexes out of range or repeated, and missing results', () => {
    const facts = rankingFacts({ results: [0, 0, 3, -1, 1.5].map((index) => ({ index, relevance_score: 0.1 })) });
    expect(Object.fromEntries(rankingAnomalies(request({ documentCount: 3, expectedResults: 6 }), facts))).toEqual({
      index_out_of_range: 3,
      duplicate_index: 1,
      missing_results: 1,
    });
    const fine = rankingFacts({ results: [2, 0].map((index) => ({ index, relevance_score: 0.1 })) });
    expect(rankingAnomalies(request({ topN: 2, expectedResults: 2 }), fine).size).toBe(0);
  });
});
