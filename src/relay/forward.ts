// Stage 7's byte path: the upstream body into the client response, chunk by chunk, each chunk
// handed to `read` (the inspector, the error capture) and then written, with backpressure (the
// upstream is paused while the client's socket is full). It does what stream.pipeline did for this
// pair: either side failing destroys the other, and the promise settles once, when the response has
// finished (its last byte handed to the kernel) or either side broke. Written out because pipeline
// aborts an internal AbortController when it finishes, and the DOMException that builds (with its
// stack) was 2.3 % of the relay's busy time at 200 req/s; without it the main thread was 5 % less
// busy in the same profiled run (bench/RESULTS.md, issue #15).
import type { ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';

/** The response closed (client gone) before it finished. */
export class ResponseClosedError extends Error {
  override readonly name = 'ResponseClosedError';
}

export function forward(body: Readable, res: ServerResponse, read: (chunk: Buffer) => void): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    const done = (err?: Error) => {
      if (settled) return;
      settled = true;
      // The 'error' listeners stay: a late error on either side must not become an uncaught one.
      body.off('data', onData).off('end', onEnd);
      res.off('drain', onDrain).off('finish', onFinish).off('close', onClose);
      if (err === undefined) resolve();
      else reject(err);
    };
    const onData = (chunk: Buffer) => {
      read(chunk);
      if (!res.write(chunk)) body.pause();
    };
    const onDrain = () => body.resume();
    const onEnd = () => res.end();
    const onFinish = () => done();
    const onBodyError = (err: Error) => {
      if (!settled) res.destroy(err);
      done(err);
    };
    const onResError = (err: Error) => {
      if (!settled) body.destroy();
      done(err);
    };
    const onClose = () => {
      if (res.writableFinished) return;
      body.destroy();
      done(new ResponseClosedError('The client response closed before it finished.'));
    };
    body.on('data', onData).once('end', onEnd).on('error', onBodyError);
    res.on('drain', onDrain).once('finish', onFinish).once('close', onClose).on('error', onResError);
  });
}
