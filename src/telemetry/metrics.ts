// Metric projection of the request record. Instruments come from @opentelemetry/api only; the
// SDK (views, readers, the Prometheus endpoint) is wired in sdk.ts.
import { metrics, type Attributes, type Counter, type Histogram, type UpDownCounter } from '@opentelemetry/api';
import { overheadS, type RequestRecord } from '../relay/record.ts';
import * as sc from './semconv.ts';

/** embedding.relay.log.dropped: read at collection time from the Loki queue's counts
 *  (loki/drops.ts). Every reason is reported, zeros
 *  included, so `increase()` alerts have a series from the start. */
export function observeLogDrops(read: () => Record<string, number>): void {
  const spec = sc.METRIC_LOG_DROPPED;
  metrics
    .getMeter(sc.METER_NAME)
    .createObservableCounter(spec.name, { unit: spec.unit, description: spec.description })
    .addCallback((result) => {
      for (const [reason, lines] of Object.entries(read())) result.observe(lines, { [sc.ATTR_ERROR_TYPE]: reason });
    });
}

export class RelayMetrics {
  readonly #duration: Histogram;
  readonly #tokens: Histogram;
  readonly #batch: Histogram;
  readonly #vectors: Counter;
  readonly #overhead: Histogram;
  readonly #active: UpDownCounter;
  readonly #telemetryErrors: Counter;
  readonly #anomalies: Counter;

  constructor() {
    const meter = metrics.getMeter(sc.METER_NAME);
    const histogram = (spec: sc.MetricSpec, buckets: number[]) =>
      meter.createHistogram(spec.name, { unit: spec.unit, description: spec.description, advice: { explicitBucketBoundaries: buckets } });
    const counter = (spec: sc.MetricSpec) => meter.createCounter(spec.name, { unit: spec.unit, description: spec.description });
    this.#duration = histogram(sc.METRIC_OPERATION_DURATION, sc.DURATION_BUCKETS_S);
    this.#tokens = histogram(sc.METRIC_TOKEN_USAGE, sc.TOKEN_BUCKETS);
    this.#batch = histogram(sc.METRIC_BATCH_SIZE, sc.BATCH_BUCKETS);
    this.#overhead = histogram(sc.METRIC_RELAY_OVERHEAD, sc.OVERHEAD_BUCKETS_S);
    this.#vectors = counter(sc.METRIC_VECTORS);
    this.#telemetryErrors = counter(sc.METRIC_TELEMETRY_ERRORS);
    this.#anomalies = counter(sc.METRIC_VECTOR_ANOMALIES);
    const active = sc.METRIC_ACTIVE_REQUESTS;
    this.#active = meter.createUpDownCounter(active.name, { unit: active.unit, description: active.description });
  }

  requestStarted(method: string): void {
    this.#active.add(1, { [sc.ATTR_HTTP_REQUEST_METHOD]: method });
  }

  requestEnded(method: string): void {
    this.#active.add(-1, { [sc.ATTR_HTTP_REQUEST_METHOD]: method });
  }

  telemetryError(stage: string): void {
    this.#telemetryErrors.add(1, { [sc.ATTR_EMBEDDING_TELEMETRY_STAGE]: stage });
  }

  record(rec: RequestRecord): void {
    const common: Attributes = {
      [sc.ATTR_GEN_AI_OPERATION_NAME]: sc.GEN_AI_OPERATION_NAME_VALUE_EMBEDDINGS,
      [sc.ATTR_GEN_AI_PROVIDER_NAME]: rec.providerName,
      [sc.ATTR_GEN_AI_REQUEST_MODEL]: rec.modelLabel,
      [sc.ATTR_SERVER_ADDRESS]: rec.serverAddress,
      [sc.ATTR_SERVER_PORT]: rec.serverPort,
    };
    const outcome: Attributes = { ...common, [sc.ATTR_HTTP_RESPONSE_STATUS_CODE]: rec.httpStatus };
    if (rec.errorType !== undefined) outcome[sc.ATTR_ERROR_TYPE] = rec.errorType;
    this.#duration.record(rec.durationS, outcome);

    const overhead = overheadS(rec);
    if (overhead !== undefined) this.#overhead.record(overhead, common);
    if (rec.request) this.#batch.record(rec.request.inputCount, common);
    if (rec.inputTokens !== undefined) {
      this.#tokens.record(rec.inputTokens, {
        ...common,
        [sc.ATTR_GEN_AI_TOKEN_TYPE]: sc.GEN_AI_TOKEN_TYPE_VALUE_INPUT,
        [sc.ATTR_EMBEDDING_USAGE_ESTIMATED]: rec.tokensEstimated,
      });
    }
    for (const [kind, count] of rec.anomalies) this.#anomalies.add(count, { ...common, [sc.ATTR_EMBEDDING_ANOMALY_KIND]: kind });
    if (rec.response) {
      for (const [dimension, count] of rec.response.vectorsByDimension) {
        this.#vectors.add(count, { ...common, [sc.ATTR_EMBEDDING_DIMENSION]: dimension });
      }
    }
  }
}
