// Latency samples in milliseconds (full float precision: autocannon's own histogram keeps whole
// milliseconds, too coarse for a proxy's added latency) and their percentiles.
export interface Percentiles {
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

export class Samples {
  #data = new Float64Array(1 << 14);
  #n = 0;

  add(ms: number): void {
    if (this.#n === this.#data.length) {
      const bigger = new Float64Array(this.#data.length * 2);
      bigger.set(this.#data);
      this.#data = bigger;
    }
    this.#data[this.#n++] = ms;
  }

  get count(): number {
    return this.#n;
  }

  percentiles(): Percentiles {
    const n = this.#n;
    if (n === 0) return { p50: Number.NaN, p90: Number.NaN, p99: Number.NaN, max: Number.NaN, mean: Number.NaN };
    const sorted = this.#data.slice(0, n).sort();
    // Nearest-rank percentile.
    const at = (q: number) => sorted[Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1))]!;
    let sum = 0;
    for (let i = 0; i < n; i++) sum += sorted[i]!;
    return { p50: at(0.5), p90: at(0.9), p99: at(0.99), max: sorted[n - 1]!, mean: sum / n };
  }
}
