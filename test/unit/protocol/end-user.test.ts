import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { END_USER_MAX, endUserOf } from '../../../src/protocol/end-user.ts';

describe('protocol/end-user.ts', () => {
  const body = { model: 'm', input: 'x', user: 'alice@example.com' };

  it('hash: the same user gets the same 32 hex characters, never the value', () => {
    const hashed = endUserOf(body, 'hash')!;
    expect(hashed.hashed).toBe(true);
    expect(hashed.id).toBe(createHash('sha256').update('alice@example.com').digest('hex').slice(0, 32));
    expect(endUserOf({ ...body }, 'hash')).toEqual(hashed);
    expect(endUserOf({ ...body, user: 'bob' }, 'hash')!.id).not.toBe(hashed.id);
  });

  it('keep: the value, cut past END_USER_MAX; drop: nothing', () => {
    expect(endUserOf(body, 'keep')).toEqual({ id: 'alice@example.com', hashed: false });
    expect(endUserOf({ user: 'u'.repeat(END_USER_MAX + 10) }, 'keep')!.id).toHaveLength(END_USER_MAX + 1);
    expect(endUserOf(body, 'drop')).toBeUndefined();
  });

  it('no user, an empty one or one that is no string: nothing', () => {
    expect(endUserOf({ model: 'm' }, 'hash')).toBeUndefined();
    expect(endUserOf({ user: '' }, 'keep')).toBeUndefined();
    expect(endUserOf({ user: 42 }, 'keep')).toBeUndefined();
    expect(endUserOf(null, 'keep')).toBeUndefined();
  });
});
