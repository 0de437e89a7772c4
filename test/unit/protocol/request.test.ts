import { describe, expect, it } from 'vitest';
import { parseEmbeddingRequest } from '../../../src/protocol/request.ts';
import { RelayError } from '../../../src/core/errors.ts';

const parse = (body: unknown, maxBatch = 8) =>
  parseEmbeddingRequest(Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)), maxBatch);
const rejection = (body: unknown, maxBatch = 8) => {
  try {
    parse(body, maxBatch);
  } catch (err) {
    expect(err).toBeInstanceOf(RelayError);
    const e = err as RelayError;
    return { code: e.code, status: e.status, param: e.param, message: e.message };
  }
  throw new Error('expected a RelayError');
};

describe('parseEmbeddingRequest', () => {
  it('accepts the four input shapes', () => {
    expect(parse({ model: 'm', input: 'hello' })).toMatchObject({
      inputType: 'string',
      inputCount: 1,
      inputChars: 5,
      inputTokenIds: undefined,
    });
    expect(parse({ model: 'm', input: ['ab', 'cde'] })).toMatchObject({ inputType: 'string_array', inputCount: 2, inputChars: 5 });
    expect(parse({ model: 'm', input: [1, 2, 3] })).toMatchObject({ inputType: 'tokens', inputCount: 1, inputTokenIds: 3, inputChars: 0 });
    expect(parse({ model: 'm', input: [[1, 2], [3]] })).toMatchObject({ inputType: 'token_arrays', inputCount: 2, inputTokenIds: 3 });
  });

  it('reads encoding_format, dimensions and defaults', () => {
    expect(parse({ model: 'm', input: 'x' })).toMatchObject({
      encodingFormat: 'float',
      encodingFormatExplicit: false,
      dimensions: undefined,
    });
    expect(parse({ model: 'm', input: 'x', encoding_format: 'base64', dimensions: 256, user: 'u1' })).toMatchObject({
      encodingFormat: 'base64',
      encodingFormatExplicit: true,
      dimensions: 256,
    });
  });

  it('forwards what only the upstream can judge: empty strings, any encoding_format (vLLM embeds or refuses them itself)', () => {
    expect(parse({ model: 'm', input: '' })).toMatchObject({ inputCount: 1, inputChars: 0 });
    expect(parse({ model: 'm', input: ['a', ''] })).toMatchObject({ inputCount: 2, inputChars: 1 });
    expect(parse({ model: 'm', input: 'x', encoding_format: 'bytes' }).encodingFormat).toBe('bytes');
    expect(parse({ model: 'm', input: 'x', encoding_format: 'flaot' }).encodingFormat).toBe('flaot');
  });

  it('reads vLLM’s embed_dtype, endianness and use_activation', () => {
    expect(parse({ model: 'm', input: 'x' })).toMatchObject({ vectorEncoding: { dtype: 'float32', bigEndian: false }, normalized: true });
    expect(parse({ model: 'm', input: 'x', embed_dtype: 'float16', endianness: 'big' }).vectorEncoding).toEqual({
      dtype: 'float16',
      bigEndian: true,
    });
    expect(parse({ model: 'm', input: 'x', embed_dtype: 'fp8_e4m3', endianness: 'native' }).vectorEncoding).toEqual({
      dtype: 'fp8_e4m3',
      bigEndian: false,
    });
    expect(parse({ model: 'm', input: 'x', embed_dtype: 'int4' }).vectorEncoding).toBeUndefined();
    expect(parse({ model: 'm', input: 'x', endianness: 'middle' }).vectorEncoding).toBeUndefined();
    expect(parse({ model: 'm', input: 'x', use_activation: false }).normalized).toBe(false);
    expect(parse({ model: 'm', input: 'x', normalize: false }).normalized).toBe(false);
    expect(parse({ model: 'm', input: 'x', use_activation: true }).normalized).toBe(true);
  });

  it('lets unknown vendor fields through (the original bytes are forwarded)', () => {
    expect(parse({ model: 'm', input: 'x', truncate_prompt_tokens: 512 }).model).toBe('m');
  });

  it.each([
    ['{', 'invalid_json', null],
    [[1, 2], 'invalid_request', null],
    [{ input: 'x' }, 'invalid_request', 'model'],
    [{ model: 7, input: 'x' }, 'invalid_request', 'model'],
    [{ model: '', input: 'x' }, 'invalid_request', 'model'],
    [{ model: 'm' }, 'invalid_request', 'input'],
    [{ model: 'm', input: [] }, 'invalid_request', 'input'],
    [{ model: 'm', input: ['a', 3] }, 'invalid_request', 'input[1]'],
    [{ model: 'm', input: [1, -2] }, 'invalid_request', 'input'],
    [{ model: 'm', input: [1.5] }, 'invalid_request', 'input'],
    [{ model: 'm', input: [[1], []] }, 'invalid_request', 'input[1]'],
    [{ model: 'm', input: { text: 'x' } }, 'invalid_request', 'input'],
    [{ model: 'm', input: [null] }, 'invalid_request', 'input'],
    [{ model: 'm', input: 'x', encoding_format: 8 }, 'invalid_request', 'encoding_format'],
    [{ model: 'm', input: 'x', dimensions: 0 }, 'invalid_request', 'dimensions'],
    [{ model: 'm', input: 'x', dimensions: '64' }, 'invalid_request', 'dimensions'],
    [{ model: 'm', input: 'x', user: 5 }, 'invalid_request', 'user'],
  ])('rejects %j as %s (param %s)', (body, code, param) => {
    const r = rejection(body);
    expect(r).toMatchObject({ code, status: 400, param });
    expect(r.message.length).toBeGreaterThan(10);
  });

  it('names the missing field exactly', () => {
    expect(rejection({ input: 'x' }).message).toBe("Missing required parameter: 'model'.");
    expect(rejection({ model: 'm' }).message).toBe("Missing required parameter: 'input'.");
    expect(rejection({ model: 'm', input: 'x', encoding_format: 8 }).message).toBe("'encoding_format' must be a string.");
  });

  it('never echoes the body in a JSON error (input text stays out of logs)', () => {
    const r = rejection('hello world, this is private text');
    expect(r).toMatchObject({ code: 'invalid_json', message: 'The request body is not valid JSON.' });
    expect(rejection('{"model": "private",}').message).toBe('The request body is not valid JSON (at byte 20).');
    expect(rejection('{"model": private}').message).toBe('The request body is not valid JSON.');
    expect(rejection('{"model": "private", "input": [').message).toBe('The request body is not valid JSON (it ends too early).');
  });

  it('limits the batch size', () => {
    expect(rejection({ model: 'm', input: ['a', 'b', 'c'] }, 2)).toEqual({
      code: 'batch_too_large',
      status: 400,
      param: 'input',
      message: "'input' has 3 items; this relay accepts at most 2 per request (RELAY_MAX_BATCH).",
    });
    expect(parse({ model: 'm', input: ['a', 'b'] }, 2).inputCount).toBe(2);
  });
});
