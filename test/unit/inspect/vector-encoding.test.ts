import { describe, expect, it } from 'vitest';
import type { VectorEncoding } from '../../../src/core/embedding-request.ts';
import { decodeElements, requestedEncoding } from '../../../src/inspect/vector-encoding.ts';

// Reference encodings written independently of the decoder: DataView for float32 and float16
// (Node's Float16 support where present, else hand-written bit patterns), bfloat16 as the top half
// of float32, fp8 as bit patterns from the OCP fp8 spec.
const f32 = (values: number[], big: boolean) => {
  const b = Buffer.alloc(values.length * 4);
  for (const [i, v] of values.entries()) big ? b.writeFloatBE(v, i * 4) : b.writeFloatLE(v, i * 4);
  return b;
};
const u16 = (words: number[], big: boolean) => {
  const b = Buffer.alloc(words.length * 2);
  for (const [i, w] of words.entries()) big ? b.writeUInt16BE(w, i * 2) : b.writeUInt16LE(w, i * 2);
  return b;
};
const decode = (bytes: Uint8Array, dtype: VectorEncoding['dtype'], bigEndian = false) =>
  Array.from(decodeElements(bytes, { dtype, bigEndian }));

describe('decodeElements', () => {
  it('float32, both byte orders', () => {
    expect(decode(f32([0.25, -2, 1e-3], false), 'float32')).toEqual(Array.from(Float32Array.of(0.25, -2, 1e-3)));
    expect(decode(f32([0.25, -2, 1e-3], true), 'float32', true)).toEqual(Array.from(Float32Array.of(0.25, -2, 1e-3)));
    // Unaligned input is copied, not misread.
    const shifted = Buffer.concat([Buffer.alloc(1), f32([0.5, 3], false)]).subarray(1);
    expect(decode(shifted, 'float32')).toEqual([0.5, 3]);
  });

  it('float16: normal, subnormal, zero, infinities, NaN; both byte orders', () => {
    // 0x3c00 = 1, 0xc000 = -2, 0x3555 ≈ 0.33325, 0x0001 = 2^-24, 0x8000 = -0, 0x7c00 = Inf, 0x7e00 = NaN
    const words = [0x3c00, 0xc000, 0x3555, 0x0001, 0x8000, 0x7c00, 0xfc00, 0x7e00];
    const want = [1, -2, 0.333251953125, 2 ** -24, -0, Infinity, -Infinity, NaN];
    expect(decode(u16(words, false), 'float16')).toEqual(want);
    expect(decode(u16(words, true), 'float16', true)).toEqual(want);
  });

  it('bfloat16 is the upper half of a float32', () => {
    const values = [1, -0.5, 0.09375, 3.140625];
    const words = values.map((v) => f32([v], true).readUInt16BE(0));
    expect(decode(u16(words, false), 'bfloat16')).toEqual(values);
    expect(decode(u16(words, true), 'bfloat16', true)).toEqual(values);
  });

  it('fp8 e4m3fn (no infinities; 0x7f is NaN) and e5m2', () => {
    // e4m3: 0x38 = 1, 0xc0 = -2, 0x01 = 2^-9, 0x7e = 448 (largest), 0x7f = NaN
    expect(decode(Uint8Array.of(0x38, 0xc0, 0x01, 0x7e, 0x7f), 'fp8_e4m3')).toEqual([1, -2, 2 ** -9, 448, NaN]);
    // e5m2: 0x3c = 1, 0xc0 = -2, 0x01 = 2^-16, 0x7c = Inf, 0x7e = NaN
    expect(decode(Uint8Array.of(0x3c, 0xc0, 0x01, 0x7c, 0x7e), 'fp8_e5m2')).toEqual([1, -2, 2 ** -16, Infinity, NaN]);
  });

  it('ignores trailing bytes short of one component', () => {
    expect(decode(Buffer.concat([f32([1], false), Buffer.from([1, 2])]), 'float32')).toEqual([1]);
    expect(decode(Uint8Array.of(0x00, 0x3c, 0x01), 'float16')).toEqual([1]);
  });
});

describe('requestedEncoding', () => {
  it('float32 little-endian unless asked otherwise; native is little-endian', () => {
    expect(requestedEncoding(undefined, undefined)).toEqual({ dtype: 'float32', bigEndian: false });
    expect(requestedEncoding('bfloat16', 'native')).toEqual({ dtype: 'bfloat16', bigEndian: false });
    expect(requestedEncoding('float32', 'big')).toEqual({ dtype: 'float32', bigEndian: true });
  });
  it('undefined for what it does not know (the response is then not inspected)', () => {
    expect(requestedEncoding('int8', undefined)).toBeUndefined();
    expect(requestedEncoding(16, undefined)).toBeUndefined();
    expect(requestedEncoding('float16', 'BIG')).toBeUndefined();
  });
});
