// GET /readyz: ready when the upstream answers. One upstream probe is shared by concurrent calls
// and reused for 1 s: /readyz is open (no API key), so a flood of probes must not take the
// upstream pool from real requests.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendJson } from '../core/send-json.ts';
import { PROBE_HEADER } from '../core/headers.ts';
import type { Upstream } from '../upstream/client.ts';

const REUSE_MS = 1_000;

export function readinessProbe(upstream: Upstream, timeoutMs = 2_000): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  let probe: { at: number; result: Promise<number | undefined> } | undefined;

  /** The upstream's HTTP status for GET /models, or undefined when it did not answer. */
  function probeUpstream(): Promise<number | undefined> {
    if (probe && performance.now() - probe.at < REUSE_MS) return probe.result;
    const result = upstream.request('GET', '/models', { [PROBE_HEADER]: 'readyz' }, undefined, AbortSignal.timeout(timeoutMs)).then(
      async (up) => {
        await up.body.dump();
        return up.statusCode;
      },
      () => undefined,
    );
    probe = { at: performance.now(), result };
    return result;
  }

  return async (_req, res) => {
    const status = await probeUpstream();
    // Any HTTP answer means the upstream is reachable (some servers have no /models).
    if (status !== undefined) sendJson(res, 200, { status: 'ready', upstream: { reachable: true, status } });
    else sendJson(res, 503, { status: 'not_ready', upstream: { reachable: false } });
  };
}
