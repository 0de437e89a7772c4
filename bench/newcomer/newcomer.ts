// A newcomer's first hour, timed: a fresh clone of this checkout's HEAD with an empty home (no npm,
// Go or pip cache, nothing in ~/.cache/embedding-relay; the machine's own npm, git and Go settings
// copied in), the system's Node first on PATH, and the README's commands in order:
//   1. `npm ci && npm start` until the banner says where the relay listens (then SIGTERM);
//   2. `npm run test:unit` with no Go on PATH (it must need none);
//   3. `npm test` the first time (it builds its Go programs and venv), then 4. again.
// Then the size of each cache the first `npm test` filled. Failed tests are counted, not hidden. Writes bench/newcomer/results.json, the
// numbers the README and docs/development.md quote (test/integration/docs.test.ts checks that they do).
//   node bench/newcomer/newcomer.ts [--out FILE]     (about 20 minutes on 2 cores)
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

export interface Timed {
  seconds: number;
  /** Tests run (vitest's closing line: passed and failed), for the test commands. */
  tests?: number;
  /** Present when some failed: how many. */
  failed?: number;
}

export interface NewcomerResults {
  command: string;
  commit: string;
  date: string;
  machine: { cpus: number; cpuModel: string; node: string };
  startToBanner: Timed;
  testUnitWithoutGo: Timed;
  testFirst: Timed & { builds: Record<string, number> };
  testAgain: Timed;
  /** Bytes each cache holds after the first `npm test`. */
  cacheBytes: { goModules: number; goBuild: number; embeddingRelay: number; npm: number };
}

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** The machine's settings a fresh machine has too (registries, git identity, Go's flags). */
const SETTINGS = ['.npmrc', '.gitconfig', '.config/go/env', '.config/pip/pip.conf'];

function freshHome(dir: string): string {
  const home = join(dir, 'home');
  for (const file of SETTINGS) {
    const from = join(process.env['HOME'] ?? '/root', file);
    if (!existsSync(from)) continue;
    mkdirSync(dirname(join(home, file)), { recursive: true });
    copyFileSync(from, join(home, file));
  }
  return home;
}

/** The shell a newcomer has: this environment without npm's, Go's cache and the relay's settings,
 *  and without node_modules/.bin on PATH (so the system's Node comes first). */
function newcomerEnv(home: string, withGo: boolean): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(npm_|NODE_|INIT_CWD$|GOPATH$|GOCACHE$|GOMODCACHE$|XDG_CACHE_HOME$|RELAY_|OTEL_|LOKI_|CI$|EMBEDDING_RELAY_)/.test(k)) continue;
    env[k] = v;
  }
  const dirs = (process.env['PATH'] ?? '').split(delimiter).filter((d) => !d.includes('node_modules'));
  env['PATH'] = dirs.filter((d) => withGo || !existsSync(join(d, 'go'))).join(delimiter);
  env['HOME'] = home;
  return env;
}

/** Runs a command to its end; `allowFailure`: a test command whose failures are counted from its output. */
function run(
  cmd: string,
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
  allowFailure = false,
): Promise<{ seconds: number; output: string }> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const take = (chunk: Buffer) => {
      output += chunk.toString();
      process.stderr.write(chunk);
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.on('error', reject);
    child.on('close', (code) => {
      const seconds = (performance.now() - t0) / 1000;
      if (code === 0 || (allowFailure && /^vitest: \d+ passed/m.test(output))) resolve({ seconds, output });
      else reject(new Error(`${cmd} ${args.join(' ')} exited ${code}:\n${output.slice(-2000)}`));
    });
  });
}

/** `npm start` until its banner's first line, then SIGTERM to its process group. */
function startUntilBanner(cwd: string, env: NodeJS.ProcessEnv, t0: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = spawn('npm', ['start'], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let output = '';
    const stop = () => {
      try {
        process.kill(-child.pid!, 'SIGTERM');
      } catch {
        // already gone
      }
    };
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`no banner within 5 min:\n${output.slice(-2000)}`));
    }, 300_000);
    child.stderr!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (/embedding-relay \S+ listening on/.test(output)) {
        clearTimeout(timer);
        const seconds = (performance.now() - t0) / 1000;
        stop();
        child.once('close', () => resolve(seconds));
      }
    });
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('close', (code) => {
      clearTimeout(timer);
      if (!/listening on/.test(output)) reject(new Error(`npm start exited ${code} before its banner:\n${output.slice(-2000)}`));
    });
  });
}

/** The tests of a run from vitest's closing line; failures are recorded, not hidden. */
const counted = (output: string): Pick<Timed, 'tests' | 'failed'> => {
  const m = [...output.matchAll(/^vitest: (\d+) passed, (\d+) failed/gm)].at(-1);
  if (!m) throw new Error('no vitest summary in the output');
  const failed = Number(m[2]);
  return { tests: Number(m[1]) + failed, ...(failed > 0 ? { failed } : {}) };
};

const builds = (output: string): Record<string, number> =>
  Object.fromEntries(
    [...output.matchAll(/^(?:build-go-module: )?(\S+?):? (?:venv )?built in (\d+)s$/gm)].map((m) => [m[1]!, Number(m[2])] as const),
  );

/** Bytes under `path` (du: Go's module cache holds hundreds of thousands of files). */
function bytesIn(path: string): number {
  if (!existsSync(path)) return 0;
  return Number(execFileSync('du', ['-sb', path], { encoding: 'utf8' }).split('\t')[0]);
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { out: { type: 'string' } } });
  const dir = mkdtempSync(join(tmpdir(), 'embedding-relay-newcomer-'));
  const home = freshHome(dir);
  const repo = join(dir, 'embedding-relay');
  execFileSync('git', ['clone', '--quiet', '--no-hardlinks', ROOT, repo]);
  const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: repo, encoding: 'utf8' }).trim();
  const env = newcomerEnv(home, true);
  const node = execFileSync('node', ['--version'], { env, encoding: 'utf8' }).trim();
  process.stderr.write(`newcomer: ${commit} in ${repo}, HOME=${home}, node ${node} first on PATH\n`);
  try {
    const t0 = performance.now();
    await run('npm', ['ci'], repo, env);
    const startToBanner = { seconds: await startUntilBanner(repo, env, t0) };
    const unit = await run('npm', ['run', 'test:unit'], repo, newcomerEnv(home, false), true);
    const first = await run('npm', ['test'], repo, env, true);
    const again = await run('npm', ['test'], repo, env, true);
    const results: NewcomerResults = {
      command: 'node bench/newcomer/newcomer.ts',
      commit,
      date: new Date().toISOString(),
      machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', node },
      startToBanner,
      testUnitWithoutGo: { seconds: unit.seconds, ...counted(unit.output) },
      testFirst: { seconds: first.seconds, ...counted(first.output), builds: builds(first.output) },
      testAgain: { seconds: again.seconds, ...counted(again.output) },
      cacheBytes: {
        goModules: bytesIn(join(home, 'go', 'pkg', 'mod')),
        goBuild: bytesIn(join(home, '.cache', 'go-build')),
        embeddingRelay: bytesIn(join(home, '.cache', 'embedding-relay')),
        npm: bytesIn(join(home, '.npm')),
      },
    };
    const out = values.out ?? join(ROOT, 'bench', 'newcomer', 'results.json');
    writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
    process.stderr.write(`newcomer: results in ${out}\n`);
  } finally {
    // Go makes its module cache read-only; make it writable so it can be removed.
    execFileSync('chmod', ['-R', 'u+w', dir]);
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) await main();
