// The bench's helper processes, started together: the upstream (upstream.ts) serving the scenarios
// named, and the telemetry sink (otlp-sink.ts) with one port per relay target named (plus `stats`).
// Used by `npm run bench`, `bench:tail`, `bench:idle` and `soak`.
import { startChild, type Child } from '../../test/support/child.ts';

export interface BenchServices {
  upstream: Child;
  sink: Child;
  upstreamPort: number;
  sinkPorts: Record<string, number>;
  stop(): Promise<void>;
}

export async function startServices(scenarios: string[], sinks: string[]): Promise<BenchServices> {
  const here = new URL('.', import.meta.url).pathname;
  const sink = startChild('otlp-sink', process.execPath, [`${here}otlp-sink.ts`, ...sinks]);
  const upstream = startChild('upstream', process.execPath, [`${here}upstream.ts`, ...scenarios]);
  const sinkPorts = (JSON.parse(await sink.firstLine) as { ports: Record<string, number> }).ports;
  const upstreamPort = (JSON.parse(await upstream.firstLine) as { port: number }).port;
  return {
    upstream,
    sink,
    upstreamPort,
    sinkPorts,
    stop: async () => {
      await Promise.all([sink.stop(), upstream.stop()]);
    },
  };
}
