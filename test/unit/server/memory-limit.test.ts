// Where the memory limit comes from and what requests may hold of it (server/memory-limit.ts).
import { totalmem } from 'node:os';
import { describe, expect, it } from 'vitest';
import { memoryBudget } from '../../../src/server/memory-limit.ts';

const MiB = 2 ** 20;
const unset = { memoryLimitBytes: undefined, memoryBudgetBytes: undefined };

describe('server/memory-limit.ts', () => {
  it('takes the cgroup limit, and a quarter of it for requests in flight', () => {
    expect(memoryBudget(unset, 512 * MiB)).toEqual({
      limitBytes: 512 * MiB,
      limitSource: 'cgroup',
      budgetBytes: 128 * MiB,
      budgetSource: 'a quarter of the limit',
    });
  });

  it("falls back to the machine's memory when there is no limit (0) or one above it", () => {
    expect(memoryBudget(unset, 0).limitSource).toBe('machine');
    expect(memoryBudget(unset, 2 ** 62).limitBytes).toBe(totalmem());
  });

  it('RELAY_MEMORY_LIMIT_BYTES and RELAY_MEMORY_BUDGET_BYTES win', () => {
    expect(memoryBudget({ memoryLimitBytes: 256 * MiB, memoryBudgetBytes: undefined }, 512 * MiB).budgetBytes).toBe(64 * MiB);
    expect(memoryBudget({ memoryLimitBytes: undefined, memoryBudgetBytes: 10 * MiB }, 512 * MiB)).toMatchObject({
      limitBytes: 512 * MiB,
      budgetBytes: 10 * MiB,
      budgetSource: 'RELAY_MEMORY_BUDGET_BYTES',
    });
  });
});
