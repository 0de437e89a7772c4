// Reads a request body into memory, refusing more than `limit` bytes without killing the
// connection. Past the limit the relay answers 413 at once but goes on reading and discarding the
// rest of the upload (a "lingering close", as nginx does) up to a bound in bytes and time, and only
// then closes: a client still uploading when the socket closes gets a reset and never sees the 413
// (AsyncOpenAI reported APIConnectionError, openai-node `fetch failed`). While it discards, it
// looks for the "model" the body names, so the 413 is still recorded against its model.
import type { IncomingMessage } from 'node:http';
import { RelayError } from '../core/errors.ts';
import { boundedModelName } from './request.ts';

/** How much more of an oversized body is read and discarded after the 413, at most. */
export const LINGER = {
  /** Bytes past the limit: the larger of this and `limit × factor`. */
  minBytes: 64 * 1024 * 1024,
  factor: 4,
  /** Total time, and longest pause between two chunks. */
  maxMs: 30_000,
  idleMs: 5_000,
};

export type DrainOutcome = 'drained' | 'bound';

/** 413 body_too_large, with the discarding of the rest of the body under way. */
export class BodyTooLargeError extends RelayError {
  /** Settles when the upload ended ('drained': close cleanly) or a bound was hit ('bound'). */
  readonly drained: Promise<DrainOutcome>;
  readonly #sniffer: ModelSniffer;

  constructor(limit: number, drained: Promise<DrainOutcome>, sniffer: ModelSniffer) {
    super('body_too_large', `The request body is larger than this relay accepts (${limit} bytes).`);
    this.drained = drained;
    this.#sniffer = sniffer;
  }

  /** The model named in the part of the body read so far, bounded as requestedModel bounds it. */
  get model(): string | undefined {
    const named = this.#sniffer.model;
    return named === undefined ? undefined : boundedModelName(named);
  }
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

function discardRest(req: IncomingMessage, limit: number, received: number, sniffer: ModelSniffer): Promise<DrainOutcome> {
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
    const done = (outcome: DrainOutcome) => {
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

export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    const sniffer = new ModelSniffer();
    return Promise.reject(new BodyTooLargeError(limit, discardRest(req, limit, 0, sniffer), sniffer));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        cleanup();
        req.pause();
        const sniffer = new ModelSniffer();
        for (const c of chunks) sniffer.push(c);
        sniffer.push(chunk);
        chunks.length = 0;
        reject(new BodyTooLargeError(limit, discardRest(req, limit, size, sniffer), sniffer));
        return;
      }
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
