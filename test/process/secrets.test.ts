// Secrets and privacy, end to end: a canary API key sent as `Authorization: Bearer` and as
// `api-key`, and canary input text, go through the real relay process (embedded simulator) on
// success and on every kind of failure. Then everything the relay exported is scanned: OTLP span
// batches (protobuf carries strings verbatim), Loki pushes, stdout log lines, stderr, /metrics and
// every response body the relay wrote itself. None may contain the key, the input or a vector. The
// relay requires the key (RELAY_API_KEYS), named: the caller's name is exported, the key never.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { FAULT_HEADER } from '../../src/core/headers.ts';
import { startRelayProcess, type RelayProcess } from '../support/relay-process.ts';
import { startTelemetrySink, type TelemetrySink } from '../support/telemetry-sink.ts';

const KEY = 'sk-canary-5f1e0c9a7b3d4e21';
const AZURE_KEY = 'azure-canary-8c2d7e41b9a0';
const INPUT = 'canary input text 7d3f9a21 about a private contract';

let sink: TelemetrySink;
let p: RelayProcess;

beforeAll(async () => {
  sink = await startTelemetrySink();
  p = await startRelayProcess({
    OTEL_EXPORTER_OTLP_ENDPOINT: sink.url,
    LOKI_URL: sink.url,
    RELAY_LOG_LEVEL: 'debug',
    OTEL_BSP_SCHEDULE_DELAY: '100',
    RELAY_MAX_BODY_BYTES: '4096',
    RELAY_API_KEYS: `team-canary:${KEY},${AZURE_KEY}`,
  });
});

afterAll(async () => {
  if (p.child.exitCode === null) p.child.kill('SIGKILL');
  await sink.close();
});

it('never exports a client key, the input text or a vector: spans, Loki, stdout, stderr, /metrics, error bodies', async () => {
  const credentials = { authorization: `Bearer ${KEY}`, 'api-key': AZURE_KEY, 'content-type': 'application/json' };
  const body = JSON.stringify({ model: 'm-secrets', input: [INPUT, `${INPUT} two`], dimensions: 8 });
  const relayBodies: string[] = [];
  const send = async (path: string, init: RequestInit & { headers?: Record<string, string> }) => {
    const res = await fetch(`${p.url}${path}`, { ...init, headers: { ...credentials, ...init.headers } });
    return { status: res.status, text: await res.text() };
  };

  const ok = await send('/v1/embeddings', { method: 'POST', body });
  expect(ok.status).toBe(200);
  const vector = (JSON.parse(ok.text) as { data: { embedding: number[] }[] }).data[0]!.embedding;
  const vectorText = JSON.stringify(vector).slice(1, 40); // the first components, as the client saw them

  // Failures the relay answers itself: their bodies are the relay's and are scanned too.
  for (const [path, init, status] of [
    ['/v1/embeddings', { method: 'POST', body: `{"model":"m-secrets","input":"${INPUT}"` }, 400],
    ['/v1/embeddings', { method: 'POST', body: JSON.stringify({ model: 'm-secrets', input: [INPUT], encoding_format: 'bogus' }) }, 400],
    ['/v1/embeddings', { method: 'POST', body: JSON.stringify({ model: 'm-secrets', input: INPUT.repeat(200) }) }, 413],
    ['/v1/embeddings', { method: 'GET' }, 405],
    ['/v1/nowhere', { method: 'POST', body }, 404],
  ] as const) {
    const r = await send(path, init);
    expect(r.status, path).toBe(status);
    relayBodies.push(r.text);
  }
  // Upstream failures pass through or become relay errors; still recorded with the key present.
  for (const fault of ['401', '503', 'garbage', 'nan']) {
    const r = await send('/v1/embeddings', { method: 'POST', body, headers: { [FAULT_HEADER]: fault } });
    if (fault === 'garbage' || fault === 'nan') expect(r.status).toBe(200);
    else expect(r.status).toBe(Number(fault));
  }
  const metrics = await (await fetch(`http://127.0.0.1:${p.metricsPort}/metrics`)).text();
  expect(await p.stop()).toBe(0);

  // Spans and Loki pushes did arrive, so the scan below covers them.
  const sent = sink.exports.map((e) => e.body.toString('latin1'));
  expect(sent.some((b) => b.includes('embeddings m-secrets'))).toBe(true);
  expect(sent.some((b) => b.includes('"streams"') && b.includes('embedding_request'))).toBe(true);
  const everything = [...sent, p.out.stdout, p.out.stderr, metrics, ...relayBodies];
  const text = everything.join('\n');
  expect(text).toContain('m-secrets'); // the scan sees the requests' telemetry
  expect(p.out.stdout).toContain('"caller":"team-canary"');
  for (const secret of [KEY, AZURE_KEY, INPUT, 'canary input text', vectorText]) {
    expect(text.includes(secret), `exported telemetry contains ${JSON.stringify(secret)}`).toBe(false);
  }
}, 30_000);
