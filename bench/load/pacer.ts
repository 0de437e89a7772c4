// Load shapes (b) and (c): a fixed request rate, paced evenly (open loop). autocannon's
// overallRate is not used here: it lets every connection fire its per-second quota back to back at
// the start of each second and then idle, so its latencies are those of full-concurrency bursts.
// Here request i is due at start + i/rate and goes out on the first idle keep-alive connection; its
// latency runs from that due time, so queueing behind a slow target counts (no coordinated
// omission). A target that falls more than a second behind is saturated: the phase stops there
// (its latency would only measure the growing queue) and is reported as such.
import { Connection, wireRequest } from './connection.ts';
import type { LoadResult, LoadRequest } from './load.ts';
import { Progress } from './progress.ts';
import { Samples } from './samples.ts';

export interface PacedResult extends LoadResult {
  targetRps: number;
  /** Worst lateness of the pacer itself in sending a request (ms): a busy load generator shows here. */
  maxSendLagMs: number;
  /** The target fell more than a second behind the rate; the phase was cut short. */
  saturated: boolean;
}

export async function fixedRate(
  req: LoadRequest,
  rps: number,
  durationS: number,
  connections: number,
  label: string,
): Promise<PacedResult> {
  const wire = wireRequest(req.origin, req.path, req.headers, req.body);
  const all = Array.from({ length: connections }, () => new Connection(req.origin, wire));
  const idle = [...all];
  const queue: number[] = []; // due times of requests waiting for a connection
  const samples = new Samples();
  const progress = new Progress(label);
  const total = Math.max(2, Math.round(rps * durationS));
  let sent = 0;
  let inFlight = 0;
  let non2xx = 0;
  let errors = 0;
  let maxSendLagMs = 0;
  let lastCount = 0;
  let sending = true;
  let onIdle = () => {};

  const run = (conn: Connection, due: number) => {
    inFlight++;
    conn.send().then(
      (x) => {
        samples.add(x.doneAt - due);
        if (x.status < 200 || x.status > 299) non2xx++;
        next(conn);
      },
      () => {
        errors++;
        next(conn);
      },
    );
  };
  const next = (conn: Connection) => {
    inFlight--;
    const due = queue.shift();
    if (due === undefined) idle.push(conn);
    else run(conn, due);
    if (!sending && inFlight === 0) onIdle();
  };

  const start = performance.now();
  const ticker = setInterval(() => {
    const s = Math.round((performance.now() - start) / 1000);
    const count = samples.count + errors;
    progress.update(`${s}/${durationS} s  ${String(count - lastCount).padStart(6)} req/s of ${rps}  waiting ${queue.length}`);
    lastCount = count;
  }, 1000);
  let saturated = false;
  const doneWhileSending = await new Promise<number>((resolve) => {
    const tick = () => {
      const now = performance.now();
      const due = Math.min(total, Math.floor(((now - start) * rps) / 1000) + 1);
      while (sent < due) {
        const at = start + (sent * 1000) / rps;
        maxSendLagMs = Math.max(maxSendLagMs, now - at);
        sent++;
        const conn = idle.pop();
        if (conn) run(conn, at);
        else queue.push(at);
      }
      saturated = queue.length > Math.max(50, rps);
      if (sent < total && !saturated) setTimeout(tick, 1);
      else resolve(samples.count + errors);
    };
    tick();
  });
  const sendingS = (performance.now() - start) / 1000;
  sending = false;
  // A saturated target: drop what still waits for a connection (never sent). Then let the
  // requests in flight finish (bounded, in case a target hangs).
  if (saturated) {
    sent -= queue.length;
    queue.length = 0;
  }
  const drained = new Promise<void>((resolve) => {
    onIdle = resolve;
    if (inFlight === 0 && queue.length === 0) resolve();
  });
  const limit = setTimeout(() => {
    queue.length = 0;
    for (const c of all) c.close();
  }, 15_000);
  await drained;
  clearTimeout(limit);
  clearInterval(ticker);
  for (const c of all) c.close();
  const latencyMs = samples.percentiles();
  const r: PacedResult = {
    targetRps: rps,
    durationS: sendingS,
    sent,
    responses: samples.count,
    // Answers completed while requests were still being sent: a target that keeps up completes
    // all but the few in flight at the end.
    rps: doneWhileSending / (saturated ? sendingS : (total - 1) / rps),
    non2xx,
    errors,
    latencyMs,
    maxSendLagMs,
    saturated,
  };
  progress.done(
    saturated
      ? `${r.rps.toFixed(0).padStart(6)} req/s of ${rps}: saturated (a second behind after ${sendingS.toFixed(1)} s), stopped`
      : `${r.rps.toFixed(0).padStart(6)} req/s of ${rps}  p50 ${latencyMs.p50.toFixed(2)} ms  p99 ${latencyMs.p99.toFixed(2)} ms` +
          (non2xx || errors ? `  non-2xx ${non2xx}  errors ${errors}` : ''),
  );
  return r;
}
