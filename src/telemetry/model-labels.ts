// Bounds the cardinality of model names used as metric labels. Clients choose the model string,
// so an unbounded set would let any client mint Prometheus series. The first `limit` distinct
// names are kept; every later one is reported as `_OTHER`. (The SDK's aggregationCardinalityLimit
// is a backstop per metric, but it folds whole series into one overflow point; this keeps the
// common models readable.) Spans and logs keep the real name: they are not indexed as series.
import { OTHER_VALUE } from './semconv.ts';

export class ModelLabels {
  readonly #limit: number;
  readonly #known = new Set<string>();

  constructor(limit: number) {
    this.#limit = limit;
  }

  label(model: string | undefined): string {
    if (model === undefined) return OTHER_VALUE;
    if (this.#known.has(model)) return model;
    if (this.#known.size >= this.#limit) return OTHER_VALUE;
    this.#known.add(model);
    return model;
  }
}
