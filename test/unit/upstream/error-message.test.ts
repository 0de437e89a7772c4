import { describe, expect, it } from 'vitest';
import {
  ERROR_BODY_MAX_BYTES,
  ERROR_MESSAGE_MAX_CHARS,
  ErrorBodyCapture,
  upstreamErrorMessage,
} from '../../../src/upstream/error-message.ts';

const msg = (body: unknown, inputs: string[] = []) =>
  upstreamErrorMessage(Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)), inputs);

describe('upstreamErrorMessage', () => {
  it('reads the shapes real servers send', () => {
    expect(msg({ error: { message: 'Token id 999999 is out of vocabulary', type: 'BadRequestError', code: 400 } })).toBe(
      'Token id 999999 is out of vocabulary',
    );
    expect(msg({ error: 'Input validation error: `inputs` cannot be empty', error_type: 'Validation' })).toBe(
      'Input validation error: `inputs` cannot be empty',
    );
    expect(msg({ message: 'model not found' })).toBe('model not found');
    expect(msg({ detail: 'Not Found' })).toBe('Not Found');
    expect(msg({ detail: [{ loc: ['body', 'input'], msg: 'field required' }, { msg: 'extra' }] })).toBe('field required; extra');
    expect(msg('upstream connect error\n  or disconnect')).toBe('upstream connect error or disconnect');
  });

  it('says nothing for HTML, empty or shapeless bodies', () => {
    expect(msg('<html><body>502 Bad Gateway</body></html>')).toBeUndefined();
    expect(msg('')).toBeUndefined();
    expect(msg({ status: 'bad' })).toBeUndefined();
  });

  it('never carries input text, and stays bounded', () => {
    const secret = 'my private medical note';
    expect(
      msg({ error: { message: `Input should be a valid list, 'input': '${secret}' and 'my private' again` } }, [
        secret,
        'my private',
        'ab',
      ]),
    ).toBe("Input should be a valid list, 'input': '<input>' and '<input>' again");
    const long = msg({ error: { message: 'x'.repeat(5000) } })!;
    expect(long).toHaveLength(ERROR_MESSAGE_MAX_CHARS + 1);
    expect(long.endsWith('…')).toBe(true);
  });

  it('a body cut at the capture bound gives no message (an echoed input could be cut too)', () => {
    const capture = new ErrorBodyCapture();
    const secret = 's'.repeat(ERROR_BODY_MAX_BYTES);
    capture.push(Buffer.from(JSON.stringify({ error: { message: `bad input ${secret}` } })));
    expect(capture.message([secret])).toBeUndefined();
    const small = new ErrorBodyCapture();
    small.push(Buffer.from('{"error":{"message":'));
    small.push(Buffer.from('"too long"}}'));
    expect(small.message([])).toBe('too long');
  });
});
