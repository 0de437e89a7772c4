// One look at the upstream at start-up: is it reachable, and which models does it list? The
// banner uses the answer for an example call that works, and warns once when nothing answers.
import { PROBE_HEADER } from './relay.ts';
import type { Upstream } from './upstream.ts';

export type UpstreamCheck =
  | { reachable: true; status: number; models: string[] }
  | { reachable: false; reason: string };

export async function checkUpstream(upstream: Upstream, timeoutMs: number): Promise<UpstreamCheck> {
  try {
    const res = await upstream.request('GET', '/models', { [PROBE_HEADER]: 'startup' }, undefined, AbortSignal.timeout(timeoutMs));
    const text = await res.body.text();
    let models: string[] = [];
    if (res.statusCode === 200) {
      try {
        const body = JSON.parse(text) as { data?: { id?: unknown }[] };
        models = (body.data ?? []).map((m) => m.id).filter((id): id is string => typeof id === 'string');
      } catch {
        // Not OpenAI's list shape: reachable all the same.
      }
    }
    return { reachable: true, status: res.statusCode, models };
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string; name?: string } }).cause;
    return { reachable: false, reason: cause?.code ?? (cause?.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : (cause?.message ?? String(err))) };
  }
}
