// A relay error as the client's answer and as the record's outcome, together: the error body is
// written by the one writer (core/errors.ts) with the request's id, and the record says what was
// answered. Used by every route that records its requests (the embeddings flow, unknown paths).
import type { ServerResponse } from 'node:http';
import { type RelayError, writeError } from '../core/errors.ts';
import type { Recording } from '../telemetry/request-telemetry.ts';

/** `endAfter`: the response ends only when it settles (the 413's lingering close; errors.ts). */
export function answerError(recording: Recording, err: RelayError, res: ServerResponse, endAfter?: Promise<unknown>): void {
  const rec = recording.rec;
  rec.errorType = err.code;
  rec.errorMessage = err.message;
  if (!res.headersSent) rec.httpStatus = err.status;
  writeError(res, err, recording.requestIdHeader(), endAfter);
}
