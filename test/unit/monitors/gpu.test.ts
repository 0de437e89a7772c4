// monitors/gpu.ts: when the monitor polls, and what a failed or slow poll does to its readings.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GpuMonitor } from '../../../src/monitors/gpu.ts';
import { commandExists } from '../../../src/monitors/nvidia-smi.ts';
import { createLogging } from '../../../src/telemetry/logger.ts';
import { LogCapture } from '../../support/harness.ts';
import { root } from '../../support/relay-process.ts';

const fixture = (name: string) => `${root}test/fixtures/nvidia-smi/${name}`;
const read = (name: string) => readFileSync(fixture(name), 'utf8');
const FAKE = `${root}test/fixtures/fake-nvidia-smi.sh`;

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
