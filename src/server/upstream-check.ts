// One look at the upstream at start-up: is it reachable, and which models does it list? The
// banner uses the answer for an example call that works, and warns once when nothing answers.
import { PROBE_HEADER } from '../core/headers.ts';
import type { Upstream, UpstreamResponse } from '../upstream/client.ts';

export type UpstreamCheck =
  | { reachable: true; status: number; models: string[] /** each model's `owned_by`, where given */; ownedBy: string[] }
  | { reachable: false; reason: string };

/** The model list is read up to this size (OpenAI's is about 100 entries, a few KB). */
const MAX_LIST_BYTES = 1024 * 1024;

async function readCapped(body: AsyncIterable<Buffer>): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > MAX_LIST_BYTES) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export async function checkUpstream(upstream: Upstream, timeoutMs: number): Promise<UpstreamCheck> {
  const signal = AbortSignal.timeout(timeoutMs);
  let res: UpstreamResponse;
  try {
    res = await upstream.request('GET', '/models', { [PROBE_HEADER]: 'startup' }, undefined, signal);
  } catch (err) {
    const cause = (err as { cause?: { code?: unknown; message?: string; name?: string } }).cause;
    const reason =
      cause?.name === 'TimeoutError' || signal.aborted
        ? `no answer within ${timeoutMs} ms`
        : typeof cause?.code === 'string'
          ? cause.code
          : (cause?.message ?? String(err));
    return { reachable: false, reason };
  }
  // It answered: whatever happens to the body, it is reachable.
  let models: string[] = [];
  let ownedBy: string[] = [];
  try {
    const text = await readCapped(res.body);
    if (res.statusCode === 200 && text !== undefined) {
      const body = JSON.parse(text) as { data?: { id?: unknown; owned_by?: unknown }[] };
      models = (body.data ?? []).map((m) => m.id).filter((id): id is string => typeof id === 'string');
      ownedBy = (body.data ?? []).map((m) => m.owned_by).filter((o): o is string => typeof o === 'string');
    } else {
      res.body.destroy();
    }
  } catch {
    // Not OpenAI's list shape, or the body broke off: reachable all the same.
  }
  return { reachable: true, status: res.statusCode, models, ownedBy };
}
