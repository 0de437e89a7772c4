// `npm run test:docker`: the repository's Dockerfile built by a real Docker engine and the image run
// as a user runs it: non-root, HEALTHCHECK healthy, the API (8080) and /metrics (9464) answering an
// OpenAI client on the host, SIGTERM (PID 1) draining a request in flight and exiting 0 inside
// `docker stop`'s default 10 s, and the image's size. The base is a local stand-in for node:24-slim
// (engine.sh): no registry can be reached here. Without an engine the suite fails; it never skips.
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../stack/services.ts';
import {
  buildRelayImage,
  docker,
  dockerAsync,
  dockerOk,
  hostPort,
  imageBytes,
  inspect,
  LABEL,
  nodeBaseImage,
  removeTestContainers,
} from './docker.ts';

const IMAGE = 'embedding-relay:test';
const MB = 1024 * 1024;
let base: string;

beforeAll(() => {
  base = nodeBaseImage();
  removeTestContainers();
  const seconds = buildRelayImage(IMAGE, base);
  console.log(`test:docker: built ${IMAGE} FROM ${base} in ${seconds.toFixed(1)} s`);
});

afterAll(() => removeTestContainers());

/** Runs the image detached, ports published on 127.0.0.1; returns the container id. */
const start = (env: Record<string, string> = {}) =>
  dockerOk([
    'run',
    '-d',
    '--label',
    LABEL,
    '-p',
    '127.0.0.1::8080',
    '-p',
    '127.0.0.1::9464',
    ...Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]),
    IMAGE,
  ]);

const client = (container: string) =>
  new OpenAI({ baseURL: `http://127.0.0.1:${hostPort(container, 8080)}/v1`, apiKey: 'unused', maxRetries: 0, timeout: 20_000 });

it('runs as the non-root user node (uid 1000)', () => {
  expect(dockerOk(['image', 'inspect', '-f', '{{.Config.User}}', IMAGE])).toBe('node');
  expect(dockerOk(['run', '--rm', '--label', LABEL, '--entrypoint', 'id', IMAGE, '-u'])).toBe('1000');
});

describe('a running container', () => {
  let c: string;
  beforeAll(() => {
    c = start();
  });

  it('answers an OpenAI client on 8080 and serves /metrics on 9464', async () => {
    const r = await eventually(
      'the API',
      () => client(c).embeddings.create({ model: 'Qwen/Qwen3-Embedding-4B', input: ['hello', 'world'] }),
      20_000,
      250,
    );
    expect(r.data).toHaveLength(2);
    expect(r.data[0]!.embedding).toHaveLength(2560);
    const metrics = await (await fetch(`http://127.0.0.1:${hostPort(c, 9464)}/metrics`)).text();
    expect(metrics).toMatch(/^gen_ai_client_operation_duration_seconds_count\{.*\} [1-9]/m);
  });

  it("goes healthy by the image's own HEALTHCHECK", async () => {
    const status = await eventually(
      'health status "healthy"',
      async () => {
        const s = inspect(c, '{{.State.Health.Status}}');
        return s === 'healthy' ? s : undefined;
      },
      30_000,
      250,
    );
    expect(status).toBe('healthy');
  }, 40_000);

  it('runs the relay as PID 1, with no shell in between', () => {
    expect(dockerOk(['exec', c, 'cat', '/proc/1/cmdline']).split('\0')).toEqual(expect.arrayContaining(['node', 'dist/main.js']));
  });
});

it("SIGTERM drains a request in flight and exits 0 inside docker stop's default 10 s, with no Collector listening", async () => {
  // The defaults a first `docker run` has: spans go to localhost:4318, where nothing listens, so an
  // export is retrying when the signal comes.
  const c = start({ RELAY_SIMULATOR_LATENCY_MS: '2000', OTEL_BSP_SCHEDULE_DELAY: '100' });
  const api = client(c);
  await eventually('the API', () => api.embeddings.create({ model: 'Qwen/Qwen3-Embedding-4B', input: 'warm-up' }), 20_000, 250);
  await new Promise((r) => setTimeout(r, 500)); // the warm-up's spans are being exported, and retried
  const inFlight = api.embeddings.create({ model: 'Qwen/Qwen3-Embedding-4B', input: 'in flight' });
  await new Promise((r) => setTimeout(r, 300));
  const t0 = performance.now();
  const stop = await dockerAsync(['stop', c]); // SIGTERM, then SIGKILL after 10 s
  const seconds = (performance.now() - t0) / 1000;
  console.log(`test:docker: docker stop took ${seconds.toFixed(1)} s (request in flight for 2 s)`);
  expect(stop.status, stop.stderr).toBe(0);
  expect((await inFlight).data).toHaveLength(1);
  expect(inspect(c, '{{.State.ExitCode}}')).toBe('0');
  expect(seconds).toBeLessThan(8);
  expect(docker(['logs', c]).stderr).toContain('SIGTERM received, draining in-flight requests');
}, 60_000);

it('reports the image size; the relay adds under 80 MB to its Node base', () => {
  const total = imageBytes(IMAGE);
  const added = total - imageBytes(base);
  console.log(
    `test:docker: ${IMAGE} is ${(total / MB).toFixed(0)} MB: the Node base ${((total - added) / MB).toFixed(0)} MB + the relay ${(added / MB).toFixed(1)} MB`,
  );
  expect(added).toBeGreaterThan(0);
  expect(added).toBeLessThan(80 * MB);
});
