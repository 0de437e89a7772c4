// The soak's load: one fixed total rate, paced evenly (open loop) like pacer.ts, but as a mix of
// request kinds (each a pre-serialised request with the statuses it may get), spread evenly over the
// sequence by smooth weighted round-robin. pacer.ts's fixedRate sends one request body and counts
// only "non-2xx"; a soak needs every status counted per kind, every connection error and timeout
// named, and no end time (it runs until stop()).
// Each kind has its own keep-alive connections (Connection sends one fixed request), used
// round-robin (FIFO) so none idles past the relay's keep-alive timeout (5 s) and races its close.
import { Connection, wireRequest } from '../load/connection.ts';
import { Samples } from '../load/samples.ts';

export interface RequestKind {
  name: string;
  path: string;
  headers: Record<string, string>;
  body: Buffer;
  /** Share of the requests (relative to the other kinds' weights). */
  weight: number;
  /** Statuses this kind is planned to get; anything else is an unexpected error. */
  expected: readonly number[];
  connections: number;
}

export interface KindCounts {
  sent: number;
  /** Responses by status code. */
  statuses: Record<string, number>;
  /** Connection errors and resets, by message. */
  errors: Record<string, number>;
  /** Requests without a complete answer within the timeout (their connection is closed). */
  timeouts: number;
}

interface Lane {
  kind: RequestKind;
  idle: Connection[];
  all: Connection[];
  /** Due times of requests waiting for a free connection of this kind. */
  waiting: number[];
  counts: KindCounts;
  /** Smooth weighted round-robin state. */
  current: number;
}

export class MixedLoad {
  readonly #lanes: Lane[];
  readonly #rate: number;
  readonly #timeoutMs: number;
  readonly #weights: number;
  readonly latency = new Samples();
  #start = 0;
  #sent = 0;
  #inFlight = 0;
  #timer: NodeJS.Timeout | undefined;
  #stopping = false;
  #onIdle = () => {};
  /** Worst lateness of the pacer itself in sending a request (ms): a busy load generator shows here. */
  maxSendLagMs = 0;
  /** More than a second's worth of requests waited for a connection: the target fell behind. */
  saturated = false;

  constructor(origin: string, kinds: RequestKind[], rate: number, timeoutMs: number) {
    this.#rate = rate;
    this.#timeoutMs = timeoutMs;
    this.#weights = kinds.reduce((n, k) => n + k.weight, 0);
    this.#lanes = kinds.map((kind) => {
      const wire = wireRequest(origin, kind.path, kind.headers, kind.body);
      const all = Array.from({ length: kind.connections }, () => new Connection(origin, wire));
      return { kind, all, idle: [...all], waiting: [], counts: { sent: 0, statuses: {}, errors: {}, timeouts: 0 }, current: 0 };
    });
  }

  get sent(): number {
    return this.#sent;
  }

  /** Answered (any status) + failed so far. */
  get completed(): number {
    return this.#lanes.reduce(
      (n, l) => n + Object.values(l.counts.statuses).reduce((a, b) => a + b, 0) + l.counts.timeouts + errorCount(l.counts),
      0,
    );
  }

  get waiting(): number {
    return this.#lanes.reduce((n, l) => n + l.waiting.length, 0);
  }

  counts(): Record<string, KindCounts> {
    return Object.fromEntries(this.#lanes.map((l) => [l.kind.name, l.counts]));
  }

  start(): void {
    this.#start = performance.now();
    const tick = () => {
      if (this.#stopping) return;
      const now = performance.now();
      const due = Math.floor(((now - this.#start) * this.#rate) / 1000) + 1;
      while (this.#sent < due) {
        const at = this.#start + (this.#sent * 1000) / this.#rate;
        this.maxSendLagMs = Math.max(this.maxSendLagMs, now - at);
        this.#sent++;
        const lane = this.#pick();
        lane.counts.sent++;
        const conn = lane.idle.shift();
        if (conn) this.#run(lane, conn, at);
        else lane.waiting.push(at);
      }
      if (this.waiting > Math.max(50, this.#rate)) this.saturated = true;
      this.#timer = setTimeout(tick, 1);
    };
    tick();
  }

  /** Stops sending; resolves when every request sent has been answered, failed or timed out. */
  stop(): Promise<void> {
    this.#stopping = true;
    clearTimeout(this.#timer);
    return new Promise((resolve) => {
      this.#onIdle = () => {
        for (const l of this.#lanes) for (const c of l.all) c.close();
        resolve();
      };
      if (this.#inFlight === 0 && this.waiting === 0) this.#onIdle();
    });
  }

  /** Smooth weighted round-robin (nginx's): an even, deterministic interleaving of the kinds. */
  #pick(): Lane {
    let best = this.#lanes[0]!;
    for (const l of this.#lanes) {
      l.current += l.kind.weight;
      if (l.current > best.current) best = l;
    }
    best.current -= this.#weights;
    return best;
  }

  #run(lane: Lane, conn: Connection, due: number): void {
    this.#inFlight++;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      conn.close(); // rejects the pending exchange; the connection reopens on its next send
    }, this.#timeoutMs);
    conn.send().then(
      (x) => {
        clearTimeout(timer);
        this.latency.add(x.doneAt - due);
        lane.counts.statuses[x.status] = (lane.counts.statuses[x.status] ?? 0) + 1;
        this.#next(lane, conn);
      },
      (err: Error) => {
        clearTimeout(timer);
        if (timedOut) lane.counts.timeouts++;
        else lane.counts.errors[err.message] = (lane.counts.errors[err.message] ?? 0) + 1;
        this.#next(lane, conn);
      },
    );
  }

  #next(lane: Lane, conn: Connection): void {
    this.#inFlight--;
    const due = lane.waiting.shift();
    if (due === undefined) lane.idle.push(conn);
    else this.#run(lane, conn, due);
    if (this.#stopping && this.#inFlight === 0 && this.waiting === 0) this.#onIdle();
  }
}

export const errorCount = (c: KindCounts) => Object.values(c.errors).reduce((a, b) => a + b, 0);
