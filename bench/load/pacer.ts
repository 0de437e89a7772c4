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
  const run = new PacedRun(req, rps, Math.max(2, Math.round(rps * durationS)), connections);
  const progress = new Progress(label);
  const ticker = setInterval(() => progress.update(run.progressLine(durationS)), 1000);
  const doneWhileSending = await run.pace();
  const sendingS = (performance.now() - run.start) / 1000;
  await run.drain();
  clearInterval(ticker);
  const r = run.result(sendingS, doneWhileSending);
  const { latencyMs, non2xx, errors } = r;
  progress.done(
    r.saturated
      ? `${r.rps.toFixed(0).padStart(6)} req/s of ${rps}: saturated (a second behind after ${sendingS.toFixed(1)} s), stopped`
      : `${r.rps.toFixed(0).padStart(6)} req/s of ${rps}  p50 ${latencyMs.p50.toFixed(2)} ms  p99 ${latencyMs.p99.toFixed(2)} ms` +
          (non2xx || errors ? `  non-2xx ${non2xx}  errors ${errors}` : ''),
  );
  return r;
}

/** One phase at a fixed rate: the requests due so far go out on idle connections, or wait for one. */
class PacedRun {
  readonly start = performance.now();
  readonly #all: Connection[];
  readonly #idle: Connection[];
  readonly #queue: number[] = []; // due times of requests waiting for a connection
  readonly #samples = new Samples();
  readonly #rps: number;
  readonly #total: number;
  #sent = 0;
  #inFlight = 0;
  #non2xx = 0;
  #errors = 0;
  #maxSendLagMs = 0;
  #lastCount = 0;
  #sending = true;
  #saturated = false;
  #onIdle = () => {};

  constructor(req: LoadRequest, rps: number, total: number, connections: number) {
    const wire = wireRequest(req.origin, req.path, req.headers, req.body);
    this.#all = Array.from({ length: connections }, () => new Connection(req.origin, wire));
    this.#idle = [...this.#all];
    this.#rps = rps;
    this.#total = total;
  }

  progressLine(durationS: number): string {
    const s = Math.round((performance.now() - this.start) / 1000);
    const count = this.#samples.count + this.#errors;
    const line = `${s}/${durationS} s  ${String(count - this.#lastCount).padStart(6)} req/s of ${this.#rps}  waiting ${this.#queue.length}`;
    this.#lastCount = count;
    return line;
  }

  /** Sends every request at its due time until all are sent or the target is saturated; resolves
   *  with the answers completed by then. */
  pace(): Promise<number> {
    return new Promise<number>((resolve) => {
      const tick = () => {
        const now = performance.now();
        const due = Math.min(this.#total, Math.floor(((now - this.start) * this.#rps) / 1000) + 1);
        while (this.#sent < due) {
          const at = this.start + (this.#sent * 1000) / this.#rps;
          this.#maxSendLagMs = Math.max(this.#maxSendLagMs, now - at);
          this.#sent++;
          const conn = this.#idle.pop();
          if (conn) this.#run(conn, at);
          else this.#queue.push(at);
        }
        this.#saturated = this.#queue.length > Math.max(50, this.#rps);
        if (this.#sent < this.#total && !this.#saturated) setTimeout(tick, 1);
        else resolve(this.#samples.count + this.#errors);
      };
      tick();
    });
  }

  /** A saturated target: drop what still waits for a connection (never sent). Then let the
   *  requests in flight finish (bounded, in case a target hangs). */
  async drain(): Promise<void> {
    this.#sending = false;
    if (this.#saturated) {
      this.#sent -= this.#queue.length;
      this.#queue.length = 0;
    }
    const drained = new Promise<void>((resolve) => {
      this.#onIdle = resolve;
      if (this.#inFlight === 0 && this.#queue.length === 0) resolve();
    });
    const limit = setTimeout(() => {
      this.#queue.length = 0;
      for (const c of this.#all) c.close();
    }, 15_000);
    await drained;
    clearTimeout(limit);
    for (const c of this.#all) c.close();
  }

  result(sendingS: number, doneWhileSending: number): PacedResult {
    return {
      targetRps: this.#rps,
      durationS: sendingS,
      sent: this.#sent,
      responses: this.#samples.count,
      // Answers completed while requests were still being sent: a target that keeps up completes
      // all but the few in flight at the end.
      rps: doneWhileSending / (this.#saturated ? sendingS : (this.#total - 1) / this.#rps),
      non2xx: this.#non2xx,
      errors: this.#errors,
      latencyMs: this.#samples.percentiles(),
      maxSendLagMs: this.#maxSendLagMs,
      saturated: this.#saturated,
    };
  }

  #run(conn: Connection, due: number): void {
    this.#inFlight++;
    conn.send().then(
      (x) => {
        this.#samples.add(x.doneAt - due);
        if (x.status < 200 || x.status > 299) this.#non2xx++;
        this.#next(conn);
      },
      () => {
        this.#errors++;
        this.#next(conn);
      },
    );
  }

  #next(conn: Connection): void {
    this.#inFlight--;
    const due = this.#queue.shift();
    if (due === undefined) this.#idle.push(conn);
    else this.#run(conn, due);
    if (!this.#sending && this.#inFlight === 0) this.#onIdle();
  }
}
