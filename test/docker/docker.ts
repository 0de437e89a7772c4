// The Docker CLI for `npm run test:docker`: the engine and base images (engine.sh), building the
// repository's Dockerfile, and containers that are removed when the suite ends.
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { root } from '../support/relay-process.ts';

const here = new URL('.', import.meta.url).pathname;
/** Every container the suite starts carries this label, so afterAll removes them all. */
export const LABEL = 'embedding-relay-test=docker';

export interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function docker(args: string[]): Run {
  const run = spawnSync('docker', args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (run.error) throw new Error(`docker could not run (${run.error.message}): apt-get install docker.io`);
  return { status: run.status, stdout: run.stdout.trim(), stderr: run.stderr.trim() };
}

/** docker() without blocking the event loop: clients in the test keep running meanwhile. */
export const dockerAsync = (args: string[]): Promise<Run> =>
  new Promise((resolve) => {
    execFile('docker', args, { encoding: 'utf8' }, (err, stdout, stderr) =>
      resolve({ status: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout: stdout.trim(), stderr: stderr.trim() }),
    );
  });

/** Like docker(), but a non-zero exit throws with its output. */
export function dockerOk(args: string[]): string {
  const run = docker(args);
  if (run.status !== 0) throw new Error(`docker ${args.join(' ')} exited ${run.status}:\n${run.stderr}\n${run.stdout}`.slice(0, 6000));
  return run.stdout;
}

/** Starts the engine if needed and makes the Node 24 stand-in for node:24-slim; returns its tag. */
export const nodeBaseImage = (): string =>
  execFileSync('bash', [`${here}engine.sh`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();

/** `docker build` of the repository's Dockerfile FROM `base`; returns the seconds it took. */
export function buildRelayImage(tag: string, base: string): number {
  const t0 = performance.now();
  dockerOk(['build', '--build-arg', `NODE_IMAGE=${base}`, '-t', tag, root]);
  return (performance.now() - t0) / 1000;
}

export const imageBytes = (image: string): number => Number(dockerOk(['image', 'inspect', '-f', '{{.Size}}', image]));

/** The host port a container's port is published on (127.0.0.1 only). */
export const hostPort = (container: string, port: number): number =>
  Number(
    dockerOk(['port', container, `${port}/tcp`])
      .split(':')
      .pop(),
  );

export const inspect = (container: string, format: string): string => dockerOk(['inspect', '-f', format, container]);

export function removeTestContainers(): void {
  const ids = docker(['ps', '-aq', '--filter', `label=${LABEL}`])
    .stdout.split('\n')
    .filter(Boolean);
  if (ids.length > 0) docker(['rm', '-f', ...ids]);
}
