// The WebAssembly comma count (src/inspect/comma-count.ts): its bytes are comma-count.wat
// assembled, and it counts exactly what a byte-by-byte loop counts, across the 16-byte SIMD steps
// and the 64 KiB page it copies through.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import wabt from 'wabt';
import { describe, expect, it } from 'vitest';
import { COMMA_COUNT_WASM, commaCounter } from '../../../src/inspect/comma-count.ts';

/** The rule, one byte at a time: ',' counts; a byte with bit 6 set other than e/E stops. */
function reference(buf: Buffer, from: number, to: number): { n: number; stop: number } {
  let n = 0;
  for (let p = from; p < to; p++) {
    const c = buf[p]!;
    if (c === 44) n++;
    else if ((c & 0x40) !== 0 && (c | 0x20) !== 0x65) return { n, stop: p };
  }
  return { n, stop: to };
}

const counter = commaCounter!;

describe('comma count (WebAssembly SIMD)', () => {
  it('is comma-count.wat assembled byte for byte (wabt)', async () => {
    const wat = readFileSync(new URL('../../../src/inspect/comma-count.wat', import.meta.url), 'utf8');
    const module = (await wabt()).parseWat('comma-count.wat', wat, { simd: true });
    expect(Buffer.from(module.toBinary({}).buffer).equals(Buffer.from(COMMA_COUNT_WASM))).toBe(true);
  });

  it('runs here (Node 22+ on x86-64 and arm64 has WebAssembly SIMD)', () => {
    expect(commaCounter).toBeDefined();
  });

  it('counts a vector of floats and stops at its first letter', () => {
    const text = Buffer.from('[0.125,-1.5e-3,2E+7,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17],"index":1');
    expect(counter.count(text, 1, text.indexOf(']'))).toBe(17);
    expect(counter.stop).toBe(text.indexOf(']'));
    const withNull = Buffer.from('0.1,0.2,0.3,0.4,0.5,0.6,0.7,null,0.9');
    expect(counter.count(withNull, 0, withNull.length)).toBe(7);
    expect(counter.stop).toBe(withNull.indexOf('null'));
  });

  it('agrees with the byte-by-byte rule on any bytes, at any offsets (past 16-byte steps and the 64 KiB page)', () => {
    const byte = fc.constantFrom(...Buffer.from('0123456789,,,,.-+eE \nNaInfyul[]{}"x\u00ff\u00c0\u0080'));
    fc.assert(
      fc.property(fc.array(byte, { maxLength: 300 }), fc.nat(140_000), fc.nat(), fc.nat(), (bytes, padding, a, b) => {
        // A long run of digits and commas before the random tail crosses the page in pieces.
        const head = Buffer.from('1.5,'.repeat(padding >> 2));
        const buf = Buffer.concat([head, Buffer.from(bytes)]);
        const from = buf.length === 0 ? 0 : a % (buf.length + 1);
        const to = from + (buf.length === from ? 0 : b % (buf.length - from + 1));
        const want = reference(buf, from, to);
        expect(counter.count(buf, from, to)).toBe(want.n);
        expect(counter.stop).toBe(want.stop);
      }),
      { numRuns: 300 },
    );
  });
});
