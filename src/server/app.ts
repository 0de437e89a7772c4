// Composition: config → upstream (the built-in SIMULATOR when none is configured) → handler →
// HTTP server. Used by main.ts and by the tests, so both run the same wiring.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { Canary } from '../monitors/canary.ts';
import { settingNames, type Config } from '../config/load.ts';
import { activeTelemetry } from '../telemetry/sdk.ts';
import { setHealthHandler } from './admin-server.ts';
import { clientErrorToRelayError, rawErrorResponse } from '../core/errors.ts';
import { createLogging, type Logging, loggingOf } from '../telemetry/logger.ts';
import { GpuMonitor } from '../monitors/gpu.ts';
import { InboundAuth } from '../relay/auth.ts';
import { KeyFileReload } from './key-file-reload.ts';
import { observeAdmission, RelayMetrics } from '../telemetry/metrics.ts';
import { Admission } from '../relay/admission.ts';
import { memoryBudget, type MemoryBudget } from './memory-limit.ts';
import { createRelayHandler } from '../relay/router.ts';
import { OTHER_VALUE } from '../telemetry/semconv.ts';
import { listen, type RunningServer } from './listen.ts';
import { simulatorOptions } from '../simulator/simulator.ts';
import { startSimulator } from './simulator-server.ts';
import { Upstream } from '../upstream/client.ts';
import { checkUpstream, type UpstreamCheck } from './upstream-check.ts';
import { detectProvider, type UpstreamProfile, usageFor } from '../upstream/profile.ts';

export interface RunningRelay {
  url: string;
  upstreamUrl: string;
  /** Set when the relay started its own simulator. */
  simulator: RunningServer | undefined;
  /** The memory limit planned for and what requests in flight may hold of it. */
  memory: MemoryBudget;
  /** Set when the semantic drift canary is on. */
  canary: Canary | undefined;
  /** Set when GPU gauges are on (RELAY_GPU). */
  gpu: GpuMonitor | undefined;
  /** The address and port the API listens on, as bound (0.0.0.0 for all interfaces). */
  bound: { host: string; port: number };
  /** GET {upstream}/models once: reachable? which models? */
  checkUpstream(timeoutMs?: number): Promise<UpstreamCheck>;
  /** The provider name and usage unit requests are recorded with (the start-up check may detect them). */
  profile: UpstreamProfile;
  /** Stop accepting, wait for in-flight requests (at most graceMs), then close everything. The log
   *  flush (the Loki queue's bounded window) runs side by side with `alongside` (main.ts: the span
   *  flush), so exit waits for the longer of the two, not their sum. */
  close(graceMs?: number, alongside?: () => Promise<void> | undefined): Promise<void>;
}

export function defaultProviderName(upstreamUrl: string | undefined): string {
  if (upstreamUrl === undefined) return 'simulator';
  return new URL(upstreamUrl).hostname === 'api.openai.com' ? 'openai' : OTHER_VALUE;
}

/** The upstream client; the built-in SIMULATOR is started first when no upstream is configured. */
async function upstreamFor(config: Config): Promise<{ upstream: Upstream; upstreamUrl: string; simulator: RunningServer | undefined }> {
  let simulator: RunningServer | undefined;
  let upstreamUrl = config.upstreamUrl;
  if (upstreamUrl === undefined) {
    simulator = await startSimulator(
      simulatorOptions(config),
      config.simulatorHost,
      config.simulatorPort,
      settingNames('simulatorHost', 'simulatorPort'),
    );
    upstreamUrl = `${simulator.url}/v1`;
  }
  const upstream = new Upstream({
    url: upstreamUrl,
    apiKey: config.upstreamApiKey,
    dropClientCredentials: config.apiKeys !== undefined || config.apiKeysFile !== undefined,
    // No SDK in this process (OTEL_SDK_DISABLED=true, or started without instrument.ts): nothing
    // injects a trace context, so the client's is passed on.
    forwardTraceContext: !(activeTelemetry()?.enabled ?? false),
    connections: config.upstreamConnections,
    connectTimeoutMs: config.connectTimeoutMs,
    headersTimeoutMs: config.headersTimeoutMs,
    bodyTimeoutMs: config.bodyTimeoutMs,
  });
  return { upstream, upstreamUrl, simulator };
}

/** Inbound auth from RELAY_API_KEYS or RELAY_API_KEYS_FILE (the file re-read while the relay runs,
 *  key-file-reload.ts); none when neither is set. */
function inboundAuth(config: Config, logger: Logger): { auth: InboundAuth | undefined; reload: KeyFileReload | undefined } {
  const file = config.apiKeysFile;
  const keys = config.apiKeys ?? file?.keys;
  if (keys === undefined) return { auth: undefined, reload: undefined };
  const auth = new InboundAuth(keys);
  const reload = file && new KeyFileReload({ path: file.path, keys: file.keys, auth, pollMs: config.apiKeysFilePollMs, logger });
  return { auth, reload };
}

function relayHandler(
  config: Config,
  auth: InboundAuth | undefined,
  upstream: Upstream,
  logger: Logger,
  metrics: RelayMetrics,
  profile: UpstreamProfile,
  admission: Admission,
): (req: IncomingMessage, res: ServerResponse) => void {
  return createRelayHandler({
    upstream,
    logger,
    metrics,
    auth,
    callerHeader: config.callerHeader,
    maxCallerLabels: config.maxCallerLabels,
    endUser: config.endUser,
    profile,
    maxBodyBytes: config.maxBodyBytes,
    admission,
    maxBatch: config.maxBatch,
    maxInputChars: config.maxInputChars,
    passThroughRoutes: config.passThroughRoutes,
    maxModelLabels: config.maxModelLabels,
    inspectMaxBytes: config.inspectMaxBytes,
    estimateTokens: config.estimateTokens,
    logInputs: config.logInputs,
    expectedDimensions: config.expectedDimensions ?? new Map(),
    vectorCheckRate: config.vectorCheckRate,
    normBand: { check: config.vectorNormCheck, min: config.vectorNormMin, max: config.vectorNormMax },
    modelMismatchCheck: config.modelMismatchCheck,
  });
}

/** The API's HTTP server: client timeouts, `Expect: 100-continue`, and errors before a request. */
function apiServer(config: Config, handler: (req: IncomingMessage, res: ServerResponse) => void): Server {
  const server = createServer(
    {
      headersTimeout: config.clientHeadersTimeoutMs,
      requestTimeout: config.clientRequestTimeoutMs,
      maxHeaderSize: config.maxHeaderBytes,
      // How often Node checks those timeouts (30 s by default: a slow client could overstay by that much).
      connectionsCheckingInterval: Math.min(1_000, config.clientHeadersTimeoutMs),
    },
    handler,
  );
  // Node's 5 s is shorter than the idle timeout of the proxies that pool connections to the relay
  // (nginx and AWS ALB: 60 s), and such a proxy can send a request on a connection the relay is
  // closing. Node keeps the socket keepAliveTimeoutBuffer (1 s) longer than it advertises.
  server.keepAliveTimeout = config.keepAliveTimeoutMs;
  // `Expect: 100-continue` (curl sends it for large bodies): invite the body only when it may fit;
  // an announced oversized body gets its 413 without being uploaded first (body.ts then closes).
  server.on('checkContinue', (req, res) => {
    const declared = Number(req.headers['content-length']);
    if (!(Number.isFinite(declared) && declared > config.maxBodyBytes)) res.writeContinue();
    handler(req, res);
  });
  // Slow, oversized or malformed requests never reach the handler: answer them in the same
  // OpenAI-style JSON as every other error, then close.
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    // A response already under way on this socket must not get an error spliced into it.
    const current = (socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (err.code === 'ECONNRESET' || !socket.writable || current?.headersSent) return socket.destroy();
    socket.end(rawErrorResponse(clientErrorToRelayError(err)));
  });
  return server;
}

/** The monitors beside the request path (drift canary, GPU gauges), each when configured. */
function startMonitors(
  config: Config,
  upstream: Upstream,
  logger: Logger,
  metrics: RelayMetrics,
): { canary: Canary | undefined; gpu: GpuMonitor | undefined } {
  const canary =
    config.canaryIntervalMs > 0
      ? new Canary({
          upstream,
          logger,
          model: config.canaryModel!,
          intervalMs: config.canaryIntervalMs,
          baselineFile: config.canaryBaselineFile,
          timeoutMs: config.headersTimeoutMs,
        })
      : undefined;
  canary?.start();
  const gpu = GpuMonitor.wanted(config.gpu, config.gpuCommand)
    ? new GpuMonitor({
        command: config.gpuCommand,
        intervalMs: config.gpuIntervalMs,
        logger,
        onError: (stage) => metrics.telemetryError(stage),
      })
    : undefined;
  gpu?.start();
  return { canary, gpu };
}

export async function startRelay(config: Config, overrides: { logger?: Logger } = {}): Promise<RunningRelay> {
  const logging: Logging = overrides.logger
    ? loggingOf(overrides.logger)
    : createLogging({
        level: config.logLevel,
        serviceName: config.serviceName,
        lokiUrl: config.lokiUrl,
        lokiBufferMaxLines: config.lokiBufferMaxLines,
        lokiBufferMaxBytes: config.lokiBufferMaxBytes,
      });
  const { logger } = logging;
  const { upstream, upstreamUrl, simulator } = await upstreamFor(config);
  const metrics = new RelayMetrics();
  const providerName = config.providerName ?? defaultProviderName(config.upstreamUrl);
  const profile: UpstreamProfile = { providerName, usage: usageFor(providerName, config.upstreamUsage) };
  const budget = memoryBudget(config);
  const admission = new Admission({
    budgetBytes: budget.budgetBytes,
    queueMax: config.queueMax,
    queueTimeoutMs: config.queueTimeoutMs,
    retryAfterS: config.retryAfterS,
  });
  const stopObserving = observeAdmission(admission);
  const { auth, reload } = inboundAuth(config, logger);
  const handler = relayHandler(config, auth, upstream, logger, metrics, profile, admission);
  const server = apiServer(config, handler);
  // The probes also answer on the admin port (admin-server.ts).
  setHealthHandler(handler);
  const running = await listen(server, config.host, config.port, settingNames('host', 'port'));
  const { canary, gpu } = startMonitors(config, upstream, logger, metrics);
  reload?.start();
  return {
    url: running.url,
    upstreamUrl,
    simulator,
    canary,
    gpu,
    memory: budget,
    bound: { host: running.host, port: running.port },
    profile,
    async checkUpstream(timeoutMs = 3_000) {
      const check = await checkUpstream(upstream, timeoutMs);
      // An unconfigured provider named by the model list (Infinity): its usage unit follows.
      if (check.reachable) detectProvider(profile, check.ownedBy, { providerName: config.providerName, usage: config.upstreamUsage });
      return check;
    },
    async close(graceMs = 10_000, alongside) {
      try {
        setHealthHandler(undefined);
        // Stop accepting first; background probes stop while in-flight requests drain.
        const closed = running.close();
        const timer = setTimeout(() => server.closeAllConnections(), graceMs);
        gpu?.stop();
        reload?.stop();
        stopObserving();
        await canary?.stop();
        await closed;
        clearTimeout(timer);
        await upstream.close();
        await simulator?.close();
      } finally {
        await Promise.all([logging.close(), alongside?.()]);
      }
    },
  };
}
