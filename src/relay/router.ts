// The relay's request handler: a route table in front of the embeddings flow, the /v1/models
// pass-through and the probes. A plain (req, res) function with no socket of its own (server/app.ts
// owns that); it never throws. Embeddings calls, and calls to unknown paths, each become one
// RequestRecord projected onto a span, metrics and a log line (telemetry/project.ts).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { RelayError, writeError } from '../errors.ts';
import { DimensionExpectations, type NormBand } from '../inspect/vector-health.ts';
import type { RelayMetrics } from '../telemetry/metrics.ts';
import { ModelLabels } from '../telemetry/model-labels.ts';
import { projections } from '../telemetry/project.ts';
import { sendJson } from '../send-json.ts';
import type { InboundAuth } from './auth.ts';
import { EmbeddingsFlow } from './embeddings.ts';
import { modelsPassThrough } from './models.ts';
import { readinessProbe } from './ready.ts';
import type { UpstreamProfile } from './profile.ts';
import { newRecord } from './record.ts';
import type { Upstream } from './upstream.ts';

export interface RelayOptions {
  upstream: Upstream;
  logger: Logger;
  metrics: RelayMetrics;
  /** Inbound auth (RELAY_API_KEYS); undefined: every client is let through. */
  auth?: InboundAuth;
  /** The provider name and usage unit, read per request (the start-up check may fill them in). */
  profile: UpstreamProfile;
  maxBodyBytes: number;
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
  const project = projections({ metrics, logger: opts.logger, logInputs: opts.logInputs });
  const labels = new ModelLabels(opts.maxModelLabels);
  const embeddings = new EmbeddingsFlow({
    ...opts,
    auth: opts.auth,
    projections: project,
    labels,
    dimensions: new DimensionExpectations(opts.expectedDimensions, LEARNED_DIMENSIONS_MAX),
    maxInputChars: opts.maxInputChars ?? Number.POSITIVE_INFINITY,
    random: opts.random ?? Math.random,
    modelMismatchCheck: opts.modelMismatchCheck ?? true,
  });
  const ready = readinessProbe(upstream, opts.readyTimeoutMs);
  const models = modelsPassThrough(upstream, opts.auth);

  /** A recorded request: embeddings calls, and unknown paths (404), are telemetry like any other. */
  function recorded(req: IncomingMessage, res: ServerResponse, path: string, route: string | undefined): void {
    metrics.requestStarted(req.method ?? 'GET');
    const rec = newRecord({
      method: req.method ?? 'GET',
      route,
      providerName: opts.profile.providerName,
      serverAddress: upstream.address,
      serverPort: upstream.port,
    });
    const work =
      route !== undefined
        ? embeddings.handle(req, res, rec)
        : embeddings.refuse(
            req,
            res,
            rec,
            new RelayError('not_found', `Unknown path ${path}: this relay serves POST /v1/embeddings and GET /v1/models.`),
          );
    work.catch(() => metrics.telemetryError('handler')).finally(() => metrics.requestEnded(rec.method));
  }

  /** GET/HEAD routes (models and probes): any other method gets 405, unrecorded. */
  const reads = new Map<string, Handler>([
    ['/v1/models', (req, res) => void models(req, res)],
    ['/models', (req, res) => void models(req, res)],
    ['/healthz', (_req, res) => sendJson(res, 200, { status: 'ok' })],
    ['/readyz', (req, res) => void ready(req, res)],
  ]);

  return function route(req, res) {
    const path = (req.url ?? '/').split('?', 1)[0]!;
    if (path === '/v1/embeddings' || path === '/embeddings') return recorded(req, res, path, path);
    const read = reads.get(path);
    if (read === undefined) return recorded(req, res, path, undefined);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return writeError(res, new RelayError('method_not_allowed', `Method ${req.method} is not allowed on ${path}; use GET.`), {
        allow: 'GET, HEAD',
      });
    }
    read(req, res);
  };
}
