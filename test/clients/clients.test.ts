// Real client SDKs nobody here wrote, in Python, against a relay process in front of its simulator:
// openai (sync and async), LangChain, LlamaIndex and LiteLLM get the simulator's vectors, and the
// relay logs each call; oversized uploads reach openai's sync and async clients as a 413, never as
// a connection error. `npm run test:clients` builds the venv (test/clients/setup.sh) first.
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simulatedVector } from '../../src/simulator/simulator.ts';
import { until } from '../support/fake-loki.ts';
import { jsonLines, root, startRelayProcess, type RelayProcess } from '../support/relay-process.ts';

const python = execFileSync('bash', [`${root}test/clients/setup.sh`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
const MODEL = 'Qwen/Qwen3-Embedding-4B';
let relay: RelayProcess;

beforeAll(async () => {
  relay = await startRelayProcess({ RELAY_MAX_BODY_BYTES: String(1024 * 1024), OTEL_TRACES_EXPORTER: 'none' });
});

afterAll(async () => {
  expect(await relay?.stop()).toBe(0);
});

const drive = (...args: string[]): Record<string, unknown> =>
  JSON.parse(
    execFileSync(python, [`${root}test/clients/drive.py`, ...args], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024, timeout: 300_000 }),
  ) as Record<string, unknown>;

describe('Python client SDKs through the relay', { timeout: 300_000 }, () => {
  it.each(['openai-sync', 'openai-async', 'langchain', 'llamaindex', 'litellm'])(
    '%s gets the simulator’s vectors, and the relay logs the call',
    async (client) => {
      const texts = [`hello from ${client}`, '你好，世界'];
      const before = jsonLines(relay.out.stdout).length;
      const out = drive('embed', client, `${relay.url}/v1`, MODEL, ...texts) as { vectors: number[][]; dims: number[] };
      expect(out.dims).toEqual([2560, 2560]);
      texts.forEach((t, i) => {
        const want = Array.from(simulatedVector(t, 2560, 1).subarray(0, 8));
        for (const [j, v] of out.vectors[i]!.entries()) expect(v).toBeCloseTo(want[j]!, 6);
      });
      const logged = () =>
        jsonLines(relay.out.stdout)
          .slice(before)
          .filter((l) => l['event'] === 'embedding_request');
      await until(() => logged().length > 0, 5_000, 'the relay’s log line');
      expect(logged().at(-1)).toMatchObject({
        model: MODEL,
        status: 'ok',
        http_status: 200,
        input_count: 2,
        output_dim: 2560,
        vector_count: 2,
      });
    },
  );

  it.each([
    ['openai-sync', 5],
    ['openai-async', 5],
    ['openai-sync', 50],
    ['openai-async', 50],
  ])('%s, %i MB over a 1 MiB limit, 20 tries: 413 every time, no connection error', (client, mb) => {
    const out = drive('oversized', client, `${relay.url}/v1`, String(mb), '20') as { outcomes: Record<string, number> };
    expect(out.outcomes).toEqual({ '413': 20 });
  });
});
