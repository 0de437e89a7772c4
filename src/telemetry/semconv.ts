// Every attribute and metric name the relay emits, in one place.
//
// Stable names come from @opentelemetry/semantic-conventions. The gen_ai.* names are still
// "Development" status upstream and live only in the package's `incubating` entry point, which
// does not follow semver (names can move or vanish in a minor release). Like
// opentelemetry-js-contrib's instrumentation-openai, we copy them here so an upgrade of the
// semconv package can never silently change what we emit.
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  METRIC_HTTP_CLIENT_REQUEST_DURATION,
  METRIC_HTTP_SERVER_REQUEST_DURATION,
} from '@opentelemetry/semantic-conventions';

export {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
};

// gen_ai.* (GenAI semantic conventions, development status; copied on purpose, see above).
export const ATTR_GEN_AI_OPERATION_NAME = 'gen_ai.operation.name';
export const ATTR_GEN_AI_PROVIDER_NAME = 'gen_ai.provider.name';
export const ATTR_GEN_AI_REQUEST_MODEL = 'gen_ai.request.model';
export const ATTR_GEN_AI_RESPONSE_MODEL = 'gen_ai.response.model';
export const ATTR_GEN_AI_USAGE_INPUT_TOKENS = 'gen_ai.usage.input_tokens';
export const ATTR_GEN_AI_EMBEDDINGS_DIMENSION_COUNT = 'gen_ai.embeddings.dimension.count';
export const ATTR_GEN_AI_REQUEST_ENCODING_FORMATS = 'gen_ai.request.encoding_formats';
export const ATTR_GEN_AI_TOKEN_TYPE = 'gen_ai.token.type';
export const GEN_AI_OPERATION_NAME_VALUE_EMBEDDINGS = 'embeddings';
/** gen_ai.operation.name has no registered value for the retrieval tier's calls (the registry's are
 *  chat, embeddings, text_completion, generate_content, agent and tool operations), and the spec asks
 *  for a custom value where none applies: these are the servers' own route names, which is what
 *  their users search for. */
export const GEN_AI_OPERATION_NAME_VALUE_RERANK = 'rerank';
export const GEN_AI_OPERATION_NAME_VALUE_SCORE = 'score';
export const GEN_AI_TOKEN_TYPE_VALUE_INPUT = 'input';

// Relay attributes: one namespace, `embedding.*`.
export const ATTR_EMBEDDING_BATCH_SIZE = 'embedding.batch.size';
export const ATTR_EMBEDDING_INPUT_CHARS = 'embedding.input.chars';
export const ATTR_EMBEDDING_INPUT_TYPE = 'embedding.input.type';
export const ATTR_EMBEDDING_REQUEST_DIMENSIONS = 'embedding.request.dimensions';
export const ATTR_EMBEDDING_USAGE_ESTIMATED = 'embedding.usage.estimated';
export const ATTR_EMBEDDING_VECTOR_COUNT = 'embedding.vector.count';
export const ATTR_EMBEDDING_DIMENSION = 'embedding.dimension';
export const ATTR_EMBEDDING_UPSTREAM_DURATION = 'embedding.upstream.duration';
/** The reason the upstream gave with its 4xx/5xx (semconv deprecates a generic error.message in
 *  favour of domain-specific ones; a 4xx leaves a SERVER span's status unset, so this carries it). */
export const ATTR_EMBEDDING_UPSTREAM_ERROR_MESSAGE = 'embedding.upstream.error.message';
/** Usage an upstream reported in characters, not tokens (Infinity): never gen_ai.usage.input_tokens. */
export const ATTR_EMBEDDING_USAGE_INPUT_CHARACTERS = 'embedding.usage.input_characters';
export const ATTR_EMBEDDING_RELAY_OVERHEAD = 'embedding.relay.overhead';
export const ATTR_EMBEDDING_TELEMETRY_STAGE = 'embedding.telemetry.stage';
// Admission (relay/admission.ts): why a request got 503 overloaded, and how long it waited for room.
export const ATTR_EMBEDDING_RELAY_SHED_REASON = 'embedding.relay.shed.reason';
export const ATTR_EMBEDDING_RELAY_QUEUE_WAIT = 'embedding.relay.queue.wait';
/** Where a telemetry failure happened (embedding.telemetry.stage): the handler itself, reading the
 *  response, the quality checks, each projection, the GPU monitor. */
export const TELEMETRY_STAGES = ['handler', 'inspect', 'quality', 'span', 'metrics', 'log', 'gpu'] as const;
export type TelemetryStage = (typeof TELEMETRY_STAGES)[number];
/** Span: the anomaly kinds seen in the response's vectors (string[]). */
export const ATTR_EMBEDDING_VECTOR_ANOMALY = 'embedding.vector.anomaly';
/** Span: the dimension the response should have had. */
export const ATTR_EMBEDDING_DIMENSION_EXPECTED = 'embedding.dimension.expected';
/** Who sent the request: the name of its inbound key (RELAY_API_KEYS `name:key`), on the span, the
 *  request metrics and the log line; never the key. No semantic convention names an authenticated
 *  calling service (`user.*` is an end user, `client.*` the network peer), hence the relay's own. */
export const ATTR_EMBEDDING_CALLER = 'embedding.caller';
/** The request's `user` field (OpenAI's end-user id), span only: user.hash when RELAY_END_USER
 *  hashes it ("a user's hash, to correlate in anonymized form"), user.id when it keeps it. Both are
 *  development status in the semconv package's `incubating` entry (no semver), hence copied. Not
 *  enduser.id / enduser.pseudo.id: the package marks those deprecated (moved to the client-side conventions). */
export const ATTR_USER_HASH = 'user.hash';
export const ATTR_USER_ID = 'user.id';
// The retrieval tier (rerank, score): documents asked about (score: pairs), top_n, results, the
// best score, and what was wrong with the answer.
export const ATTR_EMBEDDING_RETRIEVAL_DOCUMENTS = 'embedding.retrieval.documents';
export const ATTR_EMBEDDING_RETRIEVAL_TOP_N = 'embedding.retrieval.top_n';
export const ATTR_EMBEDDING_RETRIEVAL_RESULTS = 'embedding.retrieval.results';
export const ATTR_EMBEDDING_RETRIEVAL_TOP_SCORE = 'embedding.retrieval.top_score';
/** Span: the anomaly kinds seen in a rerank or score answer (string[]). */
export const ATTR_EMBEDDING_RETRIEVAL_ANOMALY = 'embedding.retrieval.anomaly';
/** Span: canary probe spans carry embedding.canary=true. */
export const ATTR_EMBEDDING_CANARY = 'embedding.canary';
export const ATTR_EMBEDDING_CANARY_SIMILARITY = 'embedding.canary.similarity';
export const ATTR_EMBEDDING_CANARY_MARGIN = 'embedding.canary.margin';
/** Metric label: one anomaly kind. */
export const ATTR_EMBEDDING_ANOMALY_KIND = 'embedding.anomaly.kind';

/** `_OTHER`: the value semconv prescribes for gen_ai.provider.name when no well-known provider
 *  applies, and the label value that replaces model names past the configured cardinality limit. */
export const OTHER_VALUE = '_OTHER';

/** Bucket boundaries from the GenAI metrics spec (seconds). */
export const DURATION_BUCKETS_S = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92];
/** Powers of 4 from the GenAI spec, extended so 64…32768 (Qwen3-Embedding's context) resolve. */
export const TOKEN_BUCKETS = [1, 4, 16, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768, 65536, 262144, 1048576];
export const BATCH_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048];
/** Relay-added time is well under a millisecond to a few milliseconds, so the buckets are close
 *  together there, and the median a dashboard reads off them is within one bucket. */
export const OVERHEAD_BUCKETS_S = [
  0.0001, 0.00025, 0.0005, 0.00075, 0.001, 0.0015, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.025, 0.05, 0.1, 0.25,
];

export interface MetricSpec {
  /** OTel instrument name. */
  readonly name: string;
  readonly unit: string;
  readonly description: string;
  /** Name Prometheus sees before the exporter adds `_total` to counters. Prometheus convention
   *  wants the base unit as a suffix; exporter-prometheus 0.301 adds none, so a view renames. */
  readonly prometheusName?: string;
}

export const METRIC_OPERATION_DURATION: MetricSpec = {
  name: 'gen_ai.client.operation.duration',
  unit: 's',
  description: 'Duration of embeddings, rerank and score operations as seen by the relay (client side of the model server).',
  prometheusName: 'gen_ai.client.operation.duration_seconds',
};
export const METRIC_TOKEN_USAGE: MetricSpec = {
  name: 'gen_ai.client.token.usage',
  unit: '{token}',
  description:
    'Input tokens per embeddings, rerank or score request, as reported by the upstream (or estimated when enabled and marked so).',
};
export const METRIC_BATCH_SIZE: MetricSpec = {
  name: 'embedding.batch.size',
  unit: '{input}',
  description: 'Number of inputs per embeddings request.',
};
export const METRIC_VECTORS: MetricSpec = {
  name: 'embedding.vectors',
  unit: '{vector}',
  description: 'Embedding vectors returned to clients, by dimension.',
};
export const METRIC_RELAY_OVERHEAD: MetricSpec = {
  name: 'embedding.relay.overhead',
  unit: 's',
  description:
    "Time the relay added to a request: from its arrival to the last byte written to the client, less the wait for the upstream's answer (dispatch to its response headers).",
  prometheusName: 'embedding.relay.overhead_seconds',
};
export const METRIC_ACTIVE_REQUESTS: MetricSpec = {
  // Development status upstream (incubating entry point), copied for the same reason as gen_ai.*.
  name: 'http.server.active_requests',
  unit: '{request}',
  description: 'Requests the relay is currently serving.',
};
export const METRIC_TELEMETRY_ERRORS: MetricSpec = {
  name: 'embedding.relay.telemetry.errors',
  unit: '{error}',
  description: 'Failures inside telemetry extraction; the request itself was served.',
};

export const METRIC_SHED: MetricSpec = {
  name: 'embedding.relay.shed',
  unit: '{request}',
  description:
    'Requests refused with 503 overloaded, by embedding.relay.shed.reason: queue_full (the queue for room in the memory budget was full), queue_timeout (waited RELAY_QUEUE_TIMEOUT_MS), body_over_budget (a body without Content-Length outgrew the room left).',
};
export const METRIC_QUEUE_WAIT: MetricSpec = {
  name: 'embedding.relay.queue.wait',
  unit: 's',
  description: 'Time requests waited for room in the memory budget, of those that had to wait (admitted or refused after it).',
  prometheusName: 'embedding.relay.queue.wait_seconds',
};
export const QUEUE_WAIT_BUCKETS_S = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
export const METRIC_QUEUE_LENGTH: MetricSpec = {
  name: 'embedding.relay.queue.length',
  unit: '{request}',
  description: 'Requests waiting for room in the memory budget now.',
};
export const METRIC_MEMORY_HELD: MetricSpec = {
  name: 'embedding.relay.memory.held',
  unit: 'By',
  description:
    "Bytes the requests in flight are charged against the memory budget now (their bodies and parsed inputs, estimated from the bodies' sizes).",
  prometheusName: 'embedding.relay.memory.held_bytes',
};
export const METRIC_MEMORY_BUDGET: MetricSpec = {
  name: 'embedding.relay.memory.budget',
  unit: 'By',
  description: 'What requests in flight may hold (RELAY_MEMORY_BUDGET_BYTES, or a quarter of the memory limit).',
  prometheusName: 'embedding.relay.memory.budget_bytes',
};

export const METRIC_LOG_DROPPED: MetricSpec = {
  name: 'embedding.relay.log.dropped',
  unit: '{line}',
  description:
    'Log lines that never reached Loki, by error.type: buffer_full (queue bound hit during an outage), rejected (Loki answered 4xx), shutdown (still queued at exit). stdout has every line.',
};

/** Re-reads of RELAY_API_KEYS_FILE (server/key-file-reload.ts), by outcome: error.type absent when
 *  the new keys were taken, `unreadable` or `invalid` when the file was refused (the keys in use stay). */
export const METRIC_KEY_FILE_RELOADS: MetricSpec = {
  name: 'embedding.relay.key_file.reloads',
  unit: '{reload}',
  description:
    'Re-reads of RELAY_API_KEYS_FILE (on a change or SIGHUP), by error.type: absent when its keys were taken, unreadable or invalid when it was refused and the keys in use were kept.',
};

export const METRIC_VECTOR_ANOMALIES: MetricSpec = {
  name: 'embedding.vector.anomalies',
  unit: '{vector}',
  description:
    'Vectors with a quality anomaly, by kind (dimension_mismatch, null/nan/inf component, zero_vector, norm_out_of_range, duplicate_vector, model_mismatch).',
};

export const METRIC_RETRIEVAL_ANOMALIES: MetricSpec = {
  name: 'embedding.retrieval.anomalies',
  unit: '{result}',
  description:
    'Rerank and score results with a quality anomaly, by kind (nan_score, inf_score, index_out_of_range, duplicate_index, missing_results: fewer than asked for).',
};
export const METRIC_RETRIEVAL_DOCUMENTS: MetricSpec = {
  name: 'embedding.retrieval.documents',
  unit: '{document}',
  description: 'Documents per rerank request, pairs per score request.',
};
export const RETRIEVAL_DOCUMENT_BUCKETS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000];

/** http.server.request.duration (stable): the model server's other routes the relay passes on, and
 *  unknown paths. The GenAI operations are gen_ai.client.operation.duration instead: one duration
 *  per request. */
export const METRIC_HTTP_SERVER_DURATION: MetricSpec = {
  name: METRIC_HTTP_SERVER_REQUEST_DURATION,
  unit: 's',
  description: "Duration of the requests that are no GenAI operation: the model server's routes the relay passes on, and unknown paths.",
  prometheusName: `${METRIC_HTTP_SERVER_REQUEST_DURATION}_seconds`,
};
/** The HTTP semantic conventions' advice for http.server.request.duration. */
export const HTTP_DURATION_BUCKETS_S = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

export const METRIC_CANARY_SIMILARITY: MetricSpec = {
  name: 'embedding.canary.similarity',
  unit: '1',
  description: 'Semantic drift canary: minimum cosine similarity of the probe texts to their baseline vectors (1 = unchanged model).',
};
export const METRIC_CANARY_MARGIN: MetricSpec = {
  name: 'embedding.canary.margin',
  unit: '1',
  description: 'Semantic drift canary: cos(paraphrase pair) minus cos(unrelated pair); a sane model keeps it positive.',
};
export const METRIC_CANARY_PROBES: MetricSpec = {
  name: 'embedding.canary.probes',
  unit: '{probe}',
  description: 'Semantic drift canary probes, by outcome (ok, error).',
};

// Hardware semantic conventions (hw.*, development status upstream, incubating entry point):
// copied for the same reason as gen_ai.*. Checked against semantic-conventions 1.45.
export const ATTR_HW_ID = 'hw.id';
export const ATTR_HW_NAME = 'hw.name';
export const ATTR_HW_MODEL = 'hw.model';
export const ATTR_HW_TYPE = 'hw.type';
export const ATTR_HW_VENDOR = 'hw.vendor';
export const ATTR_HW_GPU_TASK = 'hw.gpu.task';
export const HW_TYPE_VALUE_GPU = 'gpu';
export const HW_GPU_TASK_VALUE_GENERAL = 'general';

export const METRIC_HW_GPU_MEMORY_USAGE: MetricSpec = {
  name: 'hw.gpu.memory.usage',
  unit: 'By',
  description: 'GPU memory used (nvidia-smi memory.used).',
  prometheusName: 'hw.gpu.memory.usage_bytes',
};
export const METRIC_HW_GPU_MEMORY_LIMIT: MetricSpec = {
  name: 'hw.gpu.memory.limit',
  unit: 'By',
  description: 'Size of the GPU memory (nvidia-smi memory.total).',
  prometheusName: 'hw.gpu.memory.limit_bytes',
};
export const METRIC_HW_GPU_UTILIZATION: MetricSpec = {
  name: 'hw.gpu.utilization',
  unit: '1',
  description: 'Fraction of the last sample period during which a kernel was running on the GPU (nvidia-smi utilization.gpu / 100).',
  prometheusName: 'hw.gpu.utilization_ratio',
};
export const METRIC_HW_TEMPERATURE: MetricSpec = {
  name: 'hw.temperature',
  unit: 'Cel',
  description: 'GPU core temperature in degrees Celsius (nvidia-smi temperature.gpu).',
  prometheusName: 'hw.temperature_celsius',
};
export const METRIC_HW_POWER: MetricSpec = {
  name: 'hw.power',
  unit: 'W',
  description: 'GPU power draw in watts (nvidia-smi power.draw).',
  prometheusName: 'hw.power_watts',
};

// Node.js runtime metrics (nodejs.* and v8js.*, development status upstream). The instruments are
// created by @opentelemetry/instrumentation-runtime-node, not by us; these specs only give them
// Prometheus unit suffixes (the descriptions here document them; the package sets its own). Names
// copied from that package's own semconv module (0.37), for the same reason as gen_ai.*;
// test/integration/runtime-metrics.test.ts fails if the package ever emits other names.
const runtime = (name: string, unit: string, description: string, suffix: string): MetricSpec => ({
  name,
  unit,
  description,
  prometheusName: `${name}${suffix}`,
});
export const RUNTIME_METRIC_SPECS: readonly MetricSpec[] = [
  runtime(
    'v8js.memory.heap.space.size',
    'By',
    'V8 heap memory committed for a heap space (what process.memoryUsage().heapTotal sums).',
    '_bytes',
  ),
  runtime(
    'v8js.memory.heap.space.physical_size',
    'By',
    "V8's estimate of the resident part of a heap space (it can under-count pages the young generation touched).",
    '_bytes',
  ),
  runtime('v8js.memory.heap.space.available_size', 'By', 'V8 heap memory still available in a heap space.', '_bytes'),
  runtime('v8js.memory.heap.used', 'By', 'V8 heap memory in use by objects in a heap space (live and not yet collected).', '_bytes'),
  runtime('v8js.gc.duration', 's', 'Garbage collection pauses, by v8js.gc.type (major, minor, incremental, weakcb).', '_seconds'),
  runtime('nodejs.eventloop.delay.min', 's', 'Event loop delay, minimum since the previous collection.', '_seconds'),
  runtime('nodejs.eventloop.delay.max', 's', 'Event loop delay, maximum since the previous collection.', '_seconds'),
  runtime('nodejs.eventloop.delay.mean', 's', 'Event loop delay, mean since the previous collection.', '_seconds'),
  runtime('nodejs.eventloop.delay.stddev', 's', 'Event loop delay, standard deviation since the previous collection.', '_seconds'),
  runtime('nodejs.eventloop.delay.p50', 's', 'Event loop delay, 50th percentile since the previous collection.', '_seconds'),
  runtime('nodejs.eventloop.delay.p90', 's', 'Event loop delay, 90th percentile since the previous collection.', '_seconds'),
  runtime('nodejs.eventloop.delay.p99', 's', 'Event loop delay, 99th percentile since the previous collection.', '_seconds'),
  runtime('nodejs.eventloop.time', 's', 'Time the event loop spent in each nodejs.eventloop.state (active, idle).', '_seconds'),
  runtime('nodejs.eventloop.utilization', '1', 'Fraction of time the event loop was active since the previous collection.', '_ratio'),
];

/** process.memory.usage (development status upstream, copied like gen_ai.*): the relay's RSS. */
export const METRIC_PROCESS_MEMORY_USAGE: MetricSpec = {
  name: 'process.memory.usage',
  unit: 'By',
  description: 'Resident set size of the relay process (process.memoryUsage.rss()): V8 heap, native memory and code.',
  prometheusName: 'process.memory.usage_bytes',
};

/** http.client.request.duration (stable): recorded by instrumentation-undici for the upstream call;
 *  this spec only gives it its Prometheus unit suffix. */
export const METRIC_HTTP_CLIENT_DURATION: MetricSpec = {
  name: METRIC_HTTP_CLIENT_REQUEST_DURATION,
  unit: 's',
  description: 'Duration of HTTP client requests: the calls to the upstream model server (instrumentation-undici).',
  prometheusName: `${METRIC_HTTP_CLIENT_REQUEST_DURATION}_seconds`,
};

export const METRIC_SPECS: readonly MetricSpec[] = [
  METRIC_HTTP_CLIENT_DURATION,
  METRIC_HTTP_SERVER_DURATION,
  METRIC_RETRIEVAL_ANOMALIES,
  METRIC_RETRIEVAL_DOCUMENTS,
  METRIC_HW_GPU_MEMORY_USAGE,
  METRIC_HW_GPU_MEMORY_LIMIT,
  METRIC_HW_GPU_UTILIZATION,
  METRIC_HW_TEMPERATURE,
  METRIC_HW_POWER,
  METRIC_CANARY_SIMILARITY,
  METRIC_CANARY_MARGIN,
  METRIC_CANARY_PROBES,
  METRIC_VECTOR_ANOMALIES,
  METRIC_OPERATION_DURATION,
  METRIC_TOKEN_USAGE,
  METRIC_BATCH_SIZE,
  METRIC_VECTORS,
  METRIC_RELAY_OVERHEAD,
  METRIC_ACTIVE_REQUESTS,
  METRIC_TELEMETRY_ERRORS,
  METRIC_LOG_DROPPED,
  METRIC_KEY_FILE_RELOADS,
  METRIC_SHED,
  METRIC_QUEUE_WAIT,
  METRIC_QUEUE_LENGTH,
  METRIC_MEMORY_HELD,
  METRIC_MEMORY_BUDGET,
  METRIC_PROCESS_MEMORY_USAGE,
  ...RUNTIME_METRIC_SPECS,
];

export const METER_NAME = 'embedding-relay';
export const TRACER_NAME = 'embedding-relay';
