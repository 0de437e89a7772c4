// The Prometheus side of the stack: config, recording/alerting rules and their promtool unit
// tests, Alertmanager config; all checked with the real promtool/amtool (built from their Go
// modules by test/tools/provision.sh; a tool that cannot be provisioned fails the run, never skips it).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { FAULT_HEADER } from '../../src/core/headers.ts';
import { makeGarbage, relay, scrapeText, simulator } from '../support/harness.ts';
import { toolPath, type ToolName } from '../tools/tools.ts';

const root = new URL('../..', import.meta.url).pathname;
const tool = (cmd: ToolName, args: string[]) => {
  const run = spawnSync(toolPath(cmd), args, { cwd: root, encoding: 'utf8' });
  if (run.error) throw new Error(`${cmd} could not run (${run.error.message})`);
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
};

interface RuleFile {
  groups: { name: string; rules: { alert?: string; record?: string; expr: string }[] }[];
}
interface RuleTests {
  tests: { alert_rule_test?: { alertname: string; exp_alerts?: unknown[] }[] }[];
}
const rules = parse(readFileSync(`${root}prometheus/embedding-relay.rules.yml`, 'utf8')) as RuleFile;
const alerts = rules.groups.flatMap((g) => g.rules).filter((r) => r.alert !== undefined);

describe('Prometheus configuration', () => {
  it('promtool check config accepts prometheus.yml and its rule files', () => {
    const r = tool('promtool', ['check', 'config', 'prometheus/prometheus.yml']);
    expect(r.output).toContain('SUCCESS: prometheus/prometheus.yml is valid');
    expect(r.status).toBe(0);
  });

  it('promtool check rules accepts the rules', () => {
    const r = tool('promtool', ['check', 'rules', 'prometheus/embedding-relay.rules.yml']);
    expect(r.output).toMatch(/SUCCESS: \d+ rules found/);
    expect(r.status).toBe(0);
  });

  it('promtool test rules: every alert fires when it should and stays quiet when not', () => {
    const r = tool('promtool', ['test', 'rules', 'prometheus/tests/alerts.test.yml']);
    expect(r.output).toContain('SUCCESS');
    expect(r.status).toBe(0);
  });

  it('has the required alerts, each with a firing and a quiet unit test', () => {
    expect(alerts.map((a) => a.alert).sort()).toEqual([
      'EmbeddingBrokenVectors',
      'EmbeddingCanaryMarginLost',
      'EmbeddingDimensionMismatch',
      'EmbeddingErrorRatioHigh',
      'EmbeddingGpuMemoryHigh',
      'EmbeddingGpuPollFailing',
      'EmbeddingGpuTemperatureHigh',
      'EmbeddingKeyFileRefused',
      'EmbeddingLatencyP95High',
      'EmbeddingLatencyP99High',
      'EmbeddingNoTraffic',
      'EmbeddingRelayDown',
      'EmbeddingRelayShedding',
      'EmbeddingRerankBrokenResults',
      'EmbeddingRerankMissingResults',
      'EmbeddingSemanticDrift',
      'EmbeddingSuspiciousVectors',
      'EmbeddingUpstreamUnreachable',
    ]);
    const cases = (parse(readFileSync(`${root}prometheus/tests/alerts.test.yml`, 'utf8')) as RuleTests).tests.flatMap(
      (t) => t.alert_rule_test ?? [],
    );
    for (const a of alerts) {
      const mine = cases.filter((c) => c.alertname === a.alert);
      expect(
        mine.some((c) => (c.exp_alerts ?? []).length > 0),
        `${a.alert} has no firing case`,
      ).toBe(true);
      expect(
        mine.some((c) => (c.exp_alerts ?? []).length === 0),
        `${a.alert} has no quiet case`,
      ).toBe(true);
    }
  });

  it('amtool accepts the Alertmanager config', () => {
    const r = tool('amtool', ['check-config', 'prometheus/alertmanager.yml']);
    expect(r.output).toContain('SUCCESS');
    expect(r.status).toBe(0);
  });

  it('rules and dashboard use only metric names the relay really exposes', async () => {
    const sim = await simulator();
    const dir = mkdtempSync(join(tmpdir(), 'names-'));
    const baselineFile = join(dir, 'baseline.json');
    const keyFile = join(dir, 'keys');
    writeFileSync(keyFile, 'names:sk-names\n');
    // A fake nvidia-smi (test/fixtures), so the GPU gauges exist too.
    process.env['NVIDIA_FAKE_SMI_OUTPUT'] = `${root}test/fixtures/nvidia-smi/single.csv`;
    const { relay: r } = await relay({
      upstreamUrl: `${sim.url}/v1`,
      canaryIntervalMs: 100,
      canaryModel: 'm',
      canaryBaselineFile: baselineFile,
      gpu: 'on',
      gpuCommand: `${root}test/fixtures/fake-nvidia-smi.sh`,
      // Room for one request at a time, so that two at once make one wait (the queue-wait histogram).
      memoryBudgetBytes: 100_000,
      // A key file, so its reload counter exists too.
      apiKeysFile: { path: keyFile, keys: [{ caller: 'names', key: 'sk-names' }] },
    });
    try {
      const auth = { authorization: 'Bearer sk-names' };
      await (
        await fetch(`${r.url}/v1/embeddings`, { method: 'POST', headers: auth, body: JSON.stringify({ model: 'm', input: 'x' }) })
      ).arrayBuffer();
      // A broken vector, so the anomaly counter exists too.
      await (
        await fetch(`${r.url}/v1/embeddings`, {
          method: 'POST',
          headers: { ...auth, [FAULT_HEADER]: 'zero' },
          body: JSON.stringify({ model: 'm', input: 'x' }),
        })
      ).arrayBuffer();
      // A 200 that is not JSON, so the telemetry error counter exists too.
      await (
        await fetch(`${r.url}/v1/embeddings`, {
          method: 'POST',
          headers: { ...auth, [FAULT_HEADER]: 'garbage' },
          body: JSON.stringify({ model: 'm', input: 'x' }),
        })
      ).arrayBuffer();
      // A rerank (the simulator answers it), so the retrieval metrics exist too.
      await (
        await fetch(`${r.url}/v1/rerank`, {
          method: 'POST',
          headers: auth,
          body: JSON.stringify({ model: 'm', query: 'q', documents: ['a', 'b'] }),
        })
      ).arrayBuffer();
      const two = () =>
        fetch(`${r.url}/v1/embeddings`, { method: 'POST', headers: auth, body: JSON.stringify({ model: 'm', input: 'x' }) });
      await Promise.all([two(), two()].map(async (p) => (await p).arrayBuffer()));
      await makeGarbage(); // so v8js_gc_duration_seconds exists too
      await new Promise((res) => setTimeout(res, 400)); // a canary probe or two
      const exposition = await scrapeText();
      const exposed = new Set([...exposition.matchAll(/^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{| )/gm)].map((m) => m[1]!));
      // Metric names only: drop label matchers {...} and by/without (...) label lists first.
      const metricNames = (expr: string) =>
        [
          ...expr
            .replace(/\{[^}]*\}/g, '')
            .replace(/"[^"]*"/g, '')
            .replace(/\b(by|without)\s*\([^)]*\)/g, '')
            .matchAll(/\b((?:gen_ai|embedding|http_server|hw|process|v8js|nodejs)_[a-z0-9_]+)\b/g),
        ].map((m) => m[1]!);
      const slo = parse(readFileSync(`${root}prometheus/embedding-relay.slo.rules.yml`, 'utf8')) as RuleFile;
      const used = new Set([...rules.groups, ...slo.groups].flatMap((g) => g.rules).flatMap((rule) => metricNames(rule.expr)));
      expect(used).toContain('hw_gpu_memory_usage_bytes');
      expect(used).toContain('hw_temperature_celsius');
      expect(used).toContain('embedding_relay_shed_total');
      expect(used).toContain('embedding_relay_key_file_reloads_total');
      for (const name of used) expect(exposed, `rules use ${name}, which the relay does not expose`).toContain(name);
      // The dashboard's Prometheus queries too.
      const dashboard = JSON.parse(readFileSync(`${root}grafana/dashboards/embedding-relay.json`, 'utf8')) as {
        panels: { targets?: { expr?: string }[] }[];
      };
      const panelNames = new Set(dashboard.panels.flatMap((p) => p.targets ?? []).flatMap((t) => (t.expr ? metricNames(t.expr) : [])));
      expect(panelNames).toContain('v8js_memory_heap_space_physical_size_bytes');
      expect(panelNames).toContain('gen_ai_client_operation_duration_seconds_bucket');
      expect(panelNames).toContain('embedding_relay_queue_wait_seconds_bucket');
      for (const name of panelNames) expect(exposed, `the dashboard uses ${name}, which the relay does not expose`).toContain(name);
    } finally {
      await r.close(100);
      await sim.close();
    }
  });
});
