// An Upstream stand-in for unit tests of the request path: canned answers, every call recorded.
import { Readable } from 'node:stream';
import type { Upstream, UpstreamResponse } from '../../src/upstream/client.ts';

export interface FakeAnswer {
  status: number;
  body: string;
  headers?: Record<string, string>;
}

export interface FakeUpstream {
  upstream: Upstream;
  calls: { method: string; path: string }[];
}

/** `answer` decides each response; a thrown error is an unreachable upstream. */
export function fakeUpstream(answer: (method: string, path: string) => FakeAnswer | Promise<FakeAnswer>): FakeUpstream {
  const calls: { method: string; path: string }[] = [];
  const upstream = {
    address: 'upstream.test',
    port: 8000,
    async request(method: string, path: string): Promise<UpstreamResponse> {
      calls.push({ method, path });
      const a = await answer(method, path);
      const body = Object.assign(Readable.from([Buffer.from(a.body)]), {
        dump: async () => {},
      });
      return { statusCode: a.status, headers: { 'content-type': 'application/json', ...a.headers }, body } as unknown as UpstreamResponse;
    },
  } as unknown as Upstream;
  return { upstream, calls };
}
