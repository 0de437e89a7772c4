// Cost of the vector health check per 2560-dim vector (Qwen3-Embedding-4B's full size), float
// arrays (as JSON.parse gives them) and base64, next to JSON.parse of the same vector for scale.
// Run: node bench/micro/vector-health.ts   (prints a Markdown table; numbers go to bench/RESULTS.md)
import { simulatedVector, toBase64 } from '../../src/simulator/simulator.ts';
import { vectorAnomalies } from '../../test/support/reference-inspect.ts';

const DIM = 2560;
const N = 400;
const ROUNDS = 15;
const band = { check: true, min: 0.98, max: 1.02 };
const floats = Array.from({ length: N }, (_, i) => Array.from(simulatedVector(`vector ${i}`, DIM, 1)));
const base64 = floats.map((v) => toBase64(new Float32Array(v)));
const jsonText = floats.map((v) => JSON.stringify(v));

function perVectorMicros(fn: (i: number) => unknown): number {
  const samples: number[] = [];
  let sink = 0;
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < N; i++) sink += fn(i) ? 1 : 0;
    samples.push(Number(process.hrtime.bigint() - t0) / 1e3 / N);
  }
  if (sink < 0) console.log(sink);
  samples.sort((a, b) => a - b);
  return samples[Math.floor(ROUNDS / 2)]!; // median round
}

const rows = [
  ['check, float array', perVectorMicros((i) => vectorAnomalies(floats[i]!, band).length === 0)],
  ['check, base64 (decode + check)', perVectorMicros((i) => vectorAnomalies(base64[i]!, band).length === 0)],
  ['JSON.parse of the same float vector (scale)', perVectorMicros((i) => JSON.parse(jsonText[i]!))],
] as const;
console.log(`Node ${process.version}, ${DIM} dims, ${N} vectors × ${ROUNDS} rounds (median round)\n`);
console.log('| operation | µs per vector | ratio to JSON.parse |\n|---|---|---|');
const parse = rows[2][1];
for (const [name, us] of rows) console.log(`| ${name} | ${us.toFixed(1)} | ${(us / parse).toFixed(2)} |`);
