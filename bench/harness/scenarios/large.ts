// A large batch: 64 passages × ~128 tokens, 2560-dim float vectors (~3 MB of JSON). Also measures
// time-to-first-byte: the relay streams the body through while it keeps a copy to inspect.
import type { Scenario } from '../scenario.ts';

export const large: Scenario = {
  name: 'large',
  summary: '64 inputs × ~128 tokens, 2560-dim float (~3 MB response)',
  inputs: 64,
  tokensPerInput: 128,
  encodingFormat: 'float',
  errorRate: 0,
  ttfb: true,
};
