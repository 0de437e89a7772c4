// The duplicate-detection key of a vector, shared by the JSON scanner (components as decimal text)
// and the decoded-vector summaries (components as float32 bits).
//
// The hash: each component gives two 32-bit words mixed into two lanes, each step a
// bijection of the lane for fixed words and of each word for a fixed lane (a component differing in
// one word always changes the key), finished with murmur3's fmix.
const F64 = new Float64Array(1);
const U32 = new Uint32Array(F64.buffer);
export const HASH = new Int32Array(2);
// Tag words for components that are not numbers: NaN payloads no parsed number ever has.
export const TAG_NULL = 0x7ff40001;
export const TAG_TRUE = 0x7ff40002;
export const TAG_FALSE = 0x7ff40003;
export const TAG_TEXT = 0x7ff40004;
export const TAG_NESTED = 0x7ff40005;
F64[0] = NaN;
export const NAN_LO = U32[0]!;
export const NAN_HI = U32[1]!;
F64[0] = Infinity;
export const INF_HI = U32[1]!;
export const NEG_INF_HI = INF_HI | 0x80000000; // int32, like every hash word (a uint32 here would be a double)

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

const hex8 = (h: number) => h.toString(16).padStart(8, '0');

/** 64-bit hash of bytes[0, len) into HASH (word-wise; bytes must start 4-aligned in its buffer). */
export function hashBytes(bytes: Uint8Array, len: number): void {
  let h1 = 0x243f6a88 ^ len;
  let h2 = 0x13198a2e;
  const words = len >>> 2;
  const w32 = new Int32Array(bytes.buffer, bytes.byteOffset, words);
  for (let k = 0; k < words; k++) {
    const w = w32[k]!;
    h1 = Math.imul(h1 ^ w, 0x9e3779b1);
    h1 = (h1 << 13) | (h1 >>> 19);
    h2 = Math.imul(h2 ^ w, 0x85ebca77) ^ h1;
    h2 = (h2 << 17) | (h2 >>> 15);
  }
  for (let k = words * 4; k < len; k++) {
    h1 = Math.imul(h1 ^ bytes[k]!, 0x9e3779b1);
    h1 = (h1 << 13) | (h1 >>> 19);
    h2 = Math.imul(h2 ^ bytes[k]!, 0x85ebca77) ^ h1;
    h2 = (h2 << 17) | (h2 >>> 15);
  }
  HASH[0] = fmix(h1);
  HASH[1] = fmix(h2 ^ len);
}

/** The hash part of a vector's duplicate-detection key: the two lanes finished with the vector's
 *  component count `n`, as 16 hex digits. The key is `${kind and dimension}:${this}`: identical
 *  vectors share it, vectors that differ in any component do not. */
export const keyHash = (h1: number, h2: number, n: number): string => hex8(fmix(h1 ^ n)) + hex8(fmix(h2 ^ Math.imul(n, 0x27d4eb2f)));
