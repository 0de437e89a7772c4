import { describe, expect, it } from 'vitest';
import { BytesInspector } from '../../../src/inspect/bytes-body.ts';
import { ResponseScanner } from '../../../src/inspect/scanner.ts';

const unitF32 = (dim: number, big = false) => {
  const b = Buffer.alloc(dim * 4);
  for (let i = 0; i < dim; i++) (big ? b.writeFloatBE : b.writeFloatLE).call(b, 1 / Math.sqrt(dim), i * 4);
  return b;
};
const metadata = (dim: number, n: number, dtype = 'float32', size = 4) =>
  JSON.stringify({
    id: 'embd-1',
    created: 1,
    model: 'tiny',
    usage: { prompt_tokens: 7, total_tokens: 7 },
    data: Array.from({ length: n }, (_, i) => ({
      index: i,
      embed_dtype: dtype,
      endianness: 'native',
      start: i * dim * size,
      end: (i + 1) * dim * size,
      shape: [dim],
    })),
  });

function inspect(body: Buffer, opts: Partial<ConstructorParameters<typeof BytesInspector>[0]>) {
  const b = new BytesInspector({
    health: true,
    maxBytes: 1 << 20,
    metadata: undefined,
    encoding: { dtype: 'float32', bigEndian: false },
    inputCount: 1,
    ...opts,
  });
  // In two chunks, split mid-component.
  b.push(body.subarray(0, 5));
  b.push(body.subarray(5));
  return b.finish();
}

describe('BytesInspector (vLLM encoding_format bytes / bytes_only)', () => {
  it('bytes: model, usage, dimension and health from the metadata header', () => {
    const facts = inspect(Buffer.concat([unitF32(16), unitF32(16)]), { metadata: metadata(16, 2), inputCount: 2 });
    expect(facts).toMatchObject({
      responseModel: 'tiny',
      promptTokens: 7,
      vectorCount: 2,
      dimension: 16,
      vectorsByDimension: new Map([[16, 2]]),
    });
    expect(facts.vectors[0]!.sumSq).toBeCloseTo(1, 6);
    expect(facts.vectors[0]!.key).toBe(facts.vectors[1]!.key);
  });

  it('bytes_only: equal parts by the request’s layout and input count', () => {
    const facts = inspect(Buffer.concat([unitF32(8, true), unitF32(8, true), unitF32(8, true)]), {
      encoding: { dtype: 'float32', bigEndian: true },
      inputCount: 3,
    });
    expect(facts).toMatchObject({ responseModel: undefined, promptTokens: undefined, vectorCount: 3, dimension: 8 });
    expect(facts.vectors.map((v) => Math.round(v.sumSq * 1e6) / 1e6)).toEqual([1, 1, 1]);
  });

  it('health off still knows the dimensions and the broken vectors (NaN, Infinity, all zero), not the norm or key', () => {
    const facts = inspect(unitF32(16), { health: false, metadata: metadata(16, 1) });
    expect(facts.vectors).toEqual([{ dimension: 16, sumSq: 0, nulls: false, nan: false, inf: false, zero: false, key: undefined }]);
    const broken = (values: number[]) => {
      const body = Buffer.from(new Float32Array(values).buffer);
      const [v] = inspect(body, { health: false, metadata: metadata(values.length, 1) }).vectors;
      return { nan: v!.nan, inf: v!.inf, zero: v!.zero };
    };
    expect(broken([0.6, Number.NaN])).toEqual({ nan: true, inf: false, zero: false });
    expect(broken([-Infinity, 0])).toEqual({ nan: false, inf: true, zero: true });
    expect(broken([0, -0, 0])).toEqual({ nan: false, inf: false, zero: true });
    expect(broken([0, 1e-40])).toEqual({ nan: false, inf: false, zero: false });
  });

  it('throws when the header and body disagree, or the body does not split', () => {
    expect(() => inspect(unitF32(16), { metadata: metadata(16, 2) })).toThrow(/does not fit/);
    expect(() => inspect(unitF32(16).subarray(0, 60), { inputCount: 2 })).toThrow(/does not split/);
    expect(() => inspect(unitF32(16), { metadata: '{"data":[{"start":0}]}' })).toThrow();
  });

  it('stops keeping bytes past maxBytes', () => {
    const b = new BytesInspector({
      health: true,
      maxBytes: 10,
      metadata: undefined,
      encoding: { dtype: 'float32', bigEndian: false },
      inputCount: 1,
    });
    b.push(unitF32(16));
    expect(b.overflowed).toBe(true);
    expect(() => b.finish()).toThrow(/larger than 10 bytes/);
  });
});

describe('ResponseScanner with a vLLM embed_dtype', () => {
  it('base64 float16: half the bytes per component, so the dimension is right and the norm is 1', () => {
    const half = Buffer.alloc(16 * 2);
    for (let i = 0; i < 16; i++) half.writeUInt16LE(0x3400, i * 2); // 0.25 = 1/sqrt(16)
    const body = Buffer.from(JSON.stringify({ model: 'm', data: [{ embedding: half.toString('base64') }], usage: { prompt_tokens: 1 } }));
    const f16 = new ResponseScanner({ health: true, encoding: { dtype: 'float16', bigEndian: false } });
    f16.push(body);
    expect(f16.finish().vectors[0]).toMatchObject({ dimension: 16, sumSq: 1 });
    // Read as float32 (what the relay did before), the same body is 8 wrong components.
    const f32 = new ResponseScanner({ health: true });
    f32.push(body);
    expect(f32.finish().vectors[0]!.dimension).toBe(8);
  });
});
