// `npm run test:docker`: docker-compose.yml + docker-compose.apache.yml started for real by
// docker-compose (1.29, test/tools/provision.sh) on a real engine, with every image that can be made
// here: the relay and the simulator (the repository's Dockerfile), and stand-ins under the compose
// files' image names for the Collector, Jaeger, VictoriaLogs, Prometheus and Alertmanager
// (stand-ins.ts). Then what a user checks: an OpenAI client on the host gets vectors, the trace is in
// the trace store and the log line in the log store by its trace_id, Prometheus has every target up
// and the rules loaded, healthchecks gate the start order, and the relay comes back after a crash.
// Tempo, Loki and Grafana (AGPL) are not run: the override moves them to a profile nothing starts.
// It publishes the compose files' host ports (8080, 9464, 9090, 9093, 16686, 9428, 4317, 4318).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { APACHE_STACK_SERVICES } from '../support/compose-services.ts';
import { root } from '../support/relay-process.ts';
import { eventually } from '../stack/services.ts';
import { toolPath } from '../tools/tools.ts';
import { buildRelayImage, dockerOk, inspect, nodeBaseImage } from './docker.ts';
import { buildStandIns } from './stand-ins.ts';

const PROJECT = 'embedding-relay-compose-test';
const FILES = ['docker-compose.yml', 'docker-compose.apache.yml'];

function compose(args: string[]): { status: number | null; out: string } {
  const run = spawnSync(toolPath('docker-compose'), ['-p', PROJECT, ...FILES.flatMap((f) => ['-f', f]), ...args], {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (run.error) throw new Error(`docker-compose could not run (${run.error.message})`);
  return { status: run.status, out: `${run.stdout}${run.stderr}` };
}
const container = (service: string): string => {
  const r = compose(['ps', '-q', service]);
  const id = r.out.trim().split('\n').filter(Boolean)[0];
  if (!id) throw new Error(`no container for ${service}:\n${r.out}`);
  return id;
};
const health = (service: string) => inspect(container(service), '{{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}');

const client = new OpenAI({ baseURL: 'http://127.0.0.1:8080/v1', apiKey: 'unused', maxRetries: 0, timeout: 20_000 });

/** The relay's log line for one request of `model` (from `docker logs`), with its trace_id. */
async function embedAndFindTrace(model: string): Promise<string> {
  await client.embeddings.create({ model, input: ['compose', 'test'] });
  return eventually(
    `the log line of ${model}`,
    async () => {
      const logs = dockerOk(['logs', container('relay')]);
      const line = logs
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .find((l) => l['model'] === model);
      return line?.['trace_id'] as string | undefined;
    },
    10_000,
    250,
  );
}

beforeAll(() => {
  compose(['down', '-v', '--remove-orphans']);
  buildRelayImage('embedding-relay:local', nodeBaseImage());
  buildStandIns();
  const up = compose(['up', '-d', '--no-build']);
  if (up.status !== 0) throw new Error(`docker-compose up failed:\n${up.out}`);
});

afterAll(() => {
  const ps = compose(['ps']);
  console.log(ps.out);
  compose(['down', '-v', '--remove-orphans']);
});

describe('docker-compose up (docker-compose.yml + docker-compose.apache.yml)', () => {
  it('starts every service that is not AGPL; the relay, simulator and webhook go healthy', async () => {
    const services = dockerOk([
      'ps',
      '-a',
      '--filter',
      `label=com.docker.compose.project=${PROJECT}`,
      '--format',
      '{{.Label "com.docker.compose.service"}}',
    ])
      .split('\n')
      .sort();
    expect(services).toEqual(APACHE_STACK_SERVICES);
    for (const s of ['relay', 'simulator', 'alert-webhook'])
      await eventually(`${s} healthy`, async () => (health(s) === 'healthy' ? true : undefined), 60_000, 500);
    for (const s of services) expect(inspect(container(s), '{{.State.Status}}'), s).toBe('running');
  }, 90_000);

  it('healthchecks gate the start order: the relay started after the simulator was healthy', () => {
    const firstHealthy = (
      JSON.parse(inspect(container('simulator'), '{{json .State.Health.Log}}')) as { End: string; ExitCode: number }[]
    ).find((h) => h.ExitCode === 0);
    expect(firstHealthy).toBeDefined();
    const relayStarted = Date.parse(inspect(container('relay'), '{{.State.StartedAt}}'));
    expect(relayStarted).toBeGreaterThanOrEqual(Date.parse(firstHealthy!.End));
    // So the relay's start-up check found its upstream: no "does not answer" warning.
    expect(dockerOk(['logs', container('relay')])).not.toMatch(/did not answer|does not answer/);
  });

  it('an OpenAI client on the host gets vectors from the simulator through the relay', async () => {
    const r = await client.embeddings.create({ model: 'Qwen/Qwen3-Embedding-4B', input: ['hello', 'world'], dimensions: 64 });
    expect(r.data.map((d) => d.embedding.length)).toEqual([64, 64]);
  });

  it("the request's trace reaches Jaeger and its log line VictoriaLogs, found by trace_id", async () => {
    const traceId = await embedAndFindTrace('m-compose');
    const spans = await eventually(
      'the trace in Jaeger',
      async () => {
        const res = await fetch(`http://127.0.0.1:16686/api/v3/traces/${traceId}`);
        if (res.status !== 200) return undefined;
        const body = (await res.json()) as { result: { resourceSpans: { scopeSpans: { spans: { name: string }[] }[] }[] } };
        const names = body.result.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans.map((sp) => sp.name)));
        return names.includes('embeddings m-compose') ? names : undefined;
      },
      60_000,
    );
    expect(spans).toContain('embeddings m-compose');
    const logged = await eventually(
      'the log line in VictoriaLogs',
      async () => {
        const res = await fetch('http://127.0.0.1:9428/select/logsql/query', {
          method: 'POST',
          body: new URLSearchParams({ query: `{service_name="embedding-relay"} "${traceId}"` }),
        });
        const rows = (await res.text()).split('\n').filter(Boolean);
        return rows.length > 0 ? rows : undefined;
      },
      60_000,
    );
    expect(logged[0]).toContain(traceId);
    expect(logged[0]).toContain('m-compose');
  }, 130_000);

  it('Prometheus has every target up and the relay rules loaded', async () => {
    const up = await eventually(
      'every target up',
      async () => {
        const body = (await (await fetch('http://127.0.0.1:9090/api/v1/targets')).json()) as {
          data: { activeTargets: { labels: { job: string }; health: string }[] };
        };
        const targets = body.data.activeTargets;
        return targets.length > 0 && targets.every((t) => t.health === 'up') ? targets.map((t) => t.labels.job).sort() : undefined;
      },
      90_000,
      2_000,
    );
    expect(up).toEqual(
      expect.arrayContaining(['embedding-relay', 'otel-collector', 'span-metrics', 'jaeger', 'victorialogs', 'prometheus']),
    );
    const rules = (await (await fetch('http://127.0.0.1:9090/api/v1/rules')).json()) as {
      data: { groups: { rules: { name: string }[] }[] };
    };
    const loaded = rules.data.groups.flatMap((g) => g.rules.map((r) => r.name)).sort();
    const expected = ['embedding-relay.rules.yml', 'embedding-relay.slo.rules.yml'].flatMap((name) =>
      (
        parse(readFileSync(join(root, 'prometheus', name), 'utf8')) as { groups: { rules: { record?: string; alert?: string }[] }[] }
      ).groups.flatMap((g) => g.rules.map((r) => (r.record ?? r.alert)!)),
    );
    expect(loaded).toEqual(expect.arrayContaining(expected));
    const ams = (await (await fetch('http://127.0.0.1:9090/api/v1/alertmanagers')).json()) as { data: { activeAlertmanagers: unknown[] } };
    expect(ams.data.activeAlertmanagers).toHaveLength(1);
  }, 100_000);

  it('the relay comes back after a crash (restart: unless-stopped) and serves again', async () => {
    const id = container('relay');
    const pid = inspect(id, '{{.State.Pid}}');
    process.kill(Number(pid), 'SIGKILL'); // a crash, not a `docker stop`
    await eventually('the relay restarted', async () => (Number(inspect(id, '{{.RestartCount}}')) >= 1 ? true : undefined), 30_000, 250);
    await eventually('the relay healthy again', async () => (health('relay') === 'healthy' ? true : undefined), 60_000, 500);
    const r = await client.embeddings.create({ model: 'Qwen/Qwen3-Embedding-4B', input: 'after the crash' });
    expect(r.data).toHaveLength(1);
  }, 100_000);
});
