// Typed failures with a stable `code`. `code` is what error.type carries in telemetry, so it must
// stay low-cardinality: never put a message, a model name or a value in it.
// `writeError` is the one place a failure becomes an OpenAI-style JSON body.
import { sendJson } from './send-json.ts';
import type { ServerResponse } from 'node:http';

export type ErrorCode =
  | 'invalid_json'
  | 'invalid_request'
  | 'batch_too_large'
  | 'input_too_long'
  | 'body_too_large'
  | 'method_not_allowed'
  | 'not_found'
  | 'request_timeout'
  | 'headers_too_large'
  | 'invalid_api_key'
  | 'upstream_unreachable'
  | 'upstream_timeout'
  | 'upstream_response_error'
  | 'client_aborted'
  | 'overloaded'
  | 'internal_error';

/** Why a request got 503 overloaded (relay/admission.ts): low-cardinality, like the codes. */
export const SHED_REASONS = ['queue_full', 'queue_timeout', 'body_over_budget'] as const;
export type ShedReason = (typeof SHED_REASONS)[number];

const STATUS: Record<ErrorCode, number> = {
  invalid_json: 400,
  invalid_request: 400,
  batch_too_large: 400,
  input_too_long: 400,
  body_too_large: 413,
  method_not_allowed: 405,
  not_found: 404,
  request_timeout: 408,
  headers_too_large: 431,
  invalid_api_key: 401,
  upstream_unreachable: 502,
  upstream_timeout: 504,
  upstream_response_error: 502,
  // 499 (nginx's "client closed request"): never sent, only recorded.
  client_aborted: 499,
  overloaded: 503,
  internal_error: 500,
};

/** The rest of a refused upload, read and discarded after the refusal was answered
 *  (protocol/body.ts): the client is never reset mid-upload. */
export interface DiscardedUpload {
  /** Settles when the upload ended ('drained': the connection may stay) or a bound was hit ('bound': close). */
  readonly drained: Promise<'drained' | 'bound'>;
  /** The model the part read so far names, bounded as the record keeps it. */
  readonly model: string | undefined;
}

export interface RelayErrorOptions {
  param?: string | null;
  cause?: unknown;
  /** Headers its answer carries besides errorHeaders' (Retry-After). */
  headers?: Record<string, string>;
  /** Set when the request's body was refused while the client may still be sending it. */
  upload?: DiscardedUpload;
}

export class RelayError extends Error {
  override name = 'RelayError';
  readonly code: ErrorCode;
  readonly status: number;
  readonly param: string | null;
  readonly headers: Record<string, string>;
  readonly upload: DiscardedUpload | undefined;

  constructor(code: ErrorCode, message: string, options: RelayErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.code = code;
    this.status = STATUS[code];
    this.param = options.param ?? null;
    this.headers = options.headers ?? {};
    this.upload = options.upload;
  }
}

/** Anything thrown becomes a RelayError; unknown errors are internal and their text is not shown. */
export function toRelayError(err: unknown): RelayError {
  if (err instanceof RelayError) return err;
  return new RelayError('internal_error', 'The relay failed to handle this request.', { cause: err });
}

export interface OpenAIErrorBody {
  error: { message: string; type: string; param: string | null; code: string };
}

export function errorBody(err: RelayError): OpenAIErrorBody {
  return {
    error: {
      message: err.message,
      type: err.status >= 500 ? 'server_error' : 'invalid_request_error',
      param: err.param,
      code: err.code,
    },
  };
}

/** Headers an error's response carries because of what it is. */
const CODE_HEADERS: Partial<Record<ErrorCode, Record<string, string>>> = {
  body_too_large: { connection: 'close' },
  method_not_allowed: { allow: 'POST' },
  invalid_api_key: { 'www-authenticate': 'Bearer realm="embedding-relay"' },
};

/** Headers an error's response carries: its code's, then the error's own (Retry-After). */
export function errorHeaders(err: RelayError): Record<string, string> {
  return { ...CODE_HEADERS[err.code], ...err.headers };
}

/**
 * Writes the error (with errorHeaders, then `extraHeaders`) if the response has not started;
 * otherwise the only honest move is to cut it. `endAfter`: the whole response is written at once,
 * but the response (and, with `connection: close`, the socket) ends only when it settles (a refused
 * upload's lingering close).
 */
export function writeError(
  res: ServerResponse,
  err: RelayError,
  extraHeaders: Record<string, string> = {},
  endAfter?: Promise<unknown>,
): void {
  if (res.headersSent) {
    res.destroy(err);
    return;
  }
  const headers = { ...errorHeaders(err), ...extraHeaders };
  if (endAfter === undefined) {
    sendJson(res, err.status, errorBody(err), headers);
    return;
  }
  const body = JSON.stringify(errorBody(err));
  res.writeHead(err.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers });
  res.write(body);
  void endAfter.finally(() => res.end());
}

const REASON: Partial<Record<number, string>> = { 400: 'Bad Request', 408: 'Request Timeout', 431: 'Request Header Fields Too Large' };

/** A whole HTTP/1.1 error response for a socket that never became a request (Node's clientError:
 *  slow headers, oversized headers, malformed HTTP): same OpenAI-style body, then close. */
export function rawErrorResponse(err: RelayError): string {
  const body = JSON.stringify(errorBody(err));
  return `HTTP/1.1 ${err.status} ${REASON[err.status] ?? 'Error'}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`;
}

/** Node's clientError → the relay's error (stable code, no client-supplied text). */
export function clientErrorToRelayError(err: NodeJS.ErrnoException): RelayError {
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') return new RelayError('request_timeout', 'The request did not arrive in time.');
  if (err.code === 'HPE_HEADER_OVERFLOW') return new RelayError('headers_too_large', 'The request headers are too large.');
  return new RelayError('invalid_request', 'Malformed HTTP request.');
}
