// Byte-level tables of the JSON scanner (scanner.ts): the key and literal names it compares, the
// bytes that continue a number or a literal, and the digit test of counted components.

export const KEY_MODEL = Buffer.from('model');
export const KEY_DATA = Buffer.from('data');
export const KEY_USAGE = Buffer.from('usage');
export const KEY_PROMPT = Buffer.from('prompt_tokens');
export const KEY_EMBEDDING = Buffer.from('embedding');
export const W_TRUE = Buffer.from('true');
export const W_FALSE = Buffer.from('false');
export const W_NULL = Buffer.from('null');
export const W_NAN = Buffer.from('NaN');
export const W_INFINITY = Buffer.from('Infinity');
export const W_NEG_INFINITY = Buffer.from('-Infinity');

/** Bytes that can continue a number or a literal: a token cut there must be stashed. */
export const TOKEN_CHAR = new Uint8Array(256);
for (const c of Buffer.from('0123456789+-.abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ')) TOKEN_CHAR[c] = 1;

export const isHex = (c: number) => (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);

export function describe(c: number | undefined): string {
  if (c === undefined) return 'end of input';
  return c >= 32 && c < 127 ? `'${String.fromCharCode(c)}'` : `byte 0x${c.toString(16).padStart(2, '0')}`;
}

/**
 * Whether the number texts in buf[from, to) hold a non-zero digit outside an exponent: then one
 * of them is a non-zero number (the zero-vector check of counted components, which are not read).
 * A vector of real values has one within its first component; only an all-zero vector is read to
 * its end.
 */
export function nonZeroDigit(buf: Buffer, from: number, to: number): boolean {
  let exponent = false;
  for (let p = from; p < to; p++) {
    const c = buf[p]!;
    if (c === 44) exponent = false;
    else if ((c | 0x20) === 0x65) exponent = true;
    else if (c >= 49 && c <= 57 && !exponent) return true;
  }
  return false;
}
