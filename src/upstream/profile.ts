// What the relay knows about the server behind it: its gen_ai.provider.name and what its `usage`
// counts. Most OpenAI-compatible servers count tokens; Infinity counts characters (without
// `--lengths-via-tokenize`), which must never be reported as tokens. Configured, or detected at
// start-up from the model list (Infinity lists its models as `owned_by: "infinity"`).

export type UsageUnit = 'tokens' | 'characters';
export type UsageSetting = UsageUnit | 'auto';

/** Read on every request; the start-up check may fill in what was not configured. */
export interface UpstreamProfile {
  providerName: string;
  usage: UsageUnit;
}

/** Providers whose usage counts something else than tokens by default. */
const USAGE_BY_PROVIDER: Readonly<Record<string, UsageUnit>> = { infinity: 'characters' };

export const usageFor = (providerName: string, setting: UsageSetting): UsageUnit =>
  setting === 'auto' ? (USAGE_BY_PROVIDER[providerName] ?? 'tokens') : setting;

/**
 * Applies what the model list says when the provider was not configured: a server whose models
 * are all `owned_by` one known provider is that provider. Returns the provider it detected.
 */
export function detectProvider(
  profile: UpstreamProfile,
  ownedBy: readonly string[],
  configured: { providerName: string | undefined; usage: UsageSetting },
): string | undefined {
  if (configured.providerName !== undefined || ownedBy.length === 0) return undefined;
  const owner = ownedBy[0]!;
  if (!(owner in USAGE_BY_PROVIDER) || ownedBy.some((o) => o !== owner)) return undefined;
  profile.providerName = owner;
  profile.usage = usageFor(owner, configured.usage);
  return owner;
}
