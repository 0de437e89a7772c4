// A real Kubernetes control plane on 127.0.0.1 for `npm run test:kube`: etcd and kube-apiserver
// v1.37.2, built from their Go modules (test/kube/kube-build, cached in ~/.cache/embedding-relay/bin;
// cold about 8 minutes on 2 cores, then milliseconds), kubectl of the same release, and the
// prometheus-operator CRDs (ServiceMonitor, PodMonitor, PrometheusRule) from the operator's Go module.
// No kubelet or scheduler: objects are admitted and validated (schemas, CRD schemas, strict fields),
// which is what a server-side dry-run needs. A failed build or start throws: the suite fails, never skips.
import { execFileSync, spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { get } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../support/port.ts';
import { startService, tempDir, type Service } from '../stack/services.ts';

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

/** Starts etcd and kube-apiserver on free loopback ports; kubectl talks to it as a cluster admin, over verified TLS. */
export async function startCluster(): Promise<Cluster> {
  const bin = kubeBinaries();
  const dir = tempDir('kube');
  const [client, peer, secure] = [await freePort(), await freePort(), await freePort()];
  const services: Service[] = [];
  const stop = async () => {
    for (const s of services.reverse()) await s.stop();
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
        ].flat(),
        () => httpsOk(`https://127.0.0.1:${secure}/readyz`, join(certs, 'apiserver.crt')),
        120_000,
      ),
    );
    const kubeconfig = join(dir, 'kubeconfig');
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
    const kubectl = (args: string[], input?: string): Kubectl => {
      const run = spawnSync(bin.kubectl, ['--kubeconfig', kubeconfig, ...args], { encoding: 'utf8', input, maxBuffer: 64 * 1024 * 1024 });
      if (run.error) throw new Error(`kubectl could not run (${run.error.message})`);
      return { status: run.status, stdout: run.stdout, out: `${run.stdout}${run.stderr}` };
    };
    const version = kubectl(['version', '-o', 'json']);
    if (version.status !== 0) throw new Error(`kubectl cannot reach the API server:\n${version.out}`);
    const serverVersion = (JSON.parse(version.stdout) as { serverVersion: { gitVersion: string } }).serverVersion.gitVersion;
    return {
      version: serverVersion,
      kubeconfig,
      kubectl,
      logs: () => services.map((s) => `--- ${s.name}\n${s.output().slice(-4000)}`).join('\n'),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
