// What a benchmark scenario is, and the deterministic request/response bodies built from it.
// The load generator sends requestBody(); bench/harness/upstream.ts answers with responseBody(), built once
// at start-up in the simulator's output format (vectors from the project's simulatedVector).
import { simulatedVector, toBase64 } from '../../src/simulator/simulator.ts';

export const MODEL = 'Qwen/Qwen3-Embedding-4B';
/** Qwen3-Embedding-4B's full vector size. */
export const DIMENSIONS = 2560;
/** Header the load generator sets so the upstream can pick the pre-serialised body cheaply. */
export const SCENARIO_HEADER = 'x-bench-scenario';

export interface Scenario {
  name: string;
  /** One line for the report. */
  summary: string;
  inputs: number;
  /** Approximate tokens per input (4 characters each). */
  tokensPerInput: number;
  encodingFormat: 'float' | 'base64';
  /** Share of requests the upstream answers 503 (deterministic: every 1/errorRate-th). */
  errorRate: number;
  /** Also measure time-to-first-byte with sequential requests. */
  ttfb: boolean;
  /** (d) Fixed rates (req/s) every target is also measured at: the rates issue #15's targets are set at. */
  fixedRates?: number[];
}

const WORDS = (
  'the of and to in is was for on that with as by at from his her an which are this be or have not had ' +
  'embedding vector model server relay latency throughput request response token batch query document ' +
  'search index cluster retrieval ranking semantic similarity cosine neural network transformer layer ' +
  'attention weight gradient training inference memory cache queue stream buffer socket kernel process ' +
  'thread signal metric trace span log alert dashboard service node region zone replica shard partition ' +
  'river mountain forest ocean city village garden kitchen window bridge market harbour station library'
).split(' ');

/** Deterministic text of about `tokens` tokens (4 characters per token), unique per index. */
export function text(index: number, tokens: number): string {
  let state = (index + 1) * 2654435761;
  const next = () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state;
  };
  const parts = [`passage ${index}:`];
  let chars = parts[0]!.length;
  while (chars < tokens * 4) {
    const word = WORDS[next() % WORDS.length]!;
    parts.push(word);
    chars += word.length + 1;
  }
  return parts.join(' ');
}

export const inputsOf = (s: Scenario): string[] => Array.from({ length: s.inputs }, (_, i) => text(i, s.tokensPerInput));

export function requestBody(s: Scenario): Buffer {
  const input = inputsOf(s);
  const body: Record<string, unknown> = { model: MODEL, input: input.length === 1 ? input[0] : input };
  if (s.encodingFormat !== 'float') body['encoding_format'] = s.encodingFormat;
  return Buffer.from(JSON.stringify(body));
}

/** The upstream's 200 body, as an OpenAI-compatible server (vLLM) would serialise it. */
export function responseBody(s: Scenario): Buffer {
  const inputs = inputsOf(s);
  const tokens = inputs.reduce((n, t) => n + Math.ceil(t.length / 4), 0);
  const data = inputs.map((t, index) => {
    const v = simulatedVector(t, DIMENSIONS, 1);
    return { object: 'embedding', index, embedding: s.encodingFormat === 'base64' ? toBase64(v) : Array.from(v) };
  });
  return Buffer.from(JSON.stringify({ object: 'list', data, model: MODEL, usage: { prompt_tokens: tokens, total_tokens: tokens } }));
}

export const errorBody = Buffer.from(
  JSON.stringify({ object: 'error', message: 'bench: injected upstream failure', type: 'ServiceUnavailableError', code: 503 }),
);
