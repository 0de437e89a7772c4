// The Loki queue: ships log lines to Loki without losing them across Loki outages, within a bound.
// It runs on the main thread (logger.ts hands it each line pino writes); its work there is a regex
// on the line's head per line and one JSON.stringify plus one fetch per batch (1 s by default):
// too little to be worth a worker thread's own heap and the copy of every line into it.
//
// - every line goes into one FIFO queue bounded by line count and UTF-8 bytes
//   (RELAY_LOKI_BUFFER_MAX_LINES / RELAY_LOKI_BUFFER_MAX_BYTES);
// - one push in flight at a time, taken from the head of the queue, so batches keep their order and
//   each line keeps its pino `time` as the Loki timestamp;
// - a push is removed from the queue only on 2xx. Connection errors, timeouts, 429 and 5xx are
//   retried with capped exponential backoff (Retry-After honoured, also capped) until Loki answers;
// - other 4xx (bad request, auth, too large) drop that batch: retrying cannot fix them;
// - a full queue drops the NEWEST lines (the incoming ones), like the OTel batch span processor and
//   Vector's `drop_newest`: what reaches Loki stays a gap-free prefix of the outage, the queue head
//   (possibly mid-push) is never touched, and stdout still carries every line;
// - every dropped line is counted (drops.ts) and exported as
//   embedding_relay_log_dropped_total{error_type=...}; the queue's own notices (push failing,
//   lines dropped, recovered) go to stdout only, never into the queue, once per episode;
// - pushes carry PROBE_HEADER, so the undici instrumentation makes no span and no HTTP client
//   metric of them (fetch runs on the same diagnostics channels as the upstream client);
// - on shutdown the queue gets a bounded flush window, then what is left is counted as `shutdown`.
// pino-loki 3.0 (used before) pushes each batch once and drops it on any failure (see logger.ts).
import { Buffer } from 'node:buffer';
import { PROBE_HEADER } from '../../core/headers.ts';
import type { LogDropCounts, LogDropReason } from './drops.ts';
import { lokiPushUrl, retryAfterMs } from './push.ts';

export interface LokiQueueOptions {
  /** Loki base URL (path prefix kept); lines go to `lokiPushUrl(host)`. */
  host: string;
  /** Stream labels added to every line (low cardinality), next to `level`. */
  labels: Record<string, string>;
  /** `service` field of the queue's own notices on stdout. */
  service: string;
  /** pino level value below which the queue's own notices are not written. */
  minLevel: number;
  maxLines: number;
  maxBytes: number;
  /** Where dropped lines are counted (drops.ts). */
  drops: LogDropCounts;
  /** Wait this long to batch lines before a push (a full batch goes at once). */
  batchIntervalMs?: number;
  /** Per-push timeout. */
  timeoutMs?: number;
  /** First retry delay; doubles per failure up to retryMaxMs (±20 % jitter). */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** On shutdown, keep pushing the queue for at most this long. */
  shutdownFlushMs?: number;
  /** Where the queue's own notices go (one JSON line each, newline included): stdout. */
  notice: (line: string) => void;
}

/** Loki `level` label per pino level, as pino-loki sets it. */
const LEVEL_LABELS: Record<number, string> = { 10: 'debug', 20: 'debug', 30: 'info', 40: 'warning', 50: 'error', 60: 'critical' };
/** One push carries at most this much: Loki's default gRPC receive limit is 4 MiB. */
const BATCH_MAX_LINES = 5_000;
const BATCH_MAX_BYTES = 1024 * 1024;
const HEAD = /^\{"level":(\d+),"time":(\d+)/;

interface Entry {
  level: string;
  /** Unix epoch nanoseconds, as Loki wants them. */
  ts: string;
  line: string;
  bytes: number;
}

type PushOutcome =
  | { kind: 'ok' }
  | { kind: 'rejected'; status: number; body: string }
  | { kind: 'retry'; reason: string; retryAfterMs: number | undefined };

function entryOf(line: string): Entry {
  let level = 30;
  let time = Date.now();
  const m = HEAD.exec(line);
  if (m) {
    level = Number(m[1]);
    time = Number(m[2]);
  } else {
    try {
      const o = JSON.parse(line) as { level?: unknown; time?: unknown };
      if (typeof o.level === 'number') level = o.level;
      if (typeof o.time === 'number') time = o.time;
    } catch {
      // Not JSON: ship it as is, timestamped now.
    }
  }
  return { level: LEVEL_LABELS[level] ?? 'info', ts: `${time}000000`, line, bytes: Buffer.byteLength(line) };
}

export class LokiQueue {
  readonly #o: Required<Omit<LokiQueueOptions, 'notice'>>;
  readonly #url: URL;
  readonly #headers: Record<string, string>;
  readonly #notice: (line: string) => void;
  // FIFO with a moving head (no O(n) shift); compacted when the dead prefix dominates.
  #entries: Entry[] = [];
  #head = 0;
  #bytes = 0;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #wake: (() => void) | undefined;
  #abortPush: (() => void) | undefined;
  #closing = false;
  #deadline = Infinity;
  #failures = 0;
  #outageSince: number | undefined;
  #droppedInOutage = 0;
  /** Set from the first buffer_full drop until the queue has drained to empty. */
  #overflowing = false;
  #rejectWarned = false;

  constructor(opts: LokiQueueOptions) {
    this.#o = {
      batchIntervalMs: 1_000,
      timeoutMs: 10_000,
      retryBaseMs: 500,
      retryMaxMs: 5_000,
      shutdownFlushMs: 3_000,
      ...opts,
    };
    this.#url = lokiPushUrl(opts.host);
    this.#headers = { 'content-type': 'application/json', [PROBE_HEADER]: 'loki' };
    // fetch refuses a URL with credentials in it (TypeError, which would be retried for ever):
    // `https://user:token@logs.example` (Grafana Cloud's form) becomes HTTP Basic auth.
    if (this.#url.username !== '' || this.#url.password !== '') {
      const decode = (s: string) => {
        try {
          return decodeURIComponent(s);
        } catch {
          return s; // the config (config/parsers.ts) refuses such a LOKI_URL; a direct caller gets the raw text
        }
      };
      const user = decode(this.#url.username);
      const password = decode(this.#url.password);
      this.#headers['authorization'] = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
      this.#url.username = '';
      this.#url.password = '';
    }
    this.#notice = opts.notice;
  }

  get size(): number {
    return this.#entries.length - this.#head;
  }

  get bytes(): number {
    return this.#bytes;
  }

  /** Queue one pino line (no trailing newline). Never blocks, never grows past the bound. */
  add(line: string): void {
    const e = entryOf(line);
    if (this.size + 1 > this.#o.maxLines || this.#bytes + e.bytes > this.#o.maxBytes) {
      this.#drop('buffer_full', 1);
      if (!this.#overflowing) {
        this.#overflowing = true;
        this.#log(
          40,
          'loki_log_dropped',
          {
            reason: 'buffer_full',
            queued_lines: this.size,
            queued_bytes: this.#bytes,
            max_lines: this.#o.maxLines,
            max_bytes: this.#o.maxBytes,
          },
          'Loki log buffer full: dropping new log lines until Loki catches up (counted in embedding_relay_log_dropped_total{error_type="buffer_full"}; stdout still has every line)',
        );
      }
      return;
    }
    this.#entries.push(e);
    this.#bytes += e.bytes;
    this.#schedule();
  }

  /** Push what is queued within the shutdown window, then count the rest as dropped. */
  async close(): Promise<void> {
    this.#closing = true;
    this.#deadline = Date.now() + this.#o.shutdownFlushMs;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#wake?.();
    const cut = setTimeout(() => this.#abortPush?.(), this.#o.shutdownFlushMs);
    await this.#running;
    clearTimeout(cut);
    if (this.size > 0) await this.#run();
    const left = this.size;
    if (left > 0) {
      this.#drop('shutdown', left);
      this.#log(
        40,
        'loki_log_dropped',
        { reason: 'shutdown', dropped_lines: left },
        `Loki did not take ${left} queued log lines within the ${this.#o.shutdownFlushMs} ms shutdown flush; they are only on stdout`,
      );
      this.#remove(left);
    }
  }

  #schedule(): void {
    if (this.#running || this.#timer || this.#closing) return;
    const full = this.size >= BATCH_MAX_LINES || this.#bytes >= BATCH_MAX_BYTES;
    this.#timer = setTimeout(
      () => {
        this.#timer = undefined;
        void this.#run();
      },
      full ? 0 : this.#o.batchIntervalMs,
    );
  }

  #run(): Promise<void> {
    this.#running ??= this.#pump().finally(() => {
      this.#running = undefined;
      if (this.size > 0) this.#schedule();
    });
    return this.#running;
  }

  async #pump(): Promise<void> {
    while (this.size > 0) {
      if (this.#closing && Date.now() >= this.#deadline) return;
      const n = this.#batchLength();
      const outcome = await this.#push(n);
      if (outcome.kind === 'ok') {
        this.#remove(n);
        this.#onSuccess();
        // Steady state: partial batches wait for the interval. A backlog drains back to back.
        if (!this.#closing && this.size < BATCH_MAX_LINES && this.#bytes < BATCH_MAX_BYTES) return;
      } else if (outcome.kind === 'rejected') {
        this.#drop('rejected', n);
        this.#remove(n);
        if (!this.#rejectWarned) {
          this.#rejectWarned = true;
          this.#log(
            40,
            'loki_push_rejected',
            { http_status: outcome.status, dropped_lines: n, loki_response: outcome.body },
            `Loki rejected a push with HTTP ${outcome.status}; the batch is dropped, not retried (counted in embedding_relay_log_dropped_total{error_type="rejected"})`,
          );
        }
      } else {
        this.#failures++;
        if (this.#outageSince === undefined) {
          this.#outageSince = Date.now();
          this.#droppedInOutage = 0;
          this.#log(
            40,
            'loki_push_failed',
            { reason: outcome.reason, queued_lines: this.size, max_lines: this.#o.maxLines, max_bytes: this.#o.maxBytes },
            'Loki push failed; log lines stay queued and are retried with backoff until Loki answers',
          );
        }
        const backoff =
          Math.min(this.#o.retryMaxMs, this.#o.retryBaseMs * 2 ** Math.min(this.#failures - 1, 30)) * (0.8 + 0.4 * Math.random());
        // Retry-After is honoured but never below the first backoff step (`Retry-After: 0` must not spin).
        await this.#sleep(Math.min(this.#o.retryMaxMs, Math.max(this.#o.retryBaseMs, outcome.retryAfterMs ?? backoff)));
      }
    }
  }

  #onSuccess(): void {
    this.#failures = 0;
    this.#rejectWarned = false;
    if (this.#outageSince !== undefined) {
      this.#log(
        30,
        'loki_push_recovered',
        { outage_ms: Date.now() - this.#outageSince, queued_lines: this.size, dropped_lines: this.#droppedInOutage },
        'Loki answers again; sending the queued log lines',
      );
      this.#outageSince = undefined;
    }
    if (this.size === 0) this.#overflowing = false;
  }

  #batchLength(): number {
    let n = 0;
    let bytes = 0;
    const end = Math.min(this.#entries.length, this.#head + BATCH_MAX_LINES);
    for (let i = this.#head; i < end; i++) {
      bytes += this.#entries[i]!.bytes;
      if (n > 0 && bytes > BATCH_MAX_BYTES) break;
      n++;
    }
    return n;
  }

  async #push(n: number): Promise<PushOutcome> {
    // One stream per label set; each stream keeps the queue's order.
    const streams = new Map<string, [string, string][]>();
    for (let i = this.#head; i < this.#head + n; i++) {
      const e = this.#entries[i]!;
      const values = streams.get(e.level) ?? [];
      if (values.length === 0) streams.set(e.level, values);
      values.push([e.ts, e.line]);
    }
    const body = JSON.stringify({ streams: [...streams].map(([level, values]) => ({ stream: { ...this.#o.labels, level }, values })) });
    const timeout = this.#closing ? Math.max(1, Math.min(this.#o.timeoutMs, this.#deadline - Date.now())) : this.#o.timeoutMs;
    // close() aborts a push that is still under way at its deadline (a blackholed Loki must not
    // hold exit for the full push timeout).
    const abort = new AbortController();
    this.#abortPush = () => abort.abort();
    try {
      const res = await fetch(this.#url, {
        method: 'POST',
        headers: this.#headers,
        body,
        signal: AbortSignal.any([AbortSignal.timeout(timeout), abort.signal]),
      });
      const text = await res.text().catch(() => '');
      if (res.ok) return { kind: 'ok' };
      if (res.status >= 400 && res.status < 500 && res.status !== 429 && res.status !== 408)
        return { kind: 'rejected', status: res.status, body: text.slice(0, 500) };
      return { kind: 'retry', reason: `HTTP ${res.status}`, retryAfterMs: retryAfterMs(res.headers.get('retry-after')) };
    } catch (err) {
      const e = err as Error & { cause?: { code?: string } };
      return { kind: 'retry', reason: e.cause?.code ?? e.name, retryAfterMs: undefined };
    } finally {
      this.#abortPush = undefined;
    }
  }

  #sleep(ms: number): Promise<void> {
    const wait = this.#closing ? Math.max(0, Math.min(ms, this.#deadline - Date.now())) : ms;
    return new Promise((resolve) => {
      const t = setTimeout(done, wait);
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.#wake = () => {
        this.#wake = undefined;
        done();
      };
    });
  }

  #remove(n: number): void {
    for (let i = this.#head; i < this.#head + n; i++) this.#bytes -= this.#entries[i]!.bytes;
    this.#head += n;
    if (this.#head === this.#entries.length) {
      this.#entries = [];
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > this.#entries.length) {
      this.#entries = this.#entries.slice(this.#head);
      this.#head = 0;
    }
  }

  #drop(reason: LogDropReason, lines: number): void {
    this.#o.drops.add(reason, lines);
    this.#droppedInOutage += lines;
  }

  #log(level: number, event: string, fields: Record<string, unknown>, msg: string): void {
    if (level < this.#o.minLevel) return;
    this.#notice(`${JSON.stringify({ level, time: Date.now(), service: this.#o.service, event, ...fields, msg })}\n`);
  }
}
