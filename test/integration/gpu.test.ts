// GPU gauges as Prometheus sees them through the real relay, and a hung nvidia-smi next to live
// traffic (the parser and the poller: test/unit/monitors/).
import { execFileSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { promtoolCheckMetrics, relay, scrape, scrapeText } from '../support/harness.ts';
import { find, parsePrometheusText, total } from '../support/prometheus-text.ts';
import { embed, root, startRelayProcess } from '../support/relay-process.ts';

const fixture = (name: string) => `${root}test/fixtures/nvidia-smi/${name}`;
const FAKE = `${root}test/fixtures/fake-nvidia-smi.sh`;
const MIB = 1024 * 1024;

describe('GPU gauges through the relay', () => {
  process.env['NVIDIA_FAKE_SMI_OUTPUT'] = fixture('multi.csv');
  let stop: (() => Promise<void>) | undefined;
  afterAll(() => stop?.());

  it('exposes hw_* gauges with unit suffixes and hardware attributes, accepted by promtool', async () => {
    const { relay: r } = await relay({ gpu: 'on', gpuCommand: FAKE, gpuIntervalMs: 1_000 });
    stop = () => r.close();
    expect(r.gpu).toBeDefined();
    await r.gpu!.poll();
    const samples = await scrape();
    const gpu2 = {
      hw_id: 'GPU-0a1b2c3d-3333-4e5f-8a9b-000000000003',
      hw_name: 'gpu2',
      hw_model: 'NVIDIA L4',
      hw_type: 'gpu',
      hw_vendor: 'NVIDIA',
    };
    expect(total(samples, 'hw_gpu_memory_usage_bytes', gpu2)).toBe(20011 * MIB);
    expect(total(samples, 'hw_gpu_memory_limit_bytes', gpu2)).toBe(23034 * MIB);
    expect(total(samples, 'hw_gpu_utilization_ratio', { ...gpu2, hw_gpu_task: 'general' })).toBe(0.88);
    expect(total(samples, 'hw_temperature_celsius', gpu2)).toBe(71);
    expect(total(samples, 'hw_power_watts', gpu2)).toBe(69.84);
    expect(find(samples, 'hw_gpu_memory_usage_bytes')).toHaveLength(4);
    expect(promtoolCheckMetrics(await scrapeText())).toEqual({ status: 0, output: '' });
  });

  it('reports nothing and counts nothing when auto mode finds no nvidia-smi', async () => {
    const { relay: r } = await relay({ gpu: 'auto', gpuCommand: 'definitely-not-nvidia-smi-here' });
    expect(r.gpu).toBeUndefined();
    await r.close();
  });
});

describe('a hung nvidia-smi next to live traffic (real relay process)', () => {
  it('requests stay fast, each hung call is killed at its timeout and counted, never two at once', async () => {
    const p = await startRelayProcess({
      RELAY_GPU: 'on',
      RELAY_GPU_COMMAND: FAKE,
      RELAY_GPU_INTERVAL_MS: '1000',
      NVIDIA_FAKE_SMI_MODE: 'hang',
    });
    try {
      expect(p.out.stderr).toContain('GPU gauges: polling');
      const children: number[] = [];
      const slowest: number[] = [];
      const until = Date.now() + 3_500;
      while (Date.now() < until) {
        const t0 = performance.now();
        const res = await embed(p.url, 'm-gpu');
        expect(res.status).toBe(200);
        await res.arrayBuffer();
        slowest.push(performance.now() - t0);
        children.push(Number(execFileSync('sh', ['-c', `pgrep -P ${p.child.pid} | wc -l`], { encoding: 'utf8' }).trim()));
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(Math.max(...children)).toBeLessThanOrEqual(1);
      slowest.sort((a, b) => a - b);
      expect(slowest[Math.floor(slowest.length * 0.9)]).toBeLessThan(250);
      const metrics = parsePrometheusText(await (await fetch(`http://127.0.0.1:${p.metricsPort}/metrics`)).text());
      expect(total(metrics, 'embedding_relay_telemetry_errors_total', { embedding_telemetry_stage: 'gpu' })).toBeGreaterThanOrEqual(2);
      expect(find(metrics, 'hw_gpu_memory_usage_bytes')).toEqual([]);
      const warnings = p.out.stdout.split('\n').filter((l) => l.includes('GPU gauges: nvidia-smi query failed'));
      expect(warnings).toHaveLength(1);
      expect(JSON.parse(warnings[0]!)).toMatchObject({ level: 40, reason: `${FAKE}: no answer within 1000 ms (killed)` });
    } finally {
      expect(await p.stop()).toBe(0);
    }
  }, 20_000);
});
