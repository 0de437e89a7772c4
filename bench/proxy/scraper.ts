// Scrapes the relay's Prometheus endpoint at a fixed interval (1 s in the bench, 15 s in the soak)
// while it is `active`, as Prometheus would, and reads the relay's own account of itself at the end.
import { sumBy, sumValues } from '../../test/support/prometheus-text.ts';

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
