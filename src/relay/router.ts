// The relay's request handler: a route table in front of the embeddings flow, the /v1/models
// pass-through and the probes. A plain (req, res) function with no socket of its own (server/app.ts
// owns that); it never throws. Embeddings calls, and calls to unknown paths, are recorded: each
// begins a recording (telemetry/request-telemetry.ts) here and ends it here, once answered.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { RelayError, writeError } from '../core/errors.ts';
import { sendJson } from '../core/send-json.ts';
import { DimensionExpectations, type NormBand } from '../inspect/vector-health.ts';
import type { RelayMetrics } from '../telemetry/metrics.ts';
import { ModelLabels } from '../telemetry/model-labels.ts';
import { RequestTelemetry } from '../telemetry/request-telemetry.ts';
import type { Upstream } from '../upstream/client.ts';
import type { UpstreamProfile } from '../upstream/profile.ts';
import type { Admission } from './admission.ts';
import { answerError } from './answer-error.ts';
import type { InboundAuth } from './auth.ts';
import { EmbeddingsFlow } from './embeddings.ts';
import { modelsPassThrough } from './models.ts';
import { readinessProbe } from './ready.ts';

export interface RelayOptions {
  upstream: Upstream;
  logger: Logger;
  metrics: RelayMetrics;
  /** Inbound auth (RELAY_API_KEYS); undefined: every client is let through. */
  auth?: InboundAuth;
  /** The provider name and usage unit, read per request (the start-up check may fill them in). */
  profile: UpstreamProfile;
  maxBodyBytes: number;
  /** What requests in flight may hold, and the queue at its bound (admission.ts). */
  admission: Admission;
  maxBatch: number;
  /** Longest string input, in characters (400 input_too_long above). */
  maxInputChars?: number;
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
  const telemetry = new RequestTelemetry({
    metrics,
    logger: opts.logger,
    logInputs: opts.logInputs,
    labels: new ModelLabels(opts.maxModelLabels),
    profile: opts.profile,
    server: { address: upstream.address, port: upstream.port },
  });
  const embeddings = new EmbeddingsFlow({
    ...opts,
    auth: opts.auth,
    dimensions: new DimensionExpectations(opts.expectedDimensions, LEARNED_DIMENSIONS_MAX),
    maxInputChars: opts.maxInputChars ?? Number.POSITIVE_INFINITY,
    random: opts.random ?? Math.random,
    modelMismatchCheck: opts.modelMismatchCheck ?? true,
  });

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
    if (path === '/v1/embeddings' || path === '/embeddings') {
      const recording = telemetry.begin(req, path);
      embeddings
        .handle(req, res, recording)
        .catch(() => metrics.telemetryError('handler'))
        .finally(() => recording.end());
      return;
    }
    const read = reads.get(path);
    if (read === undefined) {
      // Unknown paths are recorded like any other refused request.
      const recording = telemetry.begin(req, undefined);
      const message = `Unknown path ${path}: this relay serves POST /v1/embeddings and GET /v1/models.`;
      answerError(recording, new RelayError('not_found', message), res);
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
