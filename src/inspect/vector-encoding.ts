// How the components of an encoded vector (base64 text, or vLLM's binary `bytes` body) are laid
// out: element type and byte order. OpenAI sends little-endian float32; vLLM lets the client pick
// `embed_dtype` (float32, float16, bfloat16, fp8_e4m3, fp8_e5m2) and `endianness` (native, little,
// big; native is the server's, little-endian on every host vLLM runs on). Decoding goes through
// lookup tables (2-byte types: 65,536 entries built on first use; fp8: 256), so each component is
// one table read; float32 little-endian on a little-endian host is a plain view, no copy.
import { endianness as hostEndianness } from 'node:os';
import type { EmbedDType, VectorEncoding } from '../core/embedding-request.ts';

export const BYTES_PER_ELEMENT: Readonly<Record<EmbedDType, number>> = { float32: 4, float16: 2, bfloat16: 2, fp8_e4m3: 1, fp8_e5m2: 1 };

/** Worst-case relative rounding error of one component (half an ulp: 2^-(mantissa bits + 1)).
 *  A unit vector stored this way can have a norm off by as much; the norm check widens its band
 *  by it, so fp8 vectors are not flagged for their format's rounding. */
export const ROUNDING_ERROR: Readonly<Record<EmbedDType, number>> = {
  float32: 2 ** -24,
  float16: 2 ** -11,
  bfloat16: 2 ** -8,
  fp8_e4m3: 2 ** -4,
  fp8_e5m2: 2 ** -3,
};

/** What OpenAI and every server without `embed_dtype` send. */
export const FLOAT32_LE: VectorEncoding = Object.freeze({ dtype: 'float32', bigEndian: false });

const isEmbedDType = (v: unknown): v is EmbedDType => typeof v === 'string' && Object.hasOwn(BYTES_PER_ELEMENT, v);

/**
 * The encoding a request's `embed_dtype` / `endianness` (vLLM's extra parameters) ask for:
 * FLOAT32_LE when neither is given; undefined when either is a value this relay does not know
 * (the upstream refuses it or means something the relay cannot decode: such a response is relayed
 * but its vectors are not inspected).
 */
export function requestedEncoding(embedDtype: unknown, endianness: unknown): VectorEncoding | undefined {
  const dtype = embedDtype === undefined ? 'float32' : embedDtype;
  if (!isEmbedDType(dtype)) return undefined;
  if (endianness !== undefined && endianness !== 'native' && endianness !== 'little' && endianness !== 'big') return undefined;
  const bigEndian = endianness === 'big';
  return dtype === 'float32' && !bigEndian ? FLOAT32_LE : { dtype, bigEndian };
}

/** This machine stores numbers little-endian (x86, ARM as Node runs them): float32 LE is a plain view. */
export const HOST_LE = hostEndianness() === 'LE';

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 31) return mant === 0 ? sign * Infinity : NaN;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/** float8 e4m3fn: no infinities, S.1111.111 is NaN. */
function e4m3ToFloat(b: number): number {
  const sign = b & 0x80 ? -1 : 1;
  const exp = (b >> 3) & 0xf;
  const mant = b & 7;
  if (exp === 15 && mant === 7) return NaN;
  if (exp === 0) return sign * (mant / 8) * 2 ** -6;
  return sign * (1 + mant / 8) * 2 ** (exp - 7);
}

let half: Float32Array | undefined;
let bf16: Float32Array | undefined;
let e4m3: Float32Array | undefined;
let e5m2: Float32Array | undefined;

const halfTable = () => (half ??= Float32Array.from({ length: 65536 }, (_, h) => halfToFloat(h)));
const bf16Table = () => (bf16 ??= new Float32Array(Uint32Array.from({ length: 65536 }, (_, h) => h << 16).buffer));
const e4m3Table = () => (e4m3 ??= Float32Array.from({ length: 256 }, (_, b) => e4m3ToFloat(b)));
// float8 e5m2 is the upper byte of a float16.
const e5m2Table = () => (e5m2 ??= Float32Array.from({ length: 256 }, (_, b) => halfTable()[b << 8]!));

/** Components of `bytes` as float32 (trailing bytes short of one element are ignored). The result
 *  may share memory with `bytes` (float32 little-endian on a little-endian host, aligned input). */
export function decodeElements(bytes: Uint8Array, enc: VectorEncoding): Float32Array {
  const size = BYTES_PER_ELEMENT[enc.dtype];
  const n = Math.floor(bytes.length / size);
  if (enc.dtype === 'float32') {
    if (!enc.bigEndian && HOST_LE) {
      if (bytes.byteOffset % 4 === 0) return new Float32Array(bytes.buffer, bytes.byteOffset, n);
      const copy = new Uint8Array(n * 4); // (Buffer#slice would be a view, not a copy)
      copy.set(bytes.subarray(0, n * 4));
      return new Float32Array(copy.buffer);
    }
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = view.getFloat32(i * 4, !enc.bigEndian);
    return out;
  }
  const out = new Float32Array(n);
  if (size === 1) {
    const table = enc.dtype === 'fp8_e4m3' ? e4m3Table() : e5m2Table();
    for (let i = 0; i < n; i++) out[i] = table[bytes[i]!]!;
    return out;
  }
  const table = enc.dtype === 'float16' ? halfTable() : bf16Table();
  const [hi, lo] = enc.bigEndian ? [0, 1] : [1, 0];
  for (let i = 0, j = 0; i < n; i++, j += 2) out[i] = table[(bytes[j + hi]! << 8) | bytes[j + lo]!]!;
  return out;
}

/** Components in a base64 text of `length` characters ending in `padding` '='. */
export function b64ElementCount(length: number, padding: number, bytesPerElement: number): number {
  return Math.floor((Math.floor((length * 3) / 4) - padding) / bytesPerElement);
}
