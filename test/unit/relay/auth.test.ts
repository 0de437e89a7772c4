import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { authorize, identify, InboundAuth } from '../../../src/relay/auth.ts';

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

describe('replacing the keys (a key file re-read)', () => {
  it('a new key works and a removed one is refused from the next check on; names follow the new list', () => {
    const swapped = new InboundAuth([
      { caller: 'search', key: 'sk-old' },
      { caller: 'ingest', key: 'sk-keep' },
    ]);
    swapped.replace([
      { caller: 'ingest', key: 'sk-keep' },
      { caller: 'search', key: 'sk-new' },
    ]);
    expect(authorize(swapped, req({ authorization: 'Bearer sk-new' }))).toBe('search');
    expect(authorize(swapped, req({ authorization: 'Bearer sk-keep' }))).toBe('ingest');
    expect(() => authorize(swapped, req({ authorization: 'Bearer sk-old' }))).toThrow('Incorrect API key provided.');
  });
});

describe('identify: the trusted caller header without inbound auth', () => {
  const source = { auth: undefined, callerHeader: 'x-caller' };

  it('names the caller the header names; none without the header or the setting', () => {
    expect(identify(source, req({ 'x-caller': 'batch-indexer' }))).toBe('batch-indexer');
    expect(identify(source, req({}))).toBeUndefined();
    expect(identify({ auth: undefined, callerHeader: undefined }, req({ 'x-caller': 'batch-indexer' }))).toBeUndefined();
  });

  it('a value that is no caller name (spaces, a repeated header, too long) is _OTHER, never the text', () => {
    expect(identify(source, req({ 'x-caller': 'drop table' }))).toBe('_OTHER');
    expect(identify(source, req({ 'x-caller': 'a, b' }))).toBe('_OTHER');
    expect(identify(source, req({ 'x-caller': 'x'.repeat(65) }))).toBe('_OTHER');
  });

  it('with inbound auth the key names the caller and the header is not read', () => {
    const auth = new InboundAuth([{ caller: 'search', key: 'sk-search' }]);
    expect(identify({ auth, callerHeader: 'x-caller' }, req({ authorization: 'Bearer sk-search', 'x-caller': 'other' }))).toBe('search');
    expect(() => identify({ auth, callerHeader: 'x-caller' }, req({ 'x-caller': 'other' }))).toThrow('You did not provide an API key');
  });
});
