// The typical call while the upstream answers 503 to every fifth request (20 %): the error path's cost.
import type { Scenario } from '../scenario.ts';

export const errors: Scenario = {
  name: 'errors',
  summary: 'typical, 20 % upstream 503',
  inputs: 8,
  tokensPerInput: 512,
  encodingFormat: 'float',
  errorRate: 0.2,
  ttfb: false,
};
