// Real programs for the stack tests: build-or-reuse binaries, start them on 127.0.0.1, wait until
// they answer, stop them. A missing binary or a failed build throws: the run fails, never skips.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const here = new URL('.', import.meta.url).pathname;

/** The Collector built by ocb from test/stack/otelcol-builder.yaml (cached; cold build ~2 min). */
export function otelcolBinary(): string {
  return execFileSync('bash', [join(here, 'build-otelcol.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
}

/** A Go program built from its module test/stack/<wrapper> (go.mod, go.sum, *.go; cached by their hash). */
export function goModuleBinary(wrapper: string, name: string, pkg: string): string {
  return execFileSync('bash', [join(here, 'build-go-module.sh'), join(here, wrapper), name, pkg], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }).trim();
}

/** Jaeger v2 (Apache-2.0), the OTLP trace backend in Tempo's place (cold build ~2.5 min). */
export const jaegerBinary = (): string => goModuleBinary('jaeger-build', 'jaeger', 'github.com/jaegertracing/jaeger/cmd/jaeger');

/** VictoriaLogs (Apache-2.0), which takes Loki's push API, in Loki's place (cold build ~30 s). */
export const victoriaLogsBinary = (): string =>
  goModuleBinary('victorialogs-build', 'victoria-logs', 'github.com/VictoriaMetrics/VictoriaLogs/app/victoria-logs');

/** A program from PATH (Debian packages); throws with the package to install when absent. */
export function systemBinary(name: string, debianPackage: string): string {
  try {
    execFileSync(name, ['--version'], { stdio: 'ignore' });
    return name;
  } catch {
    throw new Error(`${name} is required by this suite: apt-get install ${debianPackage}`);
  }
}

export const tempDir = (name: string): string => mkdtempSync(join(tmpdir(), `embedding-relay-${name}-`));

let started = 0;
let logs: string | undefined;
/** One folder per test process for the services' output files. */
const logDir = (): string => (logs ??= tempDir('logs'));

export interface Service {
  name: string;
  child: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

/** Starts `bin args`, then polls `ready` (a URL that must answer 200, or a check) until it holds (or the process dies, or time runs out). */
export async function startService(
  name: string,
  bin: string,
  args: string[],
  ready: string | (() => Promise<boolean>),
  timeoutMs = 60_000,
  env: Record<string, string> = {},
): Promise<Service> {
  // Its output goes to a file, never a pipe: while a test waits in spawnSync (kubectl, helm) nobody reads
  // a pipe, and a program whose pipe is full stops at its next log line (a kubelet then stops killing pods).
  const logFile = join(logDir(), `${name}-${++started}.log`);
  const fd = openSync(logFile, 'w');
  const child = spawn(bin, args, { stdio: ['ignore', fd, fd], env: { ...process.env, ...env } });
  closeSync(fd);
  const tail = () => {
    const all = readFileSync(logFile);
    return all.subarray(Math.max(0, all.length - 200_000)).toString();
  };
  const service: Service = {
    name,
    child,
    output: tail,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
        child.once('exit', () => {
          clearTimeout(kill);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode} before it was ready:\n${tail().slice(-4000)}`);
    if (await isReady(ready)) return service;
    if (Date.now() > deadline) {
      await service.stop();
      throw new Error(
        `${name} was not ready${typeof ready === 'string' ? ` at ${ready}` : ''} within ${timeoutMs} ms:\n${tail().slice(-4000)}`,
      );
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function isReady(ready: string | (() => Promise<boolean>)): Promise<boolean> {
  try {
    if (typeof ready !== 'string') return await ready();
    const res = await fetch(ready);
    await res.arrayBuffer();
    return res.status === 200;
  } catch {
    return false; // not listening yet
  }
}

/** Polls `probe` until it returns a value (not undefined) or the time runs out. */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000, everyMs = 1_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
