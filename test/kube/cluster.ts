// A real Kubernetes cluster on this machine for `npm run test:kube`: etcd and kube-apiserver v1.37.2,
// built from their Go modules (test/kube/kube-build, cached in ~/.cache/embedding-relay/bin; cold
// about 10 minutes on 2 cores, then milliseconds), kubectl of the same release, and the
// prometheus-operator CRDs (ServiceMonitor, PodMonitor, PrometheusRule) from the operator's Go module.
// startCluster() is the control plane alone: objects are admitted and validated (schemas, CRD schemas,
// strict fields), which is what a server-side dry-run needs. startCluster({ node: true }) adds
// kube-controller-manager, kube-scheduler and one node (node.ts), so pods are scheduled, started and
// probed. Every program authenticates as the cluster admin (one static token): the cluster lives for
// the minutes of the suite, on this machine only. A failed build or start throws: the suite fails.
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { get } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../support/port.ts';
import { eventually, startService, tempDir, type Service } from '../stack/services.ts';
import { type Node, nodeIp, startNode } from './node.ts';

const here = new URL('.', import.meta.url).pathname;
export const KUBERNETES_VERSION = 'v1.37.2';
/** The newest prometheus-operator release the Go module proxy serves here (v0.95.x are refused). */
export const PROMETHEUS_OPERATOR_VERSION = 'v0.94.0';

// The version strings the binaries report (as Kubernetes' own build stamps them); without them they say v0.0.0.
const versionFlags = [
  `-X k8s.io/component-base/version.gitVersion=${KUBERNETES_VERSION}`,
  '-X k8s.io/component-base/version.gitMajor=1',
  '-X k8s.io/component-base/version.gitMinor=37',
  `-X k8s.io/client-go/pkg/version.gitVersion=${KUBERNETES_VERSION}`,
  '-X k8s.io/client-go/pkg/version.gitMajor=1',
  '-X k8s.io/client-go/pkg/version.gitMinor=37',
].join(' ');

function build(name: string, pkg: string, ldflags = ''): string {
  return execFileSync('bash', [join(here, '../stack/build-go-module.sh'), join(here, 'kube-build'), name, pkg, ldflags], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }).trim();
}

/** etcd, kube-apiserver and kubectl (built once, then cached by go.mod/go.sum and flags). */
export function kubeBinaries(): { etcd: string; apiserver: string; kubectl: string } {
  return {
    etcd: build('etcd', 'go.etcd.io/etcd/server/v3'),
    apiserver: build('kube-apiserver', 'k8s.io/kubernetes/cmd/kube-apiserver', versionFlags),
    kubectl: build('kubectl', 'k8s.io/kubernetes/cmd/kubectl', versionFlags),
  };
}

/** What a node adds: the controllers, the scheduler, the kubelet and kube-proxy. */
export function nodeBinaries(): { controllerManager: string; scheduler: string; kubelet: string; kubeProxy: string } {
  return {
    controllerManager: build('kube-controller-manager', 'k8s.io/kubernetes/cmd/kube-controller-manager', versionFlags),
    scheduler: build('kube-scheduler', 'k8s.io/kubernetes/cmd/kube-scheduler', versionFlags),
    kubelet: build('kubelet', 'k8s.io/kubernetes/cmd/kubelet', versionFlags),
    kubeProxy: build('kube-proxy', 'k8s.io/kubernetes/cmd/kube-proxy', versionFlags),
  };
}

/** The prometheus-operator CRD files, from the operator's module in the Go module cache. */
export function prometheusOperatorCrds(kinds: string[]): string[] {
  const out = execFileSync(
    'go',
    ['mod', 'download', '-json', `github.com/prometheus-operator/prometheus-operator@${PROMETHEUS_OPERATOR_VERSION}`],
    {
      encoding: 'utf8',
      env: { ...process.env, PATH: `/usr/local/go/bin:${process.env['PATH'] ?? ''}` },
      cwd: tmpdir(), // outside any module: `go mod download` of one module@version needs no go.mod
    },
  );
  const dir = (JSON.parse(out) as { Dir?: string; Error?: string }).Dir;
  if (dir === undefined) throw new Error(`prometheus-operator ${PROMETHEUS_OPERATOR_VERSION} could not be downloaded: ${out}`);
  return kinds.map((k) => join(dir, 'example/prometheus-operator-crd', `monitoring.coreos.com_${k}.yaml`));
}

export interface Kubectl {
  status: number | null;
  stdout: string;
  /** stdout then stderr. */
  out: string;
}

export interface Cluster {
  version: string;
  kubeconfig: string;
  /** kubectl without waiting for it (a stream of requests goes on meanwhile); `logs -f` until killed. */
  spawnKubectl(args: string[]): ChildProcess;
  /** The folder every program of the cluster keeps its state in. */
  dir: string;
  /** With { node: true }: the one node pods run on. */
  node?: Node;
  kubectl(args: string[], input?: string): Kubectl;
  logs(): string;
  stop(): Promise<void>;
}

function httpsOk(url: string, ca: string): Promise<boolean> {
  if (!existsSync(ca)) return Promise.resolve(false); // the API server writes its certificate as it starts
  return new Promise((resolve) => {
    get(url, { ca: readFileSync(ca) }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    }).on('error', () => resolve(false));
  });
}

export interface ClusterOptions {
  /** Also run the controllers, the scheduler and one node; pods then start from the images in `images`. */
  node?: { pauseImage: string; images: Buffer };
}

/** Starts etcd and kube-apiserver on free loopback ports; kubectl talks to it as a cluster admin, over verified TLS. */
export async function startCluster(options: ClusterOptions = {}): Promise<Cluster> {
  const bin = kubeBinaries();
  const nodeBin = options.node ? nodeBinaries() : undefined;
  const dir = tempDir('kube');
  const [client, peer, secure] = [await freePort(), await freePort(), await freePort()];
  const services: Service[] = [];
  let node: Node | undefined;
  const kubeconfig = join(dir, 'kubeconfig');
  const kubectl = (args: string[], input?: string): Kubectl => {
    const r = spawnSync(bin.kubectl, ['--kubeconfig', kubeconfig, ...args], { encoding: 'utf8', input, maxBuffer: 64 * 1024 * 1024 });
    if (r.error) throw new Error(`kubectl could not run (${r.error.message})`);
    return { status: r.status, stdout: r.stdout, out: `${r.stdout}${r.stderr}` };
  };
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    // Pods end through the API (their preStop, then SIGTERM), before the programs that run them stop.
    await node?.stop(() => deleteWorkloads(kubectl));
    for (const s of services.reverse()) await s.stop();
    // etcd's data and the node's images and containers: hundreds of MB a run.
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const peerUrl = `http://127.0.0.1:${peer}`;
    const etcdUrl = `http://127.0.0.1:${client}`;
    services.push(
      await startService(
        'etcd',
        bin.etcd,
        [
          ['--data-dir', join(dir, 'etcd')],
          ['--listen-client-urls', etcdUrl],
          ['--advertise-client-urls', etcdUrl],
          ['--listen-peer-urls', peerUrl],
          ['--initial-advertise-peer-urls', peerUrl],
          ['--initial-cluster', `default=${peerUrl}`],
        ].flat(),
        `${etcdUrl}/health`,
      ),
    );
    // The service-account signing key (required flags) and one static token for the admin (group system:masters).
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    writeFileSync(join(dir, 'sa.key'), privateKey.export({ type: 'pkcs1', format: 'pem' }));
    const token = `admin-${Date.now()}`;
    writeFileSync(join(dir, 'tokens.csv'), `${token},admin,admin,system:masters\n`);
    const certs = join(dir, 'certs');
    services.push(
      await startService(
        'kube-apiserver',
        bin.apiserver,
        [
          ['--etcd-servers', etcdUrl],
          ['--bind-address', '127.0.0.1'],
          ['--secure-port', String(secure)],
          ['--cert-dir', certs],
          ['--service-account-issuer', 'https://kubernetes.default.svc'],
          ['--service-account-key-file', join(dir, 'sa.key')],
          ['--service-account-signing-key-file', join(dir, 'sa.key')],
          ['--token-auth-file', join(dir, 'tokens.csv')],
          ['--authorization-mode', 'RBAC'],
          ['--service-cluster-ip-range', '10.96.0.0/16'],
          // The node registers by a name no DNS knows: the API server reaches its kubelet (logs,
          // port-forward) at its address.
          ...(options.node
            ? [
                ['--advertise-address', nodeIp()],
                ['--kubelet-preferred-address-types', 'InternalIP'],
              ]
            : []),
        ].flat(),
        () => httpsOk(`https://127.0.0.1:${secure}/readyz`, join(certs, 'apiserver.crt')),
        120_000,
      ),
    );
    writeFileSync(
      kubeconfig,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [
          { name: 'test', cluster: { server: `https://127.0.0.1:${secure}`, 'certificate-authority': join(certs, 'apiserver.crt') } },
        ],
        users: [{ name: 'admin', user: { token } }],
        contexts: [{ name: 'test', context: { cluster: 'test', user: 'admin' } }],
        'current-context': 'test',
      }),
    );
    const version = kubectl(['version', '-o', 'json']);
    if (version.status !== 0) throw new Error(`kubectl cannot reach the API server:\n${version.out}`);
    const serverVersion = (JSON.parse(version.stdout) as { serverVersion: { gitVersion: string } }).serverVersion.gitVersion;
    if (options.node && nodeBin) {
      services.push(...(await startControllers(nodeBin, dir, kubeconfig)));
      node = await startNode(join(dir, 'node'), kubeconfig, nodeBin, options.node.pauseImage);
      node.importImages(options.node.images);
      await eventually(
        'the node to be Ready',
        async () =>
          kubectl(['get', 'node', node!.name, '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}']).stdout === 'True'
            ? true
            : undefined,
        120_000,
      );
      // Pods need their namespace's default ServiceAccount, which the controllers create.
      await eventually(
        'the default ServiceAccount',
        async () => (kubectl(['get', 'serviceaccount', 'default']).status === 0 ? true : undefined),
        60_000,
      );
    }
    return {
      version: serverVersion,
      kubeconfig,
      spawnKubectl: (args) => spawn(bin.kubectl, ['--kubeconfig', kubeconfig, ...args]),
      dir,
      kubectl,
      ...(node ? { node } : {}),
      logs: () => [...services.map((s) => `--- ${s.name}\n${s.output().slice(-4000)}`), node?.logs() ?? ''].join('\n'),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/**
 * kube-controller-manager (Deployments, ReplicaSets, ServiceAccounts and their tokens' CA, endpoints)
 * and kube-scheduler. No leader election (one of each) and no serving port: the node becoming Ready
 * and pods being scheduled are what shows them working.
 */
async function startControllers(
  bin: { controllerManager: string; scheduler: string },
  dir: string,
  kubeconfig: string,
): Promise<Service[]> {
  const started = async () => {
    await new Promise((r) => setTimeout(r, 1_000));
    return true;
  };
  return [
    await startService(
      'kube-controller-manager',
      bin.controllerManager,
      [
        ['--kubeconfig', kubeconfig],
        ['--leader-elect=false'],
        ['--secure-port', '0'],
        ['--service-account-private-key-file', join(dir, 'sa.key')],
        ['--root-ca-file', join(dir, 'certs', 'apiserver.crt')],
      ].flat(),
      started,
    ),
    await startService(
      'kube-scheduler',
      bin.scheduler,
      ['--kubeconfig', kubeconfig, '--leader-elect=false', '--secure-port', '0'],
      started,
    ),
  ];
}

/** Everything that makes pods, then the pods themselves, in every namespace, waiting for them to end. */
function deleteWorkloads(kubectl: (args: string[]) => Kubectl): void {
  for (const kinds of ['deployments,replicasets,statefulsets,daemonsets,jobs', 'pods']) {
    const r = kubectl(['delete', kinds, '--all', '--all-namespaces', '--wait', '--timeout', '90s']);
    if (r.status !== 0) throw new Error(`kubectl delete ${kinds} failed:\n${r.out}`);
  }
}
