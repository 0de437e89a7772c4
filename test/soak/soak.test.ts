// The CI version of `npm run soak` (issue #6): 60 s at 200 req/s through the relay as it runs in
// production (built dist/, which `npm run test:soak` builds first), with the planned mix of 200/400/404/503
// answers. bench/soak/soak.ts decides; this test asserts its JSON verdict and names every failed
// criterion. Nothing is skipped: a missing dist/ or a relay that does not start fails the test.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, expect, it } from 'vitest';
import type { SoakResult } from '../../bench/soak/soak-result.ts';

const root = new URL('../..', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'relay-soak-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('60-s soak: flat RSS and fds after warm-up, zero unexpected errors, the relay counts every request', { timeout: 120_000 }, async () => {
  const json = join(dir, 'soak.json');
  let output = '';
  let code = 0;
  try {
    const run = await promisify(execFile)(process.execPath, ['bench/soak/soak.ts', '--duration', '60', '--rate', '200', '--json', json], {
      cwd: root,
      timeout: 110_000,
      maxBuffer: 16 * 1024 * 1024,
    });
    output = run.stdout + run.stderr;
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    code = e.code ?? -1;
    output = `${e.stdout ?? ''}${e.stderr ?? ''}`;
  }
  let result: SoakResult;
  try {
    result = JSON.parse(readFileSync(json, 'utf8')) as SoakResult;
  } catch {
    throw new Error(`bench/soak/soak.ts wrote no result (exit ${code}):\n${output}`);
  }
  const failed = result.criteria.filter((c) => !c.pass).map((c) => `${c.name}: ${c.measured} (threshold ${c.threshold})`);
  expect(failed, output).toEqual([]);
  expect(result.verdict).toBe('pass');
  expect(code).toBe(0);

  // The run was what it claims: a full minute of the planned mix, every kind answered as planned.
  expect(result.requests.sent).toBeGreaterThanOrEqual(0.99 * 60 * 200);
  expect(result.requests.unexpected).toBe(0);
  const k = result.requests.byKind;
  expect(Object.keys(k).sort()).toEqual(['invalid-json', 'small', 'upstream-404', 'upstream-503']);
  expect(k['small']!.statuses).toEqual({ '200': k['small']!.sent });
  expect(k['invalid-json']!.statuses).toEqual({ '400': k['invalid-json']!.sent });
  expect(k['upstream-404']!.statuses).toEqual({ '404': k['upstream-404']!.sent });
  expect(k['upstream-503']!.statuses['503']).toBe(Math.floor(k['upstream-503']!.sent / 5));
  // One sample a second, warm-up included.
  expect(result.samples.length).toBeGreaterThanOrEqual(60);
  // The relay's own memory series (process.memory.usage, V8 heap by space) at every scrape.
  expect(result.memorySamples.length).toBeGreaterThanOrEqual(4);
  for (const [, rss, committed, resident, used, oldUsed] of result.memorySamples) {
    expect(rss).toBeGreaterThan(resident);
    expect(committed).toBeGreaterThan(0);
    expect(used).toBeGreaterThan(oldUsed);
    expect(oldUsed).toBeGreaterThan(0);
  }
});
