// Metric projection of the request record. Instruments come from @opentelemetry/api only; the
// SDK (views, readers, the Prometheus endpoint) is wired in sdk.ts.
import { metrics, type Attributes, type Counter, type Histogram, type ObservableResult } from '@opentelemetry/api';
import type { RequestRecord } from '../core/record.ts';
import { SHED_REASONS } from '../core/errors.ts';
import { RANKING_ANOMALY_KINDS } from '../core/ranking.ts';
import { ANOMALY_KINDS } from '../core/response-facts.ts';
import * as semconv from './semconv.ts';

/** embedding.relay.log.dropped: read at collection time from the Loki queue's counts
 *  (loki/drops.ts). Every reason is reported, zeros
 *  included, so `increase()` alerts have a series from the start. */
export function observeLogDrops(read: () => Record<string, number>): void {
  const spec = semconv.METRIC_LOG_DROPPED;
  metrics
    .getMeter(semconv.METER_NAME)
    .createObservableCounter(spec.name, { unit: spec.unit, description: spec.description })
    .addCallback((result) => {
      for (const [reason, lines] of Object.entries(read())) result.observe(lines, { [semconv.ATTR_ERROR_TYPE]: reason });
    });
}

/** embedding.relay.key_file.reloads: a function counting one re-read of the key file (undefined: its
 *  keys were taken; else why it was refused). Every outcome starts at 0, so an alert on refusals has a
 *  series before the first one. */
export function keyFileReloads(): (refused: 'unreadable' | 'invalid' | undefined) => void {
  const spec = semconv.METRIC_KEY_FILE_RELOADS;
  const counter = metrics.getMeter(semconv.METER_NAME).createCounter(spec.name, { unit: spec.unit, description: spec.description });
  const attrs = (refused: string | undefined): Attributes => (refused === undefined ? {} : { [semconv.ATTR_ERROR_TYPE]: refused });
  for (const refused of [undefined, 'unreadable', 'invalid']) counter.add(0, attrs(refused));
  return (refused) => counter.add(1, attrs(refused));
}

/** The memory budget and its queue, read at collection time (relay/admission.ts); the returned
 *  function stops reading them (the relay closed). */
export function observeAdmission(admission: { budgetBytes: number; heldBytes: number; queued: number }): () => void {
  const meter = metrics.getMeter(semconv.METER_NAME);
  const gauges = [
    [semconv.METRIC_MEMORY_BUDGET, () => admission.budgetBytes],
    [semconv.METRIC_MEMORY_HELD, () => admission.heldBytes],
    [semconv.METRIC_QUEUE_LENGTH, () => admission.queued],
  ] as const;
  const stops = gauges.map(([spec, read]) => {
    const gauge = meter.createObservableGauge(spec.name, { unit: spec.unit, description: spec.description });
    const callback = (result: ObservableResult) => result.observe(read());
    gauge.addCallback(callback);
    return () => gauge.removeCallback(callback);
  });
  return () => {
    for (const stop of stops) stop();
  };
}

export class RelayMetrics {
  readonly #duration: Histogram;
  readonly #tokens: Histogram;
  readonly #batch: Histogram;
  readonly #vectors: Counter;
  readonly #overhead: Histogram;
  /** Requests in flight per method, read by http.server.active_requests at collection time: a
   *  count kept here costs nothing per request, where an UpDownCounter's add() is an attribute
   *  lookup at arrival and another at the end. Methods are llhttp's fixed set: bounded. */
  readonly #inFlight = new Map<string, number>();
  readonly #telemetryErrors: Counter;
  readonly #anomalies: Counter;
  readonly #retrievalAnomalies: Counter;
  readonly #documents: Histogram;
  readonly #httpDuration: Histogram;
  readonly #shed: Counter;
  readonly #queueWait: Histogram;
  /** The label sets (operation, provider, model label, server, caller label) whose anomaly series
   *  exist; bounded as the model and caller labels are (bounded-labels.ts). */
  readonly #seen = new Set<string>();

  constructor() {
    const meter = metrics.getMeter(semconv.METER_NAME);
    const histogram = (spec: semconv.MetricSpec, buckets: number[]) =>
      meter.createHistogram(spec.name, { unit: spec.unit, description: spec.description, advice: { explicitBucketBoundaries: buckets } });
    const counter = (spec: semconv.MetricSpec) => meter.createCounter(spec.name, { unit: spec.unit, description: spec.description });
    this.#duration = histogram(semconv.METRIC_OPERATION_DURATION, semconv.DURATION_BUCKETS_S);
    this.#tokens = histogram(semconv.METRIC_TOKEN_USAGE, semconv.TOKEN_BUCKETS);
    this.#batch = histogram(semconv.METRIC_BATCH_SIZE, semconv.BATCH_BUCKETS);
    this.#overhead = histogram(semconv.METRIC_RELAY_OVERHEAD, semconv.OVERHEAD_BUCKETS_S);
    this.#vectors = counter(semconv.METRIC_VECTORS);
    this.#telemetryErrors = counter(semconv.METRIC_TELEMETRY_ERRORS);
    this.#anomalies = counter(semconv.METRIC_VECTOR_ANOMALIES);
    this.#retrievalAnomalies = counter(semconv.METRIC_RETRIEVAL_ANOMALIES);
    this.#documents = histogram(semconv.METRIC_RETRIEVAL_DOCUMENTS, semconv.RETRIEVAL_DOCUMENT_BUCKETS);
    this.#httpDuration = histogram(semconv.METRIC_HTTP_SERVER_DURATION, semconv.HTTP_DURATION_BUCKETS_S);
    this.#shed = counter(semconv.METRIC_SHED);
    this.#queueWait = histogram(semconv.METRIC_QUEUE_WAIT, semconv.QUEUE_WAIT_BUCKETS_S);
    const active = semconv.METRIC_ACTIVE_REQUESTS;
    meter.createObservableUpDownCounter(active.name, { unit: active.unit, description: active.description }).addCallback((result) => {
      for (const [method, n] of this.#inFlight) result.observe(n, { [semconv.ATTR_HTTP_REQUEST_METHOD]: method });
    });
    // Every known series exists from the start, at 0, so rate() and absent() alerts work before the
    // first failure: the telemetry errors now, the anomalies per kind from a model's first request.
    for (const stage of semconv.TELEMETRY_STAGES) this.#telemetryErrors.add(0, { [semconv.ATTR_EMBEDDING_TELEMETRY_STAGE]: stage });
    for (const reason of SHED_REASONS) this.#shed.add(0, { [semconv.ATTR_EMBEDDING_RELAY_SHED_REASON]: reason });
  }

  requestStarted(method: string): void {
    this.#inFlight.set(method, (this.#inFlight.get(method) ?? 0) + 1);
  }

  requestEnded(method: string): void {
    this.#inFlight.set(method, (this.#inFlight.get(method) ?? 0) - 1);
  }

  telemetryError(stage: semconv.TelemetryStage): void {
    this.#telemetryErrors.add(1, { [semconv.ATTR_EMBEDDING_TELEMETRY_STAGE]: stage });
  }

  record(rec: RequestRecord): void {
    // By reason only: shedding is the relay's state, not a model's.
    if (rec.shedReason !== undefined) this.#shed.add(1, { [semconv.ATTR_EMBEDDING_RELAY_SHED_REASON]: rec.shedReason });
    if (rec.queuedS !== undefined) this.#queueWait.record(rec.queuedS);
    if (rec.operation === undefined) this.#http(rec);
    else this.#operation(rec, rec.operation);
  }

  /** A request that is no GenAI operation: the HTTP server duration, nothing in gen_ai_*. */
  #http(rec: RequestRecord): void {
    const attrs: Attributes = {
      [semconv.ATTR_HTTP_REQUEST_METHOD]: rec.method,
      [semconv.ATTR_HTTP_RESPONSE_STATUS_CODE]: rec.httpStatus,
    };
    // Unknown paths have no route: a client cannot mint a series by probing paths.
    if (rec.route !== undefined) attrs[semconv.ATTR_HTTP_ROUTE] = rec.route;
    if (rec.errorType !== undefined) attrs[semconv.ATTR_ERROR_TYPE] = rec.errorType;
    this.#httpDuration.record(rec.durationS, attrs);
  }

  #operation(rec: RequestRecord, operation: string): void {
    const common: Attributes = {
      [semconv.ATTR_GEN_AI_OPERATION_NAME]: operation,
      [semconv.ATTR_GEN_AI_PROVIDER_NAME]: rec.providerName,
      [semconv.ATTR_GEN_AI_REQUEST_MODEL]: rec.modelLabel,
      [semconv.ATTR_SERVER_ADDRESS]: rec.serverAddress,
      [semconv.ATTR_SERVER_PORT]: rec.serverPort,
    };
    // Bounded as the model label is (bounded-labels.ts): a trusted header may name anyone.
    if (rec.callerLabel !== undefined) common[semconv.ATTR_EMBEDDING_CALLER] = rec.callerLabel;
    const outcome: Attributes = { ...common, [semconv.ATTR_HTTP_RESPONSE_STATUS_CODE]: rec.httpStatus };
    if (rec.errorType !== undefined) outcome[semconv.ATTR_ERROR_TYPE] = rec.errorType;
    this.#duration.record(rec.durationS, outcome);

    if (rec.overheadS !== undefined) this.#overhead.record(rec.overheadS, common);
    if (rec.inputTokens !== undefined) {
      this.#tokens.record(rec.inputTokens, {
        ...common,
        [semconv.ATTR_GEN_AI_TOKEN_TYPE]: semconv.GEN_AI_TOKEN_TYPE_VALUE_INPUT,
        [semconv.ATTR_EMBEDDING_USAGE_ESTIMATED]: rec.tokensEstimated,
      });
    }
    if (operation === semconv.GEN_AI_OPERATION_NAME_VALUE_EMBEDDINGS) this.#vectorFacts(rec, common);
    else this.#rankingFacts(rec, common);
  }

  #vectorFacts(rec: RequestRecord, common: Attributes): void {
    if (rec.request) this.#batch.record(rec.request.inputCount, common);
    this.#anomalySeries(this.#anomalies, ANOMALY_KINDS, common);
    for (const [kind, count] of rec.anomalies) this.#anomalies.add(count, { ...common, [semconv.ATTR_EMBEDDING_ANOMALY_KIND]: kind });
    if (rec.response) {
      for (const [dimension, count] of rec.response.vectorsByDimension) {
        this.#vectors.add(count, { ...common, [semconv.ATTR_EMBEDDING_DIMENSION]: dimension });
      }
    }
  }

  #rankingFacts(rec: RequestRecord, common: Attributes): void {
    if (rec.ranking) this.#documents.record(rec.ranking.documentCount, common);
    this.#anomalySeries(this.#retrievalAnomalies, RANKING_ANOMALY_KINDS, common);
    for (const [kind, count] of rec.anomalies) {
      this.#retrievalAnomalies.add(count, { ...common, [semconv.ATTR_EMBEDDING_ANOMALY_KIND]: kind });
    }
  }

  /** The first request of a label set starts its anomaly series of every kind at 0. */
  #anomalySeries(counter: Counter, kinds: readonly string[], common: Attributes): void {
    const key = `${common[semconv.ATTR_GEN_AI_OPERATION_NAME]}\0${common[semconv.ATTR_GEN_AI_PROVIDER_NAME]}\0${common[semconv.ATTR_GEN_AI_REQUEST_MODEL]}\0${common[semconv.ATTR_SERVER_ADDRESS]}\0${common[semconv.ATTR_SERVER_PORT]}\0${common[semconv.ATTR_EMBEDDING_CALLER]}`;
    if (this.#seen.has(key)) return;
    this.#seen.add(key);
    for (const kind of kinds) counter.add(0, { ...common, [semconv.ATTR_EMBEDDING_ANOMALY_KIND]: kind });
  }
}
