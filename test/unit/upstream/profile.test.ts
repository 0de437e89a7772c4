import { describe, expect, it } from 'vitest';
import { detectProvider, type UpstreamProfile, usageFor } from '../../../src/upstream/profile.ts';

describe('usageFor', () => {
  it('auto: characters for infinity, tokens for every other provider', () => {
    expect(usageFor('infinity', 'auto')).toBe('characters');
    expect(usageFor('vllm', 'auto')).toBe('tokens');
    expect(usageFor('_OTHER', 'auto')).toBe('tokens');
  });
  it('a setting wins (Infinity with --lengths-via-tokenize counts tokens)', () => {
    expect(usageFor('infinity', 'tokens')).toBe('tokens');
    expect(usageFor('vllm', 'characters')).toBe('characters');
  });
});

describe('detectProvider', () => {
  const fresh = (): UpstreamProfile => ({ providerName: '_OTHER', usage: 'tokens' });

  it('a model list owned by infinity makes an unconfigured relay count its usage as characters', () => {
    const p = fresh();
    expect(detectProvider(p, ['infinity', 'infinity'], { providerName: undefined, usage: 'auto' })).toBe('infinity');
    expect(p).toEqual({ providerName: 'infinity', usage: 'characters' });
  });

  it('keeps what was configured, and an unknown or mixed owner', () => {
    const configured = fresh();
    expect(detectProvider(configured, ['infinity'], { providerName: 'mine', usage: 'auto' })).toBeUndefined();
    expect(configured).toEqual(fresh());
    const tokens = fresh();
    detectProvider(tokens, ['infinity'], { providerName: undefined, usage: 'tokens' });
    expect(tokens).toEqual({ providerName: 'infinity', usage: 'tokens' });
    for (const owners of [['vllm'], ['infinity', 'openai'], []]) {
      const p = fresh();
      expect(detectProvider(p, owners, { providerName: undefined, usage: 'auto' })).toBeUndefined();
      expect(p).toEqual(fresh());
    }
  });
});
