// Input tokens of an answered call, the same way for every operation: the upstream's usage, else its
// x-compute-tokens header (TEI), else (when enabled) the estimate. Characters (Infinity's usage) are
// never reported as tokens: kept as what they are.
import type { RequestRecord } from '../core/record.ts';
import type { UpstreamResponse } from '../upstream/client.ts';
import type { UpstreamProfile } from '../upstream/profile.ts';

/** `estimate`: about 4 characters per token, or the token ids sent; a rough figure, marked as
 *  estimated wherever it is reported; undefined when estimation is off. */
export function inputTokens(
  rec: RequestRecord,
  reported: number | undefined,
  up: UpstreamResponse,
  profile: UpstreamProfile,
  estimate: number | undefined,
): void {
  const headerTokens = Number(up.headers['x-compute-tokens']);
  if (reported !== undefined && profile.usage === 'characters') rec.inputCharacters = reported;
  else if (reported !== undefined) rec.inputTokens = reported;
  else if (Number.isInteger(headerTokens) && headerTokens >= 0) rec.inputTokens = headerTokens;
  else if (estimate !== undefined) {
    rec.inputTokens = estimate;
    rec.tokensEstimated = true;
  }
}
