// A batch-indexing flood against the project's image under a real memory limit (`docker run
// --memory 512m`, the Helm chart's default limits.memory), with the relay's defaults: 64 clients
// each sending a ~13 MB batch at once while single-input queries go on beside them, in front of a
// quick upstream on the host (200 ms per answer, `dimensions: 8`). The relay must not be killed,
// must answer every request 200 or a clean 503 (Retry-After, error code overloaded) with no reset,
// must serve at least 99 % of the small requests, and must log every request it answered.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { flood, quickUpstream } from '../support/flood.ts';
import { freePort } from '../support/port.ts';
import { eventually } from '../stack/services.ts';
import { buildRelayImage, docker, dockerOk, inspect, LABEL, nodeBaseImage, removeTestContainers } from './docker.ts';

const IMAGE = 'embedding-relay:test';
let upstream: Awaited<ReturnType<typeof quickUpstream>>;
let container: string;
let port: number;

beforeAll(async () => {
  const base = nodeBaseImage();
  removeTestContainers();
  buildRelayImage(IMAGE, base);
  upstream = await quickUpstream(200);
  port = await freePort();
  const metricsPort = await freePort();
  // The host's network: the upstream on the host's loopback is the container's too.
  container = dockerOk([
    'run',
    '-d',
    '--label',
    LABEL,
    '--memory',
    '512m',
    '--network',
    'host',
    '-e',
    `RELAY_UPSTREAM_URL=${upstream.url}`,
    '-e',
    `RELAY_PORT=${port}`,
    '-e',
    'RELAY_HOST=127.0.0.1',
    '-e',
    `OTEL_EXPORTER_PROMETHEUS_PORT=${metricsPort}`,
    '-e',
    'OTEL_EXPORTER_PROMETHEUS_HOST=127.0.0.1',
    IMAGE,
  ]);
  await eventually(
    'the relay in the container',
    async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).ok || undefined,
    20_000,
    250,
  );
});

afterAll(() => {
  removeTestContainers();
  upstream?.server.closeAllConnections();
  upstream?.server.close();
});

it('survives 64 concurrent 13 MB batches in 512 MiB, sheds cleanly, and serves the small queries', async () => {
  const result = await flood({
    url: `http://127.0.0.1:${port}`,
    batches: 64,
    rounds: 1,
    inputsPerBatch: 2000,
    charsPerInput: 7000,
    smallPerSecond: 20,
    model: 'flood',
  });
  const { large, small } = result;
  console.log(
    `overload: ${result.seconds.toFixed(1)} s; large ${large.ok} ok, ${large.shed} shed of ${large.sent} (p99 ${large.p99Ms.toFixed(0)} ms); ` +
      `small ${small.ok} ok, ${small.shed} shed of ${small.sent}, p50 ${small.p50Ms.toFixed(0)} ms, p99 ${small.p99Ms.toFixed(0)} ms; ` +
      `peak ${peakMiB(container)} MiB of 512`,
  );
  expect(inspect(container, '{{.State.OOMKilled}} {{.State.Running}} {{.RestartCount}}')).toBe('false true 0');
  for (const c of [large, small]) {
    expect(c.failed).toEqual({});
    expect(c.other).toEqual({});
    expect(c.ok + c.shed).toBe(c.sent);
  }
  expect(small.ok / small.sent).toBeGreaterThanOrEqual(0.99);
  expect(large.ok).toBeGreaterThan(0);

  // Every answered request has its log line, found by the request id its answer carried.
  const ids = [...large.requestIds, ...small.requestIds];
  expect(ids).toHaveLength(large.sent + small.sent);
  const logged = await eventually(
    'a log line for every request',
    async () => {
      const lines = docker(['logs', container]).stdout.split('\n');
      const traced = new Set(lines.filter((l) => l.startsWith('{')).map((l) => (JSON.parse(l) as { trace_id?: string }).trace_id));
      return ids.every((id) => traced.has(id)) ? traced : undefined;
    },
    10_000,
    500,
  );
  expect(logged.size).toBeGreaterThanOrEqual(ids.length);
});

/** The container's peak memory as its cgroup counted it (v1: max_usage_in_bytes), in MiB. */
function peakMiB(id: string): string {
  const full = inspect(id, '{{.Id}}');
  const run = docker(['exec', id, 'cat', '/sys/fs/cgroup/memory/memory.max_usage_in_bytes', '/sys/fs/cgroup/memory.peak']);
  const bytes = Number(run.stdout.split('\n').find((l) => /^\d+$/.test(l)) ?? Number.NaN);
  return Number.isFinite(bytes) ? (bytes / 2 ** 20).toFixed(0) : `unknown (${full.slice(0, 12)})`;
}
