// Parses and validates a /v1/embeddings request body. The original bytes are what gets forwarded
// (no re-serialisation); this only decides whether to forward and describes the request.
import { z } from 'zod';
import { RelayError } from '../core/errors.ts';
import type { EmbeddingRequest } from '../core/embedding-request.ts';
import { requestedEncoding } from '../inspect/vector-encoding.ts';

const envelope = z.object({
  model: z.string({ error: 'must be a string' }).min(1, { error: 'must not be empty' }),
  input: z.unknown(),
  encoding_format: z.string({ error: 'must be a string' }).optional(),
  dimensions: z
    .number({ error: 'must be a positive integer' })
    .int({ error: 'must be a positive integer' })
    .positive({ error: 'must be a positive integer' })
    .optional(),
  user: z.string({ error: 'must be a string' }).optional(),
});

const isTokenId = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;

function invalid(param: string, message: string): RelayError {
  return new RelayError('invalid_request', message, { param });
}

function tooLong(param: string, chars: number, max: number): RelayError {
  return new RelayError('input_too_long', `'${param}' has ${chars} characters; this relay accepts at most ${max} per input.`, { param });
}

function classifyInput(
  input: unknown,
  maxBatch: number,
  maxInputChars: number,
): Pick<EmbeddingRequest, 'inputType' | 'inputCount' | 'inputChars' | 'inputTokenIds' | 'texts'> {
  // Empty strings are forwarded: vLLM embeds them, OpenAI and TEI refuse them; the upstream decides.
  if (typeof input === 'string') {
    if (input.length > maxInputChars) throw tooLong('input', input.length, maxInputChars);
    return { inputType: 'string', inputCount: 1, inputChars: input.length, inputTokenIds: undefined, texts: [input] };
  }
  if (!Array.isArray(input)) {
    throw invalid('input', "'input' must be a string, an array of strings, an array of token ids, or an array of token-id arrays.");
  }
  if (input.length === 0) throw invalid('input', "'input' must not be an empty array.");
  const first: unknown = input[0];
  if (typeof first === 'number') {
    if (!input.every(isTokenId)) throw invalid('input', "'input' token ids must all be non-negative integers.");
    return { inputType: 'tokens', inputCount: 1, inputChars: 0, inputTokenIds: input.length, texts: [] };
  }
  if (input.length > maxBatch) {
    throw new RelayError(
      'batch_too_large',
      `'input' has ${input.length} items; this relay accepts at most ${maxBatch} per request (RELAY_MAX_BATCH).`,
      { param: 'input' },
    );
  }
  if (typeof first === 'string') {
    let chars = 0;
    for (let i = 0; i < input.length; i++) {
      const item: unknown = input[i];
      if (typeof item !== 'string') throw invalid(`input[${i}]`, `'input[${i}]' must be a string like the other items.`);
      if (item.length > maxInputChars) throw tooLong(`input[${i}]`, item.length, maxInputChars);
      chars += item.length;
    }
    return { inputType: 'string_array', inputCount: input.length, inputChars: chars, inputTokenIds: undefined, texts: input as string[] };
  }
  if (Array.isArray(first)) {
    let tokens = 0;
    for (let i = 0; i < input.length; i++) {
      const item: unknown = input[i];
      if (!Array.isArray(item) || item.length === 0 || !item.every(isTokenId)) {
        throw invalid(`input[${i}]`, `'input[${i}]' must be a non-empty array of non-negative integer token ids.`);
      }
      tokens += item.length;
    }
    return { inputType: 'token_arrays', inputCount: input.length, inputChars: 0, inputTokenIds: tokens, texts: [] };
  }
  throw invalid('input', "'input' must be a string, an array of strings, an array of token ids, or an array of token-id arrays.");
}

/** JSON text → a value (throws invalid_json without echoing any of the body). */
export function parseJsonBody(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (err) {
    // V8's message quotes the start of the body; keep only the position so no input text is
    // echoed into logs or spans.
    const message = (err as Error).message;
    const position = /position (\d+)/.exec(message)?.[1];
    const where = position !== undefined ? ` (at byte ${position})` : /end of JSON input/.test(message) ? ' (it ends too early)' : '';
    throw new RelayError('invalid_json', `The request body is not valid JSON${where}.`, { cause: err });
  }
}

/** Model names longer than this are cut (with …) wherever the relay keeps one (the record): no
 *  model server uses such a name, and it becomes a span name, a metric label value and a log field. */
export const MODEL_NAME_MAX = 256;
export const boundedModelName = (model: string): string => (model.length <= MODEL_NAME_MAX ? model : `${model.slice(0, MODEL_NAME_MAX)}…`);

/** The model a parsed body names, bounded, when it names one (telemetry keeps it even when the
 *  request is then refused). */
export function requestedModel(json: unknown): string | undefined {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return undefined;
  const model = (json as Record<string, unknown>)['model'];
  return typeof model === 'string' && model !== '' ? boundedModelName(model) : undefined;
}

/** A parsed body → validated request. Throws RelayError (invalid_request, batch_too_large, input_too_long). */
export function validateEmbeddingRequest(json: unknown, maxBatch: number, maxInputChars = Number.POSITIVE_INFINITY): EmbeddingRequest {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new RelayError('invalid_request', 'The request body must be a JSON object.');
  }
  for (const required of ['model', 'input'] as const) {
    if ((json as Record<string, unknown>)[required] === undefined) throw invalid(required, `Missing required parameter: '${required}'.`);
  }
  const result = envelope.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const param = issue.path.map(String).join('.') || null;
    throw new RelayError('invalid_request', `'${param}' ${issue.message}.`, { param });
  }
  const { model, input, encoding_format, dimensions } = result.data;
  const extra = json as Record<string, unknown>;
  return {
    model,
    ...classifyInput(input, maxBatch, maxInputChars),
    encodingFormat: encoding_format ?? 'float',
    encodingFormatExplicit: encoding_format !== undefined,
    dimensions,
    vectorEncoding: requestedEncoding(extra['embed_dtype'], extra['endianness']),
    normalized: extra['use_activation'] !== false && extra['normalize'] !== false,
  };
}

/** JSON text → validated request. Throws RelayError (invalid_json, invalid_request, batch_too_large, input_too_long). */
export function parseEmbeddingRequest(body: Buffer, maxBatch: number, maxInputChars = Number.POSITIVE_INFINITY): EmbeddingRequest {
  return validateEmbeddingRequest(parseJsonBody(body), maxBatch, maxInputChars);
}
