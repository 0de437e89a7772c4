// Load shape (a) by Debian's wrk: maximum throughput with a fixed number of keep-alive
// connections, closed loop, from one C thread on epoll. autocannon runs in a Node process on
// the same cores as the proxy, and for small requests it, not the proxy, was the bottleneck
// (nginx reached a quarter of its own ceiling under it); wrk is not (nginx reaches one core's
// worth, its single worker's ceiling). wrk's latency is per request, in microseconds.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Usage } from '../../test/support/process-stats.ts';
import type { LoadRequest, LoadResult } from './load.ts';
import { Progress } from './progress.ts';

export const WRK = '/usr/bin/wrk';

export interface WrkResult extends LoadResult {
  /** CPU seconds wrk itself used (sampled from /proc while it ran). */
  loadgenCpuS: number;
}

/** The Lua script: the request, and a JSON summary on stdout when the run is done. */
function script(req: LoadRequest, bodyFile: string): string {
  const headers = Object.entries(req.headers)
    .map(([k, v]) => `wrk.headers[${JSON.stringify(k)}] = ${JSON.stringify(v)}`)
    .join('\n');
  return `wrk.method = "POST"
local f = assert(io.open(${JSON.stringify(bodyFile)}, "rb"))
wrk.body = f:read("*a")
f:close()
${headers}
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('\\nWRK-JSON {"requests":%d,"durationUs":%d,"status":%d,"connect":%d,"read":%d,"write":%d,"timeout":%d,' ..
    '"p50":%d,"p90":%d,"p99":%d,"max":%d,"mean":%f}\\n',
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
end
`;
}

interface WrkJson {
  requests: number;
  durationUs: number;
  status: number;
  connect: number;
  read: number;
  write: number;
  timeout: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

/** Runs wrk with one thread (`cpus`: a `taskset -c` list to pin it to). Non-2xx: what wrk counts
 *  as status errors (4xx and 5xx). */
export function wrkThroughput(req: LoadRequest, connections: number, durationS: number, label: string, cpus?: string): Promise<WrkResult> {
  const dir = mkdtempSync(join(tmpdir(), 'embedding-relay-wrk-'));
  const bodyFile = join(dir, 'body');
  const scriptFile = join(dir, 'request.lua');
  writeFileSync(bodyFile, req.body);
  writeFileSync(scriptFile, script(req, bodyFile));
  const args = ['-t1', `-c${connections}`, `-d${durationS}s`, '--timeout', '30s', '-s', scriptFile, req.origin + req.path];
  const [cmd, argv] = cpus === undefined ? [WRK, args] : ['taskset', ['-c', cpus, WRK, ...args]];
  const progress = new Progress(label);
  progress.update(`${durationS} s, wrk, ${connections} connections`);
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    const usage = new Usage(child.pid!);
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const { cpuSeconds } = usage.stop();
      rmSync(dir, { recursive: true, force: true });
      const line = /^WRK-JSON (.*)$/m.exec(out)?.[1];
      if (code !== 0 || line === undefined) return reject(new Error(`wrk exited with ${code}: ${(err || out).trim().slice(-500)}`));
      const j = JSON.parse(line) as WrkJson;
      const ms = (us: number) => us / 1000;
      const durS = j.durationUs / 1e6;
      const r: WrkResult = {
        durationS: durS,
        sent: j.requests,
        responses: j.requests,
        rps: j.requests / durS,
        non2xx: j.status,
        errors: j.connect + j.read + j.write + j.timeout,
        latencyMs: { p50: ms(j.p50), p90: ms(j.p90), p99: ms(j.p99), max: ms(j.max), mean: ms(j.mean) },
        loadgenCpuS: cpuSeconds,
      };
      progress.done(
        `${r.rps.toFixed(0).padStart(6)} req/s  p50 ${r.latencyMs.p50.toFixed(2)} ms  p99 ${r.latencyMs.p99.toFixed(2)} ms  (wrk)` +
          (r.non2xx || r.errors ? `  non-2xx ${r.non2xx}  errors ${r.errors}` : ''),
      );
      resolve(r);
    });
  });
}
