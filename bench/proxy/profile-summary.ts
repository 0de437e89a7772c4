// Reads a V8 CPU profile (node --cpu-prof) and says where the busy time went, by the relay's own
// concerns: inspection, socket writes, spans, metrics, logging, … (each sample counts for its innermost
// frame that has a concern, idle excluded). Used by bench/proxy/tail.ts --profile; also runnable on any profile:
//   node bench/proxy/profile-summary.ts FILE.cpuprofile
import { readFileSync } from 'node:fs';

interface CallFrame {
  functionName: string;
  url: string;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Concern of a frame, first match wins. */
const CATEGORIES: [string, (f: CallFrame) => boolean][] = [
  ['garbage collection', (f) => f.functionName === '(garbage collector)'],
  ['response inspection (src/inspect)', (f) => /\/dist\/inspect\//.test(f.url)],
  [
    'socket writes (libuv)',
    (f) => f.url === '' && /^(writeBuffer|writev|writeString|writeUtf8String|writeLatin1String)$/.test(f.functionName),
  ],
  [
    'spans (SDK, OTLP export, undici instrumentation)',
    (f) => /@opentelemetry\/(sdk-trace|otlp-|exporter-trace|instrumentation-undici|context-)/.test(f.url),
  ],
  [
    'metrics (SDK, Prometheus exposition, runtime metrics)',
    (f) => /@opentelemetry\/(sdk-metrics|exporter-prometheus|instrumentation-runtime-node)/.test(f.url),
  ],
  ['other OpenTelemetry', (f) => /@opentelemetry\//.test(f.url)],
  [
    'logging (pino, stdout, the Loki queue)',
    (f) => /(pino|sonic-boom|thread-stream|@pinojs)/.test(f.url) || /\/dist\/telemetry\/(loki\/|logger)/.test(f.url),
  ],
  ['upstream client (undici)', (f) => /node_modules\/undici\//.test(f.url)],
  ['relay code (src/ except inspect)', (f) => /\/dist\//.test(f.url)],
  [
    'Node HTTP server, streams, events',
    (f) => /^node:(_http|internal\/streams|events|internal\/stream_base|net|internal\/http)/.test(f.url),
  ],
  [
    'module loading (start-up)',
    (f) => /^node:internal\/modules/.test(f.url) || /^(compileSourceTextModule|wrapSafe)$/.test(f.functionName),
  ],
];

export interface ProfileShare {
  category: string;
  ms: number;
  share: number;
}

export function summarize(file: string): { busyMs: number; shares: ProfileShare[] } {
  const p = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const frames = new Map(p.nodes.map((n) => [n.id, n.callFrame]));
  const parents = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parents.set(c, n.id);
  // A sample counts for the concern of its innermost frame that has one: a V8 built-in (a Map
  // lookup, JSON.stringify) called by the metrics SDK is the metrics SDK's time.
  const concern = (id: number): string => {
    for (let at: number | undefined = id; at !== undefined; at = parents.get(at)) {
      const f = frames.get(at)!;
      const found = CATEGORIES.find(([, test]) => test(f));
      if (found) return found[0];
    }
    return 'other (V8 built-ins, timers, microtasks)';
  };
  const us = new Map<string, number>();
  let busy = 0;
  for (let i = 0; i < p.samples.length; i++) {
    const f = frames.get(p.samples[i]!)!;
    if (f.functionName === '(idle)' || f.functionName === '(program)') continue;
    const dt = p.timeDeltas[i] ?? 0;
    busy += dt;
    const category = concern(p.samples[i]!);
    us.set(category, (us.get(category) ?? 0) + dt);
  }
  const shares = [...us].map(([category, t]) => ({ category, ms: t / 1000, share: busy > 0 ? t / busy : 0 })).sort((a, b) => b.ms - a.ms);
  return { busyMs: busy / 1000, shares };
}

if (import.meta.main) {
  const { busyMs, shares } = summarize(process.argv[2]!);
  console.log(`busy ${busyMs.toFixed(0)} ms`);
  for (const s of shares) console.log(`${(100 * s.share).toFixed(1).padStart(5)} %  ${s.category}`);
}
