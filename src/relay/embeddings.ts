// POST /v1/embeddings: the embeddings operation's own stages of the flow (flow.ts).
//   5. parse    JSON → model (record.model), end user, request   [invalid_json, invalid_request, batch_too_large, input_too_long]
//   8. reader   the vectors as they pass: JSON (ResponseScanner) or vLLM's binary body (BytesInspector)
//   9. outcome  response facts, quality (docs/quality.md), tokens
import type { EmbeddingRequest } from '../core/embedding-request.ts';
import type { RequestRecord } from '../core/record.ts';
import { BytesInspector } from '../inspect/bytes-body.ts';
import { assessQuality } from '../inspect/quality.ts';
import { ResponseScanner } from '../inspect/scanner.ts';
import type { DimensionExpectations, NormBand } from '../inspect/vector-health.ts';
import type { EndUserPolicy } from '../config/caller-options.ts';
import { endUserOf } from '../protocol/end-user.ts';
import { parseJsonBody, requestedModel, validateEmbeddingRequest } from '../protocol/request.ts';
import type { RelayMetrics } from '../telemetry/metrics.ts';
import type { UpstreamResponse } from '../upstream/client.ts';
import type { UpstreamProfile } from '../upstream/profile.ts';
import type { BodyReader, OperationStages } from './flow.ts';
import { inputTokens } from './usage.ts';

export interface EmbeddingsOptions {
  /** What telemetry keeps of the request's `user` field (RELAY_END_USER). */
  endUser: EndUserPolicy;
  metrics: RelayMetrics;
  dimensions: DimensionExpectations;
  maxBatch: number;
  maxInputChars: number;
  inspectMaxBytes: number;
  estimateTokens: boolean;
  /** What the upstream's usage counts (read per request). */
  profile: UpstreamProfile;
  vectorCheckRate: number;
  normBand: NormBand;
  modelMismatchCheck: boolean;
  random: () => number;
}

type Inspector = ResponseScanner | BytesInspector;

/** Reads the vectors of a 2xx body; `health`: this response gets the full health check (sampled up front). */
class VectorReader implements BodyReader {
  readonly inspector: Inspector;
  readonly health: boolean;
  /** The bytes inspector keeps chunk views; the scanner copies what it keeps. */
  readonly keepsChunks: boolean;

  constructor(inspector: Inspector, health: boolean) {
    this.inspector = inspector;
    this.health = health;
    this.keepsChunks = inspector instanceof BytesInspector;
  }

  push(chunk: Buffer): void {
    this.inspector.push(chunk);
  }
}

export class EmbeddingsStages implements OperationStages<VectorReader> {
  readonly methods = ['POST'] as const;
  readonly #opts: EmbeddingsOptions;

  constructor(opts: EmbeddingsOptions) {
    this.#opts = opts;
  }

  /** Stage 5: the model as soon as the JSON names one (telemetry keeps it even when the request
   *  is then refused), then the validated request. */
  parse(rec: RequestRecord, body: Buffer): void {
    const json = parseJsonBody(body);
    rec.model = requestedModel(json);
    rec.endUser = endUserOf(json, this.#opts.endUser);
    rec.request = validateEmbeddingRequest(json, this.#opts.maxBatch, this.#opts.maxInputChars);
  }

  /** Stage 8: what reads a 2xx body as it passes: JSON (ResponseScanner) or vLLM's binary vectors
   *  (BytesInspector); none when inspection is off or the vectors' layout is unknown. */
  reader(rec: RequestRecord, up: UpstreamResponse): VectorReader | undefined {
    const req = rec.request;
    if (this.#opts.inspectMaxBytes === 0 || !req || req.vectorEncoding === undefined) return undefined;
    const health = this.#opts.random() < this.#opts.vectorCheckRate;
    return new VectorReader(this.#inspector(req, up, health), health);
  }

  #inspector(req: EmbeddingRequest, up: UpstreamResponse, health: boolean): Inspector {
    const encoding = req.vectorEncoding!;
    const type = String(up.headers['content-type'] ?? '');
    if (!type.startsWith('application/octet-stream'))
      return new ResponseScanner({ health, maxBytes: this.#opts.inspectMaxBytes, encoding });
    const metadata = up.headers['metadata'];
    return new BytesInspector({
      health,
      maxBytes: this.#opts.inspectMaxBytes,
      metadata: typeof metadata === 'string' ? metadata : undefined,
      encoding,
      inputCount: req.inputCount,
    });
  }

  /** Stage 9: what the response says. Telemetry errors are counted, never thrown. */
  outcome(rec: RequestRecord, up: UpstreamResponse, reader: VectorReader | undefined): void {
    if (!reader || reader.inspector.overflowed) return;
    try {
      rec.response = reader.inspector.finish();
    } catch {
      this.#opts.metrics.telemetryError('inspect');
    }
    try {
      this.#quality(rec, reader.health);
    } catch {
      this.#opts.metrics.telemetryError('quality');
    }
    const estimate =
      this.#opts.estimateTokens && rec.request ? (rec.request.inputTokenIds ?? Math.ceil(rec.request.inputChars / 4)) : undefined;
    inputTokens(rec, rec.response?.promptTokens, up, this.#opts.profile, estimate);
  }

  #quality(rec: RequestRecord, health: boolean): void {
    const req = rec.request;
    const res = rec.response;
    if (!req || !res || res.vectorCount === 0) return;
    const texts = req.inputType === 'string_array' ? req.texts : undefined;
    const { dimensions, normBand, modelMismatchCheck } = this.#opts;
    const verdict = assessQuality({ ...req, texts }, res, health, dimensions, normBand, modelMismatchCheck);
    rec.expectedDimension = verdict.expectedDimension;
    rec.anomalies = verdict.anomalies;
  }
}
