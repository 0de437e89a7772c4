// The one node of the cluster `npm run test:kube` installs the chart on: Debian's containerd (with
// runc) serving the CRI, the bridge CNI plugin from Debian's containernetworking-plugins, a kubelet and
// kube-proxy (iptables) built from the Kubernetes module (cluster.ts). Needs root, as a kubelet does.
// Everything lives in one temporary folder; stop() deletes the pods through the API first (so their
// containers end the way Kubernetes ends them), then stops the programs, and leaves no process,
// mount, bridge or Service rule behind. A missing program or a failed start throws: the suite fails.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../support/port.ts';
import { eventually, type Service, startService, systemBinary } from '../stack/services.ts';

/** The pod network: one bridge on the node, one /24 for its pods. */
export const POD_BRIDGE = 'kube-test0';
const POD_CIDR = '10.244.0.0/24';
export const NODE_NAME = 'node-1';

export interface NodePrograms {
  kubelet: string;
  kubeProxy: string;
}

export interface Node {
  name: string;
  ip: string;
  /** `ctr images import` of images saved by `docker save` (the node pulls from no registry). */
  importImages(archive: Buffer): void;
  logs(): string;
  stop(deletePods: () => void): Promise<void>;
}

/** The kubelet refuses a loopback node IP: the node is the machine's first non-loopback IPv4 address. */
export function nodeIp(): string {
  for (const addrs of Object.values(networkInterfaces())) {
    const v4 = addrs?.find((a) => a.family === 'IPv4' && !a.internal);
    if (v4) return v4.address;
  }
  throw new Error('test:kube: the machine has no non-loopback IPv4 address for the node');
}

export async function startNode(dir: string, kubeconfig: string, bin: NodePrograms, pauseImage: string): Promise<Node> {
  if (process.getuid?.() !== 0) throw new Error('test:kube: a kubelet needs root (mounts, cgroups, network namespaces)');
  const containerd = systemBinary('containerd', 'containerd');
  const ctr = systemBinary('ctr', 'containerd');
  systemBinary('runc', 'runc');
  const cniBin = '/usr/lib/cni';
  if (!existsSync(join(cniBin, 'bridge'))) throw new Error('test:kube needs the CNI plugins: apt-get install containernetworking-plugins');
  systemBinary('iptables', 'iptables');

  const ip = nodeIp();
  const socket = join(dir, 'containerd.sock');
  const services: Service[] = [];
  const ctrRun = (args: string[], input?: Buffer) => {
    const run = spawnSync(ctr, ['--address', socket, '--namespace', 'k8s.io', ...args], { input, maxBuffer: 64 << 20 });
    if (run.status !== 0) throw new Error(`ctr ${args.join(' ')} failed:\n${run.stderr.toString()}`);
    return run.stdout.toString();
  };
  const stopPrograms = async () => {
    for (const s of services.reverse()) await s.stop();
    services.length = 0;
  };
  try {
    services.push(await startContainerd(containerd, ctr, dir, socket, cniBin, pauseImage));
    services.push(await startKubelet(bin.kubelet, dir, kubeconfig, socket, ip));
    services.push(await startKubeProxy(bin.kubeProxy, kubeconfig));
  } catch (err) {
    await stopPrograms();
    cleanHost(dir, bin.kubeProxy);
    throw err;
  }
  return {
    name: NODE_NAME,
    ip,
    importImages: (archive) => void ctrRun(['images', 'import', '--all-platforms', '-'], archive),
    logs: () => services.map((s) => `--- ${s.name}\n${s.output().slice(-4000)}`).join('\n'),
    stop: async (deletePods) => {
      try {
        deletePods();
        // The kubelet stops each pod's sandbox; until then a shim still runs.
        await eventually(
          'the node’s containers to end',
          async () => (ctrRun(['tasks', 'list', '--quiet']).trim() === '' ? true : undefined),
          60_000,
        );
      } finally {
        await stopPrograms();
        cleanHost(dir, bin.kubeProxy);
      }
    },
  };
}

/** containerd with only the CRI's state in `dir`: its own socket, root, state and CNI configuration. */
async function startContainerd(
  containerd: string,
  ctr: string,
  dir: string,
  socket: string,
  cniBin: string,
  pauseImage: string,
): Promise<Service> {
  const cniConf = join(dir, 'cni');
  mkdirSync(cniConf, { recursive: true });
  writeFileSync(
    join(cniConf, '10-bridge.conflist'),
    JSON.stringify({
      cniVersion: '1.0.0',
      name: 'test-pods',
      plugins: [
        {
          type: 'bridge',
          bridge: POD_BRIDGE,
          isGateway: true,
          ipMasq: false,
          hairpinMode: true,
          ipam: { type: 'host-local', ranges: [[{ subnet: POD_CIDR }]], routes: [{ dst: '0.0.0.0/0' }], dataDir: join(dir, 'ipam') },
        },
        { type: 'loopback' },
      ],
    }),
  );
  // restrict_oom_score_adj: the kubelet asks for an OOM score below containerd's own for the pod's
  // sandbox, which takes CAP_SYS_RESOURCE; these VMs do not grant it, and runc then fails every pod.
  writeFileSync(
    join(dir, 'containerd.toml'),
    `version = 2
root = "${join(dir, 'containerd')}"
state = "${join(dir, 'containerd-state')}"
[grpc]
  address = "${socket}"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "${pauseImage}"
  restrict_oom_score_adj = true
  netns_mounts_under_state_dir = true
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "${cniBin}"
    conf_dir = "${cniConf}"
  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
    runtime_type = "io.containerd.runc.v2"
`,
  );
  return startService(
    'containerd',
    containerd,
    ['--config', join(dir, 'containerd.toml')],
    async () => spawnSync(ctr, ['--address', socket, 'version'], { stdio: 'ignore' }).status === 0,
  );
}

/**
 * The kubelet, registered as NODE_NAME. cgroup v1 is what these VMs have: Kubernetes 1.35 made the
 * kubelet refuse it unless failCgroupV1 is false. Its API (logs, port-forward) takes any caller, bound
 * to the node's address only, for the minutes the suite runs: the test has no client certificates.
 */
async function startKubelet(kubelet: string, dir: string, kubeconfig: string, socket: string, ip: string): Promise<Service> {
  const [port, healthz] = [await freePort(), await freePort()];
  const config = {
    apiVersion: 'kubelet.config.k8s.io/v1beta1',
    kind: 'KubeletConfiguration',
    failCgroupV1: false,
    cgroupDriver: 'cgroupfs',
    failSwapOn: false,
    containerRuntimeEndpoint: `unix://${socket}`,
    address: ip,
    port,
    readOnlyPort: 0,
    healthzBindAddress: '127.0.0.1',
    healthzPort: healthz,
    podLogsDir: join(dir, 'pod-logs'),
    authentication: { anonymous: { enabled: true }, webhook: { enabled: false } },
    authorization: { mode: 'AlwaysAllow' },
    // The machine's disk and memory are shared with the rest of CI: evict only when nearly out.
    evictionHard: { 'memory.available': '100Mi', 'nodefs.available': '1%', 'imagefs.available': '1%' },
    imageGCHighThresholdPercent: 100,
    imageGCLowThresholdPercent: 99,
  };
  writeFileSync(join(dir, 'kubelet.json'), JSON.stringify(config));
  return startService(
    'kubelet',
    kubelet,
    [
      ['--config', join(dir, 'kubelet.json')],
      ['--kubeconfig', kubeconfig],
      ['--root-dir', join(dir, 'kubelet')],
      ['--hostname-override', NODE_NAME],
      ['--node-ip', ip],
    ].flat(),
    `http://127.0.0.1:${healthz}/healthz`,
    120_000,
  );
}

/**
 * kube-proxy in iptables mode, so a Service's ClusterIP reaches its ready pods from the node and from
 * pods. --masquerade-all: a pod calling a Service whose pod shares its bridge gets its answer back
 * through the node. --conntrack-max-per-core 0 leaves the host's conntrack table as it is.
 */
async function startKubeProxy(kubeProxy: string, kubeconfig: string): Promise<Service> {
  const [metrics, healthz] = [await freePort(), await freePort()];
  return startService(
    'kube-proxy',
    kubeProxy,
    [
      ['--kubeconfig', kubeconfig],
      ['--hostname-override', NODE_NAME],
      ['--proxy-mode', 'iptables'],
      ['--cluster-cidr', POD_CIDR],
      ['--masquerade-all'],
      ['--conntrack-max-per-core', '0'],
      ['--metrics-bind-address', `127.0.0.1:${metrics}`],
      ['--healthz-bind-address', `127.0.0.1:${healthz}`],
    ].flat(),
    `http://127.0.0.1:${healthz}/healthz`,
    60_000,
  );
}

/** What a node leaves on the host once its programs stopped: mounts under `dir`, the bridge, Service rules, pod cgroups. */
function cleanHost(dir: string, kubeProxy: string): void {
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4] ?? '')
    .filter((point) => point.startsWith(`${dir}/`))
    .reverse();
  for (const point of mounts) spawnSync('umount', ['--lazy', point], { stdio: 'ignore' });
  spawnSync('ip', ['link', 'delete', POD_BRIDGE], { stdio: 'ignore' });
  execFileSync(kubeProxy, ['--cleanup'], { stdio: 'ignore' });
  for (const controller of readdirSync('/sys/fs/cgroup')) removeCgroup(join('/sys/fs/cgroup', controller, 'kubepods'));
}

function removeCgroup(path: string): void {
  let children: string[];
  try {
    children = readdirSync(path, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => join(path, e.name));
  } catch {
    return; // this controller has no kubepods
  }
  for (const child of children) removeCgroup(child);
  try {
    rmdirSync(path);
  } catch {
    // a process still in it: the leak check of the suite names it
  }
}
