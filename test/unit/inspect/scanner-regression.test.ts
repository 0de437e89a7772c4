// CI guard for the ResponseScanner fast paths (the full comparison is bench/micro/inspect.ts).
//
// Health on, measured on the 2-core CI VM (Node 24.21), same body, interleaved, medians: scanner
// ≈ 0.68 × JSON.parse (3.7 ms vs 5.4 ms); with the SWAR number path disabled (every number
// through #number) ≈ 1.9 ×; parseFloat on latin1 slices ≈ 2.5–3 ×. A limit of 1.3 × leaves ~1.9 ×
// headroom for noise and still fails when the fast path is lost.
//
// Health off (float components counted, not read: #countFloats), same machine: ≈ 0.23 × JSON.parse
// (1.2 ms vs 5.2 ms); reading every number instead (exactFloats, the path before counting) ≈ 0.62 ×.
// A limit of 0.45 × leaves ~2 × headroom and still fails when counting is lost.
//
// A failed attempt is measured again (up to 3 times): a passing one means the code is fast, load
// spikes only slow one attempt.
import { expect, it } from 'vitest';
import { benchBody, chunked } from '../../../bench/micro/inspect.ts';
import { ResponseScanner } from '../../../src/inspect/scanner.ts';

const WARMUP = 8;
const ROUNDS = 15;

const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function expectScanWithin(health: boolean, maxRatio: number): void {
  const body = benchBody('float');
  const chunks = chunked(body);
  const text = body.toString('utf8');
  const scan = () => {
    const scanner = new ResponseScanner({ health });
    for (const chunk of chunks) scanner.push(chunk);
    const facts = scanner.finish();
    return facts.vectorCount * 10000 + facts.dimension!;
  };
  const parse = () => (JSON.parse(text) as { data: unknown[] }).data.length;
  expect(scan()).toBe(64 * 10000 + 2560);
  expect(parse()).toBe(64);
  for (let r = 0; r < WARMUP; r++) scan() + parse();

  const ratios: string[] = [];
  let ratio = Infinity;
  for (let attempt = 0; attempt < 3 && ratio > maxRatio; attempt++) {
    const scanMs: number[] = [];
    const parseMs: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      let t0 = performance.now();
      scan();
      scanMs.push(performance.now() - t0);
      t0 = performance.now();
      parse();
      parseMs.push(performance.now() - t0);
    }
    ratio = median(scanMs) / median(parseMs);
    ratios.push(`${ratio.toFixed(2)} (${median(scanMs).toFixed(2)} / ${median(parseMs).toFixed(2)} ms)`);
  }
  expect(ratio, `scanner / JSON.parse per attempt: ${ratios.join(', ')}`).toBeLessThanOrEqual(maxRatio);
}

const MAX_RATIO_HEALTH = 1.3;
const MAX_RATIO_COUNT = 0.45;

it(`scans the 3.5 MB float body (health on, 64 KiB chunks) in at most ${MAX_RATIO_HEALTH} × the time of JSON.parse`, () => {
  expectScanWithin(true, MAX_RATIO_HEALTH);
});

it(`scans the 3.5 MB float body (health off, 64 KiB chunks) in at most ${MAX_RATIO_COUNT} × the time of JSON.parse`, () => {
  expectScanWithin(false, MAX_RATIO_COUNT);
});
