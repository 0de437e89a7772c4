// The documentation against the running relay, so it cannot drift: every link resolves, every metric
// docs/telemetry.md lists is in a real scrape (with the canary and GPU gauges on), every span attribute
// it lists is on a real span, the README's example calls work, and its banner is the real banner's shape.
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningRelay } from '../../src/server/app.ts';
import type { RunningServer } from '../../src/server/listen.ts';
import { FAULT_HEADER } from '../../src/core/headers.ts';
import {
  benchResults,
  ciResults,
  ciSummary,
  ciTable,
  newcomerResults,
  overloadResults,
  overloadTable,
  performanceTable,
  readmeCommands,
  readmeMeasured,
} from '../support/doc-numbers.ts';
import { until } from '../support/fake-loki.ts';
import { relay, scrapeText, simulator, spans } from '../support/harness.ts';
import { root, startRelayProcess } from '../support/relay-process.ts';

const read = (file: string) => readFileSync(join(root, file), 'utf8');
const pages = ['README.md', 'CHANGELOG.md', ...readdirSync(join(root, 'docs')).map((f) => `docs/${f}`)];

describe('links', () => {
  it('every relative link in README.md and docs/ points to a file that exists, and every docs page is linked from the README', () => {
    for (const page of pages) {
      for (const m of read(page).matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)) {
        const target = m[1]!;
        if (/^[a-z]+:/.test(target)) continue;
        expect(existsSync(join(root, dirname(page), target)), `${page} links to ${target}`).toBe(true);
      }
    }
    const readme = read('README.md');
    for (const page of pages.filter((p) => p.startsWith('docs/'))) expect(readme, `README links ${page}`).toContain(`](${page})`);
  });

  it('every file that a src/ comment or a docs page names exists (repository paths, and src/ paths as folder/file.ts)', () => {
    const sources = readdirSync(join(root, 'src'), { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.ts'))
      .map((f) => `src/${f}`);
    const repoPath = /\b((?:src|test|bench|docs|deploy|prometheus|grafana|loki|tempo)\/[\w./-]*\w\.(?:ts|md|sh|ya?ml|json|py|cjs|wat))\b/g;
    const srcPath = /(?<![\w/.-])((?:core|config|inspect|upstream|protocol|telemetry|relay|monitors|simulator|server)\/[\w/-]*\w\.ts)\b/g;
    const missing: string[] = [];
    for (const file of [...sources, ...pages.filter((p) => p !== 'CHANGELOG.md')]) {
      const text = read(file);
      // A path counts as named from the repository root, or from the naming file's own folder.
      const exists = (path: string) => existsSync(join(root, path)) || existsSync(join(root, dirname(file), path));
      for (const m of text.matchAll(repoPath)) if (!exists(m[1]!)) missing.push(`${file}: ${m[1]}`);
      for (const m of text.matchAll(srcPath)) if (!existsSync(join(root, 'src', m[1]!))) missing.push(`${file}: ${m[1]}`);
    }
    expect(missing).toEqual([]);
  });

  it('README.md stays short and user docs carry no issue numbers', () => {
    expect(Buffer.byteLength(read('README.md'))).toBeLessThan(12 * 1024);
    for (const page of pages.filter((p) => p !== 'CHANGELOG.md')) expect(read(page), page).not.toMatch(/(^|[\s(])#\d+\b/m);
  });
});

describe('the measured numbers the docs quote are those of the results files', () => {
  it('README.md: the two commands, their times and what the first npm test leaves behind (bench/newcomer/results.json)', () => {
    const readme = read('README.md');
    expect(readme).toContain(readmeCommands(newcomerResults()));
    expect(readme).toContain(readmeMeasured(newcomerResults()));
  });

  it("docs/development.md: each suite's time and test count, and the CI run (bench/ci/results.json)", () => {
    const page = read('docs/development.md');
    expect(page).toContain(ciTable(ciResults()));
    expect(page).toContain(ciSummary(ciResults()));
  });

  it('docs/operations.md: the overload table (bench/overload/results.json)', () => {
    expect(read('docs/operations.md')).toContain(overloadTable(overloadResults()));
  });

  it('docs/performance.md: the summary table of the last full bench (bench/results.json)', () => {
    expect(read('docs/performance.md')).toContain(performanceTable(benchResults()));
  });
});

describe('docs/telemetry.md against a running relay', () => {
  let sim: RunningServer;
  let r: RunningRelay;
  const gpuEnv = { NVIDIA_FAKE_SMI_OUTPUT: join(root, 'test/fixtures/nvidia-smi/single.csv') };

  beforeAll(async () => {
    Object.assign(process.env, gpuEnv);
    sim = await simulator();
    // Named callers from a key file, so the caller's attribute and label and the file's reload counter are there too.
    const keyFile = join(mkdtempSync(join(tmpdir(), 'docs-keys-')), 'keys');
    writeFileSync(keyFile, 'docs:sk-docs\n');
    ({ relay: r } = await relay({
      upstreamUrl: `${sim.url}/v1`,
      apiKeysFile: { path: keyFile, keys: [{ caller: 'docs', key: 'sk-docs' }] },
      providerName: 'vllm',
      canaryIntervalMs: 200,
      canaryModel: 'm-canary',
      canaryBaselineFile: join(mkdtempSync(join(tmpdir(), 'docs-canary-')), 'baseline.json'),
      gpu: 'on',
      gpuCommand: join(root, 'test/fixtures/fake-nvidia-smi.sh'),
      gpuIntervalMs: 1_000,
    }));
    const post = (body: unknown, headers: Record<string, string> = {}) =>
      fetch(`${r.url}/v1/embeddings`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer sk-docs', ...headers },
        body: JSON.stringify({ user: 'docs-user', ...(body as object) }),
      }).then((res) => res.arrayBuffer());
    await post({ model: 'm-docs', input: ['a', 'b'], dimensions: 64 });
    await post({ model: 'm-docs', input: ['a', 'b'] }, { [FAULT_HEADER]: 'nan' });
    await post({ model: 'm-docs', input: 'x' }, { [FAULT_HEADER]: '503' });
    await post({ model: 'm-docs', input: 'x' }, { [FAULT_HEADER]: 'garbage' });
    await post({ model: 'm-docs-dims', input: 'x' });
    await post({ model: 'm-docs-dims', input: 'x' }, { [FAULT_HEADER]: 'dims:100' });
    await until(() => r.canary !== undefined, 1_000, 'the canary');
    await new Promise((res) => setTimeout(res, 1_200)); // a canary probe and a GPU poll
  });

  afterAll(async () => {
    await r?.close(100);
    await sim?.close();
  });

  it('every metric in the metrics table is in a real scrape', async () => {
    const page = read('docs/telemetry.md');
    const table = page.slice(page.indexOf('## Metrics'), page.indexOf('## Log line'));
    const names = [...table.matchAll(/^\| (`[^|]+`) \|/gm)].flatMap((m) =>
      [...m[1]!.matchAll(/`([a-z0-9_{},]+)`/g)].flatMap((n) => {
        const brace = /^(.*)\{([^}]+)\}(.*)$/.exec(n[1]!);
        return brace ? brace[2]!.split(',').map((part) => `${brace[1]}${part}${brace[3]}`) : [n[1]!];
      }),
    );
    expect(names.length).toBeGreaterThan(25);
    const text = await scrapeText();
    const families = new Set([...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]!));
    for (const name of names) expect(families, `docs/telemetry.md lists ${name}`).toContain(name);
  });

  it('every span attribute in the span table is on a real span', () => {
    const page = read('docs/telemetry.md');
    const table = page.slice(page.indexOf('## Span'), page.indexOf('## Metrics'));
    const attrs = [...table.matchAll(/^\| `([a-z_.]+)`(?:, `([a-z_.]+)`)? \|/gm)].flatMap((m) =>
      [m[1]!, m[2]].filter((a): a is string => a !== undefined),
    );
    expect(attrs.length).toBeGreaterThan(15);
    const seen = new Set(
      spans
        .getFinishedSpans()
        .filter((s) => s.name.startsWith('embeddings'))
        .flatMap((s) => Object.keys(s.attributes)),
    );
    for (const a of attrs) expect(seen, `docs/telemetry.md lists ${a}`).toContain(a);
  });
});

describe('README.md against the relay process', () => {
  it('its banner has the real banner’s lines, and its example calls work', async () => {
    const p = await startRelayProcess({ RELAY_HOST: '0.0.0.0', OTEL_EXPORTER_PROMETHEUS_HOST: '0.0.0.0', OTEL_TRACES_EXPORTER: 'none' });
    try {
      await until(() => p.out.stderr.includes('Try it:'), 5_000, 'the banner');
      const readme = read('README.md');
      const sample = /```text\n([\s\S]*?)```/.exec(readme)![1]!.trim().split('\n');
      const real = p.out.stderr.split('\n');
      const shape = (l: string) => l.replace(/\d+/g, 'N');
      for (const line of sample) expect(real.map(shape), line).toContain(shape(line));
      const curls = [
        ...readme.matchAll(
          /curl -s http:\/\/127\.0\.0\.1:8080(\/v1\/embeddings) -H 'content-type: application\/json' \\\n\s+-d '([^']+)'/g,
        ),
      ];
      expect(curls.length).toBeGreaterThan(0);
      for (const [, path, body] of curls) {
        const res = await fetch(`${p.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
        expect(res.status, body).toBe(200);
        await res.arrayBuffer();
      }
      const metrics = await (await fetch(`http://127.0.0.1:${p.metricsPort}/metrics`)).text();
      expect(metrics).toContain('gen_ai_client_operation_duration_seconds_count');
    } finally {
      expect(await p.stop()).toBe(0);
    }
  });
});
