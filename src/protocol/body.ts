// Reads a request body into memory, refusing more than `limit` bytes without killing the
// connection. Past the limit (or over the memory budget: relay/admission.ts) the relay answers at
// once but goes on reading and discarding the rest of the upload (a "lingering close", as nginx
// does) up to a bound in bytes and time, and only then closes: a client still uploading when the
// socket closes gets a reset and never sees the answer (AsyncOpenAI reported APIConnectionError,
// openai-node `fetch failed`). While it discards, it looks for the "model" the body names, so the
// refusal is still recorded against its model.
import type { IncomingMessage } from 'node:http';
import { type DiscardedUpload, RelayError } from '../core/errors.ts';
import { boundedModelName } from './request.ts';

/** How much more of a refused body is read and discarded after the refusal, at most. */
export const LINGER = {
  /** Bytes past the limit: the larger of this and `limit × factor`. */
  minBytes: 64 * 1024 * 1024,
  factor: 4,
  /** Total time, and longest pause between two chunks. */
  maxMs: 30_000,
  idleMs: 5_000,
};

/** Reads the whole body, refusing more than `limit` bytes (413). `take(bytes)`: asked for each
 *  chunk of a body that did not announce its length, before it is kept; false refuses the request
 *  with `refusal` (the relay's memory budget is spent). */
export function readBody(
  req: IncomingMessage,
  limit: number,
  take?: (bytes: number) => boolean,
  refusal?: (upload: DiscardedUpload) => RelayError,
): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  const announced = Number.isFinite(declared);
  if (announced && declared > limit) return Promise.reject(bodyTooLarge(limit, discardUpload(req, limit)));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
    };
    const refuse = (chunk: Buffer, err: (upload: DiscardedUpload) => RelayError) => {
      cleanup();
      req.pause();
      chunks.push(chunk);
      const upload = discardUpload(req, limit, chunks);
      chunks.length = 0;
      reject(err(upload));
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) return refuse(chunk, (upload) => bodyTooLarge(limit, upload));
      if (!announced && take && refusal && !take(chunk.length)) return refuse(chunk, refusal);
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    };
    const onError = (err: Error) => {
      cleanup();
      reject(new RelayError('client_aborted', 'The client closed the connection while sending the request.', { cause: err }));
    };
    // A client that vanishes mid-upload may close without an 'error': never wait forever.
    const onClose = () => onError(new Error('request closed before its body was complete'));
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}

/** 413 body_too_large, with the discarding of the rest of the body under way. */
export const bodyTooLarge = (limit: number, upload: DiscardedUpload): RelayError =>
  new RelayError('body_too_large', `The request body is larger than this relay accepts (${limit} bytes).`, { upload });

/** The rest of an upload the relay refused (413, or 503 when it is over its memory budget): read
 *  and discarded within LINGER's bounds, looking for the model it names. `limit`: the largest body
 *  the relay accepts; `seen`: what was read of this one before the refusal. */
export function discardUpload(req: IncomingMessage, limit: number, seen: readonly Buffer[] = []): DiscardedUpload {
  const sniffer = new ModelSniffer();
  let received = 0;
  for (const chunk of seen) {
    sniffer.push(chunk);
    received += chunk.length;
  }
  const drained = discardRest(req, limit, received, sniffer);
  return {
    drained,
    get model() {
      const named = sniffer.model;
      return named === undefined ? undefined : boundedModelName(named);
    },
  };
}

const MODEL_KEY = /"model"\s*:\s*"((?:[^"\\]|\\.){1,512})"/;
const CARRY = 1_100;

/** Finds `"model": "…"` in a body seen chunk by chunk. Inside a JSON string every quote is escaped,
 *  so an unescaped `"model"` followed by a colon is a key. */
export class ModelSniffer {
  model: string | undefined;
  #carry = '';

  push(chunk: Buffer): void {
    if (this.model !== undefined) return;
    const text = this.#carry + chunk.toString('latin1');
    const m = MODEL_KEY.exec(text);
    if (m) {
      try {
        this.model = JSON.parse(`"${Buffer.from(m[1]!, 'latin1').toString('utf8')}"`) as string;
      } catch {
        this.model = undefined;
      }
      this.#carry = '';
      return;
    }
    this.#carry = text.slice(-CARRY);
  }
}

function discardRest(req: IncomingMessage, limit: number, received: number, sniffer: ModelSniffer): DiscardedUpload['drained'] {
  const maxBytes = limit + Math.max(LINGER.minBytes, limit * LINGER.factor);
  const declared = Number(req.headers['content-length']);
  if (req.complete) return Promise.resolve('drained');
  // Announced as larger than we would ever read, or a client waiting for a 100 Continue it will not
  // get (app.ts): no point in lingering.
  const continueWithheld = Number.isFinite(declared) && declared > limit && /100-continue/i.test(req.headers.expect ?? '');
  if ((Number.isFinite(declared) && declared > maxBytes) || continueWithheld) {
    req.resume();
    return Promise.resolve('bound');
  }
  return new Promise((resolve) => {
    let seen = received;
    let idle: NodeJS.Timeout | undefined;
    const done = (outcome: 'drained' | 'bound') => {
      clearTimeout(total);
      clearTimeout(idle);
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('close', onClose);
      req.off('error', onClose);
      if (outcome === 'bound') req.resume();
      resolve(outcome);
    };
    const arm = () => {
      clearTimeout(idle);
      idle = setTimeout(() => done('bound'), LINGER.idleMs);
    };
    const onData = (chunk: Buffer) => {
      seen += chunk.length;
      sniffer.push(chunk);
      if (seen > maxBytes) done('bound');
      else arm();
    };
    const onEnd = () => done('drained');
    const onClose = () => done(req.complete ? 'drained' : 'bound');
    const total = setTimeout(() => done('bound'), LINGER.maxMs);
    arm();
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('close', onClose);
    req.on('error', onClose);
    req.resume();
  });
}
