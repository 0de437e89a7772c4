// GPU gauges: polls nvidia-smi every N seconds (at most one process at a time, killed at its
// timeout) and reports the latest readings through observable gauges named by the hardware
// semantic conventions. Requests never wait on it: the poll runs on an unref'd timer and the
// gauges only read the last result. A failed poll clears the readings (the series go stale rather
// than repeat old values) and is counted as a telemetry error with stage "gpu".
import { metrics, type Attributes, type BatchObservableCallback, type Meter, type ObservableGauge } from '@opentelemetry/api';
import type { Logger } from 'pino';
import { commandExists, parseNvidiaSmiCsv, queryNvidiaSmi, type GpuReading } from './nvidia-smi.ts';
import * as semconv from '../telemetry/semconv.ts';

export type GpuMode = 'auto' | 'on' | 'off';

export interface GpuMonitorOptions {
  command: string;
  intervalMs: number;
  logger: Logger;
  /** Counts a failed poll (RelayMetrics.telemetryError). */
  onError: (stage: 'gpu') => void;
  /** Test seam: where the CSV comes from. */
  query?: (command: string, timeoutMs: number) => Promise<string>;
}

/** Longest one nvidia-smi call may run: a hung driver must not pile up processes. */
export function gpuTimeoutMs(intervalMs: number): number {
  return Math.min(intervalMs, 5_000);
}

export function gpuAttributes(r: GpuReading): Attributes {
  return {
    [semconv.ATTR_HW_ID]: r.uuid,
    [semconv.ATTR_HW_NAME]: `gpu${r.index}`,
    [semconv.ATTR_HW_MODEL]: r.name,
    [semconv.ATTR_HW_TYPE]: semconv.HW_TYPE_VALUE_GPU,
    [semconv.ATTR_HW_VENDOR]: 'NVIDIA',
  };
}

export class GpuMonitor {
  readonly #opts: GpuMonitorOptions;
  readonly #query: (command: string, timeoutMs: number) => Promise<string>;
  #readings: GpuReading[] = [];
  #timer: NodeJS.Timeout | undefined;
  #inFlight: Promise<void> | undefined;
  #warned = false;
  #meter: Meter | undefined;
  #gauges: ObservableGauge[] = [];
  #callback: BatchObservableCallback | undefined;

  constructor(opts: GpuMonitorOptions) {
    this.#opts = opts;
    this.#query = opts.query ?? queryNvidiaSmi;
  }

  /** Whether this mode and machine call for polling: `auto` only when the command is on PATH. */
  static wanted(mode: GpuMode, command: string): boolean {
    if (mode === 'off') return false;
    return mode === 'on' || commandExists(command);
  }

  get readings(): readonly GpuReading[] {
    return this.#readings;
  }

  start(): void {
    const meter = metrics.getMeter(semconv.METER_NAME);
    const gauge = (spec: semconv.MetricSpec) => meter.createObservableGauge(spec.name, { unit: spec.unit, description: spec.description });
    const usage = gauge(semconv.METRIC_HW_GPU_MEMORY_USAGE);
    const limit = gauge(semconv.METRIC_HW_GPU_MEMORY_LIMIT);
    const utilization = gauge(semconv.METRIC_HW_GPU_UTILIZATION);
    const temperature = gauge(semconv.METRIC_HW_TEMPERATURE);
    const power = gauge(semconv.METRIC_HW_POWER);
    this.#callback = (result) => {
      for (const r of this.#readings) {
        const attrs = gpuAttributes(r);
        if (r.memoryUsedBytes !== undefined) result.observe(usage, r.memoryUsedBytes, attrs);
        if (r.memoryTotalBytes !== undefined) result.observe(limit, r.memoryTotalBytes, attrs);
        if (r.utilization !== undefined)
          result.observe(utilization, r.utilization, { ...attrs, [semconv.ATTR_HW_GPU_TASK]: semconv.HW_GPU_TASK_VALUE_GENERAL });
        if (r.temperatureCelsius !== undefined) result.observe(temperature, r.temperatureCelsius, attrs);
        if (r.powerWatts !== undefined) result.observe(power, r.powerWatts, attrs);
      }
    };
    this.#gauges = [usage, limit, utilization, temperature, power];
    this.#meter = meter;
    meter.addBatchObservableCallback(this.#callback, this.#gauges);
    void this.poll();
    this.#timer = setInterval(() => void this.poll(), this.#opts.intervalMs);
    this.#timer.unref();
  }

  /** One poll; a poll still running makes this a no-op (never two nvidia-smi processes). */
  poll(): Promise<void> {
    this.#inFlight ??= this.#pollOnce().finally(() => {
      this.#inFlight = undefined;
    });
    return this.#inFlight;
  }

  async #pollOnce(): Promise<void> {
    try {
      const readings = parseNvidiaSmiCsv(await this.#query(this.#opts.command, gpuTimeoutMs(this.#opts.intervalMs)));
      if (readings.length === 0) throw new Error('no GPU lines in the output');
      this.#readings = readings;
    } catch (err) {
      this.#readings = [];
      this.#opts.onError('gpu');
      if (!this.#warned) {
        this.#warned = true;
        const reason = err instanceof Error ? err.message.split('\n', 1)[0] : String(err);
        this.#opts.logger.warn(
          { command: this.#opts.command, reason },
          'GPU gauges: nvidia-smi query failed; GPU metrics are missing until it works (counted in embedding_relay_telemetry_errors_total{embedding_telemetry_stage="gpu"})',
        );
      }
    }
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    if (this.#meter && this.#callback) this.#meter.removeBatchObservableCallback(this.#callback, this.#gauges);
    // The call under way is not awaited: its result is no longer wanted, and an nvidia-smi stuck
    // in the driver (uninterruptible, even SIGKILL cannot reap it) must not hold shutdown.
  }
}
