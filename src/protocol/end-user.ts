// The OpenAI request's own `user` field: an id of the end user on whose behalf a service calls
// (OpenAI asks for a stable, preferably hashed id). It is per end user, so unbounded: span and log
// line only, never a metric label. RELAY_END_USER says what telemetry keeps of it.
import { createHash } from 'node:crypto';
import type { EndUserPolicy } from '../config/caller-options.ts';
import type { EndUser } from '../core/record.ts';

/** Longest `user` value kept as sent (`keep`); a longer one is cut, as model names are. */
export const END_USER_MAX = 256;

/** The `user` field of a parsed body as telemetry reports it; undefined when there is none or the
 *  policy drops it. `hash`: SHA-256 (hex, first 32 characters): the same user always has the same
 *  hash, so their requests can be found together, but the value is not shown. Pseudonymous, not
 *  anonymous: whoever knows a user's id can hash it and look for it. */
export function endUserOf(json: unknown, policy: EndUserPolicy): EndUser | undefined {
  if (policy === 'drop' || typeof json !== 'object' || json === null) return undefined;
  const user = (json as Record<string, unknown>)['user'];
  if (typeof user !== 'string' || user === '') return undefined;
  if (policy === 'keep') return { id: user.length <= END_USER_MAX ? user : `${user.slice(0, END_USER_MAX)}…`, hashed: false };
  return { id: createHash('sha256').update(user, 'utf8').digest('hex').slice(0, 32), hashed: true };
}
