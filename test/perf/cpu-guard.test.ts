// CI's regression guard on the relay's cost per single-input request (`npm run test:perf`), next to
// node-floor (test/support/node-floor-proxy.ts: a bare pass-through in the relay's own stack) in
// the same run, so the machine's speed cancels out. Both are started with the relay's node flags
// in front of one canned upstream, and get the same paced load: a warm-up, then four rounds,
// interleaved. The relay runs as it ships (OTLP spans and Loki pushes to a sink, /metrics). With two
// CPUs or more the proxy under test has CPU 0 to itself (taskset) and everything else shares CPU 1.
// The relay's CPU seconds per request (utime + stime from /proc, all threads; the least of the
// rounds) must stay within GUARD × node-floor's: bench/RESULTS.md has the ratio measured with and
// without the relay's fast paths, and why the margin is what it is.
// CPU_GUARD_RELAY_ROOT=/other/checkout/ runs another checkout's built relay against the same guard.
import { cpus } from 'node:os';
import { Pool } from 'undici';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Child, killAllAndWait, startChild } from '../support/child.ts';
import { nodeFlags } from '../support/node-flags.ts';
import { LOADGEN_CPU, pinTree, PROXY_CPU } from '../support/pin.ts';
import { freePort, waitForPort } from '../support/port.ts';
import { cpuSeconds } from '../support/process-stats.ts';
import { startTelemetrySink, type TelemetrySink } from '../support/telemetry-sink.ts';

/** The most the relay may cost per request, in node-floor's. */
const GUARD = 2.8;
const RATE = Number(process.env['CPU_GUARD_RATE'] ?? 2000);
const SECONDS = 3;
const ROUNDS = 4;
const WARMUP_SECONDS = 6;

const here = new URL('.', import.meta.url).pathname;
const root = new URL('../..', import.meta.url).pathname;
const relayRoot = process.env['CPU_GUARD_RELAY_ROOT'] ?? root;
const pinned = cpus().length >= 2;

const BODY = JSON.stringify({ model: 'Qwen/Qwen3-Embedding-4B', input: 'passage 0: what is the capital of the river station' });

/** RATE requests a second, evenly spaced, for SECONDS; every answer must be a 200. Returns the count. */
async function paced(origin: string, seconds: number): Promise<number> {
  const pool = new Pool(origin, { connections: 16 });
  const total = RATE * seconds;
  const start = performance.now();
  const pending: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / RATE;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    pending.push(
      pool
        .request({ method: 'POST', path: '/v1/embeddings', headers: { 'content-type': 'application/json' }, body: BODY })
        .then(async (res) => {
          await res.body.arrayBuffer();
          if (res.statusCode !== 200) throw new Error(`${origin} answered ${res.statusCode}`);
        }),
    );
  }
  await Promise.all(pending);
  await pool.close();
  return total;
}

interface Proxy {
  name: string;
  child: Child;
  origin: string;
}

let upstream: Child;
let sink: TelemetrySink;
const proxies: Proxy[] = [];

async function startProxy(name: string, args: string[], env: NodeJS.ProcessEnv, port: number): Promise<Proxy> {
  const child = startChild(
    name,
    process.execPath,
    args,
    { PATH: process.env['PATH'], ...env },
    { cwd: name === 'relay' ? relayRoot : root },
  );
  await waitForPort(port, child.running, 30_000);
  if (pinned) pinTree(child.pid, PROXY_CPU);
  return { name, child, origin: `http://127.0.0.1:${port}` };
}

beforeAll(async () => {
  if (pinned) pinTree(process.pid, LOADGEN_CPU);
  upstream = startChild('canned-upstream', process.execPath, [`${root}test/support/canned-upstream.ts`]);
  const up = `http://127.0.0.1:${(JSON.parse(await upstream.firstLine) as { port: number }).port}`;
  if (pinned) pinTree(upstream.pid, LOADGEN_CPU);
  sink = await startTelemetrySink({ keepBodies: false });
  const floorPort = await freePort();
  proxies.push(
    await startProxy('node-floor', [...nodeFlags(root), `${here}../support/node-floor-proxy.ts`, up, String(floorPort)], {}, floorPort),
  );
  const relayPort = await freePort();
  proxies.push(
    await startProxy(
      'relay',
      [...nodeFlags(relayRoot), '--import', './dist/instrument.js', 'dist/main.js'],
      {
        RELAY_UPSTREAM_URL: `${up}/v1`,
        RELAY_HOST: '127.0.0.1',
        RELAY_PORT: String(relayPort),
        OTEL_EXPORTER_PROMETHEUS_PORT: '0',
        OTEL_EXPORTER_OTLP_ENDPOINT: sink.url,
        LOKI_URL: sink.url,
        NODE_ENV: 'production',
      },
      relayPort,
    ),
  );
}, 60_000);

afterAll(async () => {
  await killAllAndWait();
  await sink?.close();
});

it(`the relay's CPU per single-input request stays within ${GUARD} × node-floor's`, async () => {
  const perRequest = new Map<string, number[]>();
  // Warm-up: until the JIT has compiled the hot paths and the young generation has grown, the CPU
  // per request falls from one round to the next.
  for (const p of proxies) await paced(p.origin, WARMUP_SECONDS);
  for (let round = 0; round < ROUNDS; round++) {
    for (const p of proxies) {
      const before = cpuSeconds(p.child.pid);
      const n = await paced(p.origin, SECONDS);
      perRequest.set(p.name, [...(perRequest.get(p.name) ?? []), (cpuSeconds(p.child.pid) - before) / n]);
    }
  }
  // The least of the rounds: what each costs when nothing else on the machine got in its way.
  const least = (name: string) => Math.min(...perRequest.get(name)!);
  const ratio = least('relay') / least('node-floor');
  const line = `relay ${(least('relay') * 1e6).toFixed(0)} µs, node-floor ${(least('node-floor') * 1e6).toFixed(0)} µs of CPU per request: ${ratio.toFixed(2)} ×${pinned ? ' (pinned)' : ''}`;
  process.stderr.write(
    `cpu-guard: ${line} (rounds: ${[...perRequest].map(([n, v]) => `${n} ${v.map((x) => (x * 1e6).toFixed(0)).join('/')}`).join(', ')})\n`,
  );
  expect(ratio, line).toBeLessThanOrEqual(GUARD);
}, 120_000);
