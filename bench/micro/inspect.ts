// Cost of reading one embeddings response for telemetry: the JSON.parse path the relay runs after
// the body was relayed (Buffer.concat + inspectEmbeddingsResponse + the vector checks) next to the
// streaming ResponseScanner fed the same body in 64 KiB chunks, and bare JSON.parse for scale.
// Body: 64 × 2560-dim vectors as the simulator writes them (~3.5 MB float JSON, ~0.9 MB base64).
// Run: node bench/micro/inspect.ts   (prints a Markdown table; numbers go to bench/RESULTS.md)
//      node bench/micro/inspect.ts --before DIR   (this scanner next to DIR's src/inspect/scanner.ts,
//      interleaved in one process: a refactor's before and after)
import { ResponseScanner } from '../../src/inspect/scanner.ts';
import { simulatedVector, toBase64 } from '../../src/simulator/simulator.ts';
import { duplicateSummaries, summaryAnomalies } from '../../src/inspect/vector-health.ts';
import { duplicateVectors, inspectEmbeddingsResponse, vectorAnomalies } from '../../test/support/reference-inspect.ts';

const DIM = 2560;
const BATCH = 64;
const CHUNK = 64 * 1024;
const ROUNDS = Number(process.env['ROUNDS'] ?? 31);
const WARMUP = 5;
const band = { check: true, min: 0.98, max: 1.02 };

export const benchInputs = Array.from({ length: BATCH }, (_, i) => `bench input ${i}: the quick brown fox ${i * 7919}`);

/** The body the simulator would send for benchInputs (float or base64 encoding). */
export function benchBody(encoding: 'float' | 'base64'): Buffer {
  const data = benchInputs.map((text, index) => {
    const v = simulatedVector(text, DIM, 1);
    return { object: 'embedding', index, embedding: encoding === 'base64' ? toBase64(v) : Array.from(v) };
  });
  return Buffer.from(
    JSON.stringify({ object: 'list', data, model: 'Qwen/Qwen3-Embedding-4B', usage: { prompt_tokens: 640, total_tokens: 640 } }),
  );
}

export function chunked(body: Buffer, size = CHUNK): Buffer[] {
  const chunks: Buffer[] = [];
  for (let o = 0; o < body.length; o += size) chunks.push(body.subarray(o, o + size));
  return chunks;
}

/** The relay today: keep the chunks, concat, JSON.parse, check every vector (+ duplicates). */
export function currentPath(chunks: Buffer[], size: number, duplicates: boolean): number {
  const facts = inspectEmbeddingsResponse(Buffer.concat(chunks, size));
  let n = 0;
  for (const v of facts.embeddings) n += vectorAnomalies(v, band).length;
  if (duplicates) n += duplicateVectors(facts.embeddings, benchInputs);
  return n + facts.vectorCount;
}

/** The scanner on the chunks as they pass; with health, the same checks on the summaries.
 *  exactFloats: health off reading every number (before the counting fast path). */
export function scannerPath(chunks: Buffer[], health: boolean, exactFloats = false): number {
  const scanner = new ResponseScanner({ health, exactFloats });
  for (const chunk of chunks) scanner.push(chunk);
  const facts = scanner.finish();
  let n = facts.vectorCount;
  if (health) {
    for (const v of facts.vectors) n += summaryAnomalies(v, band).length;
    n += duplicateSummaries(facts.vectors, benchInputs);
  }
  return n;
}

interface Scenario {
  name: string;
  run: () => number;
}

function measure(scenarios: Scenario[]): number[] {
  const samples = scenarios.map(() => [] as number[]);
  let sink = 0;
  for (let r = 0; r < WARMUP + ROUNDS; r++) {
    // Interleaved, rotating the order so no scenario always runs after the same one.
    for (let k = 0; k < scenarios.length; k++) {
      const s = (k + r) % scenarios.length;
      const t0 = process.hrtime.bigint();
      sink += scenarios[s]!.run();
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (r >= WARMUP) samples[s]!.push(ms);
    }
  }
  if (sink < 0) console.log(sink);
  return samples.map((xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!);
}

function table(title: string, body: Buffer): void {
  const chunks = chunked(body);
  const text = body.toString('utf8');
  const scenarios: Scenario[] = [
    { name: '(a) concat + inspectEmbeddingsResponse + vectorAnomalies', run: () => currentPath(chunks, body.length, false) },
    { name: "(a') same + duplicateVectors (relay, string-array input)", run: () => currentPath(chunks, body.length, true) },
    { name: '(b) ResponseScanner, health on (+ summaryAnomalies, duplicateSummaries)', run: () => scannerPath(chunks, true) },
    { name: '(c) ResponseScanner, health off: before, every number read (exactFloats)', run: () => scannerPath(chunks, false, true) },
    {
      name: "(c') ResponseScanner, health off: after, float components counted (',' by WebAssembly SIMD, comma-count.ts)",
      run: () => scannerPath(chunks, false),
    },
    { name: '(d) JSON.parse of the same text (scale)', run: () => (JSON.parse(text) as { data: unknown[] }).data.length },
  ];
  const medians = measure(scenarios);
  const parse = medians[5]!;
  const mb = body.length / 1e6;
  console.log(`\n### ${title}: ${(body.length / 1e6).toFixed(2)} MB, ${chunks.length} chunks of ${CHUNK / 1024} KiB\n`);
  console.log('| path | ms per body | MB/s | ratio to JSON.parse |\n|---|---|---|---|');
  for (const [k, s] of scenarios.entries()) {
    console.log(
      `| ${s.name} | ${medians[k]!.toFixed(2)} | ${(mb / (medians[k]! / 1e3)).toFixed(0)} | ${(medians[k]! / parse).toFixed(2)} |`,
    );
  }
}

// Number conversion (how the scanner's hot loop was chosen): the sum of squares of every number in
// the float body, each found by the same byte loop and converted by parseFloat or digit by digit,
// next to the whole scanner (health off) whose hot loop converts 8 digits per step.
const NUMBER_CHAR = new Uint8Array(256);
for (const c of Buffer.from('0123456789+-.eE')) NUMBER_CHAR[c] = 1;
const P10 = Float64Array.from({ length: 309 }, (_, k) => Number(`1e${k}`));

function sumSquares(body: Buffer, convert: (body: Buffer, from: number, to: number) => number): number {
  let sum = 0;
  for (let i = body.indexOf(91); i < body.length; i++) {
    const c = body[i]!;
    if (!((c >= 48 && c <= 57) || c === 45)) continue;
    let j = i + 1;
    while (NUMBER_CHAR[body[j]!] === 1) j++;
    const v = convert(body, i, j);
    sum += v * v;
    i = j;
  }
  return sum;
}

const viaParseFloat = (b: Buffer, from: number, to: number) => parseFloat(b.toString('latin1', from, to));
/** Mantissa digit by digit (double multiply-add), then one power of ten. */
function viaDigits(b: Buffer, from: number, to: number): number {
  let i = from;
  const neg = b[i] === 45;
  if (neg) i++;
  let m = 0;
  let scale = 0;
  let c = b[i]!;
  for (; i < to && c >= 48 && c <= 57; c = b[++i]!) m = m * 10 + (c - 48);
  if (c === 46) for (c = b[++i]!; i < to && c >= 48 && c <= 57; c = b[++i]!, scale--) m = m * 10 + (c - 48);
  if (c === 101 || c === 69) scale += Number(b.toString('latin1', i + 1, to));
  const v = scale < 0 ? m / P10[-scale]! : m * P10[scale]!;
  return neg ? -v : v;
}

function conversionTable(body: Buffer): void {
  const chunks = chunked(body);
  const text = body.toString('utf8');
  const scenarios: Scenario[] = [
    { name: "find each number, parseFloat(toString('latin1'))", run: () => sumSquares(body, viaParseFloat) },
    { name: 'find each number, hand-parse it digit by digit', run: () => sumSquares(body, viaDigits) },
    { name: 'ResponseScanner, health off, exactFloats (SWAR: 8 digits per step)', run: () => scannerPath(chunks, false, true) },
    { name: 'JSON.parse of the same text (scale)', run: () => (JSON.parse(text) as { data: unknown[] }).data.length },
  ];
  const medians = measure(scenarios);
  const parse = medians[3]!;
  console.log(`\n### number conversion (float body, ${(body.length / 1e6).toFixed(2)} MB)\n`);
  console.log('| conversion | ms per body | ratio to JSON.parse |\n|---|---|---|');
  for (const [k, s] of scenarios.entries()) console.log(`| ${s.name} | ${medians[k]!.toFixed(2)} | ${(medians[k]! / parse).toFixed(2)} |`);
}

/** This checkout's scanner next to another checkout's (`dir`), on each body and health setting. */
async function beforeAfterTable(dir: string): Promise<void> {
  const before = (await import(`${dir.replace(/\/$/, '')}/src/inspect/scanner.ts`)) as { ResponseScanner: typeof ResponseScanner };
  const run = (Scanner: typeof ResponseScanner, chunks: Buffer[], health: boolean) => {
    const scanner = new Scanner({ health });
    for (const chunk of chunks) scanner.push(chunk);
    return scanner.finish().vectorCount;
  };
  console.log(`\n### ResponseScanner: ${dir} (before) and this checkout (after)\n`);
  console.log('| body | health | before ms | after ms | after / before |\n|---|---|---|---|---|');
  for (const encoding of ['float', 'base64'] as const) {
    const chunks = chunked(benchBody(encoding));
    for (const health of [true, false]) {
      const [b, a] = measure([
        { name: 'before', run: () => run(before.ResponseScanner, chunks, health) },
        { name: 'after', run: () => run(ResponseScanner, chunks, health) },
      ]);
      console.log(`| ${encoding} | ${health ? 'on' : 'off'} | ${b!.toFixed(3)} | ${a!.toFixed(3)} | ${(a! / b!).toFixed(3)} |`);
    }
  }
}

if (import.meta.main && process.argv[2] === '--before' && process.argv[3] !== undefined) {
  console.log(`Node ${process.version}, ${BATCH} × ${DIM}-dim vectors, median of ${ROUNDS} interleaved rounds (after ${WARMUP} warm-up)`);
  await beforeAfterTable(process.argv[3]);
} else if (import.meta.main) {
  console.log(`Node ${process.version}, ${BATCH} × ${DIM}-dim vectors, median of ${ROUNDS} interleaved rounds (after ${WARMUP} warm-up)`);
  const float = benchBody('float');
  table('float JSON', float);
  table('base64', benchBody('base64'));
  conversionTable(float);
}
