// Scrapes the relay's Prometheus endpoint at a fixed interval (1 s in the bench, 15 s in the soak)
// while it is `active`, as Prometheus would, and reads the relay's own account of itself at the end.
import { find, parsePrometheusText, sumBy, sumValues, total } from '../../test/support/prometheus-text.ts';

export interface ScrapeStats {
  scrapes: number;
  failures: number;
  /** Size of the last exposition. */
  bytes: number;
  maxMs: number;
}

export interface ScraperOptions {
  /** Between scrapes [1000]. */
  intervalMs?: number;
  /** Each exposition read, with the performance.now() its request started at. */
  onText?: (text: string, startedAt: number) => void;
  onError?: (err: Error) => void;
}

export class Scraper {
  readonly #url: string;
  readonly #timer: NodeJS.Timeout;
  readonly #opts: ScraperOptions;
  readonly stats: ScrapeStats = { scrapes: 0, failures: 0, bytes: 0, maxMs: 0 };
  /** Scrape only while the relay is the target under load. */
  active = false;
  #busy = false;

  constructor(url: string, opts: ScraperOptions = {}) {
    this.#url = url;
    this.#opts = opts;
    this.#timer = setInterval(() => void this.scrapeNow(), opts.intervalMs ?? 1000);
  }

  /** One scrape now (unless inactive or one is still running); the timer keeps its pace. */
  async scrapeNow(): Promise<void> {
    if (this.#busy || !this.active) return;
    this.#busy = true;
    const t0 = performance.now();
    try {
      const text = await scrapeText(this.#url);
      this.stats.scrapes++;
      this.stats.bytes = Buffer.byteLength(text);
      this.#opts.onText?.(text, t0);
      this.stats.maxMs = Math.max(this.stats.maxMs, performance.now() - t0);
    } catch (err) {
      this.stats.failures++;
      this.#opts.onError?.(err as Error);
    } finally {
      this.#busy = false;
    }
  }

  stop(): ScrapeStats {
    clearInterval(this.#timer);
    return this.stats;
  }
}

/** GET /metrics; anything but a 200 is a failure. */
export async function scrapeText(url: string): Promise<string> {
  const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  if (res.status !== 200) throw new Error(`/metrics answered ${res.status}`);
  return res.text();
}

export interface RelaySelfReport {
  /** Requests the relay counted in gen_ai_client_operation_duration_seconds. */
  requests: number;
  /** Mean of embedding_relay_overhead_seconds, in ms. */
  meanOverheadMs: number;
}

/** Sum of a metric's samples over all label sets. */
const metricSum = (text: string, name: string) => sumValues(sumBy(text, name));

export async function relaySelfReport(url: string): Promise<RelaySelfReport | undefined> {
  try {
    const text = await scrapeText(url);
    const overheadCount = metricSum(text, 'embedding_relay_overhead_seconds_count');
    return {
      requests: metricSum(text, 'gen_ai_client_operation_duration_seconds_count'),
      meanOverheadMs: overheadCount > 0 ? (metricSum(text, 'embedding_relay_overhead_seconds_sum') / overheadCount) * 1000 : Number.NaN,
    };
  } catch {
    return undefined;
  }
}

/** embedding_relay_overhead_seconds as scraped: cumulative bucket counts by `le`, sum and count. */
export interface OverheadHistogram {
  buckets: Map<number, number>;
  sum: number;
  count: number;
}

export async function overheadHistogram(url: string): Promise<OverheadHistogram> {
  const samples = parsePrometheusText(await scrapeText(url));
  const buckets = new Map<number, number>();
  for (const s of find(samples, 'embedding_relay_overhead_seconds_bucket')) {
    const le = Number(s.labels['le'] === '+Inf' ? Infinity : s.labels['le']);
    buckets.set(le, (buckets.get(le) ?? 0) + s.value);
  }
  return {
    buckets,
    sum: total(samples, 'embedding_relay_overhead_seconds_sum'),
    count: total(samples, 'embedding_relay_overhead_seconds_count'),
  };
}

/** What the relay reported as its overhead between two scrapes: the median as Prometheus's
 *  histogram_quantile(0.5, …) computes it (linear within the bucket) and the mean, in ms. */
export function overheadBetween(before: OverheadHistogram, after: OverheadHistogram): { p50Ms: number; meanMs: number; count: number } {
  const count = after.count - before.count;
  const les = [...after.buckets.keys()].sort((a, b) => a - b);
  const rank = count / 2;
  let p50 = Number.NaN;
  let prevLe = 0;
  let prevCum = 0;
  for (const le of les) {
    const cum = after.buckets.get(le)! - (before.buckets.get(le) ?? 0);
    if (cum >= rank && count > 0) {
      p50 = le === Infinity ? prevLe : prevLe + ((le - prevLe) * (rank - prevCum)) / Math.max(1, cum - prevCum);
      break;
    }
    prevLe = le;
    prevCum = cum;
  }
  return { p50Ms: p50 * 1000, meanMs: count > 0 ? ((after.sum - before.sum) / count) * 1000 : Number.NaN, count };
}
