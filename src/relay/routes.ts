// The routes the relay serves besides its probes and /v1/models: each GenAI operation under every
// path its servers use, and the model server's other routes from the pass-through allow-list
// (config/pass-through-routes.ts). A route says what the request is (gen_ai.operation.name, or none:
// HTTP only) and where it goes on the upstream. The upstream URL is an OpenAI base URL
// (http://vllm:8000/v1): a /v1/... path goes under it, any other path under the server's root.
import type { Operation } from '../core/record.ts';

export interface Route {
  /** The path as clients send it, and the span's http.route. */
  readonly path: string;
  /** The GenAI operation; undefined for a passed-on route (HTTP telemetry only). */
  readonly operation: Operation | undefined;
  /** Where it goes on the upstream: under the base URL or the server's root. */
  readonly from: 'base' | 'root';
  readonly upstreamPath: string;
}

/** The GenAI operations: embeddings (OpenAI, with or without /v1 in the client's base URL), rerank
 *  (vLLM's three spellings: /v1/rerank, /rerank and the Cohere-style /v2/rerank; TEI's and
 *  Infinity's /rerank) and score (vLLM). */
const OPERATION_ROUTES: readonly Route[] = [
  { path: '/v1/embeddings', operation: 'embeddings', from: 'base', upstreamPath: '/embeddings' },
  { path: '/embeddings', operation: 'embeddings', from: 'base', upstreamPath: '/embeddings' },
  { path: '/v1/rerank', operation: 'rerank', from: 'base', upstreamPath: '/rerank' },
  { path: '/rerank', operation: 'rerank', from: 'root', upstreamPath: '/rerank' },
  { path: '/v2/rerank', operation: 'rerank', from: 'root', upstreamPath: '/v2/rerank' },
  { path: '/v1/score', operation: 'score', from: 'base', upstreamPath: '/score' },
  { path: '/score', operation: 'score', from: 'root', upstreamPath: '/score' },
];

export function routeTable(passThrough: readonly string[]): Map<string, Route> {
  const table = new Map<string, Route>(OPERATION_ROUTES.map((r) => [r.path, r]));
  for (const path of passThrough) {
    if (table.has(path)) continue;
    const underBase = path.startsWith('/v1/');
    table.set(path, { path, operation: undefined, from: underBase ? 'base' : 'root', upstreamPath: underBase ? path.slice(3) : path });
  }
  return table;
}
