// Inspects vLLM's binary embeddings response (`encoding_format: "bytes"` / `"bytes_only"`): the
// body is the vectors' raw components back to back (application/octet-stream). With "bytes" a
// `metadata` response header (JSON) gives the model, usage and, per vector, its dtype, byte order,
// byte range and shape; with "bytes_only" there is no header, so the request's embed_dtype /
// endianness and input count say how to cut the body (equal parts). The body is kept, never beyond
// maxBytes, so every vector is checked for NaN/±Infinity/all zero; the norm and the duplicate key
// only when the full check was sampled for this response.
import { z } from 'zod';
import { brokenSummary, decodedSummary } from './vector-summary.ts';
import type { ResponseFacts, VectorSummary } from '../core/response-facts.ts';
import type { VectorEncoding } from '../core/embedding-request.ts';
import { BYTES_PER_ELEMENT, decodeElements, requestedEncoding } from './vector-encoding.ts';

export interface BytesInspectorOptions {
  health: boolean;
  maxBytes: number;
  /** The `metadata` response header, when the upstream sent one. */
  metadata: string | undefined;
  /** From the request: the layout asked for and how many vectors to expect. */
  encoding: VectorEncoding | undefined;
  inputCount: number;
}

const metadataSchema = z.object({
  model: z.string().optional(),
  usage: z.object({ prompt_tokens: z.number().int().nonnegative().optional() }).partial().nullish(),
  data: z.array(
    z.object({
      embed_dtype: z.string().optional(),
      endianness: z.string().optional(),
      start: z.number().int().nonnegative(),
      end: z.number().int().nonnegative(),
      shape: z.array(z.number().int().nonnegative()),
    }),
  ),
});

interface Slice {
  encoding: VectorEncoding;
  start: number;
  end: number;
  dimension: number;
}

export class BytesInspector {
  readonly #opts: BytesInspectorOptions;
  readonly #chunks: Buffer[] = [];
  #bytes = 0;
  #overflow = false;

  constructor(opts: BytesInspectorOptions) {
    this.#opts = opts;
  }

  get overflowed(): boolean {
    return this.#overflow;
  }

  push(chunk: Buffer): void {
    this.#bytes += chunk.length;
    if (this.#bytes > this.#opts.maxBytes) {
      this.#overflow = true;
      this.#chunks.length = 0;
    }
    if (!this.#overflow) this.#chunks.push(chunk);
  }

  /** The facts of the whole body; throws when the header or the body does not add up. */
  finish(): ResponseFacts {
    if (this.#overflow) throw new RangeError(`The response is larger than ${this.#opts.maxBytes} bytes; not inspected.`);
    const meta = this.#opts.metadata === undefined ? undefined : metadataSchema.parse(JSON.parse(this.#opts.metadata));
    const slices = meta ? this.#slicesFromMetadata(meta.data) : this.#equalSlices();
    const body = Buffer.concat(this.#chunks, this.#bytes);
    const vectors: VectorSummary[] = slices.map((s) => {
      const floats = decodeElements(body.subarray(s.start, s.end), s.encoding);
      return this.#opts.health
        ? { ...decodedSummary(floats, `x${s.dimension}`), dimension: s.dimension }
        : brokenSummary(floats, s.dimension);
    });
    const vectorsByDimension = new Map<number, number>();
    for (const v of vectors) vectorsByDimension.set(v.dimension, (vectorsByDimension.get(v.dimension) ?? 0) + 1);
    return {
      responseModel: meta?.model,
      promptTokens: meta?.usage?.prompt_tokens,
      vectorCount: vectors.length,
      dimension: vectors[0]?.dimension,
      vectorsByDimension,
      nonJsonNumbers: false,
      vectors,
    };
  }

  #slicesFromMetadata(items: z.infer<typeof metadataSchema>['data']): Slice[] {
    return items.map((item) => {
      const encoding = requestedEncoding(item.embed_dtype, item.endianness);
      if (encoding === undefined)
        throw new TypeError(`Unknown embed_dtype/endianness in the metadata header: ${item.embed_dtype}/${item.endianness}.`);
      const dimension = item.shape.reduce((a, b) => a * b, 1);
      if (item.end > this.#bytes || item.end - item.start !== dimension * BYTES_PER_ELEMENT[encoding.dtype]) {
        throw new RangeError(`A vector's byte range ${item.start}..${item.end} does not fit its shape or the ${this.#bytes}-byte body.`);
      }
      return { encoding, start: item.start, end: item.end, dimension };
    });
  }

  /** bytes_only: the body cut into inputCount equal vectors of the requested layout. */
  #equalSlices(): Slice[] {
    const { encoding, inputCount } = this.#opts;
    if (encoding === undefined) throw new TypeError('A bytes_only response in a layout this relay does not know.');
    const each = this.#bytes / inputCount;
    const size = BYTES_PER_ELEMENT[encoding.dtype];
    if (!Number.isInteger(each) || each % size !== 0)
      throw new RangeError(`A ${this.#bytes}-byte body does not split into ${inputCount} vectors.`);
    return Array.from({ length: inputCount }, (_, i) => ({ encoding, start: i * each, end: (i + 1) * each, dimension: each / size }));
  }
}
