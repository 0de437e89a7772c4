// The batch-indexing flood (test/support/flood.ts) against the relay inside a 512 MiB memory cgroup
// of its own (the Helm chart's default limits.memory), in front of a quick upstream outside it (200
// ms per answer, `dimensions: 8`): with the relay's defaults, and with the memory budget out of the
// way (RELAY_MEMORY_BUDGET_BYTES=2^50, what the relay did before it had one). Writes
// bench/overload/results.json, which docs/operations.md ("Overload") quotes (docs.test checks it).
//   npm run bench:overload   (root: it makes the cgroup; v1 or v2)
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { flood, quickUpstream, type ClassCounts } from '../../test/support/flood.ts';
import { freePort } from '../../test/support/port.ts';

const LIMIT_MIB = 512;
const root = new URL('../..', import.meta.url).pathname;

export interface OverloadRun {
  budget: 'default' | 'off';
  batches: number;
  seconds: number;
  /** The kernel's OOM killer ended the relay. */
  killed: boolean;
  peakMiB: number;
  large: Omit<ClassCounts, 'requestIds'>;
  small: Omit<ClassCounts, 'requestIds'>;
}

export interface OverloadResults {
  command: string;
  commit: string;
  date: string;
  machine: { cpus: number; cpuModel: string; node: string };
  limitMiB: number;
  upstreamDelayMs: number;
  batch: { inputs: number; charsPerInput: number; bytes: number };
  smallPerSecond: number;
  runs: OverloadRun[];
}

const PLAN: { budget: OverloadRun['budget']; batches: number }[] = [
  { budget: 'default', batches: 16 },
  { budget: 'default', batches: 64 },
  { budget: 'off', batches: 16 },
];

if (import.meta.url === `file://${process.argv[1]}`) {
  const upstream = await quickUpstream(200);
  const runs: OverloadRun[] = [];
  for (const step of PLAN) {
    runs.push(await runOne(upstream.url, step.budget, step.batches));
    console.log(`overload: ${JSON.stringify(runs.at(-1))}`);
  }
  upstream.server.closeAllConnections();
  upstream.server.close();
  const results: OverloadResults = {
    command: 'npm run bench:overload',
    commit: execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim(),
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model.trim() ?? 'unknown', node: process.version },
    limitMiB: LIMIT_MIB,
    upstreamDelayMs: 200,
    batch: { inputs: 2000, charsPerInput: 7000, bytes: batchBytes() },
    smallPerSecond: 20,
    runs,
  };
  writeFileSync(`${root}bench/overload/results.json`, `${JSON.stringify(results, null, 2)}\n`);
  console.log('overload: → bench/overload/results.json');
}

async function runOne(upstreamUrl: string, budget: OverloadRun['budget'], batches: number): Promise<OverloadRun> {
  const cg = memoryCgroup(`embedding-relay-overload-${process.pid}`);
  const port = await freePort();
  const env: Record<string, string> = {
    PATH: process.env['PATH'] ?? '',
    RELAY_UPSTREAM_URL: upstreamUrl,
    RELAY_HOST: '127.0.0.1',
    RELAY_PORT: String(port),
    OTEL_EXPORTER_PROMETHEUS_PORT: String(await freePort()),
    OTEL_TRACES_EXPORTER: 'none',
    RELAY_LOG_LEVEL: 'warn',
    ...(budget === 'off' ? { RELAY_MEMORY_BUDGET_BYTES: String(2 ** 50) } : {}),
  };
  // The shell joins the cgroup, then becomes the relay: the relay never runs outside it.
  const child = spawn(
    'sh',
    ['-c', `echo $$ > ${cg.procs} && exec "${process.execPath}" --max-semi-space-size=16 --import ./dist/instrument.js dist/main.js`],
    { cwd: root, env, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  await waitHealthy(`http://127.0.0.1:${port}/healthz`);
  const r = await flood({
    url: `http://127.0.0.1:${port}`,
    batches,
    rounds: 1,
    inputsPerBatch: 2000,
    charsPerInput: 7000,
    smallPerSecond: 20,
    model: 'flood',
  });
  await new Promise((resolve) => setTimeout(resolve, 500));
  const killed = cg.oomKills() > 0 && exited;
  const peakMiB = Math.round(cg.peakBytes() / 2 ** 20);
  if (!exited) {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
  }
  cg.remove();
  const { requestIds: _l, ...large } = r.large;
  const { requestIds: _s, ...small } = r.small;
  return { budget, batches, seconds: Math.round(r.seconds * 10) / 10, killed, peakMiB, large, small };
}

function batchBytes(): number {
  const text = 'x'.repeat(7000);
  return Buffer.byteLength(
    JSON.stringify({ model: 'flood', input: Array.from({ length: 2000 }, (_, i) => `${i} ${text}`), dimensions: 8 }),
  );
}

async function waitHealthy(url: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      if (Date.now() > deadline) throw new Error(`bench:overload: the relay did not answer ${url}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A memory cgroup with LIMIT_MIB, v1 (/sys/fs/cgroup/memory) or v2 (/sys/fs/cgroup with memory.max). */
function memoryCgroup(name: string) {
  const v1 = existsSync('/sys/fs/cgroup/memory/memory.limit_in_bytes');
  const dir = v1 ? `/sys/fs/cgroup/memory/${name}` : `/sys/fs/cgroup/${name}`;
  try {
    mkdirSync(dir);
    writeFileSync(`${dir}/${v1 ? 'memory.limit_in_bytes' : 'memory.max'}`, String(LIMIT_MIB * 2 ** 20));
  } catch (err) {
    throw new Error(`bench:overload needs root and a writable memory cgroup (${dir}): ${(err as Error).message}`);
  }
  const read = (file: string) => readFileSync(`${dir}/${file}`, 'utf8');
  return {
    procs: `${dir}/cgroup.procs`,
    oomKills: () => Number(/oom_kill (\d+)/.exec(read(v1 ? 'memory.oom_control' : 'memory.events'))?.[1] ?? 0),
    peakBytes: () => Number(read(v1 ? 'memory.max_usage_in_bytes' : 'memory.peak')),
    remove: () => rmdirSync(dir),
  };
}
