// What a user sees at start-up, as a real process: one line and a non-zero exit for a busy port
// (never a stack trace), the banner with the addresses really bound, who may call, whether the
// upstream answers and a call that works for it, and --version.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULTS } from '../../src/config/load.ts';
import { listen, type RunningServer } from '../../src/server/listen.ts';
import { banner, exampleModel } from '../../src/server/banner.ts';
import { Upstream } from '../../src/upstream/client.ts';
import { checkUpstream } from '../../src/server/upstream-check.ts';
import { entry, freePort, node, root, startRelayProcess } from '../support/relay-process.ts';
import { until } from '../support/fake-loki.ts';
import { simulator } from '../support/harness.ts';

const VERSION = (JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as { version: string }).version;

/** Runs the entry point until it exits (or 10 s), returning its exit code and stderr. */
function runToExit(args: string[], env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(node, [...entry, ...args], { cwd: root, env: { PATH: process.env['PATH'], OTEL_TRACES_EXPORTER: 'none', ...env } });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

describe('a port that is taken', () => {
  let busy: RunningServer;
  beforeAll(async () => {
    busy = await listen(createServer(), '127.0.0.1', 0);
  });
  afterAll(async () => {
    await busy.close();
  });

  it('the metrics port: one line naming the address and the setting, exit 1', async () => {
    const r = await runToExit([], {
      RELAY_HOST: '127.0.0.1',
      RELAY_PORT: String(await freePort()),
      OTEL_EXPORTER_PROMETHEUS_HOST: '127.0.0.1',
      OTEL_EXPORTER_PROMETHEUS_PORT: String(busy.port),
    });
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(
      `embedding-relay: Cannot listen on 127.0.0.1:${busy.port} (OTEL_EXPORTER_PROMETHEUS_HOST/--metrics-host, OTEL_EXPORTER_PROMETHEUS_PORT/--metrics-port): the address is already in use (another process listens there; stop it or choose another port).`,
    );
  });

  it('the API port: the same, naming RELAY_PORT', async () => {
    const r = await runToExit([`--port=${busy.port}`, '--host=127.0.0.1'], { OTEL_EXPORTER_PROMETHEUS_PORT: '0' });
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(
      `embedding-relay: Cannot listen on 127.0.0.1:${busy.port} (RELAY_HOST/--host, RELAY_PORT/--port): the address is already in use (another process listens there; stop it or choose another port).`,
    );
    expect(r.stderr).not.toContain('    at ');
  });
});

describe('the banner', () => {
  it('prints the bound metrics address, not port 0', async () => {
    const p = await startRelayProcess({ OTEL_EXPORTER_PROMETHEUS_PORT: '0', OTEL_TRACES_EXPORTER: 'none' });
    try {
      const m = /Prometheus metrics: (http:\/\/127\.0\.0\.1:(\d+)\/metrics)/.exec(p.out.stderr);
      expect(m, p.out.stderr).not.toBeNull();
      expect(Number(m![2])).toBeGreaterThan(0);
      expect((await fetch(m![1]!)).status).toBe(200);
    } finally {
      expect(await p.stop()).toBe(0);
    }
  });

  it('on all interfaces without inbound auth, it says both', async () => {
    const p = await startRelayProcess({ RELAY_HOST: '0.0.0.0', OTEL_TRACES_EXPORTER: 'none' });
    try {
      expect(p.out.stderr).toMatch(
        new RegExp(
          `^embedding-relay ${VERSION.replaceAll('.', '\\.')} listening on 0\\.0\\.0\\.0:\\d+ \\(all interfaces; from this machine: http://127\\.0\\.0\\.1:\\d+\\)`,
        ),
      );
      expect(p.out.stderr).toContain(
        'Inbound auth: none. Anyone who reaches this port can call the upstream; set RELAY_API_KEYS to require a key.',
      );
    } finally {
      expect(await p.stop()).toBe(0);
    }
  });

  it('in front of a real server, the example uses a model it lists and no `dimensions`', async () => {
    const sim = await simulator({ model: 'BAAI/bge-m3', dimensions: 16 });
    const p = await startRelayProcess({ RELAY_UPSTREAM_URL: `${sim.url}/v1`, OTEL_TRACES_EXPORTER: 'none' });
    try {
      expect(p.out.stderr).toContain(`Upstream: ${sim.url}/v1 (GET /models answered 200, serving BAAI/bge-m3).`);
      const example = /-d '(\{.*\})'/.exec(p.out.stderr)![1]!;
      expect(JSON.parse(example)).toEqual({ model: 'BAAI/bge-m3', input: ['hello world'] });
      // ...and that example works.
      const res = await fetch(`${p.url}/v1/embeddings`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: example });
      expect(res.status).toBe(200);
      expect(p.out.stderr).not.toContain('warning');
    } finally {
      expect(await p.stop()).toBe(0);
      await sim.close();
    }
  });

  it('an unreachable upstream gets one warning at start-up', async () => {
    const dead = await freePort();
    const p = await startRelayProcess({ RELAY_UPSTREAM_URL: `http://127.0.0.1:${dead}/v1`, OTEL_TRACES_EXPORTER: 'none' });
    try {
      await until(() => p.out.stderr.includes('Try it:'), 5_000, 'the whole banner');
      await new Promise((r) => setTimeout(r, 100));
      const warnings = p.out.stderr.split('\n').filter((l) => l.includes('warning'));
      expect(warnings).toEqual([
        `embedding-relay: warning: the upstream http://127.0.0.1:${dead}/v1 does not answer (ECONNREFUSED); /v1/embeddings answers 502 upstream_unreachable (or 504 upstream_timeout) until it does, and GET /readyz says 503.`,
      ]);
      expect(p.out.stderr).toContain(`"model":"<a model your server serves>"`);
    } finally {
      expect(await p.stop()).toBe(0);
    }
  });
});

describe('--version', () => {
  it('prints the package version and exits 0, from the entry point and from the installed bin', () => {
    for (const args of [
      [...entry, '--version'],
      [...entry, '-v'],
      ['bin/embedding-relay.js', '--version'],
    ]) {
      const run = spawnSync(node, args, { cwd: root, encoding: 'utf8', env: { PATH: process.env['PATH'] } });
      expect(run.status, run.stderr).toBe(0);
      expect(run.stdout.trim()).toBe(VERSION);
    }
  });

  it('`npm ci` builds dist/ (the prepare script), so the bin works right after it', () => {
    const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as { scripts: Record<string, string>; bin: Record<string, string> };
    expect(pkg.scripts['prepare']).toBe('npm run build --silent');
    expect(pkg.bin['embedding-relay']).toBe('bin/embedding-relay.js');
  });
});

describe('the banner’s facts', () => {
  const config = { ...DEFAULTS, apiKeys: undefined };
  const relayFacts = {
    url: 'http://127.0.0.1:8080',
    upstreamUrl: 'http://vllm:8000/v1',
    bound: { host: '0.0.0.0', port: 8080 },
    simulator: undefined,
    gpu: undefined,
    memory: {
      limitBytes: 512 * 2 ** 20,
      limitSource: 'cgroup' as const,
      budgetBytes: 128 * 2 ** 20,
      budgetSource: 'a quarter of the limit' as const,
    },
  };

  it('a long model list is cut, the example prefers an embedding model, and odd names stay valid JSON and shell', () => {
    const models = ['gpt-4o', ...Array.from({ length: 98 }, (_, i) => `chat-${i}`), "text-embedding-3-small's"];
    const text = banner({ config, relay: relayFacts, metrics: undefined, upstream: { reachable: true, status: 200, models, ownedBy: [] } });
    expect(text).toContain('serving gpt-4o, chat-0, chat-1, chat-2, chat-3 and 95 more).');
    const curlArg = /-d ('.*')$/m.exec(text)![1]!;
    const asShellSees = execFileSync('bash', ['-c', `printf '%s' ${curlArg}`], { encoding: 'utf8' });
    expect(JSON.parse(asShellSees)).toEqual({ model: "text-embedding-3-small's", input: ['hello world'] });
    expect(exampleModel(['a', 'b'])).toBe('a');
  });
});

describe('the start-up look at the upstream', () => {
  /** checkUpstream (300 ms) against a server that answers with `handler`. */
  async function checkAgainst(handler: Parameters<typeof createServer>[1]) {
    const server = await listen(createServer(handler), '127.0.0.1', 0);
    const upstream = new Upstream({
      url: `${server.url}/v1`,
      apiKey: undefined,
      connections: 1,
      connectTimeoutMs: 1_000,
      headersTimeoutMs: 10_000,
      bodyTimeoutMs: 10_000,
    });
    try {
      return await checkUpstream(upstream, 300);
    } finally {
      server.server.closeAllConnections();
      await upstream.close().catch(() => undefined);
      await server.close();
    }
  }

  it('an upstream that accepts and never answers: "no answer within N ms"', async () => {
    expect(await checkAgainst(() => undefined)).toEqual({ reachable: false, reason: 'no answer within 300 ms' });
  });

  it('an upstream that answers and then stalls its body is reachable', async () => {
    expect(await checkAgainst((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).write('{"data":['))).toEqual({
      reachable: true,
      status: 200,
      models: [],
      ownedBy: [],
    });
  });
});
