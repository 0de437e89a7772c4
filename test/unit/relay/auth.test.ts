import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { authorize, InboundAuth } from '../../../src/relay/auth.ts';

const req = (headers: Record<string, string>) => ({ headers }) as unknown as IncomingMessage;

describe('relay/auth.ts', () => {
  const auth = new InboundAuth([
    { caller: 'search', key: 'sk-search' },
    { caller: 'ingest', key: 'sk-ingest' },
    { caller: undefined, key: 'sk-bare' },
  ]);

  it('names the caller of the key presented, as Bearer or api-key; a bare key names none', () => {
    expect(authorize(auth, req({ authorization: 'Bearer sk-ingest' }))).toBe('ingest');
    expect(authorize(auth, req({ 'api-key': 'sk-search' }))).toBe('search');
    expect(authorize(auth, req({ authorization: 'Bearer sk-bare' }))).toBeUndefined();
    expect(authorize(undefined, req({}))).toBeUndefined();
  });

  it('a missing or wrong key is 401 invalid_api_key, as before', () => {
    expect(() => authorize(auth, req({}))).toThrow('You did not provide an API key');
    expect(() => authorize(auth, req({ authorization: 'Bearer search' }))).toThrow('Incorrect API key provided.');
    expect(() => authorize(auth, req({ authorization: 'Bearer search:sk-search' }))).toThrow('Incorrect API key provided.');
  });
});
