// Optional inbound authentication (RELAY_API_KEYS): clients present one of the configured keys as
// `Authorization: Bearer <key>` (OpenAI SDKs) or `api-key: <key>` (Azure-style SDKs). Keys are
// kept only as SHA-256 digests and compared in constant time, so neither a timing difference nor
// a heap dump gives a key away. The relay's keys are its own: they are never forwarded upstream.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { RelayError } from '../core/errors.ts';

const digest = (key: string) => createHash('sha256').update(key, 'utf8').digest();

/** The key a client presented, if any. */
export function presentedKey(headers: IncomingHttpHeaders): string | undefined {
  const auth = headers['authorization'];
  if (typeof auth === 'string') {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    if (m) return m[1];
  }
  const apiKey = headers['api-key'];
  return typeof apiKey === 'string' && apiKey.trim() !== '' ? apiKey.trim() : undefined;
}

export type AuthResult = 'ok' | 'missing' | 'invalid';

export class InboundAuth {
  readonly #digests: Buffer[];

  constructor(keys: readonly string[]) {
    this.#digests = keys.map(digest);
  }

  check(headers: IncomingHttpHeaders): AuthResult {
    const key = presentedKey(headers);
    if (key === undefined) return 'missing';
    const d = digest(key);
    let match = false;
    // Every configured key is compared (no early exit), so timing does not tell which one matched.
    for (const known of this.#digests) match = timingSafeEqual(d, known) || match;
    return match ? 'ok' : 'invalid';
  }
}

/** Throws invalid_api_key (401) unless inbound auth is off or the client sent a configured key. */
export function authorize(auth: InboundAuth | undefined, req: IncomingMessage): void {
  const result = auth?.check(req.headers) ?? 'ok';
  if (result === 'missing') {
    throw new RelayError('invalid_api_key', 'You did not provide an API key: send Authorization: Bearer <key> (or api-key: <key>).');
  }
  if (result === 'invalid') throw new RelayError('invalid_api_key', 'Incorrect API key provided.');
}
