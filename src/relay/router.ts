// The relay's request handler: the route table (routes.ts: the GenAI operations and the passed-on
// routes, all through one flow, flow.ts) in front of /v1/models and the probes. A plain (req, res)
// function with no socket of its own (server/app.ts owns that); it never throws. Routed calls, and
// calls to unknown paths, are recorded: each begins a recording (telemetry/request-telemetry.ts)
// here and ends it here, once answered. Only the operations' records carry a GenAI operation.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { RelayError, writeError } from '../core/errors.ts';
import type { Operation } from '../core/record.ts';
import { sendJson } from '../core/send-json.ts';
import { DimensionExpectations, type NormBand } from '../inspect/vector-health.ts';
import { CALLER_DEFAULTS, type EndUserPolicy } from '../config/caller-options.ts';
import { ADMIN_ROUTES } from '../config/pass-through-routes.ts';
import type { RelayMetrics } from '../telemetry/metrics.ts';
import { BoundedLabels } from '../telemetry/bounded-labels.ts';
import { RequestTelemetry } from '../telemetry/request-telemetry.ts';
import type { Upstream } from '../upstream/client.ts';
import type { UpstreamProfile } from '../upstream/profile.ts';
import type { Admission } from './admission.ts';
import { answerError } from './answer-error.ts';
import type { InboundAuth } from './auth.ts';
import { EmbeddingsStages } from './embeddings.ts';
import { type OperationStages, RelayFlow } from './flow.ts';
import { modelsPassThrough } from './models.ts';
import { passThroughStages } from './pass-through.ts';
import { RankingStages } from './ranking.ts';
import { readinessProbe } from './ready.ts';
import { routeTable } from './routes.ts';

export interface RelayOptions {
  upstream: Upstream;
  logger: Logger;
  metrics: RelayMetrics;
  /** Inbound auth (RELAY_API_KEYS or RELAY_API_KEYS_FILE); undefined: every client is let through. */
  auth?: InboundAuth;
  /** Without inbound auth: the header a trusted proxy names the caller in (RELAY_CALLER_HEADER). */
  callerHeader?: string;
  /** Distinct caller names kept as metric labels (RELAY_MAX_CALLER_LABELS). */
  maxCallerLabels?: number;
  /** What telemetry keeps of a request's `user` field (RELAY_END_USER); default hash. */
  endUser?: EndUserPolicy;
  /** The provider name and usage unit, read per request (the start-up check may fill them in). */
  profile: UpstreamProfile;
  maxBodyBytes: number;
  /** What requests in flight may hold, and the queue at its bound (admission.ts). */
  admission: Admission;
  maxBatch: number;
  /** Longest string input, in characters (400 input_too_long above). */
  maxInputChars?: number;
  /** The model server's other routes relayed unchanged (RELAY_PASSTHROUGH_ROUTES); none when unset. */
  passThroughRoutes?: readonly string[];
  maxModelLabels: number;
  inspectMaxBytes: number;
  estimateTokens: boolean;
  logInputs: boolean;
  /** Quality checks: configured dimensions per model, sampling rate, norm band. */
  expectedDimensions: ReadonlyMap<string, number>;
  vectorCheckRate: number;
  normBand: NormBand;
  /** Flag responses naming another model (RELAY_MODEL_MISMATCH_CHECK); default on. */
  modelMismatchCheck?: boolean;
  /** Test seam for the sampling decision; defaults to Math.random. */
  random?: () => number;
  readyTimeoutMs?: number;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** Learned model dimensions kept at most (memory bound). */
const LEARNED_DIMENSIONS_MAX = 10_000;

export function createRelayHandler(opts: RelayOptions): Handler {
  const { upstream, metrics } = opts;
  const telemetry = requestTelemetry(opts);
  const flow = new RelayFlow({ ...opts, auth: opts.auth, callerHeader: opts.callerHeader });
  const limits = { maxBatch: opts.maxBatch, maxInputChars: opts.maxInputChars ?? Number.POSITIVE_INFINITY };
  const endUser = opts.endUser ?? CALLER_DEFAULTS.endUser;
  const ranking = { ...opts, ...limits, endUser };
  const stages = new Map<Operation | undefined, OperationStages>([
    [
      'embeddings',
      new EmbeddingsStages({
        ...opts,
        ...limits,
        endUser,
        dimensions: new DimensionExpectations(opts.expectedDimensions, LEARNED_DIMENSIONS_MAX),
        random: opts.random ?? Math.random,
        modelMismatchCheck: opts.modelMismatchCheck ?? true,
      }),
    ],
    ['rerank', new RankingStages('rerank', ranking)],
    ['score', new RankingStages('score', ranking)],
    [undefined, passThroughStages],
  ]);
  const routes = routeTable(opts.passThroughRoutes ?? []);

  /** GET/HEAD routes (models and probes): any other method gets 405, unrecorded. */
  const models = modelsPassThrough(upstream, opts.auth);
  const ready = readinessProbe(upstream, opts.readyTimeoutMs);
  const reads = new Map<string, Handler>([
    ['/v1/models', (req, res) => void models(req, res)],
    ['/models', (req, res) => void models(req, res)],
    ['/healthz', (_req, res) => sendJson(res, 200, { status: 'ok' })],
    ['/readyz', (req, res) => void ready(req, res)],
  ]);

  return function route(req, res) {
    const path = (req.url ?? '/').split('?', 1)[0]!;
    const routed = routes.get(path);
    if (routed !== undefined) {
      const recording = telemetry.begin(req, routed.path, routed.operation);
      flow
        .handle(req, res, recording, routed, stages.get(routed.operation)!)
        .catch(() => metrics.telemetryError('handler'))
        .finally(() => recording.end());
      return;
    }
    const read = reads.get(path);
    if (read === undefined) {
      // Unknown paths are recorded as HTTP requests: a probe of / is no GenAI operation.
      const recording = telemetry.begin(req, undefined, undefined);
      answerError(recording, new RelayError('not_found', notFoundMessage(path)), res);
      recording.end();
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return writeError(res, new RelayError('method_not_allowed', `Method ${req.method} is not allowed on ${path}; use GET.`), {
        allow: 'GET, HEAD',
      });
    }
    read(req, res);
  };
}

/** Each request's telemetry, its model and caller labels bounded. */
function requestTelemetry(opts: RelayOptions): RequestTelemetry {
  return new RequestTelemetry({
    metrics: opts.metrics,
    logger: opts.logger,
    logInputs: opts.logInputs,
    labels: {
      model: new BoundedLabels(opts.maxModelLabels),
      caller: new BoundedLabels(opts.maxCallerLabels ?? CALLER_DEFAULTS.maxCallerLabels),
    },
    profile: opts.profile,
    server: { address: opts.upstream.address, port: opts.upstream.port },
  });
}

function notFoundMessage(path: string): string {
  if (ADMIN_ROUTES.includes(path)) {
    return `${path} is an admin route of the model server, which the relay never relays (RELAY_PASSTHROUGH_ROUTES lists the routes it does).`;
  }
  return `Unknown path ${path}: this relay serves POST /v1/embeddings, /v1/rerank and /v1/score, GET /v1/models, and the model server routes RELAY_PASSTHROUGH_ROUTES lists.`;
}
