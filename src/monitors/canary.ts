// Semantic drift canary: every interval, embed a fixed multilingual text set through the same
// upstream, compare with baseline vectors saved on the first run (or supplied), and report
//  - similarity: the minimum cosine similarity to the baseline over all texts (a swapped or
//    mis-quantised model drives it down, with no error anywhere else), and
//  - margin: cos(paraphrase pair) − cos(unrelated pair), which a sane model keeps positive.
// Probe traffic never passes through the relay's request handler, so it cannot touch the
// user-traffic SLIs (gen_ai.client.operation.duration etc.); it has its own span, metrics and log
// event, all labelled canary.
import { readFile, writeFile } from 'node:fs/promises';
import { metrics, SpanKind, SpanStatusCode, trace, type Attributes, type Counter } from '@opentelemetry/api';
import type { Logger } from 'pino';
import { CANARY_HEADER } from '../core/headers.ts';
import * as semconv from '../telemetry/semconv.ts';
import type { Upstream } from '../upstream/client.ts';

export const CANARY_TEXTS: readonly { id: string; text: string }[] = [
  { id: 'en', text: 'The quick brown fox jumps over the lazy dog near the river bank.' },
  { id: 'en_paraphrase', text: 'A fast brown fox leaps over a lazy dog by the river bank.' },
  { id: 'unrelated', text: 'Quarterly revenue rose nine percent on strong cloud subscriptions.' },
  { id: 'zh', text: '今天天气很好，我们去公园散步吧。' },
  { id: 'code', text: 'def add(a, b):\n    return a + b' },
  { id: 'de', text: 'Der schnelle braune Fuchs springt über den faulen Hund am Flussufer.' },
];

const CANARY_INPUTS = CANARY_TEXTS.map((t) => t.text);

/** Below this similarity the probe logs at warn; the EmbeddingSemanticDrift alert uses the same bound. */
export const CANARY_WARN_SIMILARITY = 0.9;

export interface Baseline {
  model: string;
  created: string;
  texts: string[];
  vectors: number[][];
}

export interface CanaryOptions {
  upstream: Upstream;
  logger: Logger;
  model: string;
  intervalMs: number;
  baselineFile: string;
  timeoutMs: number;
}

export interface ProbeResult {
  similarity: number;
  margin: number;
  baselineCreated: boolean;
}

/** The vectors of a float JSON response (the canary asks for encoding_format float). */
function vectorsOf(body: Buffer): number[][] {
  const data = (JSON.parse(body.toString('utf8')) as { data?: unknown }).data;
  if (!Array.isArray(data)) throw new Error('the response has no data array');
  return data.map((item: { embedding?: unknown }, i) => {
    const v = item?.embedding;
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'number')) throw new Error(`data[${i}].embedding is not an array of numbers`);
    return v as number[];
  });
}

export function cosine(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length || a.length === 0) return 0;
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}

export class Canary {
  readonly #opts: CanaryOptions;
  readonly #tracer = trace.getTracer(semconv.TRACER_NAME);
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<unknown> | undefined;
  #last: { similarity: number; margin: number } | undefined;
  readonly #probes: Counter;

  constructor(opts: CanaryOptions) {
    this.#opts = opts;
    const meter = metrics.getMeter(semconv.METER_NAME);
    const attrs = (): Attributes => ({ [semconv.ATTR_GEN_AI_REQUEST_MODEL]: opts.model, [semconv.ATTR_GEN_AI_PROVIDER_NAME]: 'canary' });
    const sim = semconv.METRIC_CANARY_SIMILARITY;
    meter.createObservableGauge(sim.name, { unit: sim.unit, description: sim.description }).addCallback((r) => {
      if (this.#last !== undefined) r.observe(this.#last.similarity, attrs());
    });
    const mar = semconv.METRIC_CANARY_MARGIN;
    meter.createObservableGauge(mar.name, { unit: mar.unit, description: mar.description }).addCallback((r) => {
      if (this.#last !== undefined) r.observe(this.#last.margin, attrs());
    });
    this.#probes = meter.createCounter(semconv.METRIC_CANARY_PROBES.name, {
      unit: semconv.METRIC_CANARY_PROBES.unit,
      description: semconv.METRIC_CANARY_PROBES.description,
    });
  }

  start(): void {
    const tick = () => {
      this.#running = this.probe()
        .catch(() => undefined)
        .finally(() => {
          if (this.#timer !== undefined) this.#timer = setTimeout(tick, this.#opts.intervalMs).unref();
        });
    };
    this.#timer = setTimeout(tick, 0).unref();
  }

  async stop(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }

  /** One probe; resolves with the result or rejects (already logged and counted). */
  probe(): Promise<ProbeResult> {
    const { model, upstream, logger } = this.#opts;
    return this.#tracer.startActiveSpan(
      'embeddings canary',
      {
        kind: SpanKind.INTERNAL,
        attributes: {
          [semconv.ATTR_GEN_AI_OPERATION_NAME]: 'embeddings',
          [semconv.ATTR_GEN_AI_REQUEST_MODEL]: model,
          [semconv.ATTR_EMBEDDING_CANARY]: true,
        },
      },
      async (span) => {
        try {
          const body = Buffer.from(JSON.stringify({ model, input: CANARY_INPUTS, encoding_format: 'float' }));
          const res = await upstream.request(
            'POST',
            '/embeddings',
            { 'content-type': 'application/json', [CANARY_HEADER]: '1' },
            body,
            AbortSignal.timeout(this.#opts.timeoutMs),
          );
          const text = Buffer.from(await res.body.arrayBuffer());
          if (res.statusCode !== 200) throw new Error(`upstream answered HTTP ${res.statusCode}`);
          const vectors = vectorsOf(text);
          if (vectors.length !== CANARY_TEXTS.length) throw new Error(`expected ${CANARY_TEXTS.length} vectors, got ${vectors.length}`);
          const byId = (id: string) => vectors[CANARY_TEXTS.findIndex((t) => t.id === id)]!;
          const margin = cosine(byId('en'), byId('en_paraphrase')) - cosine(byId('en'), byId('unrelated'));

          let baseline = await this.#readBaseline();
          let baselineCreated = false;
          if (baseline === undefined) {
            baseline = { model, created: new Date().toISOString(), texts: CANARY_INPUTS, vectors };
            await writeFile(this.#opts.baselineFile, JSON.stringify(baseline));
            baselineCreated = true;
            logger.info({ event: 'canary_baseline', model, file: this.#opts.baselineFile }, 'canary baseline saved');
          }
          const similarity = Math.min(...vectors.map((v, i) => cosine(v, baseline!.vectors[i]!)));
          this.#last = { similarity, margin };
          span.setAttributes({ [semconv.ATTR_EMBEDDING_CANARY_SIMILARITY]: similarity, [semconv.ATTR_EMBEDDING_CANARY_MARGIN]: margin });
          this.#probes.add(1, { [semconv.ATTR_GEN_AI_REQUEST_MODEL]: model, outcome: 'ok' });
          const { traceId, spanId } = span.spanContext();
          const level = similarity < CANARY_WARN_SIMILARITY || margin <= 0 ? 'warn' : 'info';
          logger[level]({
            event: 'canary_probe',
            model,
            similarity,
            margin,
            baseline_created: baselineCreated,
            trace_id: traceId,
            span_id: spanId,
          });
          return { similarity, margin, baselineCreated };
        } catch (err) {
          this.#probes.add(1, { [semconv.ATTR_GEN_AI_REQUEST_MODEL]: model, outcome: 'error' });
          span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
          logger.warn({ event: 'canary_probe', model, error_message: (err as Error).message });
          throw err;
        } finally {
          span.end();
        }
      },
    );
  }

  /** The saved baseline if it matches this model and text set; a mismatch is logged and ignored. */
  async #readBaseline(): Promise<Baseline | undefined> {
    let raw: string;
    try {
      raw = await readFile(this.#opts.baselineFile, 'utf8');
    } catch {
      return undefined;
    }
    const b = JSON.parse(raw) as Baseline;
    if (
      b.model !== this.#opts.model ||
      JSON.stringify(b.texts) !== JSON.stringify(CANARY_INPUTS) ||
      b.vectors?.length !== CANARY_INPUTS.length
    ) {
      this.#opts.logger.warn(
        { event: 'canary_baseline', model: this.#opts.model, file: this.#opts.baselineFile },
        'canary baseline is for another model or text set; saving a new one',
      );
      return undefined;
    }
    return b;
  }
}
