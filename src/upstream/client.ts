// The upstream model server: one undici keep-alive Pool per relay, header hygiene in both
// directions, and undici's typed errors mapped to ours (failure.ts). instrumentation-undici (wired in
// telemetry/sdk.ts) makes each call a CLIENT span and injects `traceparent`.
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import { Pool, type Dispatcher } from 'undici';
import { upstreamFailure } from './failure.ts';

export interface UpstreamOptions {
  url: string;
  apiKey: string | undefined;
  /** Inbound auth is on: the client's Authorization/api-key hold the relay's key, never forwarded. */
  dropClientCredentials?: boolean;
  /** The SDK is off (OTEL_SDK_DISABLED=true): nothing injects a context, so pass the client's on. */
  forwardTraceContext?: boolean;
  connections: number;
  connectTimeoutMs: number;
  headersTimeoutMs: number;
  bodyTimeoutMs: number;
}

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/** Request headers the relay must not forward as they are. */
const DROP_REQUEST = new Set([
  ...HOP_BY_HOP,
  'host',
  'content-length', // undici sets it from the body
  'expect',
  // The relay inspects the body; ask for identity encoding so it can read it.
  'accept-encoding',
  // The trace context: see forwardRequestHeaders.
  'traceparent',
  'tracestate',
]);
const TRACE_CONTEXT = new Set(['traceparent', 'tracestate']);

/**
 * Headers for the upstream call. The trace context: with tracing on, instrumentation-undici injects
 * the relay's own span as the parent (a child of the client's), so the client's traceparent is not
 * copied. With OTEL_TRACES_EXPORTER=none the tracer is a no-op and the same injection passes the
 * client's context on unchanged; with OTEL_SDK_DISABLED=true nothing injects, so `forwardTraceContext`
 * copies it here. Either way a relay that does not trace is transparent (W3C Trace Context), and the
 * model server's spans join the client's trace.
 */
export function forwardRequestHeaders(
  incoming: IncomingHttpHeaders,
  apiKey: string | undefined,
  dropClientCredentials = false,
  forwardTraceContext = false,
): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(incoming)) {
    if (value === undefined || (DROP_REQUEST.has(name) && !(forwardTraceContext && TRACE_CONTEXT.has(name)))) continue;
    out[name] = value;
  }
  if (dropClientCredentials) {
    delete out['authorization'];
    delete out['api-key'];
  }
  if (apiKey !== undefined) {
    out['authorization'] = `Bearer ${apiKey}`;
    delete out['api-key'];
  }
  return out;
}

export function forwardResponseHeaders(upstream: Dispatcher.ResponseData['headers']): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(upstream)) {
    if (value === undefined || HOP_BY_HOP.has(name)) continue;
    out[name] = value;
  }
  return out;
}

/** Largest response header block taken from the upstream. undici's default is Node's 16 KiB, and
 *  vLLM's `metadata` header (encoding_format "bytes") has one entry per input, so a batch of a few
 *  hundred inputs overflows it (docs/servers.md) and 2048 inputs need far more. The upstream is
 *  trusted; this bounds it still. */
export const UPSTREAM_MAX_HEADER_BYTES = 1024 * 1024;

/** An upstream answer: status, headers, and the body as a stream. */
export type UpstreamResponse = Dispatcher.ResponseData;

export class Upstream {
  readonly origin: string;
  readonly basePath: string;
  /** The server's own root: the base path less a trailing /v1, where vLLM, TEI and Infinity serve
   *  their routes besides the OpenAI ones (/rerank, /tokenize, /info). */
  readonly rootPath: string;
  readonly address: string;
  readonly port: number;
  readonly #pool: Pool;
  readonly #opts: UpstreamOptions;

  constructor(opts: UpstreamOptions) {
    const url = new URL(opts.url);
    this.origin = url.origin;
    this.basePath = url.pathname.replace(/\/+$/, '');
    this.rootPath = this.basePath.replace(/\/v1$/, '');
    this.address = url.hostname.replace(/^\[|\]$/g, '');
    this.port = url.port !== '' ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
    this.#opts = opts;
    this.#pool = new Pool(this.origin, {
      connections: opts.connections,
      maxHeaderSize: UPSTREAM_MAX_HEADER_BYTES,
      connect: { timeout: opts.connectTimeoutMs },
      headersTimeout: opts.headersTimeoutMs,
      bodyTimeout: opts.bodyTimeoutMs,
    });
  }

  /** Sends a request to `{base}{path}` (`from: 'root'`: `{root}{path}`). Rejects with a RelayError
   *  (failure.ts) when no response headers arrive. */
  async request(
    method: 'GET' | 'POST' | 'HEAD',
    path: string,
    headers: IncomingHttpHeaders,
    body: Buffer | undefined,
    signal: AbortSignal,
    from: 'base' | 'root' = 'base',
  ): Promise<UpstreamResponse> {
    try {
      return await this.#pool.request({
        method,
        path: (from === 'base' ? this.basePath : this.rootPath) + path,
        headers: forwardRequestHeaders(headers, this.#opts.apiKey, this.#opts.dropClientCredentials, this.#opts.forwardTraceContext),
        body,
        signal,
      });
    } catch (err) {
      throw upstreamFailure(err, 'dispatch');
    }
  }

  close(): Promise<void> {
    return this.#pool.close();
  }
}
