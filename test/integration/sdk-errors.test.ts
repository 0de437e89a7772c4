// The relay's own failures, as the official openai npm client raises them: each is the typed error the
// SDK raises for OpenAI's own, with the relay's stable `code`, `param` and message (test:clients shows
// the same for the Python SDKs). An error body in another shape would reach callers as a bare APIError.
import { createServer } from 'node:http';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningRelay } from '../../src/server/app.ts';
import { listen, type RunningServer } from '../../src/server/listen.ts';
import { createSimulatorHandler } from '../../src/simulator/simulator.ts';
import { freePort } from '../support/port.ts';
import { relay, SIM_DEFAULTS } from '../support/harness.ts';

const KEY = 'sk-relay-key';
let sim: RunningServer;
let guarded: RunningRelay;
let deadEnd: RunningRelay;

beforeAll(async () => {
  sim = await listen(createServer(createSimulatorHandler(SIM_DEFAULTS)), '127.0.0.1', 0);
  ({ relay: guarded } = await relay({ upstreamUrl: `${sim.url}/v1`, apiKeys: [KEY], maxInputChars: 100, maxBodyBytes: 64 * 1024 }));
  ({ relay: deadEnd } = await relay({ upstreamUrl: `http://127.0.0.1:${await freePort()}/v1` }));
});

afterAll(async () => {
  await guarded?.close(100);
  await deadEnd?.close(100);
  sim.server.closeAllConnections();
  await sim?.close();
});

const client = (r: RunningRelay, apiKey = KEY) => new OpenAI({ baseURL: `${r.url}/v1`, apiKey, maxRetries: 0 });
const caught = async (call: Promise<unknown>): Promise<unknown> => {
  try {
    await call;
  } catch (err) {
    return err;
  }
  throw new Error('the call succeeded');
};

describe('the relay’s errors, as openai-node raises them', () => {
  it('the right key works (the SDK sends it as Authorization: Bearer)', async () => {
    const r = await client(guarded).embeddings.create({ model: 'm-sdk', input: ['hello'], dimensions: 8 });
    expect(r.data[0]!.embedding).toHaveLength(8);
  });

  it('a wrong key: AuthenticationError, 401, code invalid_api_key', async () => {
    const err = await caught(client(guarded, 'sk-wrong').embeddings.create({ model: 'm-sdk', input: 'hello' }));
    expect(err).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(err).toMatchObject({ status: 401, code: 'invalid_api_key', type: 'invalid_request_error' });
    expect((err as Error).message).toBe('401 Incorrect API key provided.');
  });

  it('an input over the limit: BadRequestError, 400, code input_too_long, param naming the input', async () => {
    const err = await caught(client(guarded).embeddings.create({ model: 'm-sdk', input: ['ok', 'x'.repeat(101)] }));
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(err).toMatchObject({ status: 400, code: 'input_too_long', param: 'input[1]' });
  });

  it('a body over RELAY_MAX_BODY_BYTES: APIError, 413, code body_too_large', async () => {
    const err = await caught(client(guarded).embeddings.create({ model: 'm-sdk', input: 'x'.repeat(80 * 1024) }));
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect(err).toMatchObject({ status: 413, code: 'body_too_large' });
  });

  it('an upstream that is not there: InternalServerError, 502, code upstream_unreachable, type server_error', async () => {
    const err = await caught(client(deadEnd).embeddings.create({ model: 'm-sdk', input: 'hello' }));
    expect(err).toBeInstanceOf(OpenAI.InternalServerError);
    expect(err).toMatchObject({ status: 502, code: 'upstream_unreachable', type: 'server_error' });
  });
});
