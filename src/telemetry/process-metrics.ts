// process.memory.usage: the relay's resident set size, next to the V8 heap metrics that
// instrumentation-runtime-node reports (sdk.ts). RSS minus the heap's resident part
// (v8js.memory.heap.space.physical_size) is the memory outside the heap: buffers, sockets, code.
// `npm run soak` judges leaks from exactly these series.
import { metrics } from '@opentelemetry/api';
import { METER_NAME, METRIC_PROCESS_MEMORY_USAGE as spec } from './semconv.ts';

export function observeProcessMemory(): void {
  metrics
    .getMeter(METER_NAME)
    // An UpDownCounter, as semconv defines process.memory.usage (Prometheus shows a gauge either way).
    .createObservableUpDownCounter(spec.name, { unit: spec.unit, description: spec.description })
    // rss() alone: memoryUsage() also walks the heap spaces, which the runtime metrics already do.
    .addCallback((result) => result.observe(process.memoryUsage.rss()));
}
