// Incremental scanner for an embeddings response body: it sees each chunk as it is relayed and
// extracts what the JSON.parse reference path (test/support/reference-inspect.ts) gets (model, usage, vector
// count and dimensions, per-vector health facts) without keeping the body or building JS arrays.
// A byte-level JSON tokenizer with a stack of containers; only top-level `model`, `data`,
// `usage.prompt_tokens` and `data[*].embedding` mean anything, everything else is validated and
// skipped. Chunks may split anywhere: strings resume mid-way (escape state kept), a number or
// literal cut at a chunk end is stashed and re-read with the start of the next chunk.
//
// Semantics follow the JSON.parse path: the last of duplicate keys wins, bare NaN/Infinity/
// -Infinity are accepted as array elements only (nonJsonNumbers), a top-level `null` throws.
// Numbers are hand-parsed for sumSq: the digits as one integer (8 fraction digits per step, SWAR
// on two 32-bit reads, in the hot loop), scaled by one power of ten: within a few ulp of JSON.parse;
// extreme exponents go through Number() so overflow to ±Infinity and underflow match exactly.
//
// Health off (the unsampled responses) needs each vector's dimension and its broken-vector flags
// (null, NaN, ±Infinity, all zero), not its norm or key, so inside a data[*].embedding array the
// numbers are counted, not read (#countFloats): native indexOf finds the ']' and the next '"', and
// the ',' before them are counted 16 bytes at a time in WebAssembly SIMD (comma-count.ts; where that
// is missing, every component is read exactly, as with health on). Letters end a counted run, so null and bare
// NaN/Infinity are read exactly; an all-zero vector is known from its digits (nonZeroDigit); base64
// vectors are decoded and checked bit-wise (brokenSummary). Relaxation, health off only and only
// there: the text between two counted ',' is not validated as a JSON number. It may hold any bytes
// but '"', ']', and those with bit 6 set other than 'e'/'E' (letters, '[', '{', '}', bytes >= 0xc0):
// such an element is read exactly, as is the last element before the ']' and before each chunk end.
// So `[1,,2]`, `[1.2.3,4]`, `[--1,2]` or `[1 2,3]` count 3, 2, 2 and 2 components where JSON.parse
// throws; `[,1]`, `[1,]`, `[1 2]`, `[1,x]`, nesting, strings and bare NaN/Infinity/null are still
// exact (a malformed one still throws). A counted number is not converted either, so one that
// overflows (1e400) does not set `inf`, and one that underflows to 0 (1e-400) still counts as
// non-zero. Everything outside embedding arrays, and everything with health on, is validated exactly.
// bench/micro/inspect.ts measures it against the JSON.parse path; test/unit/inspect/scanner-regression.test.ts guards it.
import { isAscii } from 'node:buffer';
import { commaCounter } from './comma-count.ts';
import type { ResponseFacts, VectorSummary } from '../core/response-facts.ts';
import type { VectorEncoding } from '../core/embedding-request.ts';
import {
  describe,
  isHex,
  KEY_DATA,
  KEY_EMBEDDING,
  KEY_MODEL,
  KEY_PROMPT,
  KEY_USAGE,
  nonZeroDigit,
  TOKEN_CHAR,
  W_FALSE,
  W_INFINITY,
  W_NAN,
  W_NEG_INFINITY,
  W_NULL,
  W_TRUE,
} from './json-bytes.ts';
import { b64ElementCount, BYTES_PER_ELEMENT, decodeElements, FLOAT32_LE, HOST_LE } from './vector-encoding.ts';
import {
  HASH,
  hashBytes,
  INF_HI,
  NAN_HI,
  NAN_LO,
  NEG_INF_HI,
  TAG_FALSE,
  TAG_NESTED,
  TAG_NULL,
  TAG_TEXT,
  TAG_TRUE,
  keyHash,
} from './vector-key.ts';
import { brokenSummary, decodedSummary } from './vector-summary.ts';

// The number loops' own tables and fingerprint stay here, beside the loops: an imported binding is
// a load through its module's cell on every use, which V8 does not fold in these loops.

/** 10^k for k in 0..308, each the correctly rounded double (exact up to 1e22). */
const P10 = Float64Array.from({ length: 309 }, (_, k) => Number(`1e${k}`));

// A number's fingerprint: two words from its exact decimal components, each component entering
// through a bijection, so two numbers whose texts differ in one component (one digit, even one
// ulp apart) always differ, and one text always gives the same words. The fast path and #number
// build the same components: sign, integer part, the fraction in 8-digit blocks from the '.'
// (nb full blocks, at most 3; more fold into b3), the digits after them, the exponent. Zero in any
// spelling (0, -0, 0.0e5) is one fingerprint, as Array#join writes it "0".
const fpLo = (nb: number, b1: number, tail: number, t: number) => (b1 | (nb << 28)) ^ Math.imul(tail * 8 + t, 0x2c1b3c6d);
const fpHi = (sign: number, int: number, b2: number, b3: number, e: number) =>
  b2 ^ Math.imul(b3, 0x297a2d39) ^ Math.imul(int, 0x9e3779b1) ^ Math.imul(e, 0x85ebca77) ^ (sign << 31);

/** Longest number or literal carried across a chunk boundary. No JSON number a model server
 *  writes comes near it; a longer run of digits is hostile, and re-copying it on every chunk would
 *  cost quadratic time on the event loop. */
const MAX_TOKEN_BYTES = 4096;
const tokenTooLong = () => new SyntaxError(`A number or literal longer than ${MAX_TOKEN_BYTES} bytes; the response is not inspected.`);

export interface ScannerOptions {
  /** Compute sumSq, key and the component flags (the sampled vector health check). */
  health: boolean;
  /** Stop scanning once more bytes than this were pushed (`overflowed`; finish() then throws). */
  maxBytes?: number;
  /** Health off: read every float component as health on does (exact validation, the `inf` flag of
   *  overflowing numbers) instead of counting them (the relaxation noted at the top). Default false;
   *  bench/micro/inspect.ts uses it as the before of the counting fast path. */
  exactFloats?: boolean;
  /** Layout of base64 vectors (vLLM's embed_dtype / endianness); default little-endian float32. */
  encoding?: VectorEncoding;
}

// Parser states.
const VALUE = 0; // a value must follow (after ':' or ',' in an array, or at the top)
const FIRST_VALUE = 1; // after '[': a value or ']'
const FIRST_KEY = 2; // after '{': a key or '}'
const KEY = 3; // after ',' in an object
const COLON = 4;
const AFTER = 5; // after a value: ',' or the container's close
const STRING = 6; // inside a string
const DONE = 7; // the top-level value is complete

// Container roles on the stack: objects below ARRAY_ROLE, arrays from it.
const ROOT = 1; // the top-level object
const USAGE = 2; // top-level usage
const ITEM = 3; // an object in top-level data
const OBJ = 4; // any other object
const ARRAY_ROLE = 8;
const DATA = 8; // top-level data
const EMB = 9; // data[*].embedding
const ARR = 10; // any other array

// What the value being read means (also what a string is read for).
const SKIP = 0;
const TOP = 1;
const MODEL = 2;
const DATA_VALUE = 3;
const USAGE_VALUE = 4;
const PROMPT = 5;
const ITEM_VALUE = 6;
const EMB_VALUE = 7;
const ELEM = 8; // an element of an embedding array
const KEY_NAME = 9; // an object key we need to read
const KEY_SKIP = 10; // an object key we can ignore

// Initial values of the per-response views: shared and empty, so constructing a scanner (one per
// response) allocates no ArrayBuffer.
const EMPTY_BUFFER = Buffer.alloc(0);
const EMPTY_VIEW = new DataView(new ArrayBuffer(0));

export class ResponseScanner {
  readonly #health: boolean;
  readonly #count: boolean; // health off and not exactFloats: #countFloats
  readonly #maxBytes: number;
  readonly #encoding: VectorEncoding;
  #bytes = 0;
  #base = 0; // absolute offset of index 0 of the buffer being scanned (error messages)
  #overflow = false;
  #error: Error | undefined;
  #finished = false;

  // Tokenizer.
  #state = VALUE;
  #stack: number[] = [];
  #depth = 0;
  #keySlot = SKIP; // meaning of the value after the current key
  #strRole = SKIP;
  #esc = 0; // 0 plain, 1 after '\', 2..5: hex digits of \u still expected + 1
  #strEscaped = false;
  #strCaptured = false; // the string's content is being captured
  #stash: Buffer | undefined; // a number/literal cut by the chunk end
  #num = 0;
  #fpLo = 0;
  #fpHi = 0;
  #dv: DataView = EMPTY_VIEW;
  #dvOf: Buffer | undefined;
  // Health-off counting (#countFloats): the next ']' and '"' at or after the last position
  // searched from (end when none), cached per buffer.
  #cntOf: Buffer | undefined;
  #nextClose = 0;
  #nextQuote = 0;

  // Capture of a string's raw content or of a nested component's raw bytes.
  #cap = Buffer.allocUnsafe(1024); // from Node's pool (8-aligned, as hashBytes needs): no ArrayBuffer per response
  #f32 = EMPTY_BUFFER; // base64 decoding (4-aligned: offset 0)
  #capLen = 0;
  #capFrom = -1; // start index in the current buffer while capturing
  #rawDepth = -1; // depth of the nested container being captured

  // Facts.
  #model: string | undefined;
  #prompt: number | undefined;
  #vectors: VectorSummary[] = [];
  #nonJson = false;
  #itemVec: VectorSummary | undefined;

  // The embedding array being read.
  #vDim = 0;
  #vSum = 0;
  #vNull = false;
  #vNaN = false;
  #vInf = false;
  #vNonZero = false; // a component read (or seen in the digits) as non-zero
  #h1 = 0;
  #h2 = 0;

  constructor(opts: ScannerOptions) {
    this.#health = opts.health;
    this.#count = !opts.health && opts.exactFloats !== true && commaCounter !== undefined;
    this.#maxBytes = opts.maxBytes ?? Infinity;
    this.#encoding = opts.encoding ?? FLOAT32_LE;
  }

  /** Whether more than maxBytes were pushed (scanning stopped; finish() throws). */
  get overflowed(): boolean {
    return this.#overflow;
  }

  /** Feeds the next chunk. Never throws: a malformed body is reported by finish(). */
  push(chunk: Buffer): void {
    if (this.#error !== undefined || this.#overflow || this.#finished) return;
    const before = this.#bytes;
    this.#bytes += chunk.length;
    if (this.#bytes > this.#maxBytes) {
      this.#overflow = true;
      this.#stash = undefined;
      this.#vectors = [];
      this.#cap = EMPTY_BUFFER;
      return;
    }
    try {
      let start = 0;
      const stash = this.#stash;
      if (stash !== undefined) {
        // Re-read the cut token with its continuation and the byte after it, then go on.
        let j = 0;
        while (j < chunk.length && TOKEN_CHAR[chunk[j]!] === 1) j++;
        if (j === chunk.length) {
          if (stash.length + chunk.length > MAX_TOKEN_BYTES) throw tokenTooLong();
          this.#stash = Buffer.concat([stash, chunk]);
          return;
        }
        this.#stash = undefined;
        const joined = Buffer.concat([stash, chunk.subarray(0, j + 1)]);
        this.#base = before - stash.length;
        this.#scan(joined, 0, joined.length);
        start = j + 1;
      }
      this.#base = before;
      this.#scan(chunk, start, chunk.length);
    } catch (err) {
      this.#error = err instanceof Error ? err : new Error(String(err));
    }
    this.#dvOf = undefined; // keep no chunk alive between pushes
    this.#cntOf = undefined;
  }

  /** The facts of the complete body; throws on malformed or truncated JSON. */
  finish(): ResponseFacts {
    if (this.#error !== undefined) throw this.#error;
    if (this.#overflow) throw new RangeError(`The response is larger than ${this.#maxBytes} bytes; it was not scanned.`);
    this.#finished = true;
    const stash = this.#stash;
    if (stash !== undefined) {
      this.#stash = undefined;
      const joined = Buffer.concat([stash, Buffer.from(' ')]);
      this.#base = this.#bytes - stash.length;
      try {
        this.#scan(joined, 0, joined.length);
      } catch (err) {
        this.#error = err instanceof Error ? err : new Error(String(err));
        throw this.#error;
      }
    }
    if (this.#state !== DONE) {
      this.#error = new SyntaxError(`Unexpected end of JSON input at byte ${this.#bytes}`);
      throw this.#error;
    }
    const vectorsByDimension = new Map<number, number>();
    for (const v of this.#vectors) vectorsByDimension.set(v.dimension, (vectorsByDimension.get(v.dimension) ?? 0) + 1);
    return {
      responseModel: this.#model,
      promptTokens: this.#prompt,
      vectorCount: this.#vectors.length,
      dimension: this.#vectors[0]?.dimension,
      vectorsByDimension,
      vectors: this.#vectors,
      nonJsonNumbers: this.#nonJson,
    };
  }

  #fail(what: string, buf: Buffer, i: number): never {
    throw new SyntaxError(`${what}: unexpected ${describe(buf[i])} at byte ${this.#base + i}`);
  }

  #scan(buf: Buffer, start: number, end: number): void {
    let i = start;
    if (this.#capFrom >= 0) this.#capFrom = start;
    while (i < end) {
      const state = this.#state;
      if (state === STRING) {
        const j = this.#string(buf, i, end);
        if (j < 0) break;
        i = j + 1;
        this.#endString(buf, j);
        continue;
      }
      const c = buf[i]!;
      if (c === 32 || c === 10 || c === 13 || c === 9) {
        i++;
        continue;
      }
      switch (state) {
        case VALUE:
        case FIRST_VALUE: {
          if (
            this.#depth > 0 &&
            this.#stack[this.#depth - 1] === EMB &&
            ((c >= 48 && c <= 57) || (c === 45 && (i + 1 === end || (buf[i + 1]! >= 48 && buf[i + 1]! <= 57))))
          ) {
            i = this.#count ? this.#countFloats(buf, i, end) : this.#floats(buf, i, end);
          } else {
            i = this.#value(buf, i, end, c);
          }
          if (i < 0) return; // a token was stashed (capture already flushed)
          break;
        }
        case FIRST_KEY:
        case KEY: {
          if (c === 34) {
            const role = this.#stack[this.#depth - 1]!;
            this.#strRole = role === OBJ ? KEY_SKIP : KEY_NAME;
            this.#beginString(i + 1);
            i++;
          } else if (c === 125 && state === FIRST_KEY) {
            this.#close(buf, i);
            i++;
          } else this.#fail('Expected a key', buf, i);
          break;
        }
        case COLON:
          if (c !== 58) this.#fail("Expected ':'", buf, i);
          this.#state = VALUE;
          i++;
          break;
        case AFTER: {
          const role = this.#stack[this.#depth - 1]!;
          if (c === 44) this.#state = role >= ARRAY_ROLE ? VALUE : KEY;
          else if (c === (role >= ARRAY_ROLE ? 93 : 125)) this.#close(buf, i);
          else this.#fail(role >= ARRAY_ROLE ? "Expected ',' or ']'" : "Expected ',' or '}'", buf, i);
          i++;
          break;
        }
        default:
          this.#fail('Unexpected data after the JSON value', buf, i);
      }
    }
    if (this.#capFrom >= 0) {
      this.#capAppend(buf, this.#capFrom, end);
      this.#capFrom = 0;
    }
  }

  /** Stashes the token starting at `from` (cut by the buffer end); returns -1 for the caller. */
  #stashToken(buf: Buffer, from: number, end: number): number {
    if (end - from > MAX_TOKEN_BYTES) throw tokenTooLong();
    this.#stash = Buffer.from(buf.subarray(from, end));
    if (this.#capFrom >= 0) {
      this.#capAppend(buf, this.#capFrom, from);
      this.#capFrom = 0;
    }
    return -1;
  }

  #afterValue(): void {
    this.#state = this.#depth === 0 ? DONE : AFTER;
  }

  #slot(): number {
    const d = this.#depth;
    if (d === 0) return TOP;
    const role = this.#stack[d - 1]!;
    if (role >= ARRAY_ROLE) return role === DATA ? ITEM_VALUE : role === EMB ? ELEM : SKIP;
    return this.#keySlot;
  }

  /** One value starting at buf[i] = c (not whitespace); returns the next index, -1 if stashed. */
  #value(buf: Buffer, i: number, end: number, c: number): number {
    const slot = this.#slot();
    if (c === 34) {
      this.#strRole = slot === MODEL || slot === EMB_VALUE || slot === ELEM ? slot : SKIP;
      this.#beginString(i + 1);
      return i + 1;
    }
    if (c === 123 || c === 91) {
      if (slot === ELEM) this.#nestedElement(i);
      this.#open(
        c === 123
          ? slot === TOP
            ? ROOT
            : slot === USAGE_VALUE
              ? USAGE
              : slot === ITEM_VALUE
                ? ITEM
                : OBJ
          : slot === DATA_VALUE
            ? DATA
            : slot === EMB_VALUE
              ? EMB
              : ARR,
      );
      return i + 1;
    }
    if (c === 93 && this.#state === FIRST_VALUE) {
      this.#close(buf, i);
      return i + 1;
    }
    if ((c >= 48 && c <= 57) || (c === 45 && buf[i + 1] !== 73) /* I */) {
      const j = this.#number(buf, i, end);
      if (j < 0) return this.#stashToken(buf, i, end);
      if (slot === PROMPT) {
        const exact = Number(buf.toString('latin1', i, j));
        if (Number.isInteger(exact) && exact >= 0) this.#prompt = exact;
      } else if (slot === ELEM) this.#numberElement(this.#num);
      this.#afterValue();
      return j;
    }
    let word: Buffer;
    if (c === 116) word = W_TRUE;
    else if (c === 102) word = W_FALSE;
    else if (c === 110) word = W_NULL;
    else if (c === 78) word = W_NAN;
    else if (c === 73) word = W_INFINITY;
    else if (c === 45) word = W_NEG_INFINITY;
    else this.#fail('Expected a value', buf, i);
    for (let k = 0; k < word.length; k++) {
      if (i + k === end) return this.#stashToken(buf, i, end);
      if (buf[i + k] !== word[k]) this.#fail('Invalid literal', buf, i + k);
    }
    if (c === 78 || c === 73 || c === 45) {
      // Bare NaN/Infinity (Python's json.dumps): accepted as array elements only.
      if (this.#depth === 0 || this.#stack[this.#depth - 1]! < ARRAY_ROLE) this.#fail('Bare NaN/Infinity outside an array', buf, i);
      this.#nonJson = true;
      if (slot === ELEM) {
        if (c === 78) this.#flagElement(0, NAN_LO, NAN_HI);
        else this.#flagElement(1, 0, c === 45 ? NEG_INF_HI : INF_HI);
      }
    } else if (slot === ELEM) this.#flagElement(2, 0, c === 110 ? TAG_NULL : c === 116 ? TAG_TRUE : TAG_FALSE);
    else if (slot === TOP && c === 110) throw new TypeError('The response body is JSON null');
    this.#afterValue();
    return i + word.length;
  }

  #open(role: number): void {
    this.#stack[this.#depth++] = role;
    this.#state = role >= ARRAY_ROLE ? FIRST_VALUE : FIRST_KEY;
    if (role === ITEM) this.#itemVec = undefined;
    else if (role === EMB) {
      this.#vDim = 0;
      this.#vSum = 0;
      this.#vNull = false;
      this.#vNaN = false;
      this.#vInf = false;
      this.#vNonZero = false;
      this.#h1 = 0x6a09e667;
      this.#h2 = 0x3c6ef372;
    }
  }

  /** Closes the innermost container at buf[i] (the caller checked the bracket). */
  #close(buf: Buffer, i: number): void {
    const role = this.#stack[--this.#depth]!;
    if (this.#rawDepth === this.#depth + 1) {
      this.#capAppend(buf, this.#capFrom, i + 1);
      this.#capFrom = -1;
      this.#rawDepth = -1;
      if (this.#health) {
        hashBytes(this.#cap, this.#capLen);
        this.#mix(HASH[0]!, TAG_NESTED);
        this.#mix(HASH[1]!, TAG_NESTED);
      }
    }
    if (role === EMB) {
      const dim = this.#vDim;
      this.#itemVec = {
        dimension: dim,
        sumSq: this.#vSum,
        nulls: this.#vNull,
        nan: this.#vNaN,
        inf: this.#vInf,
        zero: !this.#vNonZero,
        key: this.#health ? `f${dim}:${keyHash(this.#h1, this.#h2, dim)}` : undefined,
      };
    } else if (role === ITEM && this.#itemVec !== undefined) {
      this.#vectors.push(this.#itemVec);
      this.#itemVec = undefined;
    }
    this.#afterValue();
  }

  #mix(lo: number, hi: number): void {
    let h1 = Math.imul(this.#h1 ^ lo, 0x9e3779b1);
    h1 = ((h1 << 13) | (h1 >>> 19)) ^ hi;
    let h2 = Math.imul(this.#h2 ^ hi, 0x85ebca77);
    h2 = ((h2 << 17) | (h2 >>> 15)) ^ lo;
    this.#h1 = h1;
    this.#h2 = h2;
  }

  /** A number component just parsed by #number. */
  #numberElement(v: number): void {
    this.#vDim++;
    if (v - v === 0) {
      if (this.#health) this.#vSum += v * v;
      if (v !== 0) this.#vNonZero = true;
    } else this.#vInf = true;
    if (this.#health) this.#mix(this.#fpLo, this.#fpHi);
  }

  /** A non-number component: kind 0 NaN, 1 ±Infinity, 2 null-like; hashed as (lo, hi). */
  #flagElement(kind: number, lo: number, hi: number): void {
    this.#vDim++;
    if (kind === 0) this.#vNaN = true;
    else if (kind === 1) this.#vInf = true;
    else this.#vNull = true;
    if (this.#health) this.#mix(lo, hi);
  }

  /** An object or array as a component: null-like; its raw bytes go into the key. */
  #nestedElement(i: number): void {
    this.#vDim++;
    this.#vNull = true;
    if (this.#health) {
      this.#capLen = 0;
      this.#capFrom = i;
      this.#rawDepth = this.#depth + 1;
    }
  }

  /** Parses the JSON number at buf[i] into #num (within a few ulp) and #fpLo/#fpHi (its
   *  fingerprint); the index after it, or -1 if the buffer ends. */
  // biome-ignore lint/complexity/noExcessiveLinesPerFunction: one of the scanner's per-state loops (a number, byte by byte); split, it ran slower (bench/micro/inspect.ts)
  #number(buf: Buffer, i: number, end: number): number {
    const start = i;
    let c = buf[i]!;
    const neg = c === 45;
    if (neg) {
      if (++i === end) return -1;
      c = buf[i]!;
    }
    let m = 0;
    let nd = 0; // significant digits in m (at most 19; the value needs no more)
    let scale = 0;
    let int = 0;
    if (c === 48) {
      if (++i === end) return -1;
      c = buf[i]!;
    } else if (c >= 49 && c <= 57) {
      for (;;) {
        int = int * 10 + (c - 48);
        if (nd < 19) {
          m = m * 10 + (c - 48);
          nd++;
        } else scale++;
        if (++i === end) return -1;
        c = buf[i]!;
        if (c < 48 || c > 57) break;
      }
    } else this.#fail('Invalid number', buf, i);
    let nb = 0;
    let b1 = 0;
    let b2 = 0;
    let b3 = 0;
    let blk = 0;
    let t = 0;
    if (c === 46) {
      if (++i === end) return -1;
      c = buf[i]!;
      if (c < 48 || c > 57) this.#fail('Invalid number', buf, i);
      for (;;) {
        if (nd < 19) {
          m = m * 10 + (c - 48);
          scale--;
          if (m !== 0) nd++;
        }
        blk = blk * 10 + (c - 48);
        if (++t === 8) {
          if (nb === 0) b1 = blk;
          else if (nb === 1) b2 = blk;
          else if (nb === 2) b3 = blk;
          else b3 = Math.imul(b3 ^ blk, 0x01000193);
          nb++;
          blk = 0;
          t = 0;
        }
        if (++i === end) return -1;
        c = buf[i]!;
        if (c < 48 || c > 57) break;
      }
    }
    let e = 0;
    if (c === 101 || c === 69) {
      if (++i === end) return -1;
      c = buf[i]!;
      const eneg = c === 45;
      if (eneg || c === 43) {
        if (++i === end) return -1;
        c = buf[i]!;
      }
      if (c < 48 || c > 57) this.#fail('Invalid number', buf, i);
      for (;;) {
        if (e < 100000) e = e * 10 + (c - 48);
        if (++i === end) return -1;
        c = buf[i]!;
        if (c < 48 || c > 57) break;
      }
      if (eneg) e = -e;
      scale += e;
    }
    let v: number;
    if (m === 0) v = 0;
    else if (scale === 0) v = m;
    else if (scale < 0 && scale >= -300) v = m / P10[-scale]!;
    else if (scale > 0 && scale <= 280) v = m * P10[scale]!;
    else v = Math.abs(Number(buf.toString('latin1', start, i))); // exact over/underflow
    if (neg) v = -v;
    this.#num = v;
    if (v === 0) {
      this.#fpLo = 0;
      this.#fpHi = 0;
    } else if (v - v !== 0) {
      this.#fpLo = 0;
      this.#fpHi = v > 0 ? INF_HI : NEG_INF_HI;
    } else {
      this.#fpLo = fpLo(Math.min(nb, 3), b1, blk, t);
      this.#fpHi = fpHi(+neg, int, b2, b3, e);
    }
    return i;
  }

  /** The hot path: numbers of an embedding array, from a number at buf[i]. Returns the next
   *  index (-1 if a number was stashed); leaves the state at the first non-number it meets.
   *  Away from the buffer end, the usual shape (-?D+.D+ with at most 19 + 31 digits, optional
   *  short exponent) is parsed here with 8 fraction digits per step (SWAR on two 32-bit reads);
   *  anything else goes through #number, which also validates and handles the buffer end. */
  // biome-ignore lint/complexity/noExcessiveLinesPerFunction: one of the scanner's per-state loops (the float array fast path); split, it ran slower (bench/micro/inspect.ts)
  #floats(buf: Buffer, i: number, end: number): number {
    const health = this.#health;
    const count = this.#count;
    const dv = this.#view(buf);
    let dim = this.#vDim;
    let sum = this.#vSum;
    let inf = this.#vInf;
    let nonZero = this.#vNonZero;
    let h1 = this.#h1;
    let h2 = this.#h2;
    let state = this.#state;
    for (;;) {
      let c = buf[i]!;
      const sign = +(c === 45); // 1 when negative (arithmetic, not a branch: signs are random)
      if (i + sign === end) {
        // A '-' ending the buffer: #number stashes it.
        i = this.#stashToken(buf, i, end);
        break;
      }
      let m = buf[i + sign]! - 48;
      if (m < 0 || m > 9) break; // not a number: the generic loop reads it
      let v = 0;
      let lo = 0;
      let hi = 0;
      let j = -1;
      if (i + 64 <= end) {
        // biome-ignore lint/suspicious/noConfusingLabels: a labelled block: `break fast` leaves the fast path for the exact one
        fast: {
          let p = i + sign + 1;
          c = buf[p]!;
          if (m !== 0) {
            const intEnd = p + 8; // at most 9 integer digits: exact, and an int32 for fpHi
            while (c >= 48 && c <= 57) {
              if (p === intEnd) break fast;
              m = m * 10 + (c - 48);
              c = buf[++p]!;
            }
          }
          const int = m;
          let scale = 0;
          let nb = 0;
          let b1 = 0;
          let b2 = 0;
          let b3 = 0;
          let tail = 0;
          let t = 0;
          if (c === 46) {
            const f = ++p;
            for (; nb < 3; nb++) {
              const a = dv.getUint32(p, true);
              const b = dv.getUint32(p + 4, true);
              // All eight bytes digits: each byte 0x30..0x39.
              if (((a & 0xf0f0f0f0) | (((a + 0x06060606) & 0xf0f0f0f0) >>> 4)) !== 0x33333333) break;
              if (((b & 0xf0f0f0f0) | (((b + 0x06060606) & 0xf0f0f0f0) >>> 4)) !== 0x33333333) break;
              // Eight ASCII digits, first in the low byte, to their value.
              let x = a & 0x0f0f0f0f;
              x = (x * 10 + (x >>> 8)) & 0x00ff00ff;
              x = (x * 100 + (x >>> 16)) & 0xffff;
              let y = b & 0x0f0f0f0f;
              y = (y * 10 + (y >>> 8)) & 0x00ff00ff;
              y = (y * 100 + (y >>> 16)) & 0xffff;
              const block = x * 10000 + y;
              if (nb === 0) b1 = block;
              else if (nb === 1) b2 = block;
              else b3 = block;
              m = m * 1e8 + block;
              p += 8;
            }
            // The last 0..3 digits from one read: t = index of the first non-digit byte.
            const w = dv.getUint32(p, true);
            const nonDigit = ((w & 0xf0f0f0f0) | (((w + 0x06060606) & 0xf0f0f0f0) >>> 4)) ^ 0x33333333;
            if (nonDigit === 0) break fast; // 4 to 7 more digits: #number
            t = (31 - Math.clz32(nonDigit & -nonDigit)) >>> 3;
            if (t !== 0) {
              let x = (w & 0x0f0f0f0f) << (32 - 8 * t); // the t digits in the high bytes, zeros below
              x = (x * 10 + (x >>> 8)) & 0x00ff00ff;
              tail = (x * 100 + (x >>> 16)) & 0xffff;
              m = m * P10[t]! + tail;
              p += t;
            }
            if (p === f) break fast; // '.' without digits: #number reports it
            scale = f - p;
            c = buf[p]!;
          }
          let e = 0;
          if (c === 101 || c === 69) {
            c = buf[++p]!;
            const eneg = c === 45;
            if (eneg || c === 43) c = buf[++p]!;
            if (c < 48 || c > 57) break fast;
            e = c - 48;
            c = buf[++p]!;
            if (c >= 48 && c <= 57) {
              e = e * 10 + (c - 48);
              c = buf[++p]!;
              if (c >= 48 && c <= 57) {
                e = e * 10 + (c - 48);
                c = buf[++p]!;
                if (c >= 48 && c <= 57) break fast;
              }
            }
            if (eneg) e = -e;
            scale += e;
          }
          if (m === 0) v = 0;
          else if (scale === 0) v = m;
          else if (scale < 0 && scale >= -280) v = m / P10[-scale]!;
          else if (scale > 0 && scale <= 250) v = m * P10[scale]!;
          else break fast;
          v *= 1 - 2 * sign;
          if (health) {
            if (v === 0) {
              lo = 0;
              hi = 0;
            } else {
              lo = fpLo(nb, b1, tail, t);
              hi = fpHi(sign, int, b2, b3, e);
            }
          }
          j = p;
        }
      }
      if (j < 0) {
        j = this.#number(buf, i, end);
        if (j < 0) {
          i = this.#stashToken(buf, i, end);
          break;
        }
        v = this.#num;
        lo = this.#fpLo;
        hi = this.#fpHi;
      }
      dim++;
      if (v - v !== 0) inf = true;
      else {
        if (health) sum += v * v;
        if (v !== 0) nonZero = true;
      }
      if (health) {
        h1 = Math.imul(h1 ^ lo, 0x9e3779b1);
        h1 = ((h1 << 13) | (h1 >>> 19)) ^ hi;
        h2 = Math.imul(h2 ^ hi, 0x85ebca77);
        h2 = ((h2 << 17) | (h2 >>> 15)) ^ lo;
      }
      i = j;
      state = AFTER;
      c = buf[i]!;
      if (c !== 44) {
        // biome-ignore lint/suspicious/noAssignInExpressions: the byte loop reads and tests each byte once
        while (i < end && ((c = buf[i]!) === 32 || c === 10 || c === 13 || c === 9)) i++;
        if (i === end || c !== 44) break; // ']' or an error: the generic loop decides
      }
      state = VALUE;
      i++;
      if (i === end || count) break; // counting: back to #countFloats after each element
      c = buf[i]!;
      if (c === 32 || c === 10 || c === 13 || c === 9) {
        // biome-ignore lint/suspicious/noAssignInExpressions: the byte loop reads and tests each byte once
        while (i < end && ((c = buf[i]!) === 32 || c === 10 || c === 13 || c === 9)) i++;
        if (i === end) break;
      }
    }
    this.#state = state;
    this.#vDim = dim;
    this.#vSum = sum;
    this.#vInf = inf;
    this.#vNonZero = nonZero;
    this.#h1 = h1;
    this.#h2 = h2;
    return i;
  }

  /** Health off: the elements of an embedding array from a number at buf[i], counted without being
   *  read. The array's ']' and the next '"' come from native indexOf; the ',' before them (or before
   *  the buffer end) are counted by comma-count.ts, and every element that a ',' ends is one
   *  component. The last element before the ']' or the buffer end, and any element with a byte that
   *  a float cannot hold (a letter other than e/E, '[', '{', '}', '"'), go to #floats / #value, which
   *  read them exactly (stash, NaN/Infinity/null flags, nesting); counting resumes after them.
   *  Relaxed: the bytes between the counted ',' are not checked to be JSON numbers (see the note at
   *  the top of the file). Returns the next index (-1 if #floats stashed a number). */
  #countFloats(buf: Buffer, i: number, end: number): number {
    let close = this.#nextClose;
    let quote = this.#nextQuote;
    if (this.#cntOf !== buf) {
      this.#cntOf = buf;
      close = quote = -1;
    }
    if (close < i) {
      close = buf.indexOf(93, i);
      if (close < 0 || close > end) close = end;
      this.#nextClose = close;
    }
    if (quote < i) {
      quote = buf.indexOf(34, i);
      if (quote < 0 || quote > end) quote = end;
      this.#nextQuote = quote;
    }
    const counter = commaCounter!; // #count is set only where it exists
    const n = counter.count(buf, i, Math.min(quote, close));
    const stop = counter.stop;
    if (n === 0) return this.#floats(buf, i, end); // no element ends before stop: read this one exactly
    if (!this.#vNonZero) this.#vNonZero = nonZeroDigit(buf, i, stop);
    this.#vDim += n;
    this.#state = VALUE;
    return buf.lastIndexOf(44, stop - 1) + 1; // after the last counted ','
  }

  #beginString(from: number): void {
    this.#state = STRING;
    this.#esc = 0;
    this.#strEscaped = false;
    const role = this.#strRole;
    this.#strCaptured = role === KEY_NAME || role === MODEL || role === EMB_VALUE || role === ELEM;
    if (this.#strCaptured) {
      this.#capLen = 0;
      this.#capFrom = from;
    }
  }

  /** A DataView over buf (cached for the buffer being scanned). */
  #view(buf: Buffer): DataView {
    if (this.#dvOf !== buf) {
      this.#dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
      this.#dvOf = buf;
    }
    return this.#dv;
  }

  /** Scans string content from buf[i]; the index of the closing quote, or -1 at the buffer end.
   *  Plain runs (base64 vectors) go fast: the next '"' by native indexOf, then a check four bytes
   *  at a time that the run has no '\' and no control byte. */
  #string(buf: Buffer, i: number, end: number): number {
    let esc = this.#esc;
    let q = -1; // the next '"' at or after i, kept so that escapes do not search again
    while (i < end) {
      if (esc === 0) {
        if (q < i) {
          q = buf.indexOf(34, i);
          if (q < 0 || q > end) q = end;
        }
        const dv = this.#view(buf);
        while (i + 4 <= q) {
          const w = dv.getUint32(i, true);
          const x = w ^ 0x5c5c5c5c;
          // A byte < 0x20 in w, or a zero byte in x (a '\' in w): exact "has less" bit tricks.
          if ((((w - 0x20202020) & ~w) | ((x - 0x01010101) & ~x)) & 0x80808080) break;
          i += 4;
        }
        let c = 0;
        // biome-ignore lint/suspicious/noAssignInExpressions: the byte loop reads and tests each byte once
        while (i < q && (c = buf[i]!) !== 92 && c >= 32) i++;
        if (i === q) {
          if (q === end) break;
          this.#esc = 0;
          return q;
        }
        if (c === 92) {
          esc = 1;
          this.#strEscaped = true;
        } else this.#fail('Control character in a string', buf, i);
      } else {
        const c = buf[i]!;
        if (esc === 1) {
          if (c === 117) esc = 5;
          else if (c === 34 || c === 92 || c === 47 || c === 98 || c === 102 || c === 110 || c === 114 || c === 116) esc = 0;
          else this.#fail('Invalid escape', buf, i);
        } else if (isHex(c)) esc = esc === 2 ? 0 : esc - 1;
        else this.#fail('Invalid \\u escape', buf, i);
      }
      i++;
    }
    this.#esc = esc;
    return -1;
  }

  #capAppend(buf: Buffer, from: number, to: number): void {
    const n = to - from;
    if (n <= 0) return;
    if (this.#capLen + n > this.#cap.length) {
      const grown = Buffer.from(new ArrayBuffer(Math.max(this.#cap.length * 2, this.#capLen + n)));
      this.#cap.copy(grown, 0, 0, this.#capLen);
      this.#cap = grown;
    }
    buf.copy(this.#cap, this.#capLen, from, to);
    this.#capLen += n;
  }

  /** The captured string, decoded as JSON.parse would. */
  #capString(): string {
    const raw = this.#cap.toString('utf8', 0, this.#capLen);
    return this.#strEscaped ? (JSON.parse(`"${raw}"`) as string) : raw;
  }

  #capEquals(name: Buffer): boolean {
    if (this.#strEscaped) return this.#capString() === name.toString('latin1');
    if (this.#capLen !== name.length) return false;
    for (let k = 0; k < name.length; k++) if (this.#cap[k] !== name[k]) return false;
    return true;
  }

  #endString(buf: Buffer, q: number): void {
    if (this.#strCaptured) {
      this.#capAppend(buf, this.#capFrom, q);
      this.#capFrom = -1;
    }
    const role = this.#strRole;
    if (role === KEY_NAME || role === KEY_SKIP) {
      this.#keySlot = role === KEY_SKIP ? SKIP : this.#keyName();
      this.#state = COLON;
      return;
    }
    if (role === MODEL) this.#model = this.#capString();
    else if (role === EMB_VALUE) this.#itemVec = this.#base64Summary();
    else if (role === ELEM) this.#stringElement();
    this.#afterValue();
  }

  /** The slot of the value after a key of ROOT, USAGE or ITEM; resets the fact it names
   *  (the last of duplicate keys wins, as with JSON.parse). */
  #keyName(): number {
    const role = this.#stack[this.#depth - 1];
    if (role === ROOT) {
      if (this.#capEquals(KEY_DATA)) {
        this.#vectors = [];
        return DATA_VALUE;
      }
      if (this.#capEquals(KEY_MODEL)) {
        this.#model = undefined;
        return MODEL;
      }
      if (this.#capEquals(KEY_USAGE)) {
        this.#prompt = undefined;
        return USAGE_VALUE;
      }
    } else if (role === USAGE) {
      if (this.#capEquals(KEY_PROMPT)) {
        this.#prompt = undefined;
        return PROMPT;
      }
    } else if (role === ITEM && this.#capEquals(KEY_EMBEDDING)) {
      this.#itemVec = undefined;
      return EMB_VALUE;
    }
    return SKIP;
  }

  /** A string component: "NaN" / "Infinity" / "-Infinity" as vectorAnomalies reads them, else null-like. */
  #stringElement(): void {
    const s = this.#capString();
    if (s === 'NaN') this.#flagElement(0, NAN_LO, NAN_HI);
    else if (s === 'Infinity' || s === '-Infinity') this.#flagElement(1, 0, s === 'Infinity' ? INF_HI : NEG_INF_HI);
    else if (!this.#health) this.#flagElement(2, 0, 0);
    else {
      const bytes = Buffer.from(s, 'utf16le');
      const copy = new Uint8Array(bytes.length);
      copy.set(bytes);
      hashBytes(copy, copy.length);
      this.#flagElement(2, HASH[0]!, TAG_TEXT);
      this.#mix(HASH[1]!, TAG_TEXT);
    }
  }

  #base64Summary(): VectorSummary {
    const len = this.#capLen;
    const cap = this.#cap;
    const plain = !this.#strEscaped && isAscii(cap.subarray(0, len));
    const text = plain ? undefined : this.#capString();
    const length = text === undefined ? len : text.length;
    let padding = 0;
    if (text === undefined) while (padding < len && cap[len - 1 - padding] === 61) padding++;
    else while (padding < length && text.charCodeAt(length - 1 - padding) === 61) padding++;
    const dimension = b64ElementCount(length, padding, BYTES_PER_ELEMENT[this.#encoding.dtype]);
    const b64 = text ?? cap.toString('latin1', 0, len);
    const floats = this.#encoding === FLOAT32_LE ? this.#decodeFloats(b64) : decodeElements(Buffer.from(b64, 'base64'), this.#encoding);
    if (!this.#health) return brokenSummary(floats, dimension);
    // The key also covers the text length: texts that differ in padding or stray characters the
    // decoder skips still get different keys.
    return { ...decodedSummary(floats, `b${dimension}.${length}`), dimension };
  }

  /** Base64 float32 into a reused aligned buffer (no allocation per vector). */
  #decodeFloats(text: string): Float32Array {
    if (!HOST_LE) return decodeElements(Buffer.from(text, 'base64'), FLOAT32_LE);
    const need = Math.ceil((text.length * 3) / 4) + 8;
    if (this.#f32.length < need) this.#f32 = Buffer.from(new ArrayBuffer(Math.max(need, this.#f32.length * 2)));
    const bytes = this.#f32.write(text, 0, 'base64');
    return new Float32Array(this.#f32.buffer, 0, bytes >>> 2);
  }
}
