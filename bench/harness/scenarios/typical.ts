// A typical indexing call: 8 passages × ~512 tokens (request body ~16 KB), 2560-dim float vectors (~400 KB).
import type { Scenario } from '../scenario.ts';

export const typical: Scenario = {
  name: 'typical',
  summary: '8 inputs × ~512 tokens (16 KB body), 2560-dim float',
  inputs: 8,
  tokensPerInput: 512,
  encodingFormat: 'float',
  errorRate: 0,
  ttfb: false,
  fixedRates: [200, 400],
};
