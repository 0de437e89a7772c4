// upstream/failure.ts: undici's failures as the relay's errors, in both phases of the upstream call.
import { errors } from 'undici';
import { describe, expect, it } from 'vitest';
import { upstreamFailure } from '../../../src/upstream/failure.ts';

describe('upstream/failure.ts', () => {
  it('a timeout is upstream_timeout (504) in either phase, and says which wait ran out', () => {
    const headers = upstreamFailure(new errors.HeadersTimeoutError(), 'dispatch');
    expect([headers.code, headers.status, headers.message]).toEqual([
      'upstream_timeout',
      504,
      'The upstream embeddings server did not answer in time.',
    ]);
    for (const phase of ['dispatch', 'body'] as const) {
      const body = upstreamFailure(new errors.BodyTimeoutError(), phase);
      expect([body.code, body.message]).toEqual(['upstream_timeout', 'The upstream embeddings server stopped sending its response.']);
    }
  });

  it('anything else is unreachable before the headers and a broken-off response after them (502), cause kept', () => {
    const cause = new errors.SocketError('other side closed');
    expect(upstreamFailure(cause, 'dispatch')).toMatchObject({ code: 'upstream_unreachable', status: 502, cause });
    expect(upstreamFailure(cause, 'body')).toMatchObject({ code: 'upstream_response_error', status: 502, cause });
  });
});
