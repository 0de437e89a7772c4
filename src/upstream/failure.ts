// What an undici failure on the upstream call means to the client: the one mapping from undici's
// typed errors to the relay's, for both phases of the call. Before the response headers
// (`dispatch`: connecting, sending, waiting for the answer) a failure means the upstream could not
// be reached or did not answer; once the body streams (`body`), that it broke off.
import { errors as undiciErrors } from 'undici';
import { RelayError } from '../core/errors.ts';

export type UpstreamPhase = 'dispatch' | 'body';

export function upstreamFailure(err: unknown, phase: UpstreamPhase): RelayError {
  if (err instanceof undiciErrors.HeadersTimeoutError) {
    return new RelayError('upstream_timeout', 'The upstream embeddings server did not answer in time.', { cause: err });
  }
  if (err instanceof undiciErrors.BodyTimeoutError) {
    return new RelayError('upstream_timeout', 'The upstream embeddings server stopped sending its response.', { cause: err });
  }
  return phase === 'dispatch'
    ? new RelayError('upstream_unreachable', 'The upstream embeddings server could not be reached.', { cause: err })
    : new RelayError('upstream_response_error', 'The upstream response broke off.', { cause: err });
}
