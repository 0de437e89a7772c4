// Stage 8's byte path: the upstream body into the client response, chunk by chunk, each chunk
// handed to `read` (the inspector, the error capture) and then written, with backpressure (the
// upstream is paused while the client's socket is full). It does what stream.pipeline did for this
// pair: either side failing destroys the other, and the promise settles once, when the response has
// finished (its last byte handed to the kernel) or either side broke. Written out because pipeline
// aborts an internal AbortController when it finishes, and building that DOMException (with its
// stack) on every request is a cost on the event loop that this pair does not need.
import type { ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';

/** The response closed (client gone) before it finished. */
export class ResponseClosedError extends Error {
  override readonly name = 'ResponseClosedError';
}

export interface ForwardOptions {
  /** Each chunk is handed to the readers and written, and then nothing else keeps it: free its
   *  memory once the socket has taken it (see release). False when a reader keeps chunk views
   *  (the error capture, the bytes inspector). */
  release: boolean;
}

export function forward(body: Readable, res: ServerResponse, read: (chunk: Buffer) => void, opts: ForwardOptions): Promise<void> {
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
    const written = opts.release ? release : undefined;
    const onData = (chunk: Buffer) => {
      read(chunk);
      if (!res.write(chunk, written === undefined ? undefined : () => written(chunk))) body.pause();
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

/** Frees a written chunk's memory now instead of at V8's next full GC. Each socket read is its own
 *  ArrayBuffer, and a body chunk that spans all of it is that read (undici hands the body as views
 *  of the socket's reads; a read that also held headers, or that undici split, is left alone, as is
 *  anything in Node's shared 8 KiB pool). Dead reads survive young-generation GCs while the write
 *  holds them and then wait for a mark-compact, which V8 starts only once external memory has grown
 *  by tens of MiB: with many large responses at once, dead buffers pile up to that. Detaching after
 *  the socket's write callback is
 *  safe: nothing else holds the read by then (the scanner copies what it keeps; undici's parser is
 *  done with it; an empty remainder it unshifts is never read). */
export function release(chunk: Buffer): void {
  const whole = chunk.buffer;
  if (chunk.byteOffset !== 0 || chunk.byteLength !== whole.byteLength || chunk.byteLength === 0) return;
  if (!(whole instanceof ArrayBuffer) || whole.detached) return;
  try {
    whole.transfer(0);
  } catch {
    // Not detachable (an ArrayBuffer some API pinned): the GC frees it as before.
  }
}
