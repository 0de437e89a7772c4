// The large batch with encoding_format=base64 (what the OpenAI SDKs ask for by default): ~0.9 MB response.
import type { Scenario } from '../scenario.ts';

export const largeBase64: Scenario = {
  name: 'large-base64',
  summary: '64 inputs × ~128 tokens, 2560-dim base64 (~0.9 MB response)',
  inputs: 64,
  tokensPerInput: 128,
  encodingFormat: 'base64',
  errorRate: 0,
  ttfb: false,
};
