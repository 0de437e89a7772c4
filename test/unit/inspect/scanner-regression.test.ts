// CI guard for the ResponseScanner fast paths (the full comparison is bench/micro/inspect.ts).
//
// Health on, measured on the 2-core CI VM (Node 24.21), same body, interleaved, medians: scanner
// ≈ 0.68 × JSON.parse (3.7 ms vs 5.4 ms); with the SWAR number path disabled (every number
// through #number) ≈ 1.9 ×; parseFloat on latin1 slices ≈ 2.5–3 ×. A limit of 1.3 × leaves ~1.9 ×
// headroom for noise and still fails when the fast path is lost.
//
// Health off (float components counted, not read: #countFloats), same machine: ≈ 0.13 × JSON.parse
// with the ',' counted in WebAssembly SIMD (comma-count.ts); ≈ 0.24 × with the SWAR loop it
// replaced (4 bytes per step); reading every number instead (exactFloats, the path before
// counting, and the fallback without WebAssembly SIMD) ≈ 0.62 ×. A limit of 0.2 × fails when
// either the SIMD count or counting itself is lost.
//
// A failed attempt is measured again (up to 3 times): a passing one means the code is fast, load
// spikes only slow one attempt.
import { expect, it } from 'vitest';
import { benchBody, chunked } from '../../../bench/micro/inspect.ts';
import { DEFAULTS } from '../../../src/config/load.ts';
import { ResponseScanner } from '../../../src/inspect/scanner.ts';
import { brokenSummary, decodedSummary } from '../../../src/inspect/vector-summary.ts';

const WARMUP = 8;
const ROUNDS = 15;

const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** `health`: the full check on every scan (true), on none (false), or on that share of them, as
 *  RELAY_VECTOR_CHECK_RATE samples responses (each measured round scans the body 10 times). */
function expectScanWithin(health: boolean | number, maxRatio: number): void {
  const body = benchBody('float');
  const chunks = chunked(body);
  const text = body.toString('utf8');
  const share = health === true ? 1 : health === false ? 0 : health;
  const repeat = typeof health === 'number' ? 10 : 1;
  const scan = () => {
    let n = 0;
    for (let k = 0; k < repeat; k++) {
      const scanner = new ResponseScanner({ health: k < Math.round(share * repeat) });
      for (const chunk of chunks) scanner.push(chunk);
      const facts = scanner.finish();
      n = facts.vectorCount * 10000 + facts.dimension!;
    }
    return n;
  };
  const parse = () => {
    let n = 0;
    for (let k = 0; k < repeat; k++) n = (JSON.parse(text) as { data: unknown[] }).data.length;
    return n;
  };
  expect(scan()).toBe(64 * 10000 + 2560);
  expect(parse()).toBe(64);
  for (let r = 0; r < WARMUP; r++) scan() + parse();

  expectFasterThan(scan, parse, maxRatio, 'scanner / JSON.parse', 2);
}

/** Median time of `fast` over median time of `slow`, the two interleaved for ROUNDS rounds, at
 *  most `maxRatio`. A failed attempt is measured again (up to 3 times), as the header says. */
function expectFasterThan(fast: () => unknown, slow: () => unknown, maxRatio: number, what: string, digits: number): void {
  const ratios: string[] = [];
  let ratio = Infinity;
  for (let attempt = 0; attempt < 3 && ratio > maxRatio; attempt++) {
    const fastMs: number[] = [];
    const slowMs: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      let t0 = performance.now();
      fast();
      fastMs.push(performance.now() - t0);
      t0 = performance.now();
      slow();
      slowMs.push(performance.now() - t0);
    }
    ratio = median(fastMs) / median(slowMs);
    ratios.push(`${ratio.toFixed(2)} (${median(fastMs).toFixed(digits)} / ${median(slowMs).toFixed(digits)} ms)`);
  }
  expect(ratio, `${what} per attempt: ${ratios.join(', ')}`).toBeLessThanOrEqual(maxRatio);
}

const MAX_RATIO_HEALTH = 1.3;
const MAX_RATIO_COUNT = 0.2;

it(`scans the 3.5 MB float body (health on, 64 KiB chunks) in at most ${MAX_RATIO_HEALTH} × the time of JSON.parse`, () => {
  expectScanWithin(true, MAX_RATIO_HEALTH);
});

it(`scans the 3.5 MB float body (health off, 64 KiB chunks) in at most ${MAX_RATIO_COUNT} × the time of JSON.parse`, () => {
  expectScanWithin(false, MAX_RATIO_COUNT);
});

// The default (issue #15): every response gets the dimension and broken-vector checks, and the
// norm and duplicate checks only a RELAY_VECTOR_CHECK_RATE sample. Measured as above: ≈ 0.28 ×
// JSON.parse at the default 0.1; with the full check on every response again (rate 1) ≈ 0.68 ×.
const MAX_RATIO_DEFAULT = 0.45;

it(`scans float bodies at the default RELAY_VECTOR_CHECK_RATE (${DEFAULTS.vectorCheckRate}) in at most ${MAX_RATIO_DEFAULT} × the time of JSON.parse`, () => {
  expectScanWithin(DEFAULTS.vectorCheckRate, MAX_RATIO_DEFAULT);
});

// base64 vectors (what the OpenAI SDKs ask for) off the sample: NaN/±Infinity/zero from the bit
// patterns in one branch-free pass (brokenSummary) ≈ 0.33 × the full summary (decodedSummary:
// norm and hash); 0.6 fails when the unsampled path computes the full summary again.
const MAX_RATIO_BROKEN = 0.6;

it(`checks decoded vectors for NaN/Infinity/zero in at most ${MAX_RATIO_BROKEN} × the time of the full summary`, () => {
  const vectors = Array.from({ length: 64 }, (_, i) => new Float32Array(2560).map((_, k) => Math.sin(i * 2560 + k) / 50));
  const broken = () => vectors.reduce((n, v) => n + (brokenSummary(v, 2560).zero ? 1 : 0), 0);
  const full = () => vectors.reduce((n, v) => n + (decodedSummary(v, 'x').sumSq > 0 ? 1 : 0), 0);
  expect(broken()).toBe(0);
  expect(full()).toBe(64);
  for (let r = 0; r < WARMUP * 4; r++) broken() + full();
  expectFasterThan(broken, full, MAX_RATIO_BROKEN, 'brokenSummary / decodedSummary', 3);
});
