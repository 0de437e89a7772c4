// Every scenario, in the order the full run measures them.
import type { Scenario } from '../scenario.ts';
import { errors } from './errors.ts';
import { largeBase64 } from './large-base64.ts';
import { large } from './large.ts';
import { small } from './small.ts';
import { typical } from './typical.ts';

export const SCENARIOS: readonly Scenario[] = [small, typical, large, largeBase64, errors];

export function scenarioNamed(name: string): Scenario | undefined {
  return SCENARIOS.find((s) => s.name === name);
}
