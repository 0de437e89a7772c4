// Optional inbound authentication (RELAY_API_KEYS): clients present one of the configured keys as
// `Authorization: Bearer <key>` (OpenAI SDKs) or `api-key: <key>` (Azure-style SDKs). Keys are
// kept only as SHA-256 digests and compared in constant time, so neither a timing difference nor
// a heap dump gives a key away. The relay's keys are its own: they are never forwarded upstream.
// A key may name its caller (`search:sk-1`): that name, never the key, is what telemetry reports.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { CallerKey } from '../config/parsers.ts';
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

/** Who a request is: `caller` is the name of the key it presented (undefined for a bare key, or
 *  without inbound auth). */
export type AuthResult = { ok: true; caller: string | undefined } | { ok: false; why: 'missing' | 'invalid' };

const ANONYMOUS: AuthResult = { ok: true, caller: undefined };

export class InboundAuth {
  readonly #digests: Buffer[];
  readonly #callers: (string | undefined)[];

  constructor(keys: readonly CallerKey[]) {
    this.#digests = keys.map((k) => digest(k.key));
    this.#callers = keys.map((k) => k.caller);
  }

  check(headers: IncomingHttpHeaders): AuthResult {
    const key = presentedKey(headers);
    if (key === undefined) return { ok: false, why: 'missing' };
    const d = digest(key);
    let matched = -1;
    // Every configured key is compared (no early exit), so timing does not tell which one matched.
    for (let i = 0; i < this.#digests.length; i++) if (timingSafeEqual(d, this.#digests[i]!) && matched < 0) matched = i;
    return matched < 0 ? { ok: false, why: 'invalid' } : { ok: true, caller: this.#callers[matched] };
  }
}

/** The caller (a named key's name) when inbound auth is off or the client sent a configured key;
 *  throws invalid_api_key (401) otherwise. */
export function authorize(auth: InboundAuth | undefined, req: IncomingMessage): string | undefined {
  const result = auth?.check(req.headers) ?? ANONYMOUS;
  if (result.ok) return result.caller;
  if (result.why === 'missing') {
    throw new RelayError('invalid_api_key', 'You did not provide an API key: send Authorization: Bearer <key> (or api-key: <key>).');
  }
  throw new RelayError('invalid_api_key', 'Incorrect API key provided.');
}
