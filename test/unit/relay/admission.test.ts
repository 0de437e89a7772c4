// The memory budget's admission (relay/admission.ts): who gets in, who waits, who is refused and why.
import { describe, expect, it } from 'vitest';
import type { RelayError } from '../../../src/core/errors.ts';
import { Admission, FOOTPRINT, OverloadedError, type Ticket } from '../../../src/relay/admission.ts';

const MiB = 2 ** 20;
/** A body whose charge is `mib` MiB. */
const body = (mib: number) => Math.floor((mib * MiB - FOOTPRINT.perRequestBytes) / FOOTPRINT.perBodyByte);
const never = new AbortController().signal;
const admission = (queueMax = 8, queueTimeoutMs = 1_000) =>
  new Admission({ budgetBytes: 64 * MiB, queueMax, queueTimeoutMs, retryAfterS: 2 });
const settled = async (p: Ticket | Promise<Ticket>) =>
  Promise.race([Promise.resolve(p).then(() => 'admitted'), new Promise((r) => setTimeout(() => r('waiting'), 20))]);

describe('relay/admission.ts', () => {
  it('admits at once what fits, and charges the per-request part and three times the body', () => {
    const a = admission();
    const t = a.admit(1000, never) as Ticket;
    expect(t.bytes).toBe(FOOTPRINT.perRequestBytes + 3000);
    expect(a.heldBytes).toBe(t.bytes);
    a.release(t);
    a.release(t);
    expect(a.heldBytes).toBe(0);
  });

  it('large requests together hold at most the budget less the reserve; small ones still get in', async () => {
    const a = admission();
    const big1 = a.admit(body(30), never) as Ticket;
    const big2 = a.admit(body(18), never) as Ticket;
    expect(a.heldBytes).toBeGreaterThan(47 * MiB);
    const third = a.admit(body(2), never);
    expect(await settled(third)).toBe('waiting');
    // The reserve (a quarter: 16 MiB) is for small requests: many single-input queries still fit.
    const smalls = Array.from({ length: 100 }, () => a.admit(200, never));
    expect(smalls.every((s) => !(s instanceof Promise))).toBe(true);
    a.release(big1);
    expect(await settled(third)).toBe('admitted');
    a.release(big2);
  });

  it('a charge larger than the large share is cut to it: admitted alone, never refused for ever', async () => {
    const a = admission();
    const huge = a.admit(body(500), never) as Ticket;
    expect(huge.bytes).toBe(48 * MiB);
    const next = a.admit(body(500), never);
    expect(await settled(next)).toBe('waiting');
    a.release(huge);
    expect(await settled(next)).toBe('admitted');
  });

  it('refuses with queue_full past the queue bound, and queue_timeout after the wait, with Retry-After', async () => {
    const a = admission(1, 50);
    a.admit(body(48), never);
    const waiting = Promise.resolve(a.admit(body(10), never)).catch((e: unknown) => e);
    let full: unknown;
    try {
      a.admit(body(10), never);
    } catch (err) {
      full = err;
    }
    expect(full).toBeInstanceOf(OverloadedError);
    expect((full as OverloadedError).reason).toBe('queue_full');
    expect((full as OverloadedError).status).toBe(503);
    expect((full as OverloadedError).headers).toEqual({ 'retry-after': '2' });
    const timedOut = (await waiting) as OverloadedError;
    expect(timedOut.reason).toBe('queue_timeout');
    expect(timedOut.waitedS).toBeGreaterThanOrEqual(0.04);
    expect(a.queued).toBe(0);
  });

  it('a small request is not held up by a large one waiting ahead of it', async () => {
    const a = admission();
    a.admit(body(40), never);
    const large = a.admit(body(20), never);
    expect(await settled(large)).toBe('waiting');
    expect(await settled(a.admit(body(0.5), never))).toBe('admitted');
  });

  it('leaves the queue with client_aborted when the client goes away while it waits', async () => {
    const a = admission();
    a.admit(body(48), never);
    const gone = new AbortController();
    const waiting = Promise.resolve(a.admit(body(10), gone.signal)).catch((e: unknown) => e);
    gone.abort();
    const err = (await waiting) as RelayError;
    expect(err.code).toBe('client_aborted');
    expect(a.queued).toBe(0);
  });

  it('grows a body without a length chunk by chunk, and says no once the room is gone', () => {
    const a = admission();
    const t = a.admit(0, never) as Ticket;
    expect(a.grow(t, body(10))).toBe(true);
    expect(t.large).toBe(true);
    expect(a.grow(t, body(37))).toBe(true);
    expect(a.grow(t, body(2))).toBe(false);
    a.release(t);
    expect(a.heldBytes).toBe(0);
  });
});
