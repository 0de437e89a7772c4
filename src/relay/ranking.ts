// POST /v1/rerank, /rerank, /v2/rerank and /v1/score, /score: the retrieval tier's operations' own
// stages of the flow (flow.ts).
//   5. parse    JSON → model, end user, request (protocol/ranking-request.ts)   [invalid_json, invalid_request, batch_too_large, input_too_long]
//   8. reader   the answer, captured whole up to RELAY_INSPECT_MAX_BYTES (it is one score per document)
//   9. outcome  results, scores, quality (inspect/ranking.ts), tokens
import type { RankingOperation } from '../core/ranking.ts';
import type { RequestRecord } from '../core/record.ts';
import { RankingCapture, rankingAnomalies } from '../inspect/ranking.ts';
import { validateRankingRequest, type RankingLimits } from '../protocol/ranking-request.ts';
import type { EndUserPolicy } from '../config/caller-options.ts';
import { endUserOf } from '../protocol/end-user.ts';
import { parseJsonBody, requestedModel } from '../protocol/request.ts';
import type { RelayMetrics } from '../telemetry/metrics.ts';
import type { UpstreamResponse } from '../upstream/client.ts';
import type { UpstreamProfile } from '../upstream/profile.ts';
import type { BodyReader, OperationStages } from './flow.ts';
import { inputTokens } from './usage.ts';

export interface RankingOptions extends RankingLimits {
  /** What telemetry keeps of the request's `user` field (RELAY_END_USER). */
  endUser: EndUserPolicy;
  metrics: RelayMetrics;
  inspectMaxBytes: number;
  estimateTokens: boolean;
  profile: UpstreamProfile;
}

/** The capture copies nothing: it keeps the chunks until the answer is parsed. */
class AnswerReader extends RankingCapture implements BodyReader {
  readonly keepsChunks = true;
}

export class RankingStages implements OperationStages<AnswerReader> {
  readonly methods = ['POST'] as const;
  readonly #operation: RankingOperation;
  readonly #opts: RankingOptions;

  constructor(operation: RankingOperation, opts: RankingOptions) {
    this.#operation = operation;
    this.#opts = opts;
  }

  /** Stage 5: the model as soon as the JSON names one, then the validated request. */
  parse(rec: RequestRecord, body: Buffer): void {
    const json = parseJsonBody(body);
    rec.model = requestedModel(json);
    rec.endUser = endUserOf(json, this.#opts.endUser);
    rec.ranking = validateRankingRequest(this.#operation, json, this.#opts);
  }

  reader(_rec: RequestRecord, _up: UpstreamResponse): AnswerReader | undefined {
    return this.#opts.inspectMaxBytes === 0 ? undefined : new AnswerReader(this.#opts.inspectMaxBytes);
  }

  /** Stage 9: what the answer says. Telemetry errors are counted, never thrown. */
  outcome(rec: RequestRecord, up: UpstreamResponse, reader: AnswerReader | undefined): void {
    if (!reader || reader.overflowed) return;
    try {
      rec.ranked = reader.finish();
    } catch {
      this.#opts.metrics.telemetryError('inspect');
    }
    try {
      if (rec.ranking && rec.ranked) rec.anomalies = rankingAnomalies(rec.ranking, rec.ranked);
    } catch {
      this.#opts.metrics.telemetryError('quality');
    }
    const estimate = this.#opts.estimateTokens && rec.ranking ? Math.ceil(rec.ranking.inputChars / 4) : undefined;
    inputTokens(rec, rec.ranked?.promptTokens, up, this.#opts.profile, estimate);
  }
}
