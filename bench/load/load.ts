// Load shape (a): maximum throughput with a fixed number of keep-alive connections, by autocannon
// (closed loop: each connection sends its next request when the previous answer has arrived).
import autocannon from 'autocannon';
import type { Percentiles } from './samples.ts';
import { Samples } from './samples.ts';
import { Progress } from './progress.ts';

export interface LoadRequest {
  origin: string;
  path: string;
  headers: Record<string, string>;
  body: Buffer;
}

export interface LoadResult {
  durationS: number;
  /** Requests sent (some may have been cut off in flight when the phase ended). */
  sent: number;
  /** Completed responses, any status. */
  responses: number;
  rps: number;
  non2xx: number;
  /** Connection errors and timeouts. */
  errors: number;
  /** Over all completed responses (the errors scenario's 503s included). */
  latencyMs: Percentiles;
}

const fmt = (n: number) => n.toFixed(0).padStart(6);

export function maxThroughput(req: LoadRequest, connections: number, durationS: number, label: string): Promise<LoadResult> {
  const samples = new Samples();
  let non2xx = 0;
  let lastCount = 0;
  let elapsed = 0;
  const progress = new Progress(label);
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: req.origin + req.path,
        method: 'POST',
        headers: req.headers,
        body: req.body,
        connections,
        duration: durationS,
        timeout: 30,
      },
      (err: Error | null, result: autocannon.Result) => {
        if (err) return reject(err);
        const responses = samples.count;
        const r: LoadResult = {
          durationS: result.duration,
          sent: result.requests.sent,
          responses,
          rps: responses / result.duration,
          non2xx,
          errors: result.errors,
          latencyMs: samples.percentiles(),
        };
        progress.done(
          `${fmt(r.rps)} req/s  p50 ${r.latencyMs.p50.toFixed(2)} ms  p99 ${r.latencyMs.p99.toFixed(2)} ms` +
            (non2xx || r.errors ? `  non-2xx ${non2xx}  errors ${r.errors}` : ''),
        );
        resolve(r);
      },
    );
    instance.on('response', (_client: autocannon.Client, status: number, _bytes: number, ms: number) => {
      samples.add(ms);
      if (status < 200 || status > 299) non2xx++;
    });
    instance.on('tick', () => {
      elapsed++;
      const now = samples.count;
      progress.update(`${elapsed}/${durationS} s  ${fmt(now - lastCount)} req/s  (${connections} connections)`);
      lastCount = now;
    });
  });
}
