// `npm run test:kube`: the Helm chart installed on a real one-node cluster (cluster.ts with node.ts:
// etcd, kube-apiserver, kube-controller-manager, kube-scheduler, a kubelet on containerd with the
// bridge CNI plugin, kube-proxy), from the relay's image built from the repository's Dockerfile. Its
// pods must be scheduled, started under the chart's securityContext, pass their probes and serve
// through the Service; a deleted pod must drain its requests in flight; the sidecar topology must
// start both containers in one pod. Each case also shows the check failing where the chart would be
// wrong: a probe on a wrong port, a grace period shorter than the drain.
import type { ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments, stringify } from 'yaml';
import { eventually } from '../stack/services.ts';
import { chart, helm, valueArgs } from '../support/helm-chart.ts';
import { toolPath } from '../tools/tools.ts';
import { type Cluster, startCluster } from './cluster.ts';
import { nodeImages, RELAY_IMAGE } from './images.ts';
import { POD_BRIDGE } from './node.ts';

const NS = 'relay';
const IMAGE = { 'image.repository': RELAY_IMAGE.repository, 'image.tag': RELAY_IMAGE.tag, 'image.pullPolicy': 'Never' };
const RELAY_IMAGE_REF = `${RELAY_IMAGE.repository}:${RELAY_IMAGE.tag}`;

let cluster: Cluster;

beforeAll(async () => {
  const { pauseImage, images } = nodeImages();
  cluster = await startCluster({ node: { pauseImage, images } });
  const ns = cluster.kubectl(['create', 'namespace', NS]);
  expect(ns.status, ns.out).toBe(0);
});

afterAll(async () => {
  await cluster?.stop();
});

function kubectl(args: string[], input?: string): string {
  const r = cluster.kubectl(['--namespace', NS, ...args], input);
  expect(r.status, `kubectl ${args.join(' ')}:\n${r.out}`).toBe(0);
  return r.stdout;
}

/** helm install (no --wait: rolledOut() is the check, for good and broken charts alike). */
function install(release: string, values: Record<string, string>, extra: string[] = []): void {
  const r = helm(
    toolPath('helm'),
    ['install', release, chart, ['--kubeconfig', cluster.kubeconfig, '--namespace', NS], valueArgs({ ...IMAGE, ...values }), extra].flat(),
  );
  expect(r.status, r.out).toBe(0);
}

function uninstall(release: string): void {
  const r = helm(toolPath('helm'), [
    'uninstall',
    release,
    '--kubeconfig',
    cluster.kubeconfig,
    '--namespace',
    NS,
    '--wait',
    '--timeout',
    '90s',
  ]);
  expect(r.status, r.out).toBe(0);
}

/** install, then `body`, then uninstall whatever happened: the node's two CPUs fit one release at a time. */
async function withRelease(release: string, values: Record<string, string>, extra: string[], body: () => Promise<void>): Promise<void> {
  install(release, values, extra);
  try {
    await body();
  } finally {
    uninstall(release);
  }
}

/** Every replica of the Deployment Ready (kubectl rollout status), within `seconds`. */
function rolledOut(deployment: string, seconds: number): { ok: boolean; out: string } {
  const r = cluster.kubectl(['--namespace', NS, 'rollout', 'status', `deployment/${deployment}`, `--timeout=${seconds}s`]);
  return { ok: r.status === 0, out: r.out };
}

const fullname = (release: string) => `${release}-embedding-relay`;

/**
 * The Service's address once it answers `path`: kube-proxy writes a Service's rules a moment after its
 * pods turn Ready (until then connections are refused).
 */
async function serving(service: string, port: number, path = '/healthz'): Promise<string> {
  const url = `http://${kubectl(['get', 'service', service, '-o', 'jsonpath={.spec.clusterIP}'])}:${port}`;
  await eventually(
    `${service} to answer ${path}`,
    async () => ((await get(`${url}${path}`)).status === 200 ? true : undefined),
    30_000,
    250,
  );
  return url;
}
const podNames = (release: string) =>
  kubectl(['get', 'pods', '-l', `app.kubernetes.io/instance=${release}`, '-o', 'jsonpath={.items[*].metadata.name}'])
    .split(' ')
    .filter(Boolean);
const podLogs = (release: string, container = 'relay') =>
  kubectl(['logs', '-l', `app.kubernetes.io/instance=${release}`, '-c', container, '--tail=-1', '--prefix']);
const events = () => kubectl(['get', 'events', '-o', 'custom-columns=REASON:.reason,MESSAGE:.message']);

interface Answer {
  status: number;
  body: { data?: { embedding: number[] }[]; error?: { message: string } };
}

/** One request on a connection of its own, so that kube-proxy picks a ready pod for each (a kept-alive connection stays with the pod it reached first). */
function send(url: string, body?: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const options =
      body === undefined ? { agent: false } : { method: 'POST', agent: false, headers: { 'content-type': 'application/json' } };
    const req = request(url, options, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

const get = (url: string) => send(url);

/** An embeddings request on a connection of its own (send), or with `keepAlive` on fetch's pooled connections, as an SDK client holds them. */
async function embed(url: string, model: string, input: string | string[] = 'hello kube', keepAlive = false): Promise<Answer> {
  const body = JSON.stringify({ model, input });
  if (keepAlive) {
    const res = await fetch(`${url}/v1/embeddings`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    return { status: res.status, body: (await res.json()) as Answer['body'] };
  }
  const res = await send(`${url}/v1/embeddings`, body);
  return { status: res.status, body: JSON.parse(res.text) as Answer['body'] };
}

describe('the default values (the built-in simulator) on a kubelet', () => {
  const release = 'defaults';
  let api: string;
  let admin: string;

  beforeAll(async () => {
    install(release, {});
    const rollout = rolledOut(fullname(release), 180);
    expect(rollout.ok, `${rollout.out}\n${events()}\n${cluster.logs()}`).toBe(true);
    api = await serving(fullname(release), 8080);
    admin = await serving(`${fullname(release)}-metrics`, 9464);
  });

  it('both replicas are scheduled, started as the chart says and Ready; vectors come through the Service', async () => {
    const pods = JSON.parse(kubectl(['get', 'pods', '-l', `app.kubernetes.io/instance=${release}`, '-o', 'json'])) as {
      items: {
        status: { phase: string; containerStatuses: { name: string; ready: boolean; restartCount: number }[] };
        spec: { nodeName: string };
      }[];
    };
    expect(
      pods.items.map((p) => [p.spec.nodeName, p.status.phase, p.status.containerStatuses.map((c) => [c.name, c.ready, c.restartCount])]),
    ).toEqual([
      [cluster.node!.name, 'Running', [['relay', true, 0]]],
      [cluster.node!.name, 'Running', [['relay', true, 0]]],
    ]);
    const r = await embed(api, 'm-kube-defaults');
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.data?.[0]?.embedding.length).toBeGreaterThan(0);
  });

  it('the admin Service answers /metrics, and a pod’s log carries the request’s line', async () => {
    const model = 'm-kube-log-line';
    // Both Services pick a pod each time: ask again until the pod that served the request answers the scrape.
    await eventually('the request’s series through the admin Service', async () => {
      expect((await embed(api, model)).status).toBe(200);
      const metrics = (await get(`${admin}/metrics`)).text;
      return metrics.includes(`gen_ai_request_model="${model}"`) ? true : undefined;
    });
    const line = await eventually('the request’s log line in a pod’s log', async () =>
      podLogs(release)
        .split('\n')
        .map((l) => l.slice(l.indexOf(' ') + 1)) // --prefix: "[pod/NAME/relay] {...}"
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .find((l) => l['model'] === model),
    );
    expect(line).toMatchObject({ event: 'embedding_request', http_status: 200, status: 'ok', service: 'embedding-relay' });
  });

  it('the root filesystem is read-only and the user is not root inside the container; /tmp is writable', () => {
    const pod = podNames(release)[0]!;
    const probe = `const fs=require('fs');const w=(p)=>{try{fs.writeFileSync(p,'x');return 'ok'}catch(e){return e.code}};console.log(JSON.stringify({uid:process.getuid(),app:w('/app/x'),tmp:w('/tmp/x')}))`;
    const seen = JSON.parse(kubectl(['exec', pod, '-c', 'relay', '--', 'node', '-e', probe]));
    expect(seen).toEqual({ uid: 1000, app: 'EROFS', tmp: 'ok' });
  });

  it('the overload budget is a quarter of the pod’s memory limit, read inside the container', async () => {
    const pod = podNames(release)[0]!;
    // The kernel's limit as the process sees it (the container's cgroup), and what the relay made of it.
    expect(Number(kubectl(['exec', pod, '-c', 'relay', '--', 'node', '-p', 'process.constrainedMemory()']).trim())).toBe(512 * 2 ** 20);
    expect(kubectl(['logs', pod, '-c', 'relay'])).toContain(
      'Memory budget: requests in flight hold at most 128 MiB (a quarter of RELAY_MEMORY_LIMIT_BYTES, 512 MiB)',
    );
    const metrics = (await get(`${admin}/metrics`)).text;
    expect(metrics).toMatch(/^embedding_relay_memory_budget_bytes(\{[^}]*\})? 134217728$/m);
  });

  afterAll(() => uninstall(release));
});

// biome-ignore lint/suspicious/noExplicitAny: the rendered Deployment is edited by its Kubernetes shape
type Container = any;

/** The chart's Deployment (one replica) with `breakIt` applied to the relay container, applied; `check` runs before it is deleted. */
function withBrokenDeployment(name: string, breakIt: (relay: Container) => void, check: () => void): void {
  const rendered = helm(toolPath('helm'), [
    'template',
    name,
    chart,
    '--namespace',
    NS,
    ...valueArgs({ ...IMAGE, 'autoscaling.enabled': 'false', replicaCount: '1' }),
  ]);
  expect(rendered.status, rendered.out).toBe(0);
  const docs = parseAllDocuments(rendered.stdout).map(
    (d) => d.toJSON() as { kind: string; spec?: { template: { spec: { containers: Container[] } } } },
  );
  breakIt(docs.find((d) => d.kind === 'Deployment')!.spec!.template.spec.containers[0]);
  const manifests = docs.map((d) => stringify(d)).join('---\n');
  kubectl(['apply', '-f', '-'], manifests);
  try {
    check();
  } finally {
    kubectl(['delete', '-f', '-', '--wait', '--timeout=90s'], manifests);
  }
}

describe('what the rollout check catches', () => {
  it('a readiness probe on the wrong port keeps the pod out of Ready', () => {
    withBrokenDeployment(
      'badprobe',
      (relay) => {
        relay.readinessProbe.httpGet.port = 9999;
      },
      () => {
        expect(rolledOut(fullname('badprobe'), 30).ok).toBe(false);
        expect(events()).toMatch(
          /Unhealthy\s+Readiness probe failed: Get "http:\/\/[\d.]+:9999\/readyz": dial tcp [\d.:]+: connect: connection refused/,
        );
      },
    );
  });

  it('a start that writes to the root filesystem fails under readOnlyRootFilesystem (the relay writes only to its volumes)', () => {
    withBrokenDeployment(
      'rofs',
      (relay) => {
        relay.command = ['node', '-e', "require('fs').writeFileSync('/app/started', ''); setInterval(() => {}, 1000)"];
      },
      () => {
        expect(rolledOut(fullname('rofs'), 30).ok).toBe(false);
        expect(kubectl(['logs', `deployment/${fullname('rofs')}`, '-c', 'relay'])).toContain(
          "EROFS: read-only file system, open '/app/started'",
        );
      },
    );
  });
});

interface Stream {
  ok: number;
  failures: string[];
  stop(): Promise<void>;
}

const DRAIN_MODEL = 'm-kube-drain';

/**
 * Callers sending one request after another through the Service until stopped: `fresh` of them on a
 * new connection each time, `keptAlive` on pooled connections, as SDK clients do.
 */
function stream(url: string, fresh: number, keptAlive: number): Stream {
  const s = { ok: 0, failures: [] as string[], running: true };
  const loops = Array.from({ length: fresh + keptAlive }, async (_, w) => {
    for (let i = 0; s.running; i++) {
      try {
        const r = await embed(url, DRAIN_MODEL, `worker ${w} request ${i}`, w >= fresh);
        if (r.status === 200) s.ok++;
        else s.failures.push(`${r.status} ${JSON.stringify(r.body)}`);
      } catch (err) {
        s.failures.push(`worker ${w}: ${(err as Error).message} ${String((err as { cause?: unknown }).cause ?? '')}`);
      }
    }
  });
  return {
    get ok() {
      return s.ok;
    },
    failures: s.failures,
    stop: async () => {
      s.running = false;
      await Promise.all(loops);
    },
  };
}

/** The requests of the stream a pod's log says it answered. */
const served = (log: string) => log.split('\n').filter((l) => l.includes(`"model":"${DRAIN_MODEL}"`)).length;

/** A child's stdout and stderr as they come, and its exit status. */
function collect(child: ChildProcess): { child: ChildProcess; out: () => string; exit: Promise<number | null> } {
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  return { child, out: () => out, exit: new Promise((resolve) => child.once('exit', resolve)) };
}

/** Deletes one pod while `stream` runs; returns how long the deletion took and what the pod printed. */
async function deleteOnePod(release: string): Promise<{ pod: string; seconds: number; log: string }> {
  const pod = podNames(release)[0]!;
  const follow = collect(cluster.spawnKubectl(['--namespace', NS, 'logs', '-f', pod, '-c', 'relay']));
  const t0 = performance.now();
  // Not cluster.kubectl (spawnSync): the stream's requests must keep running while the pod goes.
  const deletion = collect(cluster.spawnKubectl(['--namespace', NS, 'delete', 'pod', pod, '--wait', '--timeout=120s']));
  const status = await deletion.exit;
  const seconds = (performance.now() - t0) / 1000;
  expect(status, deletion.out()).toBe(0);
  follow.child.kill();
  return { pod, seconds, log: follow.out() };
}

describe('kubectl delete pod during a stream of requests', () => {
  it('every request finishes: the pod leaves the Service during preStop, drains on SIGTERM, and its replacement becomes Ready', async () => {
    const release = 'drain';
    // 300 ms per request, so requests are in flight at every moment of the deletion.
    await withRelease(release, { 'env.RELAY_SIMULATOR_LATENCY_MS': '300' }, [], async () => {
      expect(rolledOut(fullname(release), 180).ok).toBe(true);
      const load = stream(await serving(fullname(release), 8080), 4, 2);
      try {
        await new Promise((r) => setTimeout(r, 2_000));
        const { pod, seconds, log } = await deleteOnePod(release);
        const grace = Number(
          kubectl(['get', 'deployment', fullname(release), '-o', 'jsonpath={.spec.template.spec.terminationGracePeriodSeconds}']),
        );
        // The preStop pause (5 s) came first, then SIGTERM, which the relay answered by draining, well
        // inside the grace period (no SIGKILL).
        expect(seconds).toBeGreaterThan(5);
        expect(seconds).toBeLessThan(grace);
        expect(log).toContain('SIGTERM received, draining in-flight requests');
        // The deleted pod had its share of the stream: the check below is not about a pod nobody used.
        expect(served(log)).toBeGreaterThan(5);
        const rollout = rolledOut(fullname(release), 120);
        expect(rollout.ok, rollout.out).toBe(true);
        expect(podNames(release)).not.toContain(pod);
        await new Promise((r) => setTimeout(r, 2_000));
      } finally {
        await load.stop();
      }
      expect(load.failures).toEqual([]);
      expect(load.ok).toBeGreaterThan(50);
    });
  });

  it('with a grace period shorter than the requests need, requests in flight fail: the stream check catches it', async () => {
    const release = 'short';
    // 20 s per request; terminationGracePeriodSeconds = 5 (preStop) + 10 (drain) - 9 = 6 s: SIGKILL comes
    // 1 s after SIGTERM, while the requests the pod took before it left the Service still run. Every
    // failure is one of those (the other pod is never stopped); with twelve callers, the chance that
    // none reached the deleted pod is 1 in 4096.
    await withRelease(release, { 'env.RELAY_SIMULATOR_LATENCY_MS': '20000' }, ['--set', 'shutdown.marginSeconds=-9'], async () => {
      expect(rolledOut(fullname(release), 180).ok).toBe(true);
      const load = stream(await serving(fullname(release), 8080), 10, 2);
      try {
        await new Promise((r) => setTimeout(r, 1_000));
        await deleteOnePod(release);
      } finally {
        await load.stop();
      }
      expect(load.failures.length).toBeGreaterThan(0);
    });
  });
});

/** The relay's own image as the model server: its simulator serves vLLM's /v1/embeddings and /health. */
const STAND_IN_ARGS = ['simulator', '--simulator-host', '0.0.0.0', '--simulator-port', '8000'];

describe('in front of a model server', () => {
  it('the sidecar topology starts the relay and the model server in one pod (a stand-in: vLLM’s image cannot be pulled here)', async () => {
    const release = 'sidecar';
    const values = {
      'modelServer.enabled': 'true',
      'modelServer.image': RELAY_IMAGE_REF,
      'modelServer.pullPolicy': 'Never',
      replicaCount: '1',
    };
    const extra = [
      '--set-json',
      `modelServer.args=${JSON.stringify(STAND_IN_ARGS)}`,
      '--set',
      'modelServer.resources.limits=null',
      '--set',
      'modelServer.startupSeconds=60',
    ];
    await withRelease(release, values, extra, async () => {
      const rollout = rolledOut(fullname(release), 180);
      expect(rollout.ok, `${rollout.out}\n${events()}`).toBe(true);
      const pods = podNames(release);
      expect(pods.length).toBe(1);
      const statuses = JSON.parse(kubectl(['get', 'pod', pods[0]!, '-o', 'jsonpath={.status.containerStatuses}'])) as {
        name: string;
        ready: boolean;
      }[];
      expect(statuses.map((c) => [c.name, c.ready]).sort()).toEqual([
        ['relay', true],
        ['vllm', true],
      ]);
      const r = await embed(await serving(fullname(release), 8080), 'm-kube-sidecar');
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      expect(r.body.data?.[0]?.embedding.length).toBeGreaterThan(0);
      expect(podLogs(release, 'vllm')).toContain('SIMULATOR');
    });
  });

  it('the relay as its own Deployment in front of a model server’s Service (a stand-in; no cluster DNS here, so by its ClusterIP)', async () => {
    const standIn = [
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'vllm' },
        spec: {
          selector: { matchLabels: { app: 'vllm' } },
          template: {
            metadata: { labels: { app: 'vllm' } },
            spec: {
              containers: [
                {
                  name: 'vllm',
                  image: RELAY_IMAGE_REF,
                  imagePullPolicy: 'Never',
                  args: STAND_IN_ARGS,
                  ports: [{ name: 'http', containerPort: 8000 }],
                  readinessProbe: { httpGet: { path: '/health', port: 'http' }, periodSeconds: 2 },
                },
              ],
            },
          },
        },
      },
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'vllm' },
        spec: { selector: { app: 'vllm' }, ports: [{ port: 8000, targetPort: 'http' }] },
      },
    ]
      .map((o) => stringify(o))
      .join('---\n');
    kubectl(['apply', '-f', '-'], standIn);
    try {
      expect(rolledOut('vllm', 120).ok).toBe(true);
      const release = 'front';
      const values = { 'upstream.url': `${await serving('vllm', 8000, '/health')}/v1`, 'autoscaling.enabled': 'false', replicaCount: '1' };
      await withRelease(release, values, [], async () => {
        expect(rolledOut(fullname(release), 180).ok).toBe(true);
        const r = await embed(await serving(fullname(release), 8080), 'm-kube-front');
        expect(r.status, JSON.stringify(r.body)).toBe(200);
        expect(r.body.data?.[0]?.embedding.length).toBeGreaterThan(0);
        expect(kubectl(['logs', 'deployment/vllm'])).toContain('SIMULATOR');
      });
    } finally {
      kubectl(['delete', '-f', '-', '--wait', '--timeout=90s'], standIn);
    }
  });
});

describe('stopping the cluster', () => {
  it('leaves no process, mount or pod network behind', async () => {
    await cluster.stop();
    const processes = readdirSync('/proc')
      .filter((p) => /^\d+$/.test(p))
      .map((p) => {
        try {
          return readFileSync(`/proc/${p}/cmdline`, 'utf8').replaceAll('\0', ' ');
        } catch {
          return ''; // ended meanwhile
        }
      })
      .filter((cmd) => cmd.includes(cluster.dir));
    expect(processes).toEqual([]);
    expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(cluster.dir);
    expect(readdirSync('/sys/class/net')).not.toContain(POD_BRIDGE);
  });
});
