// Child processes of the benchmark and the process tests (the one spawner): started with piped
// output (stdout counted and drained, the tail of stderr kept for error messages; all of both with
// `keepOutput`), stopped with SIGTERM then SIGKILL, and all killed when the runner exits or is
// interrupted (see killAll, wired in bench/proxy/run.ts).
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';

const live = new Set<ChildProcess>();
const exits = new Map<ChildProcess, Promise<unknown>>();
const tempDirs = new Set<string>();
const STDERR_TAIL = 8 * 1024;

export interface Child {
  name: string;
  pid: number;
  proc: ChildProcess;
  /** Everything written so far, with `keepOutput` (empty strings otherwise). */
  output: { stdout: string; stderr: string };
  /** Bytes the child has written to stdout so far (drained, like a log pipe). */
  stdoutBytes(): number;
  stderrTail(): string;
  /** The first line of stdout (e.g. a readiness line with the chosen port). */
  firstLine: Promise<string>;
  exited: Promise<number | null>;
  running(): boolean;
  stop(): Promise<void>;
}

export interface ChildOptions {
  cwd?: string;
  /** Keep all of stdout and stderr in `output` (the process tests read the relay's log lines). */
  keepOutput?: boolean;
}

export function startChild(name: string, command: string, args: string[], env?: NodeJS.ProcessEnv, opts: ChildOptions = {}): Child {
  const proc = spawn(command, args, { env: env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'], cwd: opts.cwd });
  const output = { stdout: '', stderr: '' };
  if (opts.keepOutput) {
    proc.stdout!.on('data', (c: Buffer) => {
      output.stdout += c.toString();
    });
    proc.stderr!.on('data', (c: Buffer) => {
      output.stderr += c.toString();
    });
  }
  live.add(proc);
  let out = 0;
  let err = '';
  let line = '';
  let gotLine = false;
  let resolveLine!: (l: string) => void;
  let rejectLine!: (e: Error) => void;
  const firstLine = new Promise<string>((res, rej) => {
    resolveLine = res;
    rejectLine = rej;
  });
  firstLine.catch(() => {});
  proc.stdout!.on('data', (chunk: Buffer) => {
    out += chunk.length;
    if (gotLine) return;
    line += chunk.toString('utf8');
    const nl = line.indexOf('\n');
    if (nl >= 0) {
      gotLine = true;
      resolveLine(line.slice(0, nl));
    }
  });
  proc.stderr!.on('data', (chunk: Buffer) => {
    err = (err + chunk.toString('utf8')).slice(-STDERR_TAIL);
  });
  const exited = new Promise<number | null>((resolve) => {
    proc.once('error', (e) => {
      err += `\n${e.message}`;
      live.delete(proc);
      resolve(null);
    });
    proc.once('exit', (code) => {
      live.delete(proc);
      resolve(code);
    });
  });
  exits.set(proc, exited);
  void exited.then(() => exits.delete(proc));
  void exited.then(() => rejectLine(new Error(`${name} exited before it was ready:\n${err.trim()}`)));
  return {
    name,
    pid: proc.pid ?? -1,
    proc,
    output,
    stdoutBytes: () => out,
    stderrTail: () => err,
    firstLine,
    exited,
    running: () => live.has(proc),
    async stop() {
      if (!live.has(proc)) return;
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** A temp dir of the run, removed when its user stops and, at the latest, when the runner exits. */
export function tempDir(dir: string): () => void {
  tempDirs.add(dir);
  return () => {
    rmSync(dir, { recursive: true, force: true });
    tempDirs.delete(dir);
  };
}

/** Synchronous last resort (process 'exit'): SIGKILL every child still running, remove temp dirs. */
export function killAll(): void {
  for (const proc of live) proc.kill('SIGKILL');
  live.clear();
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
}

/** Ctrl-C: SIGKILL every child and wait (briefly) until they are gone, so none is left behind. */
export async function killAllAndWait(): Promise<void> {
  const pending = [...exits.values()];
  killAll();
  await Promise.race([Promise.all(pending), new Promise((r) => setTimeout(r, 2_000))]);
}
