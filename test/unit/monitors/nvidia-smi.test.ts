// monitors/nvidia-smi.ts: the CSV parser on fixtures, and running the command (the fake
// nvidia-smi in test/fixtures) with its failures: missing, a driver error, a hang.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GPU_QUERY_ARGS, parseNvidiaSmiCsv, queryNvidiaSmi } from '../../../src/monitors/nvidia-smi.ts';
import { root } from '../../support/relay-process.ts';

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
