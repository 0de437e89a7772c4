// Optional inbound authentication (RELAY_API_KEYS): clients present one of the configured keys as
// `Authorization: Bearer <key>` (OpenAI SDKs) or `api-key: <key>` (Azure-style SDKs). Keys are
// kept only as SHA-256 digests and compared in constant time, so neither a timing difference nor
// a heap dump gives a key away. The relay's keys are its own: they are never forwarded upstream.
// A key may name its caller (`search:sk-1`): that name, never the key, is what telemetry reports.
// The keys can be replaced while the relay runs (a key file re-read, server/key-file-reload.ts):
// one assignment swaps them, so a request is checked against the old set or the new, never a mix.
// Without inbound auth, a header set by a trusted proxy in front may name the caller instead.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { CALLER_NAME, type CallerKey } from '../config/parsers.ts';
import { RelayError } from '../core/errors.ts';
import { OTHER_VALUE } from '../telemetry/semconv.ts';

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

interface KeyTable {
  readonly digests: readonly Buffer[];
  readonly callers: readonly (string | undefined)[];
}

const tableOf = (keys: readonly CallerKey[]): KeyTable => ({ digests: keys.map((k) => digest(k.key)), callers: keys.map((k) => k.caller) });

export class InboundAuth {
  #table: KeyTable;

  constructor(keys: readonly CallerKey[]) {
    this.#table = tableOf(keys);
  }

  /** From now on these keys, and only these, are let in (requests already let in go on). */
  replace(keys: readonly CallerKey[]): void {
    this.#table = tableOf(keys);
  }

  check(headers: IncomingHttpHeaders): AuthResult {
    const key = presentedKey(headers);
    if (key === undefined) return { ok: false, why: 'missing' };
    const d = digest(key);
    const { digests, callers } = this.#table;
    let matched = -1;
    // Every configured key is compared (no early exit), so timing does not tell which one matched.
    for (let i = 0; i < digests.length; i++) if (timingSafeEqual(d, digests[i]!) && matched < 0) matched = i;
    return matched < 0 ? { ok: false, why: 'invalid' } : { ok: true, caller: callers[matched] };
  }
}

/** How stage 1 tells who a request is: inbound keys, or else the trusted caller header, if set. */
export interface CallerSource {
  auth: InboundAuth | undefined;
  /** RELAY_CALLER_HEADER, lower-cased; only used without inbound auth (config/load.ts refuses both). */
  callerHeader: string | undefined;
}

/** Stage 1: the caller a request is from, or undefined when nothing names one. Throws
 *  invalid_api_key (401) when inbound auth is on and the request has no configured key. A header
 *  value that is no caller name (CALLER_NAME) is reported as _OTHER: the header is there, but it
 *  names nobody the relay can label. */
export function identify(source: CallerSource, req: IncomingMessage): string | undefined {
  if (source.auth !== undefined || source.callerHeader === undefined) return authorize(source.auth, req);
  // Node joins a repeated header with ", ": no caller name, so _OTHER.
  const named = req.headers[source.callerHeader];
  if (typeof named !== 'string') return undefined;
  return CALLER_NAME.test(named.trim()) ? named.trim() : OTHER_VALUE;
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
