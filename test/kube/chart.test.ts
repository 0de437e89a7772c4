// `npm run test:kube`: the Helm chart's rendered manifests sent to a real Kubernetes API server
// (v1.37.2 with etcd, started here: cluster.ts) as a server-side dry-run with strict field validation,
// beside the prometheus-operator CRDs. The server decodes every object against its own types, runs
// admission (Pod Security "restricted" warns on the namespace) and the CRDs' OpenAPI schemas; a broken
// field fails. helm is the one `npm test` provisions (test/tools/provision.sh).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments, stringify } from 'yaml';
import { chart, helm, VALUE_SETS, valueArgs } from '../support/helm-chart.ts';
import { toolPath } from '../tools/tools.ts';
import { type Cluster, KUBERNETES_VERSION, prometheusOperatorCrds, startCluster } from './cluster.ts';

const NAMESPACE = 'relay';
// biome-ignore lint/suspicious/noExplicitAny: manifests are edited by their Kubernetes shape
type Obj = { kind: string; metadata: { name: string }; spec?: any };

let cluster: Cluster;

beforeAll(async () => {
  cluster = await startCluster();
  const crds = prometheusOperatorCrds(['servicemonitors', 'podmonitors', 'prometheusrules']);
  const applied = cluster.kubectl(['apply', '--server-side', ...crds.flatMap((f) => ['-f', f])]);
  expect(applied.status, applied.out).toBe(0);
  const established = cluster.kubectl(['wait', '--for', 'condition=established', '--timeout', '60s', 'crd', '--all']);
  expect(established.status, established.out).toBe(0);
  // Pod Security "restricted" as warnings: the dry-run then says which container would break it.
  const ns = cluster.kubectl(['create', 'namespace', NAMESPACE]);
  expect(ns.status, ns.out).toBe(0);
  const label = cluster.kubectl(['label', 'namespace', NAMESPACE, 'pod-security.kubernetes.io/warn=restricted']);
  expect(label.status, label.out).toBe(0);
});

afterAll(async () => {
  await cluster?.stop();
});

function render(values: Record<string, string>, extra: string[] = []): string {
  const run = helm(toolPath('helm'), ['template', 'relay', chart, '--namespace', NAMESPACE, ...valueArgs(values), ...extra]);
  expect(run.status, run.out).toBe(0);
  return run.stdout;
}

const objects = (manifests: string): Obj[] =>
  parseAllDocuments(manifests)
    .map((d) => d.toJS() as Obj | null)
    .filter((o): o is Obj => o !== null);

const dryRun = (manifests: string) =>
  cluster.kubectl(['apply', '--dry-run=server', '--validate=strict', '--namespace', NAMESPACE, '-o', 'json', '-f', '-'], manifests);

/** The defaults with one edit made to the rendered Deployment's relay container. */
function withRelayContainer(edit: (container: Record<string, unknown>) => void): string {
  const docs = objects(render({}));
  edit(docs.find((o) => o.kind === 'Deployment')!.spec.template.spec.containers[0]);
  return docs.map((d) => stringify(d)).join('---\n');
}

it(`runs against a real API server, Kubernetes ${KUBERNETES_VERSION}`, () => {
  expect(cluster.version).toBe(KUBERNETES_VERSION);
});

describe('helm template output is accepted by a server-side dry-run', () => {
  it.each(Object.keys(VALUE_SETS))('%s', (name) => {
    const manifests = render(VALUE_SETS[name]!);
    const run = dryRun(manifests);
    expect(run.status, run.out).toBe(0);
    // The server answered for every rendered object (and only those).
    const answered = (JSON.parse(run.stdout) as { items: Obj[] }).items.map((o) => `${o.kind}/${o.metadata.name}`);
    const rendered = objects(manifests).map((o) => `${o.kind}/${o.metadata.name}`);
    expect(answered.sort()).toEqual(rendered.sort());
    // Pod Security "restricted": the relay container never breaks it; only a model server image that runs as root does.
    const warnings = run.out.split('\n').filter((l) => l.startsWith('Warning:'));
    if (VALUE_SETS[name]!['modelServer.enabled'] === 'true') {
      expect(warnings.join('\n')).toMatch(/would violate PodSecurity "restricted:latest"/);
      expect(warnings.join('\n')).toMatch(/container "vllm"/);
      expect(warnings.join('\n')).not.toMatch(/"relay"/);
    } else {
      expect(warnings).toEqual([]);
    }
  });
});

describe('a broken field fails the dry-run, naming the field', () => {
  it('a probe port of the wrong type', () => {
    const run = dryRun(
      withRelayContainer((c) => {
        (c['readinessProbe'] as { httpGet: { port: unknown } }).httpGet.port = true;
      }),
    );
    expect(run.status).not.toBe(0);
    expect(run.out).toMatch(/cannot unmarshal bool into Go struct field .*readinessProbe.*httpGet\.port/);
  });

  it('an unknown field (strict validation), as a typo in a template would make it', () => {
    const run = dryRun(
      withRelayContainer((c) => {
        c['readinessProbes'] = c['readinessProbe'];
      }),
    );
    expect(run.status).not.toBe(0);
    expect(run.out).toMatch(/unknown field "spec\.template\.spec\.containers\[0\]\.readinessProbes"/);
  });

  it('a value of the wrong type (ports.metrics not a number)', () => {
    const run = dryRun(render({ 'ports.metrics': '9464x' }));
    expect(run.status).not.toBe(0);
    expect(run.out).toMatch(/cannot unmarshal string into Go struct field .*Port.*of type int32/);
  });

  it("a value the ServiceMonitor CRD's schema refuses (a malformed scrape interval)", () => {
    const run = dryRun(render({ 'monitoring.serviceMonitor.enabled': 'true', 'monitoring.serviceMonitor.interval': '15sec' }));
    expect(run.status).not.toBe(0);
    expect(run.out).toMatch(/spec\.endpoints\[0\]\.interval: Invalid value: "15sec"/);
  });
});
