// What the relay knows of an embeddings request once its body is parsed (protocol/request.ts
// writes it; the record carries it; inspect/ and telemetry/ read it). Types only.

export type InputType = 'string' | 'string_array' | 'tokens' | 'token_arrays';
/** 'float' and 'base64' (OpenAI), 'bytes' and 'bytes_only' (vLLM: a binary body), or whatever
 *  else the client named: the upstream decides what it accepts. */
export type EncodingFormat = string;

export interface EmbeddingRequest {
  model: string;
  inputType: InputType;
  inputCount: number;
  /** Total characters over string inputs (0 for token inputs). */
  inputChars: number;
  /** Exact token count when the client sent token ids (undefined for text). */
  inputTokenIds: number | undefined;
  encodingFormat: EncodingFormat;
  /** True when the client named encoding_format (telemetry reports what was asked). */
  encodingFormatExplicit: boolean;
  dimensions: number | undefined;
  /** Layout of encoded vectors (vLLM's embed_dtype / endianness); undefined when the request names
   *  one the relay does not know (its vectors are then relayed, not inspected). */
  vectorEncoding: VectorEncoding | undefined;
  /** False when the client asked for raw, unnormalised vectors (vLLM's `use_activation: false`,
   *  or the older `normalize: false`): the norm check does not judge them. */
  normalized: boolean;
  /** The texts themselves, only for opt-in input logging. */
  texts: readonly string[];
}

/** An element type vLLM can encode vectors in (`embed_dtype`). */
export type EmbedDType = 'float32' | 'float16' | 'bfloat16' | 'fp8_e4m3' | 'fp8_e5m2';

export interface VectorEncoding {
  readonly dtype: EmbedDType;
  readonly bigEndian: boolean;
}
