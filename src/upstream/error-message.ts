// The reason an upstream gave for a 4xx/5xx, for the log line and the span: the client gets the
// upstream's body unchanged; telemetry keeps its message, bounded and without input text, so
// "context length exceeded" and "token id out of vocabulary" can be told apart in Loki and Tempo.
// Shapes understood: OpenAI / vLLM `{"error":{"message"}}`, TEI `{"error":"…"}`, `{"message"}`,
// FastAPI / Infinity `{"detail":"…"|[{"msg"}]}`, and plain text.

/** Body bytes kept to find the message (error bodies are small; a larger one is cut). */
export const ERROR_BODY_MAX_BYTES = 16 * 1024;
/** Longest message kept, in characters. */
export const ERROR_MESSAGE_MAX_CHARS = 300;
/** Inputs shorter than this are not searched for (they would blank out ordinary words). */
const REDACT_MIN_CHARS = 3;

/** Collects the first ERROR_BODY_MAX_BYTES of a body as it streams past. */
export class ErrorBodyCapture {
  readonly #chunks: Buffer[] = [];
  #bytes = 0;

  push(chunk: Buffer): void {
    if (this.#bytes >= ERROR_BODY_MAX_BYTES) return;
    const part = chunk.subarray(0, ERROR_BODY_MAX_BYTES - this.#bytes);
    this.#chunks.push(part);
    this.#bytes += part.length;
  }

  /** The upstream's message (upstreamErrorMessage); a body cut at the bound gives none, since a
   *  cut could fall inside an echoed input that then would not match whole for redaction. */
  message(inputs: readonly string[]): string | undefined {
    return this.#bytes >= ERROR_BODY_MAX_BYTES ? undefined : upstreamErrorMessage(Buffer.concat(this.#chunks, this.#bytes), inputs);
  }
}

function messageOf(json: unknown): string | undefined {
  if (typeof json !== 'object' || json === null) return typeof json === 'string' ? json : undefined;
  const o = json as Record<string, unknown>;
  const error = o['error'];
  if (typeof error === 'string') return error;
  if (typeof error === 'object' && error !== null && typeof (error as Record<string, unknown>)['message'] === 'string')
    return (error as Record<string, string>)['message'];
  if (typeof o['message'] === 'string') return o['message'];
  const detail = o['detail'];
  if (typeof detail === 'string') return detail;
  if (Array.isArray(detail)) {
    const msgs = detail.map((d: unknown) =>
      typeof d === 'object' && d !== null && typeof (d as Record<string, unknown>)['msg'] === 'string'
        ? (d as Record<string, string>)['msg']
        : undefined,
    );
    const known = msgs.filter((m): m is string => m !== undefined);
    if (known.length > 0) return known.join('; ');
  }
  return undefined;
}

/**
 * The upstream's error message from its body: parsed when JSON, else the text itself (not HTML).
 * Every occurrence of a request input (of REDACT_MIN_CHARS or more) becomes `<input>`, whitespace
 * runs become one space, and the result is cut to ERROR_MESSAGE_MAX_CHARS. Undefined when the
 * body says nothing usable.
 */
export function upstreamErrorMessage(body: Buffer, inputs: readonly string[]): string | undefined {
  const text = body.toString('utf8');
  let message: string | undefined;
  try {
    message = messageOf(JSON.parse(text));
  } catch {
    message = /^\s*</.test(text) ? undefined : text;
  }
  if (message === undefined) return undefined;
  // Longest first, so an input that contains another is replaced whole.
  for (const input of [...new Set(inputs)].filter((i) => i.length >= REDACT_MIN_CHARS).sort((a, b) => b.length - a.length)) {
    message = message.replaceAll(input, '<input>');
  }
  message = message.replace(/\s+/g, ' ').trim();
  if (message === '') return undefined;
  return message.length <= ERROR_MESSAGE_MAX_CHARS ? message : `${message.slice(0, ERROR_MESSAGE_MAX_CHARS)}…`;
}
