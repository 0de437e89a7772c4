// The scanner's comma count in WebAssembly SIMD (comma-count.wat, assembled): 16 bytes per step,
// for the one loop that touches every byte of a float vector body. Each range the scanner counts is
// copied into the module's one 64 KiB page (a memcpy, in pieces when longer) and counted there; the
// scanner never counts a byte twice, so each byte is copied once. One instance per process:
// scanners run one at a time on the event loop and no state outlives a call.
// Where WebAssembly SIMD is missing (an x86-64 CPU without SSE4.1), `commaCounter` is undefined and
// the scanner reads every component exactly instead: slower, same facts.

/** comma-count.wat assembled by wabt 1.0.39 (`wat2wasm`); the unit test re-assembles and compares. */
const WASM_BASE64 =
  'AGFzbQEAAAABBwFgAn9/AX8DAgEABQMBAAEGBgF/AUEACwcZAwZtZW1vcnkCAARzdG9wAwAFY291bnQAAArqAQHnAQICfwF7AkADQCAAQRBqIAFLDQEgAP0AAAAhBCAE/QxAQEBAQEBAQEBAQEBAQEBA/U79DEBAQEBAQEBAQEBAQEBAQED9IyAE/QwgICAgICAgICAgICAgICAg/VD9DGVlZWVlZWVlZWVlZWVlZWX9I/1P/VMNASACIAT9DCwsLCwsLCwsLCwsLCwsLCz9I/1kaWohAiAAQRBqIQAMAAsLAkADQCAAIAFPDQEgAC0AACEDIANBLEYEQCACQQFqIQIFIANBwABxQQBHIANBIHJB5QBHcQ0CCyAAQQFqIQAMAAsLIAAkACACCw==';

export const COMMA_COUNT_WASM: Uint8Array<ArrayBuffer> = Uint8Array.from(Buffer.from(WASM_BASE64, 'base64'));

interface Exports {
  memory: WebAssembly.Memory;
  stop: WebAssembly.Global;
  count(p: number, end: number): number;
}

/** The module's memory: one page, never grown. */
const PAGE = 65_536;

export class CommaCounter {
  readonly #x: Exports;
  readonly #bytes: Uint8Array;
  #stop = 0;

  constructor(exports: Exports) {
    this.#x = exports;
    this.#bytes = new Uint8Array(exports.memory.buffer, 0, PAGE);
  }

  /** Counts the ',' in buf[from, to), stopping at the first byte a float cannot hold: returns the
   *  count; `stop` is then where it stopped (to when it did not). */
  count(buf: Buffer, from: number, to: number): number {
    let n = 0;
    for (let p = from; p < to; p += PAGE) {
      const len = Math.min(to - p, PAGE);
      this.#bytes.set(buf.subarray(p, p + len));
      n += this.#x.count(0, len);
      const stop = this.#x.stop.value as number;
      if (stop < len) {
        this.#stop = p + stop;
        return n;
      }
    }
    this.#stop = to;
    return n;
  }

  /** Where the last count stopped. */
  get stop(): number {
    return this.#stop;
  }
}

function instantiate(): CommaCounter | undefined {
  try {
    const instance = new WebAssembly.Instance(new WebAssembly.Module(COMMA_COUNT_WASM));
    return new CommaCounter(instance.exports as unknown as Exports);
  } catch {
    return undefined; // no WebAssembly SIMD here
  }
}

/** The process's counter; undefined where WebAssembly SIMD is unavailable. */
export const commaCounter: CommaCounter | undefined = instantiate();
