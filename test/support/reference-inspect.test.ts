import { describe, expect, it } from 'vitest';
import { base64FloatCount, inspectEmbeddingsResponse } from './reference-inspect.ts';
import { toBase64 } from '../../src/simulator/simulator.ts';

const body = (v: unknown) => Buffer.from(JSON.stringify(v));

describe('response inspection', () => {
  it.each([1, 2, 3, 4, 5, 63, 1024, 2560])('counts %i float32s in base64 without decoding', (n) => {
    const b64 = toBase64(new Float32Array(n).fill(0.5));
    expect(base64FloatCount(b64)).toBe(n);
    expect(Buffer.from(b64, 'base64').length / 4).toBe(n);
  });

  it('reads model, usage and dimensions from float vectors', () => {
    const facts = inspectEmbeddingsResponse(
      body({
        object: 'list',
        model: 'qwen',
        data: [{ embedding: [0.1, 0.2, 0.3] }, { embedding: [1, 0, 0] }],
        usage: { prompt_tokens: 9, total_tokens: 9 },
      }),
    );
    expect(facts).toEqual({
      responseModel: 'qwen',
      promptTokens: 9,
      vectorCount: 2,
      dimension: 3,
      vectorsByDimension: new Map([[3, 2]]),
      embeddings: [
        [0.1, 0.2, 0.3],
        [1, 0, 0],
      ],
      nonJsonNumbers: false,
    });
  });

  it('reads dimensions from base64 vectors and reports mixed dimensions', () => {
    const facts = inspectEmbeddingsResponse(
      body({
        data: [
          { embedding: toBase64(new Float32Array(8)) },
          { embedding: toBase64(new Float32Array(4)) },
          { embedding: toBase64(new Float32Array(8)) },
        ],
      }),
    );
    expect(facts.dimension).toBe(8);
    expect(facts.vectorsByDimension).toEqual(
      new Map([
        [8, 2],
        [4, 1],
      ]),
    );
    expect(facts.promptTokens).toBeUndefined();
    expect(facts.responseModel).toBeUndefined();
  });

  it('ignores malformed usage and items', () => {
    const facts = inspectEmbeddingsResponse(body({ data: [{ embedding: null }, {}, 5], usage: { prompt_tokens: '12' } }));
    expect(facts).toMatchObject({ vectorCount: 0, dimension: undefined, promptTokens: undefined });
  });

  it('recovers bare NaN/Infinity tokens (Python json.dumps) so broken vectors are still seen', () => {
    const facts = inspectEmbeddingsResponse(
      Buffer.from('{"data":[{"embedding":[NaN, 0.5, -Infinity]},{"embedding":[0.1,Infinity]}],"usage":{"prompt_tokens":3}}'),
    );
    expect(facts.nonJsonNumbers).toBe(true);
    expect(facts.embeddings).toEqual([
      ['NaN', 0.5, '-Infinity'],
      [0.1, 'Infinity'],
    ]);
    expect(facts).toMatchObject({ vectorCount: 2, dimension: 3, promptTokens: 3 });
  });

  it('throws on a body that is not JSON (the caller counts it)', () => {
    expect(() => inspectEmbeddingsResponse(Buffer.from('{"data":['))).toThrow(SyntaxError);
  });
});
