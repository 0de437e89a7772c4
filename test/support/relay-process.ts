// The relay as a real process, started the way `npm start` does (built dist/, --import bootstrap),
// configured only by environment variables.
import type { ChildProcess } from 'node:child_process';
import { startChild } from './child.ts';

export const root = new URL('../..', import.meta.url).pathname;
export const node = process.execPath;
export const entry = ['--import', './dist/instrument.js', 'dist/main.js'];

export { freePort } from './port.ts';

export interface RelayProcess {
  child: ChildProcess;
  url: string;
  metricsPort: number;
  out: { stdout: string; stderr: string };
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
}

/** Both ports default to 0: the relay binds what the kernel gives and its banner says which, so no
 *  other program can take a port between a test choosing it and the relay binding it. */
export async function startRelayProcess(env: Record<string, string>): Promise<RelayProcess> {
  const relay = startChild(
    'relay',
    node,
    entry,
    {
      PATH: process.env['PATH'],
      RELAY_HOST: '127.0.0.1',
      RELAY_PORT: '0',
      OTEL_EXPORTER_PROMETHEUS_HOST: '127.0.0.1',
      OTEL_EXPORTER_PROMETHEUS_PORT: '0',
      RELAY_SIMULATOR_LATENCY_MS: '0',
      ...env,
    },
    { cwd: root, keepOutput: true },
  );
  const child = relay.proc;
  const out = relay.output;
  const [url, metricsPort] = await new Promise<[string, number]>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`relay did not start:\n${out.stderr}`)), 10_000);
    const check = () => {
      const m = /listening on (?:\S+ \(all interfaces; from this machine: )?(http:\/\/[^\s)]+)/.exec(out.stderr);
      // The banner's metrics line: the bound port, or telemetry off (then the port asked for, if any).
      const metrics = /Prometheus metrics: http:\/\/\S+?:(\d+)\/metrics/.exec(out.stderr);
      const off = out.stderr.includes('Telemetry disabled');
      if (m && (metrics || off)) {
        clearTimeout(timer);
        resolve([m[1]!, metrics ? Number(metrics[1]) : Number(env['OTEL_EXPORTER_PROMETHEUS_PORT'] ?? 0)]);
      }
    };
    child.stderr!.on('data', check);
    child.once('exit', () => reject(new Error(`relay exited:\n${out.stderr}`)));
  });
  // A relay that dies under a test shows up there as "connection refused"; say here who ended it.
  let stopping = false;
  child.once('exit', (code, signal) => {
    if (!stopping)
      process.stderr.write(`relay at ${url} exited unexpectedly (code ${code}, signal ${signal}):\n${out.stderr.slice(-2000)}\n`);
  });
  return {
    child,
    url,
    metricsPort,
    out,
    stop: () =>
      new Promise((resolve) => {
        stopping = true;
        if (child.exitCode !== null) return resolve(child.exitCode);
        child.once('exit', (code) => resolve(code));
        child.kill('SIGTERM');
      }),
  };
}

export const embed = (url: string, model: string) =>
  fetch(`${url}/v1/embeddings`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model, input: ['hello', 'world'], dimensions: 16 }),
  });

export const jsonLines = (text: string) =>
  text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);

/** POST a JSON body to `${base}/embeddings` (base as an OpenAI base_url): the status and the parsed answer. */
export async function postEmbeddings(base: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${base}/embeddings`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

/** How many log lines the relay has written: a request's own line is the first for its model after this. */
export const logMark = (relay: RelayProcess): number => jsonLines(relay.out.stdout).length;

/** The relay's first log line for `model` after the mark `since` (waits up to 2 s for it). */
export async function logLineFor(relay: RelayProcess, model: string, since: number): Promise<Record<string, unknown>> {
  for (let i = 0; i < 40; i++) {
    const line = jsonLines(relay.out.stdout)
      .slice(since)
      .find((l) => l['model'] === model);
    if (line) return line;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no log line for ${model}:\n${relay.out.stdout.slice(-2000)}`);
}
