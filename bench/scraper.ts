// Scrapes the relay's Prometheus endpoint once per second while it is under load (`active`), as
// Prometheus would, and reads the relay's own account of itself at the end.
import { sumBy, total } from './exposition.ts';

export interface ScrapeStats {
  scrapes: number;
  failures: number;
  /** Size of the last exposition. */
  bytes: number;
  maxMs: number;
}

export class Scraper {
  readonly #url: string;
  readonly #timer: NodeJS.Timeout;
  readonly stats: ScrapeStats = { scrapes: 0, failures: 0, bytes: 0, maxMs: 0 };
  /** Scrape only while the relay is the target under load. */
  active = false;
  #busy = false;

  constructor(url: string) {
    this.#url = url;
    this.#timer = setInterval(() => void this.#scrape(), 1000);
  }

  async #scrape(): Promise<void> {
    if (this.#busy || !this.active) return;
    this.#busy = true;
    const t0 = performance.now();
    try {
      const text = await (await fetch(this.#url, { signal: AbortSignal.timeout(10_000) })).text();
      this.stats.scrapes++;
      this.stats.bytes = Buffer.byteLength(text);
      this.stats.maxMs = Math.max(this.stats.maxMs, performance.now() - t0);
    } catch {
      this.stats.failures++;
    } finally {
      this.#busy = false;
    }
  }

  stop(): ScrapeStats {
    clearInterval(this.#timer);
    return this.stats;
  }
}

export interface RelaySelfReport {
  /** Requests the relay counted in gen_ai_client_operation_duration_seconds. */
  requests: number;
  /** Mean of embedding_relay_overhead_seconds, in ms. */
  meanOverheadMs: number;
}

/** Sum of a metric's samples over all label sets. */
const metricSum = (text: string, name: string) => total(sumBy(text, name));

export async function relaySelfReport(url: string): Promise<RelaySelfReport | undefined> {
  try {
    const text = await (await fetch(url, { signal: AbortSignal.timeout(10_000) })).text();
    const overheadCount = metricSum(text, 'embedding_relay_overhead_seconds_count');
    return {
      requests: metricSum(text, 'gen_ai_client_operation_duration_seconds_count'),
      meanOverheadMs: overheadCount > 0 ? (metricSum(text, 'embedding_relay_overhead_seconds_sum') / overheadCount) * 1000 : Number.NaN,
    };
  } catch {
    return undefined;
  }
}
