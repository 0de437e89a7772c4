// The SIMULATOR's fake model: a tokenizer (words, single CJK characters, punctuation) and
// deterministic bag-of-words vectors, seeded by the text and the seed, L2-normalised. Not a model.
const TOKEN_RE = /\p{Script=Han}|\p{Script=Hiragana}|\p{Script=Katakana}|[\p{L}\p{N}_]+|[^\s\p{L}\p{N}]/gu;
const MAX_HASHED_TOKENS = 512;

/** The simulator's tokenizer: words, single CJK characters, single punctuation marks. */
export function simulatedTokens(text: string): string[] {
  return text.toLowerCase().match(TOKEN_RE) ?? [];
}

function fnv1a(text: string, seed: number): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** mulberry32: a tiny, fast, well-distributed PRNG; deterministic per token and seed. */
function addTokenVector(out: Float64Array, token: string, seed: number, weight: number): void {
  let a = fnv1a(token, seed);
  for (let i = 0; i < out.length; i++) {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    out[i]! += weight * (((t ^ (t >>> 14)) >>> 0) / 4294967296 - 0.5);
  }
}

/** Deterministic, L2-normalised vector for one input (text or token ids). */
export function simulatedVector(input: string | readonly number[], dims: number, seed: number): Float32Array {
  const tokens = typeof input === 'string' ? simulatedTokens(input) : input.map(String);
  const acc = new Float64Array(dims);
  const counts = new Map<string, number>();
  for (const tok of tokens) counts.set(tok, (counts.get(tok) ?? 0) + 1);
  let used = 0;
  for (const [tok, n] of counts) {
    if (used++ >= MAX_HASHED_TOKENS) break;
    addTokenVector(acc, tok, seed, Math.sqrt(n));
  }
  if (counts.size === 0) addTokenVector(acc, '\u0000empty', seed, 1);
  let norm = 0;
  for (let i = 0; i < dims; i++) norm += acc[i]! * acc[i]!;
  norm = Math.sqrt(norm) || 1;
  const out = new Float32Array(dims);
  for (let i = 0; i < dims; i++) out[i] = acc[i]! / norm;
  return out;
}

export const toBase64 = (v: Float32Array): string => Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');
