// Reads a request body into memory, refusing more than `limit` bytes without killing the
// connection: past the limit the rest is discarded so the 413 can still be delivered.
import type { IncomingMessage } from 'node:http';
import { RelayError } from './errors.ts';

const tooLarge = (limit: number) =>
  new RelayError('body_too_large', `The request body is larger than this relay accepts (${limit} bytes).`);

export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    return Promise.reject(tooLarge(limit));
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
        req.resume();
        reject(tooLarge(limit));
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
