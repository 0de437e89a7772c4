// The LiteLLM proxy as a bench target, run as its users run it: the `litellm` CLI (uvicorn, one
// worker) with bench/litellm/config.yaml, its `prometheus` callback (/metrics on its own port) and
// its `otel` callback exporting spans over OTLP/HTTP (protobuf) to the bench's sink. The venv is
// provisioned by bench/litellm/setup.sh (cached under ~/.cache/embedding-relay; the first run
// builds it, about 2 minutes). LiteLLM forwards the client's x-* headers to the upstream
// (general_settings.forward_client_headers_to_llm_api), so x-bench-scenario reaches it.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startChild } from '../../../test/support/child.ts';
import { freePort, waitForPort } from '../../../test/support/port.ts';
import { MODEL } from '../scenario.ts';
import type { Target } from './target.ts';
import { cleanEnv } from '../clean-env.ts';
import { provisioned } from '../provisioned.ts';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const CONFIG = `${ROOT}bench/litellm/config.yaml`;
/** Python start-up plus the proxy's imports and config load: 10–30 s on a loaded 2-core machine. */
const START_TIMEOUT_MS = 120_000;

/** GET url until it answers 200 (the port alone opens before the app has started). */
async function waitFor200(url: string, alive: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    if (!alive()) throw new Error('litellm exited');
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
      await res.arrayBuffer();
      if (res.status === 200) return;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} did not answer 200 within ${timeoutMs} ms (last: ${last})`);
}

export async function startLitellm(upstreamOrigin: string, otlpSinkOrigin: string): Promise<Target> {
  if (!readFileSync(CONFIG, 'utf8').includes(`model_name: ${MODEL}\n`)) {
    throw new Error(`${CONFIG}: its model_name is not the bench's model ${MODEL}`);
  }
  const venv = provisioned(`${ROOT}bench/litellm/setup.sh`);
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const env: NodeJS.ProcessEnv = {
    ...cleanEnv(),
    LITELLM_BENCH_UPSTREAM: `${upstreamOrigin}/v1`,
    // The otel callback: OTLP/HTTP (protobuf) spans to the sink.
    OTEL_EXPORTER: 'otlp_http',
    OTEL_ENDPOINT: `${otlpSinkOrigin}/v1/traces`,
    OTEL_SERVICE_NAME: 'litellm-bench',
    // The bundled model cost map, not a fetch from GitHub at start-up (the bench is offline).
    LITELLM_LOCAL_MODEL_COST_MAP: 'True',
    PYTHONUNBUFFERED: '1',
  };
  const args = ['--config', CONFIG, '--host', '127.0.0.1', '--port', String(port), '--num_workers', '1'];
  const child = startChild('litellm', `${venv}/bin/litellm`, args, env);
  try {
    await waitForPort(port, child.running, START_TIMEOUT_MS);
    await waitFor200(`${origin}/health/liveliness`, child.running, START_TIMEOUT_MS);
  } catch (err) {
    await child.stop();
    throw new Error(`litellm did not start: ${(err as Error).message}\n${child.stderrTail().trim()}`);
  }
  return { name: 'litellm', origin, child, metricsUrl: `${origin}/metrics`, slow: true, stop: () => child.stop() };
}
