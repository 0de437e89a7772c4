// The memory the relay plans for, and the share of it that requests in flight may hold (the
// admission budget, relay/admission.ts). The limit is the one the kernel enforces: the process's
// cgroup limit (v1 or v2, as libuv reads it for process.constrainedMemory), else the machine's
// memory; RELAY_MEMORY_LIMIT_BYTES says it outright where neither is right (a Kubernetes pod's
// limits.memory by the downward API, which also holds where the cgroup is not visible).
//
// The split: a quarter for what requests hold, because the rest is spoken for. V8 sizes its heap
// to about half of a cgroup's limit, and a request's parsed inputs live there while its body (a
// Buffer) lives outside it; the runtime, the telemetry SDK and the Loki queue take their share;
// and freed bodies wait for the next garbage collection, which V8 starts only once outside-heap
// memory has grown by tens of MiB. docs/operations.md ("Overload") has what that gives.
import { totalmem } from 'node:os';
import type { Config } from '../config/load.ts';

export interface MemoryBudget {
  /** The limit planned for, and where it came from. */
  limitBytes: number;
  limitSource: 'RELAY_MEMORY_LIMIT_BYTES' | 'cgroup' | 'machine';
  /** What requests in flight may hold. */
  budgetBytes: number;
  budgetSource: 'RELAY_MEMORY_BUDGET_BYTES' | 'a quarter of the limit';
}

export const BUDGET_SHARE = 4;

export function memoryBudget(
  config: Pick<Config, 'memoryLimitBytes' | 'memoryBudgetBytes'>,
  constrained = process.constrainedMemory(),
): MemoryBudget {
  const machine = totalmem();
  // 0 (or, on some libuv versions, a huge number) when the process has no limit of its own.
  const cgroup = constrained > 0 && constrained < machine ? constrained : undefined;
  const [limitBytes, limitSource] =
    config.memoryLimitBytes !== undefined
      ? [config.memoryLimitBytes, 'RELAY_MEMORY_LIMIT_BYTES' as const]
      : cgroup !== undefined
        ? [cgroup, 'cgroup' as const]
        : [machine, 'machine' as const];
  return config.memoryBudgetBytes !== undefined
    ? { limitBytes, limitSource, budgetBytes: config.memoryBudgetBytes, budgetSource: 'RELAY_MEMORY_BUDGET_BYTES' }
    : { limitBytes, limitSource, budgetBytes: Math.floor(limitBytes / BUDGET_SHARE), budgetSource: 'a quarter of the limit' };
}
