// The health facts of one decoded vector (base64 text, vLLM's binary body), as float32
// components: the broken-vector facts of every response, and the sampled full check.
import type { VectorSummary } from '../core/response-facts.ts';
import { keyHash } from './vector-key.ts';

/**
 * The broken-vector facts of one decoded vector (NaN, ±Infinity, all zero), without the norm and
 * key of the sampled full check, from the float32 bit patterns: with the sign bit cleared, a
 * component is NaN or ±Infinity when adding 0x00800000 carries into bit 31 (exponent all ones),
 * and a non-zero number when it is neither and its bits are not all zero. One branch-free pass;
 * NaN and Infinity are told apart only when one was seen.
 */
export function brokenSummary(floats: Float32Array, dimension: number): VectorSummary {
  const words = new Int32Array(floats.buffer, floats.byteOffset, floats.length);
  let any = 0;
  let special = 0;
  for (let k = 0; k < words.length; k++) {
    const x = words[k]! & 0x7fffffff;
    const s = (x + 0x00800000) | 0;
    special |= s;
    any |= x & ~(s >> 31); // finite components only, as the JSON paths count them
  }
  let nan = false;
  let inf = false;
  if ((special & 0x80000000) !== 0) {
    for (let k = 0; k < words.length; k++) {
      const x = words[k]! & 0x7fffffff;
      if (x === 0x7f800000) inf = true;
      else if (x > 0x7f800000) nan = true;
    }
  }
  return { dimension, sumSq: 0, nulls: false, nan, inf, zero: any === 0, key: undefined };
}

/**
 * Health facts of one decoded vector. The key is `tag`, then a 64-bit hash of the components'
 * float32 bit patterns: identical vectors share it, vectors differing anywhere do not.
 */
export function decodedSummary(floats: Float32Array, tag: string): VectorSummary {
  const words = new Int32Array(floats.buffer, floats.byteOffset, floats.length);
  let sumSq = 0;
  let nan = false;
  let inf = false;
  let nonZero = false;
  let h1 = 0x243f6a88;
  let h2 = 0x13198a2e;
  for (let k = 0; k < floats.length; k++) {
    const v = floats[k]!;
    // biome-ignore lint/suspicious/noSelfCompare: the NaN test of the hot loop (no call)
    if (v !== v) nan = true;
    else if (v === Infinity || v === -Infinity) inf = true;
    else {
      sumSq += v * v;
      if (v !== 0) nonZero = true;
    }
    const w = words[k]!;
    h1 = Math.imul(h1 ^ w, 0x9e3779b1);
    h1 = (h1 << 13) | (h1 >>> 19);
    h2 = Math.imul(h2 ^ w, 0x85ebca77) ^ h1;
    h2 = (h2 << 17) | (h2 >>> 15);
  }
  const n = floats.length;
  return {
    dimension: n,
    sumSq,
    nulls: false,
    nan,
    inf,
    zero: !nonZero,
    key: `${tag}:${keyHash(h1, h2, n)}`,
  };
}
