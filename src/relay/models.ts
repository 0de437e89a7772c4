// GET /v1/models: passed through to the upstream unchanged (after inbound auth).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { toRelayError, writeError } from '../core/errors.ts';
import { authorize, type InboundAuth } from './auth.ts';
import { forwardResponseHeaders, type Upstream } from '../upstream/client.ts';

export function modelsPassThrough(
  upstream: Upstream,
  auth: InboundAuth | undefined,
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  return async (req, res) => {
    try {
      authorize(auth, req);
    } catch (err) {
      return writeError(res, toRelayError(err));
    }
    const abort = new AbortController();
    res.once('close', () => abort.abort());
    try {
      const up = await upstream.request('GET', '/models', req.headers, undefined, abort.signal);
      res.writeHead(up.statusCode, forwardResponseHeaders(up.headers));
      await pipeline(up.body, res);
    } catch (err) {
      if (!abort.signal.aborted) writeError(res, toRelayError(err));
    }
  };
}
