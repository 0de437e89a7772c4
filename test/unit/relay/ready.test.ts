// The readiness probe (relay/ready.ts) with a fake upstream: one upstream call shared by
// concurrent probes and reused for a second, 503 when the upstream does not answer.
import { createServer } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { readinessProbe } from '../../../src/relay/ready.ts';
import { listen, type RunningServer } from '../../../src/server/listen.ts';
import { fakeUpstream, type FakeAnswer } from '../../support/fake-upstream.ts';

let server: RunningServer | undefined;
afterEach(() => server?.close());

async function serve(answer: () => FakeAnswer | Promise<FakeAnswer>) {
  const fake = fakeUpstream(answer);
  const probe = readinessProbe(fake.upstream, 200);
  server = await listen(
    createServer((req, res) => void probe(req, res)),
    '127.0.0.1',
    0,
  );
  const get = async () => {
    const res = await fetch(`${server!.url}/readyz`);
    return { status: res.status, body: (await res.json()) as unknown };
  };
  return { fake, get };
}

describe('relay/ready.ts', () => {
  it('any HTTP answer is ready; concurrent probes share one upstream call, reused for 1 s', async () => {
    const { fake, get } = await serve(() => ({ status: 404, body: 'no /models here' }));
    const answers = await Promise.all([get(), get(), get()]);
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
    expect(answers[0]!.body).toEqual({ status: 'ready', upstream: { reachable: true, status: 404 } });
    expect(fake.calls).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 1_050));
    await get();
    expect(fake.calls).toHaveLength(2);
  });

  it('503 not_ready when the upstream cannot be reached', async () => {
    const { get } = await serve(() => {
      throw new Error('connect ECONNREFUSED');
    });
    expect(await get()).toEqual({ status: 503, body: { status: 'not_ready', upstream: { reachable: false } } });
  });
});
