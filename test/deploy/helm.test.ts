// The Helm chart (deploy/helm/embedding-relay) through the real helm (helm.sh/helm/v3 v3.22.0,
// built by test/tools/provision.sh): `helm lint --strict` and `helm template` for several value sets,
// and what the rendered objects must say for the relay to run, drain and be monitored as documented.
// The PrometheusRule and the dashboard ConfigMap carry the repository's own rules and dashboard
// (one source: the chart's files/ copies must stay byte-equal).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { chart, helm as runHelm, VALUE_SETS, valueArgs } from '../support/helm-chart.ts';
import { root } from '../support/relay-process.ts';
import { toolPath } from '../tools/tools.ts';

// biome-ignore lint/suspicious/noExplicitAny: rendered manifests are read by their Kubernetes shape in the assertions
type Obj = { kind: string; metadata: { name: string; labels?: Record<string, string> }; spec?: any; data?: Record<string, string> };

const helm = (args: string[]) => runHelm(toolPath('helm'), args);

function render(values: Record<string, string> = {}, setNumbers: string[] = []): Obj[] {
  const { status, out, stdout } = helm(['template', 'relay', chart, ...valueArgs(values), ...setNumbers.flatMap((s) => ['--set', s])]);
  expect(status, out).toBe(0);
  return parseAllDocuments(stdout)
    .map((d) => d.toJS() as Obj | null)
    .filter((o): o is Obj => o !== null);
}

describe('helm lint --strict', () => {
  it.each(Object.keys(VALUE_SETS))('%s', (name) => {
    const { status, out } = helm(['lint', '--strict', chart, ...valueArgs(VALUE_SETS[name]!)]);
    expect(status, out).toBe(0);
    expect(out).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
  });
});

describe('helm template: defaults', () => {
  const objs = render();
  const deployment = objs.find((o) => o.kind === 'Deployment')!;
  const pod = deployment.spec.template.spec;
  const relay = pod.containers[0];
  const env = Object.fromEntries((relay.env as { name: string; value?: string }[]).map((e) => [e.name, e.value]));

  it('renders a Deployment, the API and metrics Services, an HPA and a PDB', () => {
    expect(objs.map((o) => o.kind).sort()).toEqual(['Deployment', 'HorizontalPodAutoscaler', 'PodDisruptionBudget', 'Service', 'Service']);
  });

  it('runs as non-root on a read-only root filesystem, with writable /tmp and /data', () => {
    expect(relay.securityContext.runAsNonRoot).toBe(true);
    expect(relay.securityContext.runAsUser).toBe(1000);
    expect(relay.securityContext.readOnlyRootFilesystem).toBe(true);
    expect(relay.securityContext.allowPrivilegeEscalation).toBe(false);
    expect(relay.volumeMounts.map((m: { mountPath: string }) => m.mountPath).sort()).toEqual(['/data', '/tmp']);
  });

  it('probes /healthz and /readyz on the admin port, which the container declares and the metrics Service targets', () => {
    const ports = relay.ports.map((p: { name: string }) => p.name);
    expect(relay.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'metrics' });
    expect(relay.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'metrics' });
    expect(ports).toEqual(['http', 'metrics']);
    expect(env['OTEL_EXPORTER_PROMETHEUS_PORT']).toBe(String(relay.ports[1].containerPort));
    expect(env['RELAY_PORT']).toBe(String(relay.ports[0].containerPort));
    const metrics = objs.find((o) => o.kind === 'Service' && o.metadata.name.endsWith('-metrics'))!;
    expect(metrics.spec.ports[0].targetPort).toBe('metrics');
  });

  it('drains: a preStop pause, then the relay grace, both inside terminationGracePeriodSeconds', () => {
    const pause = relay.lifecycle.preStop.sleep.seconds as number;
    const graceS = Number(env['RELAY_SHUTDOWN_GRACE_MS']) / 1000;
    expect(pause).toBeGreaterThan(0);
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(pause + graceS);
  });

  it('without a Collector endpoint turns span export off instead of failing every export', () => {
    expect(env['OTEL_TRACES_EXPORTER']).toBe('none');
    expect(env).not.toHaveProperty('OTEL_EXPORTER_OTLP_ENDPOINT');
  });

  it('has resources, and the HPA scales the Deployment on CPU', () => {
    expect(relay.resources.requests).toMatchObject({ cpu: expect.any(String), memory: expect.any(String) });
    expect(relay.resources.limits.memory).toBeDefined();
    const hpa = objs.find((o) => o.kind === 'HorizontalPodAutoscaler')!;
    expect(hpa.spec.scaleTargetRef).toMatchObject({ kind: 'Deployment', name: deployment.metadata.name });
    expect(hpa.spec.metrics[0].resource.name).toBe('cpu');
    expect(deployment.spec).not.toHaveProperty('replicas'); // the HPA owns it
  });

  it("tells the relay its memory limit (the container's limits.memory, by the downward API), so its budget fits inside it", () => {
    const limit = (relay.env as { name: string; valueFrom?: unknown }[]).find((e) => e.name === 'RELAY_MEMORY_LIMIT_BYTES');
    expect(limit?.valueFrom).toEqual({ resourceFieldRef: { containerName: relay.name, resource: 'limits.memory' } });
  });
});

describe('helm template: settings and secrets', () => {
  const values = VALUE_SETS['in front of vLLM, with secrets, Collector and Loki']!;
  const objs = render(values);
  const relay = objs.find((o) => o.kind === 'Deployment')!.spec.template.spec.containers[0];
  // biome-ignore lint/suspicious/noExplicitAny: an EnvVar's valueFrom, compared whole
  const env = new Map((relay.env as { name: string; value?: string; valueFrom?: any }[]).map((e) => [e.name, e]));

  it('passes the settings as RELAY_*/OTEL_*/LOKI_URL variables', () => {
    expect(env.get('RELAY_UPSTREAM_URL')?.value).toBe('http://vllm:8000/v1');
    expect(env.get('OTEL_EXPORTER_OTLP_ENDPOINT')?.value).toBe('http://otel-collector:4318');
    expect(env.get('LOKI_URL')?.value).toBe('http://loki-gateway');
    expect(env.get('RELAY_EXPECTED_DIMENSIONS')?.value).toBe('Qwen/Qwen3-Embedding-4B=2560');
    expect(env.has('OTEL_TRACES_EXPORTER')).toBe(false);
  });

  it('takes the keys from Secrets by reference, never as values', () => {
    expect(env.get('RELAY_API_KEYS')?.valueFrom).toEqual({ secretKeyRef: { name: 'relay-keys', key: 'RELAY_API_KEYS' } });
    expect(env.get('RELAY_UPSTREAM_API_KEY')?.valueFrom).toEqual({ secretKeyRef: { name: 'vllm-key', key: 'RELAY_UPSTREAM_API_KEY' } });
    expect(env.get('RELAY_API_KEYS')?.value).toBeUndefined();
  });

  it('a fixed replica count when autoscaling is off, and no HPA', () => {
    const off = render({}, ['autoscaling.enabled=false', 'replicaCount=3']);
    expect(off.find((o) => o.kind === 'Deployment')!.spec.replicas).toBe(3);
    expect(off.some((o) => o.kind === 'HorizontalPodAutoscaler')).toBe(false);
  });
});

describe('helm template: the sidecar topology (modelServer.enabled)', () => {
  const objs = render(VALUE_SETS['sidecar in the vLLM pod, with monitoring']);
  const deployment = objs.find((o) => o.kind === 'Deployment')!;
  const pod = deployment.spec.template.spec;
  const [relay, model] = pod.containers;
  const env = Object.fromEntries((relay.env as { name: string; value?: string }[]).map((e) => [e.name, e.value]));

  it('puts the model server in the relay pod and points the relay at it over 127.0.0.1', () => {
    expect(pod.containers.map((c: { name: string }) => c.name)).toEqual(['relay', 'vllm']);
    expect(env['RELAY_UPSTREAM_URL']).toBe(`http://127.0.0.1:${model.ports[0].containerPort}/v1`);
    expect(model.args).toEqual(expect.arrayContaining(['--runner', 'pooling', '--convert', 'embed']));
    expect(model.resources.limits['nvidia.com/gpu']).toBe(1);
    expect(model.volumeMounts.map((m: { mountPath: string }) => m.mountPath)).toContain('/dev/shm');
  });

  it('keeps the relay non-root without forcing the model server image to be', () => {
    expect(relay.securityContext.runAsNonRoot).toBe(true);
    expect(pod.securityContext.runAsNonRoot).toBeUndefined();
    expect(model.securityContext).toBeUndefined();
  });

  it('the model server outlives the relay drain: its preStop ends after the relay grace, inside the pod grace', () => {
    const relayDone = relay.lifecycle.preStop.sleep.seconds + Number(env['RELAY_SHUTDOWN_GRACE_MS']) / 1000;
    expect(model.lifecycle.preStop.sleep.seconds).toBeGreaterThanOrEqual(relayDone);
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(model.lifecycle.preStop.sleep.seconds);
  });

  it('renders no CPU HPA (a GPU pod is full before its relay is busy) and sets replicas itself', () => {
    expect(objs.some((o) => o.kind === 'HorizontalPodAutoscaler')).toBe(false);
    expect(deployment.spec.replicas).toBe(2);
  });

  it('an explicit upstream.url still wins', () => {
    const withUrl = render({ ...VALUE_SETS['sidecar in the vLLM pod, with monitoring'], 'upstream.url': 'http://elsewhere:8000/v1' });
    const e = withUrl.find((o) => o.kind === 'Deployment')!.spec.template.spec.containers[0].env as { name: string; value?: string }[];
    expect(e.find((v) => v.name === 'RELAY_UPSTREAM_URL')?.value).toBe('http://elsewhere:8000/v1');
  });
});

describe('helm template: monitoring objects', () => {
  const objs = render(VALUE_SETS['monitoring']);

  it('the ServiceMonitor selects the metrics Service and names the job embedding-relay, as the rules and dashboard expect', () => {
    const sm = objs.find((o) => o.kind === 'ServiceMonitor')!;
    const metrics = objs.find((o) => o.kind === 'Service' && o.metadata.name.endsWith('-metrics'))!;
    for (const [k, v] of Object.entries(sm.spec.selector.matchLabels as Record<string, string>))
      expect(metrics.metadata.labels?.[k]).toBe(v);
    const api = objs.find((o) => o.kind === 'Service' && !o.metadata.name.endsWith('-metrics'))!;
    expect(api.metadata.labels?.['app.kubernetes.io/component']).toBeUndefined(); // the API Service is not scraped
    expect(metrics.metadata.labels?.[sm.spec.jobLabel]).toBe('embedding-relay');
    expect(sm.spec.endpoints[0]).toMatchObject({ port: 'metrics', path: '/metrics' });
  });

  it('the PrometheusRules are prometheus/embedding-relay.rules.yml and the SLO rules Sloth generated', () => {
    const rules = objs.filter((o) => o.kind === 'PrometheusRule');
    expect(rules.map((r) => r.metadata.name.replace(/^.*?embedding-relay/, 'embedding-relay')).sort()).toEqual([
      'embedding-relay',
      'embedding-relay-slo',
    ]);
    const named = (suffix: string) => rules.find((r) => r.metadata.name.endsWith(suffix))!;
    expect(named('embedding-relay').spec).toEqual(parse(readFileSync(`${root}prometheus/embedding-relay.rules.yml`, 'utf8')));
    expect(named('-slo').spec).toEqual(parse(readFileSync(`${root}prometheus/embedding-relay.slo.rules.yml`, 'utf8')));
  });

  it('the dashboard ConfigMap carries grafana/dashboards/embedding-relay.json with the sidecar label', () => {
    const cm = objs.find((o) => o.kind === 'ConfigMap')!;
    expect(cm.metadata.labels?.['grafana_dashboard']).toBe('1');
    expect(JSON.parse(cm.data!['embedding-relay.json']!)).toEqual(
      JSON.parse(readFileSync(`${root}grafana/dashboards/embedding-relay.json`, 'utf8')),
    );
  });
});

it("the chart's files/ are the repository's rules (the SLO rules too) and dashboard, byte for byte", () => {
  expect(readFileSync(`${chart}/files/embedding-relay.rules.yml`, 'utf8')).toBe(
    readFileSync(`${root}prometheus/embedding-relay.rules.yml`, 'utf8'),
  );
  expect(readFileSync(`${chart}/files/embedding-relay.slo.rules.yml`, 'utf8')).toBe(
    readFileSync(`${root}prometheus/embedding-relay.slo.rules.yml`, 'utf8'),
  );
  expect(readFileSync(`${chart}/files/embedding-relay.json`, 'utf8')).toBe(
    readFileSync(`${root}grafana/dashboards/embedding-relay.json`, 'utf8'),
  );
});
