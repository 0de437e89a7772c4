// One short query (~16 tokens): the relay's fixed per-request cost. Response: one 2560-dim float vector (~50 KB).
import type { Scenario } from '../scenario.ts';

export const small: Scenario = {
  name: 'small',
  summary: '1 input × ~16 tokens, 2560-dim float',
  inputs: 1,
  tokensPerInput: 16,
  encodingFormat: 'float',
  errorRate: 0,
  ttfb: false,
};
