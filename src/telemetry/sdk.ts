// OpenTelemetry SDK wiring: the only module that touches the SDK. Loaded before the app through
// instrument.ts (`node --import`), and by tests with an in-memory span exporter.
//
// - Traces: NodeSDK configures the span exporter from the standard OTEL_* variables (OTLP/HTTP
//   protobuf by default, batched with a bounded queue) unless a test passes span processors.
// - Metrics: a Prometheus pull reader whose handler the caller serves (server/admin-server.ts, the
//   admin port), because exporter-prometheus 0.301 ignores OTEL_EXPORTER_PROMETHEUS_HOST/PORT and
//   cannot report an ephemeral port.
//   Views give Prometheus-conventional names (unit suffix) from the table in semconv.ts.
// - Upstream spans: instrumentation-undici (CLIENT span + traceparent on every upstream call).
// - Runtime metrics: instrumentation-runtime-node (V8 heap, GC, event loop) and process RSS.
// - Logs: pino (see logger.ts), so the SDK's own OTLP log pipeline is left unconfigured.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { diag, DiagLogLevel, type DiagLogger } from '@opentelemetry/api';
import { setGlobalErrorHandler } from '@opentelemetry/core';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { RuntimeNodeInstrumentation } from '@opentelemetry/instrumentation-runtime-node';
import { UndiciInstrumentation, type UndiciRequest } from '@opentelemetry/instrumentation-undici';
import {
  detectResources,
  envDetector,
  hostDetector,
  osDetector,
  type Resource,
  resourceFromAttributes,
  serviceInstanceIdDetector,
} from '@opentelemetry/resources';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { AggregationType, createAllowListAttributesProcessor, type ViewOptions } from '@opentelemetry/sdk-metrics';
import type { SpanProcessor } from '@opentelemetry/sdk-trace';
import { sdkDisabled } from '../config/load.ts';
import { exportFailureReporter } from './export-warnings.ts';
import { PROBE_HEADER } from '../core/headers.ts';
import { observeProcessMemory } from './process-metrics.ts';
import { METRIC_SPECS } from './semconv.ts';

/** Where /metrics is served: the admin port, as bound. */
export interface MetricsEndpoint {
  /** http://host:port */
  url: string;
  host: string;
  port: number;
  close(): Promise<void>;
}

export interface TelemetryOptions {
  serviceName: string;
  /** Serves the exporter's GET /metrics handler (server/admin-server.ts); called once. */
  serveMetrics: (metrics: (req: IncomingMessage, res: ServerResponse) => void) => Promise<MetricsEndpoint>;
  /** Tests pass their own (e.g. SimpleSpanProcessor over InMemorySpanExporter). */
  spanProcessors?: SpanProcessor[];
  env?: NodeJS.ProcessEnv;
}

export interface Telemetry {
  enabled: boolean;
  /** http://host:port/metrics, when enabled. */
  metricsUrl: string | undefined;
  /** The metrics listener's address and port as bound, when enabled. */
  metricsBound?: { host: string; port: number };
  shutdown(): Promise<void>;
}

/** The telemetry this process started (instrument.ts runs it before main.ts, which prints the
 *  bound metrics address from here). Like the OTel API's own globals: one per process. */
let active: Telemetry | undefined;
export const activeTelemetry = (): Telemetry | undefined => active;

/** Longest the final span flush may hold up process exit. */
export const FLUSH_TIMEOUT_MS = 3_000;

/** Per-metric series cap; a backstop behind the model-name limiter (overflow → otel.metric.overflow). */
export const CARDINALITY_LIMIT = 2000;

export function prometheusViews(): ViewOptions[] {
  return [
    ...METRIC_SPECS.filter((m) => m.prometheusName !== undefined).map((m) => ({
      instrumentName: m.name,
      name: m.prometheusName!,
      aggregationCardinalityLimit: CARDINALITY_LIMIT,
    })),
    SPAN_COUNTS_DROPPED,
  ];
}

/** The SDK's self-metrics are on for the span processor's queue and its failed exports; the
 *  tracer's own per-span counts (otel.sdk.span.started and .live) come with them, three records
 *  for every span, and say nothing the request metrics do not (two spans per request). Dropped,
 *  and with no attributes left to hash on the way. */
const SPAN_COUNTS_DROPPED: ViewOptions = {
  meterName: '@opentelemetry/sdk-trace',
  instrumentName: 'otel.sdk.span.*',
  aggregation: { type: AggregationType.DROP },
  attributesProcessors: [createAllowListAttributesProcessor([])],
};

/** undici ≥6 hands headers as [k1, v1, k2, v2, ...]; v5 as one "k: v\r\n" string. */
export function isProbe(request: UndiciRequest): boolean {
  const h = request.headers as unknown;
  if (typeof h === 'string') return h.toLowerCase().includes(`${PROBE_HEADER}:`);
  if (Array.isArray(h)) return h.some((v, i) => i % 2 === 0 && String(v).toLowerCase() === PROBE_HEADER);
  return false;
}

const stderrDiagLogger: DiagLogger = {
  error: (msg, ...args) => console.error(msg, ...args),
  warn: (msg, ...args) => console.error(msg, ...args),
  info: (msg, ...args) => console.error(msg, ...args),
  debug: (msg, ...args) => console.error(msg, ...args),
  verbose: (msg, ...args) => console.error(msg, ...args),
};

/** OTEL_TRACES_EXPORTER's first entry is `none` (the SDK's own reading of the variable). */
export const tracesExporterNone = (env: NodeJS.ProcessEnv): boolean =>
  (env['OTEL_TRACES_EXPORTER'] ?? '').split(',')[0]?.trim().toLowerCase() === 'none';

/** OTEL_LOG_LEVEL (case-insensitive) → DiagLogLevel; unset or unknown → WARN. */
export function diagLevel(value: string | undefined): DiagLogLevel {
  const levels: Record<string, DiagLogLevel> = {
    NONE: DiagLogLevel.NONE,
    ERROR: DiagLogLevel.ERROR,
    WARN: DiagLogLevel.WARN,
    INFO: DiagLogLevel.INFO,
    DEBUG: DiagLogLevel.DEBUG,
    VERBOSE: DiagLogLevel.VERBOSE,
    ALL: DiagLogLevel.ALL,
  };
  return levels[(value ?? '').toUpperCase()] ?? DiagLogLevel.WARN;
}

/** The SDK's DiagConsoleLogger prints info/debug with console.log, i.e. into stdout, which must
 *  carry only the JSON log lines. Ours sends every level to stderr; NodeSDK would replace it when
 *  it sees OTEL_LOG_LEVEL, so the variable is read here and hidden from NodeSDK's constructor.
 *  Export failures: one rate-limited line, not the SDK's JSON dump of each error. */
function reportToStderr(env: NodeJS.ProcessEnv): void {
  diag.setLogger(stderrDiagLogger, { logLevel: diagLevel(env['OTEL_LOG_LEVEL']), suppressOverrideMessage: true });
  setGlobalErrorHandler(exportFailureReporter((line) => console.error(line)));
}

/** Resource detected up front and awaited: the host detector is async, and a scrape before it
 *  settles makes the exporter warn on every early request. No processDetector: it exports
 *  process.command_args, and a secret passed as a flag (--upstream-api-key=...) would end up on
 *  every span and in target_info. */
async function detectResource(serviceName: string): Promise<Resource> {
  const resource = detectResources({ detectors: [envDetector, hostDetector, osDetector, serviceInstanceIdDetector] }).merge(
    resourceFromAttributes({ 'service.name': serviceName }),
  );
  await resource.waitForAsyncAttributes?.();
  return resource;
}

export async function startTelemetry(opts: TelemetryOptions): Promise<Telemetry> {
  const env = opts.env ?? process.env;
  if (sdkDisabled(env)) {
    return { enabled: false, metricsUrl: undefined, shutdown: async () => {} };
  }
  reportToStderr(env);
  const resource = await detectResource(opts.serviceName);

  // The SDK's own metrics (batch span processor queue size and capacity, spans processed with
  // error.type = queue_full or the export error): without them a dead Collector drops spans
  // silently. On unless the operator set the variable.
  process.env['OTEL_NODE_EXPERIMENTAL_SDK_METRICS'] ??= 'true';
  const prometheus = new PrometheusExporter({ preventServerStart: true });
  const savedLogLevel = process.env['OTEL_LOG_LEVEL'];
  delete process.env['OTEL_LOG_LEVEL'];
  let sdk: NodeSDK;
  try {
    sdk = new NodeSDK({
      resource,
      autoDetectResources: false,
      metricReaders: [prometheus],
      views: prometheusViews(),
      // Runtime: V8 heap by space, GC pauses, event loop delay and utilization (RUNTIME_METRIC_SPECS).
      instrumentations: [new UndiciInstrumentation({ ignoreRequestHook: isProbe }), new RuntimeNodeInstrumentation()],
      logRecordProcessors: [],
      // OTEL_TRACES_EXPORTER=none: no span processors, said here rather than by NodeSDK, which
      // would warn "SDK will not be initialized." although metrics still are.
      ...(opts.spanProcessors ? { spanProcessors: opts.spanProcessors } : tracesExporterNone(env) ? { spanProcessors: [] } : {}),
    });
  } finally {
    if (savedLogLevel !== undefined) process.env['OTEL_LOG_LEVEL'] = savedLogLevel;
  }
  sdk.start();
  observeProcessMemory();

  const running = await opts.serveMetrics((req, res) => prometheus.getMetricsRequestHandler(req, res));

  let done: Promise<void> | undefined;
  active = {
    enabled: true,
    metricsUrl: `${running.url}/metrics`,
    metricsBound: { host: running.host, port: running.port },
    shutdown: () =>
      (done ??= (async () => {
        await running.close();
        // A dead Collector would hold the exit for the exporter's full retry timeout: bound it.
        let timer: NodeJS.Timeout | undefined;
        const bound = new Promise<void>((resolve) => {
          timer = setTimeout(() => {
            console.error(`embedding-relay: telemetry flush did not finish within ${FLUSH_TIMEOUT_MS} ms; unsent spans are dropped`);
            resolve();
          }, FLUSH_TIMEOUT_MS);
        });
        await Promise.race([sdk.shutdown(), bound]);
        clearTimeout(timer);
      })()),
  };
  return active;
}
