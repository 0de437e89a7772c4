// Bounds the cardinality of names used as metric labels: model names (clients choose them) and
// caller names (a trusted header may carry any). An unbounded set would let a client mint
// Prometheus series. The first `limit` distinct names are kept; every later one is reported as
// `_OTHER`. (The SDK's aggregationCardinalityLimit is a backstop per metric, but it folds whole
// series into one overflow point; this keeps the common names readable.) Spans and logs keep the
// real name: they are not indexed as series.
import { OTHER_VALUE } from './semconv.ts';

export class BoundedLabels {
  readonly #limit: number;
  readonly #known = new Set<string>();

  constructor(limit: number) {
    this.#limit = limit;
  }

  label(name: string | undefined): string {
    if (name === undefined) return OTHER_VALUE;
    if (this.#known.has(name)) return name;
    if (this.#known.size >= this.#limit) return OTHER_VALUE;
    this.#known.add(name);
    return name;
  }
}
