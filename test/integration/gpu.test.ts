// GPU gauges: the nvidia-smi CSV parser on fixtures, the poller's failure rules, the gauges as
// Prometheus sees them through the real relay, and a hung nvidia-smi next to live traffic.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { GpuMonitor } from '../../src/monitors/gpu.ts';
import { commandExists, GPU_QUERY_ARGS, parseNvidiaSmiCsv, queryNvidiaSmi } from '../../src/monitors/nvidia-smi.ts';
import { createLogging } from '../../src/telemetry/logger.ts';
import { LogCapture, promtoolCheckMetrics, relay, scrape, scrapeText } from '../support/harness.ts';
import { find, parsePrometheusText, total } from '../support/prometheus-text.ts';
import { embed, root, startRelayProcess } from '../support/relay-process.ts';

const fixture = (name: string) => `${root}test/fixtures/nvidia-smi/${name}`;
const read = (name: string) => readFileSync(fixture(name), 'utf8');
const FAKE = `${root}test/fixtures/fake-nvidia-smi.sh`;
const MIB = 1024 * 1024;

describe('nvidia-smi CSV parser', () => {
  it('reads one GPU with every field', () => {
    expect(parseNvidiaSmiCsv(read('single.csv'))).toEqual([
      {
        index: 0,
        uuid: 'GPU-5d1a3c52-8f2e-4b7a-9c61-0e4f2a7b9d13',
        name: 'NVIDIA H100 80GB HBM3',
        memoryUsedBytes: 17893 * MIB,
        memoryTotalBytes: 81559 * MIB,
        utilization: 0.43,
        temperatureCelsius: 51,
        powerWatts: 212.37,
      },
    ]);
  });

  it('reads several GPUs in index order', () => {
    const gpus = parseNvidiaSmiCsv(read('multi.csv'));
    expect(gpus.map((g) => [g.index, g.name, g.memoryUsedBytes! / MIB, g.utilization])).toEqual([
      [0, 'NVIDIA A100-SXM4-80GB', 72311, 0.97],
      [1, 'NVIDIA A100-SXM4-80GB', 4, 0],
      [2, 'NVIDIA L4', 20011, 0.88],
      [3, 'NVIDIA L4', 0, 0],
    ]);
    expect(new Set(gpus.map((g) => g.uuid)).size).toBe(4);
  });

  it('leaves out fields nvidia-smi cannot report ([N/A], [Not Supported], [Unknown Error])', () => {
    const [a, b] = parseNvidiaSmiCsv(read('na-fields.csv'));
    expect(a).toEqual({
      index: 0,
      uuid: 'GPU-9f8e7d6c-5b4a-4392-8170-fedcba987654',
      name: 'NVIDIA GeForce GTX 960M',
      memoryTotalBytes: 2048 * MIB,
      temperatureCelsius: 54,
    });
    expect(b).toEqual({
      index: 1,
      uuid: 'GPU-9f8e7d6c-5b4a-4392-8170-fedcba987655',
      name: 'NVIDIA GeForce RTX 3080',
      memoryUsedBytes: 1211 * MIB,
      memoryTotalBytes: 10240 * MIB,
      temperatureCelsius: 47,
    });
  });

  it('skips warning lines, blank lines and CRLF endings', () => {
    const gpus = parseNvidiaSmiCsv(`${read('with-warning.csv').replaceAll('\n', '\r\n')}\r\n\r\n`);
    expect(gpus).toHaveLength(1);
    expect(gpus[0]!.powerWatts).toBe(69.9);
  });

  it('keeps a product name that contains a comma', () => {
    const [g] = parseNvidiaSmiCsv('0, GPU-abc, Vendor Card, Rev 2, 10, 20, 30, 40, 50\n');
    expect(g).toMatchObject({ name: 'Vendor Card, Rev 2', memoryUsedBytes: 10 * MIB, powerWatts: 50 });
  });

  it('returns nothing for output that is not the query (error text, too few fields)', () => {
    expect(parseNvidiaSmiCsv("NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.\n")).toEqual([]);
    expect(parseNvidiaSmiCsv('0, GPU-abc, H100\n')).toEqual([]);
    expect(parseNvidiaSmiCsv('[N/A], [N/A], x, 1, 2, 3, 4, 5\n')).toEqual([]);
  });

  it('asks nvidia-smi for exactly the fields the parser reads (checked by the fake nvidia-smi)', () => {
    const out = execFileSync(FAKE, GPU_QUERY_ARGS, {
      env: { ...process.env, NVIDIA_FAKE_SMI_OUTPUT: fixture('single.csv') },
      encoding: 'utf8',
    });
    expect(parseNvidiaSmiCsv(out)).toHaveLength(1);
    expect(() => execFileSync(FAKE, ['--query-gpu=index', '--format=csv'], { stdio: 'pipe' })).toThrow();
  });
});

describe('running nvidia-smi', () => {
  it('says why a query failed: missing command, driver error exit code, timeout', async () => {
    await expect(queryNvidiaSmi('definitely-not-nvidia-smi-here', 1_000)).rejects.toThrow(
      'definitely-not-nvidia-smi-here: command not found',
    );
    process.env['NVIDIA_FAKE_SMI_MODE'] = 'fail';
    await expect(queryNvidiaSmi(FAKE, 5_000)).rejects.toThrow(
      "exit code 9: NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.",
    );
    process.env['NVIDIA_FAKE_SMI_MODE'] = 'hang';
    const t0 = performance.now();
    await expect(queryNvidiaSmi(FAKE, 300)).rejects.toThrow('no answer within 300 ms (killed)');
    expect(performance.now() - t0).toBeLessThan(2_000);
    delete process.env['NVIDIA_FAKE_SMI_MODE'];
  });
});

describe('GPU monitor', () => {
  const logger = () => {
    const logs = new LogCapture();
    return { logs, logger: createLogging({ level: 'info', serviceName: 't', lokiUrl: undefined, destination: logs }).logger };
  };

  it('auto mode polls only when the command exists; on/off are forced', () => {
    expect(commandExists('sh')).toBe(true);
    expect(commandExists('definitely-not-nvidia-smi-here')).toBe(false);
    expect(commandExists(FAKE)).toBe(true);
    expect(GpuMonitor.wanted('auto', 'definitely-not-nvidia-smi-here')).toBe(false);
    expect(GpuMonitor.wanted('auto', FAKE)).toBe(true);
    expect(GpuMonitor.wanted('on', 'definitely-not-nvidia-smi-here')).toBe(true);
    expect(GpuMonitor.wanted('off', FAKE)).toBe(false);
  });

  it('a failed poll clears the readings, is counted, and warns once', async () => {
    const { logs, logger: log } = logger();
    const errors: string[] = [];
    let answer: Promise<string> = Promise.resolve(read('multi.csv'));
    const monitor = new GpuMonitor({ command: 'x', intervalMs: 60_000, logger: log, onError: (s) => errors.push(s), query: () => answer });
    await monitor.poll();
    expect(monitor.readings).toHaveLength(4);
    answer = Promise.reject(new Error('spawn x ENOENT'));
    await monitor.poll();
    await monitor.poll();
    expect(monitor.readings).toEqual([]);
    expect(errors).toEqual(['gpu', 'gpu']);
    expect(logs.lines.filter((l) => l['level'] === 40)).toHaveLength(1);
    answer = Promise.resolve('no gpu lines here\n');
    await monitor.poll();
    expect(errors).toHaveLength(3);
  });

  it('never runs two queries at once', async () => {
    const { logger: log } = logger();
    let calls = 0;
    let release!: (v: string) => void;
    const monitor = new GpuMonitor({
      command: 'x',
      intervalMs: 60_000,
      logger: log,
      onError: () => {},
      query: () => {
        calls++;
        return new Promise<string>((r) => (release = r));
      },
    });
    const first = monitor.poll();
    const second = monitor.poll();
    expect(calls).toBe(1);
    release(read('single.csv'));
    await Promise.all([first, second]);
    expect(monitor.readings).toHaveLength(1);
  });
});

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
