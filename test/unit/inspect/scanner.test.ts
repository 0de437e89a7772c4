// The streaming ResponseScanner must read exactly what the JSON.parse path reads
// (inspectEmbeddingsResponse + vectorAnomalies + duplicateVectors), whatever the chunking, and
// must throw wherever that path throws.
import { describe, expect, it } from 'vitest';
import { ResponseScanner } from '../../../src/inspect/scanner.ts';
import type { VectorSummary } from '../../../src/core/response-facts.ts';
import { simulatedVector, toBase64 } from '../../../src/simulator/simulator.ts';
import { duplicateSummaries, summaryAnomalies } from '../../../src/inspect/vector-health.ts';
import {
  decodeBase64Floats,
  duplicateVectors,
  inspectEmbeddingsResponse,
  vectorAnomalies,
  vectorDimension,
} from '../../support/reference-inspect.ts';

const band = { check: true, min: 0.98, max: 1.02 };

/** mulberry32: deterministic test randomness (a failure names its seed). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function split(body: Buffer, points: number[]): Buffer[] {
  const chunks: Buffer[] = [];
  let from = 0;
  for (const p of [...points].sort((a, b) => a - b)) {
    chunks.push(body.subarray(from, p));
    from = p;
  }
  chunks.push(body.subarray(from));
  return chunks;
}

function randomChunks(body: Buffer, random: () => number, maxChunks: number): Buffer[] {
  const n = Math.floor(random() * maxChunks);
  return split(
    body,
    Array.from({ length: n }, () => Math.floor(random() * (body.length + 1))),
  );
}

function refSumSq(e: unknown): number {
  const values: ArrayLike<unknown> = typeof e === 'string' ? decodeBase64Floats(e) : (e as unknown[]);
  let s = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v === 'number' && Number.isFinite(v)) s += v * v;
  }
  return s;
}

interface Outcome {
  facts: Record<string, unknown>;
  dims: (number | undefined)[];
  anomalies: string[][];
  sumSq: number[];
  duplicates: number;
  /** Which vectors share a duplicate key (pairs i<j), the relation the key must reproduce. */
  sameKey: string[];
}

const pairs = (keys: (string | undefined)[]) => {
  const out: string[] = [];
  for (let i = 0; i < keys.length; i++)
    for (let j = i + 1; j < keys.length; j++) if (keys[i] !== undefined && keys[i] === keys[j]) out.push(`${i}=${j}`);
  return out;
};

function reference(body: Buffer, inputs?: string[]): Outcome {
  const { embeddings, ...facts } = inspectEmbeddingsResponse(body);
  return {
    facts,
    dims: embeddings.map(vectorDimension),
    anomalies: embeddings.map((e) => vectorAnomalies(e, band)),
    sumSq: embeddings.map(refSumSq),
    duplicates: duplicateVectors(embeddings, inputs),
    sameKey: pairs(embeddings.map((e) => (typeof e === 'string' ? e : (e as unknown[]).join(',')))),
  };
}

function scan(chunks: Buffer[], health = true, exactFloats = false): ReturnType<ResponseScanner['finish']> {
  const scanner = new ResponseScanner({ health, exactFloats });
  for (const c of chunks) scanner.push(c);
  return scanner.finish();
}

function scanned(chunks: Buffer[], inputs?: string[]): Outcome {
  const { vectors, ...facts } = scan(chunks);
  return {
    facts,
    dims: vectors.map((v) => v.dimension),
    anomalies: vectors.map((v) => summaryAnomalies(v, band)),
    sumSq: vectors.map((v) => v.sumSq),
    duplicates: duplicateSummaries(vectors, inputs),
    sameKey: pairs(vectors.map((v) => v.key)),
  };
}

/** Throws (with the chunking in the message) unless the scanner agrees with the JSON.parse path.
 *  `keys: false` leaves out the duplicate-key relation (for bodies that may spell one double two
 *  ways, where text keys and Array#join differ on purpose). `relaxedFrom`: the valid body this one
 *  was damaged from by one byte inside a data[*].embedding array that health-off counting does not
 *  validate (the documented relaxation): with health off it may then be accepted instead of
 *  throwing, with the original's facts and that vector's dimension off by at most one. */
function expectSame(body: Buffer, chunks: Buffer[], inputs?: string[], keys = true, relaxedFrom?: Buffer): void {
  const where = `chunks ${chunks.map((c) => c.length).join('+')} of ${JSON.stringify(body.toString('utf8').slice(0, 300))}`;
  let ref: Outcome | undefined;
  try {
    ref = reference(body, inputs);
  } catch {
    expect(() => scan(chunks), `should throw: ${where}`).toThrow();
    expect(() => scan(chunks, false, true), `should throw (health off, exactFloats): ${where}`).toThrow();
    if (relaxedFrom === undefined) {
      expect(() => scan(chunks, false), `should throw (health off): ${where}`).toThrow();
      return;
    }
    let got: ReturnType<typeof scan>;
    try {
      got = scan(chunks, false);
    } catch {
      return;
    }
    const { vectors, vectorsByDimension: _v, dimension: _d, ...facts } = got;
    const { vectors: origVectors, vectorsByDimension: _ov, dimension: _od, ...origFacts } = scan([relaxedFrom], false);
    expect(facts, `relaxed (health off): ${where}`).toEqual(origFacts);
    const diffs = vectors.map((v, k) => v.dimension - origVectors[k]!.dimension).filter((d) => d !== 0);
    expect(diffs.length <= 1 && diffs.every((d) => Math.abs(d) === 1), `relaxed dims ${diffs}: ${where}`).toBe(true);
    return;
  }
  const got = scanned(chunks, inputs);
  const { sumSq, ...rest } = got;
  const { sumSq: refSum, ...refRest } = ref;
  if (!keys) {
    rest.sameKey = refRest.sameKey = [];
    rest.duplicates = refRest.duplicates = 0;
  }
  expect(rest, where).toEqual(refRest);
  sumSq.forEach((s, i) => {
    const r = refSum[i]!;
    if (r === 0 || !Number.isFinite(r)) expect(s, where).toBe(r);
    else expect(Math.abs(s - r) / r, `sumSq of vector ${i}: ${where}`).toBeLessThan(1e-12);
  });
  // Health off: the same facts and dimensions, no keys, and the broken-vector flags of health on
  // (null, NaN, ±Infinity, all zero), base64 included. Counted float components are not read: a
  // number that overflows (1e400) does not set inf there, and one that underflows to 0 (1e-400)
  // is not zero; with exactFloats they are read, and every flag is health on's.
  const full = scan(chunks).vectors.map(({ dimension, nulls, nan, inf, zero }) => ({ dimension, nulls, nan, inf, zero }));
  const { vectors, ...facts } = scan(chunks, false);
  expect(facts, where).toEqual(ref.facts);
  expect(vectors.map((v) => v.dimension)).toEqual(ref.dims);
  expect(vectors.every((v) => v.key === undefined && v.sumSq === 0)).toBe(true);
  const extreme = /[eE][+-]?0*[1-9]\d\d/.test(body.toString('latin1'));
  const lenient = ({ dimension, nulls, nan, inf, zero }: (typeof full)[number]) =>
    extreme ? { dimension, nulls, nan } : { dimension, nulls, nan, inf, zero };
  expect(vectors.map(lenient), `health off: ${where}`).toEqual(full.map(lenient));
  const exact = scan(chunks, false, true);
  expect({ ...exact, vectors: [] }, where).toEqual({ ...ref.facts, vectors: [] });
  expect(
    exact.vectors.map(({ dimension, nulls, nan, inf, zero }) => ({ dimension, nulls, nan, inf, zero })),
    `health off, exactFloats: ${where}`,
  ).toEqual(full);
}

function expectSameEverySplit(text: string | Buffer, inputs?: string[]): void {
  const body = Buffer.isBuffer(text) ? text : Buffer.from(text);
  expectSame(body, [body], inputs);
  for (let p = 0; p <= body.length; p++) expectSame(body, split(body, [p]), inputs);
}

const simulated = (texts: string[], dims: number, encoding: 'float' | 'base64', edit?: (vectors: Float32Array[]) => void) => {
  const vectors = texts.map((t) => simulatedVector(t, dims, 7));
  edit?.(vectors);
  const data = vectors.map((v, index) => ({ object: 'embedding', index, embedding: encoding === 'base64' ? toBase64(v) : Array.from(v) }));
  return Buffer.from(
    JSON.stringify({ object: 'list', data, model: 'Qwen/Qwen3-Embedding-4B', usage: { prompt_tokens: 11, total_tokens: 11 } }),
  );
};

describe('ResponseScanner agrees with the JSON.parse path', () => {
  it('on simulator responses, float and base64, split at every byte', () => {
    const texts = ['alpha beta', 'gamma', 'alpha beta'];
    for (const encoding of ['float', 'base64'] as const) {
      const body = simulated(texts, 6, encoding);
      expectSameEverySplit(body, texts);
      expectSameEverySplit(body, ['a', 'b', 'c']); // identical vectors for different inputs
      const facts = scan([body]);
      expect(facts).toMatchObject({
        responseModel: 'Qwen/Qwen3-Embedding-4B',
        promptTokens: 11,
        vectorCount: 3,
        dimension: 6,
        nonJsonNumbers: false,
      });
      expect(duplicateSummaries(facts.vectors, ['a', 'b', 'c'])).toBe(1);
    }
  });

  it('on large simulator responses in random chunkings (64 KiB, small and 1-byte chunks)', () => {
    const texts = Array.from({ length: 16 }, (_, i) => `input number ${i} ${'word '.repeat(i)}`);
    const random = rng(42);
    for (const encoding of ['float', 'base64'] as const) {
      const body = simulated(texts, 2560, encoding, (v) => {
        v[3] = v[1]!; // a duplicate
        v[5]!.fill(0);
        v[6] = v[6]!.map((x) => x * 3);
        v[7]![100] = NaN; // "NaN" would not survive JSON.stringify: base64 only
      });
      const sixtyFour: Buffer[] = [];
      for (let o = 0; o < body.length; o += 65536) sixtyFour.push(body.subarray(o, o + 65536));
      expectSame(body, sixtyFour, texts);
      for (let k = 0; k < 6; k++) expectSame(body, randomChunks(body, random, 200), texts);
      expectSame(
        body,
        split(
          body,
          Array.from({ length: 3000 }, (_, i) => i + 1),
        ),
        texts,
      ); // 1-byte chunks, then the rest
      const anomalies = scan(sixtyFour).vectors.map((v) => summaryAnomalies(v, band));
      expect(anomalies[5]).toEqual(['zero_vector']);
      expect(anomalies[6]).toEqual(['norm_out_of_range']);
      expect(anomalies[7]).toEqual(encoding === 'base64' ? ['nan_component'] : ['null_component']); // JSON.stringify writes NaN as null
    }
  });

  it.each([
    ['null component', '[0.6,null,0.8]', ['null_component']],
    ['bare NaN (Python json.dumps)', '[NaN,0.6,0.8]', ['nan_component']],
    ['bare Infinity', '[0.6,Infinity]', ['inf_component']],
    ['bare -Infinity', '[ -Infinity , 0.6 ]', ['inf_component']],
    ['the string "NaN"', '["NaN",0.6]', ['nan_component']],
    ['the strings "Infinity" and "-Infinity"', '["Infinity","-Infinity"]', ['inf_component']],
    ['an escaped "NaN" string', '["\\u004eaN",0.8]', ['nan_component']],
    ['a number that overflows to Infinity', '[1e400,0.6]', ['inf_component']],
    ['a number that overflows to -Infinity', '[-17976931348623159e292,0.6]', ['inf_component']],
    ['the largest double (finite)', '[1.7976931348623157e308]', ['norm_out_of_range']],
    ['null, NaN and Infinity together', '[null,NaN,Infinity,"x"]', ['null_component', 'nan_component', 'inf_component']],
    ['other strings, booleans, nested values as null', '["0.6",true,false,{"a":[1]},[0.6,0.8]]', ['null_component']],
    ['all zeros', '[0,0.0,-0,0e5,-0.0E-3]', ['zero_vector']],
    ['underflow to zero', '[1e-400,0.0]', ['zero_vector']],
    ['a subnormal whose square underflows: not zero, norm 0', '[1e-400,4e-324]', ['norm_out_of_range']],
    ['a subnormal component', '[5e-324,1]', []],
    ['too long', '[3,4]', ['norm_out_of_range']],
    ['too short', '[0.1,0.1]', ['norm_out_of_range']],
    ['healthy, exponent forms', '[6E-1,8.0e-1,0e0]', []],
    ['healthy, long mantissas', '[0.60000000000000000000000000000000000001,0.79999999999999999999999999999999999999]', []],
    ['healthy, big integer part', '[600000000000000000000000e-24,0.0000000000000000000000008e24]', []],
    ['empty vector', '[]', ['zero_vector']],
  ])('flags %s', (_name, vector, kinds) => {
    const body = `{"data":[{"embedding":${vector}},{"embedding":[0.8,0.6]}],"model":"m"}`;
    expectSameEverySplit(body);
    expect(summaryAnomalies(scan([Buffer.from(body)]).vectors[0]!, band)).toEqual(kinds);
  });

  it('flags NaN, Infinity and zero inside base64 float32', () => {
    for (const values of [
      [NaN, 1],
      [0.6, -Infinity],
      [0, 0, 0],
      [0.6, 0.8],
      [3, 4],
    ]) {
      const b64 = toBase64(new Float32Array(values));
      expectSameEverySplit(`{"data":[{"embedding":"${b64}"}]}`);
      expect(summaryAnomalies(scan([Buffer.from(`{"data":[{"embedding":"${b64}"}]}`)]).vectors[0]!, band)).toEqual(
        vectorAnomalies(b64, band),
      );
    }
  });

  it('reads base64 with escapes, odd padding and non-ASCII as JSON.parse + Buffer.from do', () => {
    const b64 = toBase64(new Float32Array([0.6, 0.8, 0.25, -1]));
    for (const s of [
      b64.replace(/\//g, '\\/'),
      b64.replace('=', ''),
      `${b64}==`,
      `${b64.slice(0, 8)}\\u0041${b64.slice(9)}`,
      `${b64.slice(0, 8)}é${b64.slice(8)}`,
      `${b64.slice(0, 5)} ${b64.slice(5)}`,
      '',
      '=',
      'AAAA',
      'AAAAAAA=',
    ]) {
      expectSameEverySplit(`{"data":[{"embedding":"${s}"},{"embedding":"${b64}"}]}`, ['x', 'y']);
    }
  });

  it('sets nonJsonNumbers for bare NaN/Infinity in any array, and only there', () => {
    expectSameEverySplit('{"data":[{"embedding":[NaN,Infinity,-Infinity]}],"extra":[NaN]}');
    expectSameEverySplit('{"data":[NaN,{"embedding":[1]}]}');
    expectSameEverySplit('[NaN]');
    expect(scan([Buffer.from('{"extra":[[-Infinity]]}')]).nonJsonNumbers).toBe(true);
    expect(scan([Buffer.from('{"data":[{"embedding":["NaN"]}]}')]).nonJsonNumbers).toBe(false);
    for (const bad of [
      '{"a":NaN}',
      '{"data":[{"embedding":NaN}]}',
      'NaN',
      '[-NaN]',
      '[+Infinity]',
      '[Infinit]',
      '[NaNa]',
      '[Infinity1]',
      '[nan]',
    ]) {
      expectSameEverySplit(bad);
      expect(() => scan([Buffer.from(bad)]), bad).toThrow();
    }
  });

  it('decodes escaped and unicode strings (model names, keys)', () => {
    const model = 'mødel "quoted" \\ back/slash \u2028 😀 \u0001 tab\t';
    expectSameEverySplit(JSON.stringify({ model, data: [{ embedding: [1] }] }));
    expectSameEverySplit(
      '{"mod\\u0065l":"\\ud83d\\ude00 \\u00e9\\/\\b\\f\\n\\r\\t","d\\u0061ta":[{"embe\\u0064ding":[0.6,0.8]}],"\\u0075sage":{"prompt_\\u0074okens":4}}',
    );
    expectSameEverySplit('{"model":"\\ud800 lone surrogate","data":[]}');
    expect(scan([Buffer.from(JSON.stringify({ model, data: [] }))]).responseModel).toBe(model);
    // Invalid UTF-8 is replaced as Buffer#toString does.
    expectSameEverySplit(Buffer.concat([Buffer.from('{"model":"a'), Buffer.from([0xe2, 0x82, 0xff, 0xc3]), Buffer.from('","data":[]}')]));
  });

  it('skips unknown keys and nested values, whatever their shape and the key order', () => {
    expectSameEverySplit(
      '{"meta":{"data":[{"embedding":[1,2,3]}],"model":"nested","usage":{"prompt_tokens":99}},"x":[[[]],{},[{"embedding":[1]}]],' +
        '"usage":{"total_tokens":5,"detail":{"prompt_tokens":77},"prompt_tokens":5},"data":[{"index":0,"extra":{"embedding":[9]},"embedding":[0.6,0.8],"object":"embedding"},' +
        '{"embedding":[0.6,0.8,0],"nested":[[1,[2,[3]]],{"k":"v"}]}],"object":"list","model":"outer"}',
    );
    expectSameEverySplit(' \r\n\t{ "data" :\n[ { "embedding" : [ 0.6 ,\t0.8 ] } ] , "model" : "m" } \n');
    expectSameEverySplit(JSON.stringify({ data: [{ embedding: [0.6, 0.8] }], model: 'm', usage: { prompt_tokens: 2 } }, null, 2));
  });

  it.each([
    ['missing', '{"data":[]}'],
    ['null', '{"usage":null}'],
    ['a number', '{"usage":5}'],
    ['an array', '{"usage":[{"prompt_tokens":5}]}'],
    ['prompt_tokens a string', '{"usage":{"prompt_tokens":"12"}}'],
    ['prompt_tokens a float', '{"usage":{"prompt_tokens":12.5}}'],
    ['prompt_tokens an integral float', '{"usage":{"prompt_tokens":12.0}}'],
    ['prompt_tokens in exponent form', '{"usage":{"prompt_tokens":1.2e1}}'],
    ['prompt_tokens negative', '{"usage":{"prompt_tokens":-3}}'],
    ['prompt_tokens negative zero', '{"usage":{"prompt_tokens":-0}}'],
    ['prompt_tokens huge', '{"usage":{"prompt_tokens":1e400}}'],
    ['prompt_tokens null', '{"usage":{"prompt_tokens":null}}'],
    ['prompt_tokens zero', '{"usage":{"prompt_tokens":0}}'],
  ])('reads usage when %s', (_name, body) => {
    expectSameEverySplit(body);
  });

  it('lets the last of duplicate keys win, as JSON.parse does', () => {
    expectSameEverySplit('{"model":"a","model":"b","usage":{"prompt_tokens":3},"usage":{"prompt_tokens":4,"prompt_tokens":5}}');
    expectSameEverySplit('{"model":"a","model":null,"usage":{"prompt_tokens":3},"usage":null}');
    expectSameEverySplit('{"data":[{"embedding":[1]},{"embedding":[1]}],"data":[{"embedding":[0.6,0.8]}]}');
    expectSameEverySplit('{"data":[{"embedding":[1]}],"data":{}}');
    expectSameEverySplit(
      '{"data":[{"embedding":[1,2],"embedding":[0.6,0.8]},{"embedding":[1],"embedding":null},{"embedding":null,"embedding":"AACAPw=="}]}',
    );
  });

  it.each([
    ['an array', '[{"embedding":[1]}]'],
    ['a string', '"data"'],
    ['a number', '5'],
    ['true', 'true'],
    ['null (throws, like the JSON.parse path)', 'null'],
    ['data not an array', '{"data":{"embedding":[1]}}'],
    ['items that are not objects', '{"data":[null,1,"x",[1],true,{"embedding":[0.6,0.8]}]}'],
    ['embeddings that are not vectors', '{"data":[{"embedding":null},{"embedding":5},{"embedding":{"a":1}},{"embedding":true},{}]}'],
  ])('handles a body that is %s', (_name, body) => {
    expectSameEverySplit(body);
  });

  it('throws on malformed or truncated bodies wherever they are cut', () => {
    const malformed = [
      '',
      ' ',
      '{',
      '}',
      '{"data":[1,]}',
      '{"data":[,1]}',
      '{,}',
      '{"a":1,}',
      '{"a" 1}',
      '{"a":1 "b":2}',
      '{a:1}',
      "{'a':1}",
      '{"a":01}',
      '{"a":1.}',
      '{"a":.5}',
      '{"a":+1}',
      '{"a":-}',
      '{"a":1e}',
      '{"a":1e+}',
      '{"a":--1}',
      '{"a":1.2.3}',
      '{"a":0x10}',
      '{"a":"\u0001"}',
      '{"a":"tab\there"}',
      '{"a":"\\x"}',
      '{"a":"\\u12G4"}',
      '{"a":"\\u12"}',
      '{"a":"\\u123"}',
      '{"a":"\\u123x"}',
      '{"\\u00e":1}',
      '{"a":"unterminated}',
      '{"a":nul}',
      '{"a":tru}',
      '{"a":nulll}',
      '{"a":1}}',
      '{"a":1}]',
      '{"a":[1}',
      '{"a":{"b":1]}',
      '{} {}',
      '{}x',
      '\ufeff{}',
      '{"data":[{"embedding":[0.1,0.2]}] "model":"m"}',
      '{"data":[{"embedding":[0.1 0.2]}]}',
      '{"data":[{"embedding":[0.1,-]}]}',
      '{"data":[{"embedding":[1.5e]}]}',
      '{"data":[{"embedding":[00.5]}]}',
      '{"data":[{"embedding":[0.5x]}]}',
    ];
    for (const bad of malformed) {
      expect(() => inspectEmbeddingsResponse(Buffer.from(bad)), bad).toThrow();
      expectSameEverySplit(bad);
    }
    // Every strict prefix of a valid body is truncated JSON.
    const body = Buffer.from('{"data":[{"embedding":[0.6,-8e-1,NaN,"NaN",null]}],"model":"m\\u00e9","usage":{"prompt_tokens":12}}');
    expectSameEverySplit(body);
    for (let n = 0; n < body.length; n++) expect(() => scan(split(body.subarray(0, n), [n >> 1])), String(body.subarray(0, n))).toThrow();
  });

  it('agrees on random documents: key order, junk, whitespace, number formats, anomalies, chunkings', () => {
    for (let seed = 1; seed <= 400; seed++) {
      const random = rng(seed);
      const { text, inputs } = randomDocument(random);
      const body = Buffer.from(text);
      for (let k = 0; k < 4; k++) expectSame(body, randomChunks(body, random, 12), inputs);
    }
  });

  it('agrees on randomly damaged documents (throws exactly when the JSON.parse path throws)', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const random = rng(seed * 7919);
      const body = Buffer.from(randomDocument(random).text);
      const at = Math.floor(random() * body.length);
      const kind = random();
      const damaged =
        kind < 0.3
          ? body.subarray(0, at)
          : kind < 0.6
            ? Buffer.concat([body.subarray(0, at), body.subarray(at + 1)])
            : Buffer.concat([
                body.subarray(0, at),
                Buffer.from([pick(random, [0x22, 0x2c, 0x5d, 0x7d, 0x5c, 0x30, 0x2e, 0x65, 0x2d, 0x20, 0x0a, 0x01, 0x4e])]),
                body.subarray(at),
              ]);
      // Health off may accept a byte inserted into or removed from an embedding array's numbers
      // (the documented relaxation); only such damage.
      const byte = kind < 0.3 ? -1 : kind < 0.6 ? body[at]! : damaged[at]!;
      const relaxed =
        byte >= 0 && countable(byte) && embeddingSpans(body).some(([open, close]) => open < at && (kind < 0.6 ? at < close : at <= close));
      for (let k = 0; k < 3; k++) expectSame(damaged, randomChunks(damaged, random, 8), undefined, false, relaxed ? body : undefined);
    }
  });

  it('keys duplicates by value: identical vectors share a key, -0 equals 0, different vectors differ', () => {
    const vs = (...xs: string[]) => `{"data":[${xs.map((x) => `{"embedding":${x}}`).join(',')}]}`;
    const keys = (body: string) => scan([Buffer.from(body)]).vectors.map((v: VectorSummary) => v.key);
    const [a, b, c, d, e, f] = keys(vs('[0.6,0.8]', '[0.6,0.8]', '[0.6,-0]', '[0.6,0]', '[0.8,0.6]', '[0.6,0.8,0]'));
    expect(a).toBe(b);
    expect(c).toBe(d);
    expect(new Set([a, c, e, f]).size).toBe(4);
    const [n1, n2, i1, i2, i3] = keys(vs('[NaN]', '["NaN"]', '[Infinity]', '["Infinity"]', '[1e999]'));
    expect(n1).toBe(n2);
    expect(i1).toBe(i2);
    expect(i2).toBe(i3);
    const [s1, s2, s3] = keys(vs('[[1,2]]', '[[1,3]]', '[[1,2]]'));
    expect(s1).not.toBe(s2);
    expect(s1).toBe(s3);
    // 1000 random vectors that differ in one component by one ulp: no collision.
    const random = rng(5);
    const base = Array.from({ length: 64 }, () => random() - 0.5);
    const variants = Array.from({ length: 1000 }, (_, i) => {
      const v = [...base];
      const k = i % 64;
      const f64 = new Float64Array([v[k]!]);
      new BigInt64Array(f64.buffer)[0]! += BigInt(1 + Math.floor(i / 64));
      v[k] = f64[0]!;
      return JSON.stringify(v);
    });
    expect(new Set(keys(vs(...variants))).size).toBe(new Set(variants).size);
  });

  it('computes sumSq within 1e-12 of JSON.parse for numbers in every notation', () => {
    const random = rng(99);
    for (let k = 0; k < 3000; k++) {
      const x = (random() - 0.5) * 10 ** Math.floor(random() * 40 - 20);
      const t = numberText(x, random);
      const { vectors } = scan([Buffer.from(`{"data":[{"embedding":[${t}]}]}`)]);
      const ref = JSON.parse(t) as number;
      const got = vectors[0]!.sumSq;
      if (ref * ref === 0) expect(got, t).toBe(0);
      else expect(Math.abs(got - ref * ref) / (ref * ref), t).toBeLessThan(1e-12);
    }
  });

  it('stops at maxBytes and never throws from push', () => {
    const scanner = new ResponseScanner({ health: true, maxBytes: 10 });
    scanner.push(Buffer.from('{"data":'));
    expect(scanner.overflowed).toBe(false);
    scanner.push(Buffer.from('[{"embedding":[1]}]}'));
    expect(scanner.overflowed).toBe(true);
    expect(() => scanner.finish()).toThrow(/larger than 10 bytes/);
    const broken = new ResponseScanner({ health: true });
    expect(() => broken.push(Buffer.from('{"a":x'))).not.toThrow();
    expect(() => broken.push(Buffer.from('more'))).not.toThrow();
    expect(() => broken.finish()).toThrow(SyntaxError);
  });

  it('keys float components by their text: one double spelled two ways is two keys (unlike Array#join)', () => {
    // Servers write each double one way, so this never splits a real duplicate; it keeps the key
    // exact without correctly rounded parsing. Zero in any spelling and NaN/Infinity stay one key.
    const body = Buffer.from('{"data":[{"embedding":[0.6,0.8]},{"embedding":[0.60,8e-1]},{"embedding":[-0.0,0e3]},{"embedding":[0,0]}]}');
    expect(duplicateVectors(inspectEmbeddingsResponse(body).embeddings, ['a', 'b', 'c', 'd'])).toBe(2);
    expect(duplicateSummaries(scan([body]).vectors, ['a', 'b', 'c', 'd'])).toBe(1);
  });

  it('reads the model even where the JSON.parse path breaks it (NaN-quoting inside strings)', () => {
    // The JSON.parse path quotes bare NaN with a regex that also rewrites string contents.
    const body = Buffer.from('{"model":"odd,NaN]name","data":[{"embedding":[NaN,0.6]}]}');
    expect(() => inspectEmbeddingsResponse(body)).toThrow();
    expect(scan([body])).toMatchObject({ responseModel: 'odd,NaN]name', nonJsonNumbers: true, vectorCount: 1 });
  });
});

describe('ResponseScanner with health off (counting float components)', () => {
  const dims = (chunks: Buffer[]) => scan(chunks, false).vectors.map((v) => v.dimension);
  /** The body's bytes in fresh buffers at every start offset mod 4 (aligned and unaligned views). */
  const shifted = (chunks: Buffer[], shift: number) =>
    chunks.map((c) => {
      const b = Buffer.from(new ArrayBuffer(c.length + 8), shift, c.length);
      c.copy(b);
      return b;
    });

  it('counts components at every 2-way and 3-way split of a small body, whitespace and empty arrays included', () => {
    const body = Buffer.from(
      '{"data":[{"embedding":[0.1,-2.5e-3, 3 ,\n\t4E+2,0,-0.75,12345678.123456789]},{"embedding":[]},{"embedding":[ \r\n ]},' +
        '{"embedding":[7]},{"embedding":[ 1.5 , 2 ]},{"embedding":[\n  -1,\n  2,\n  3\n]}],"model":"m"}',
    );
    const want = [7, 0, 0, 1, 2, 3];
    expect(dims([body])).toEqual(want);
    expectSameEverySplit(body);
    for (let p = 0; p <= body.length; p++) {
      for (let q = p; q <= body.length; q += 3) expect(dims(split(body, [p, q])), `${p} ${q}`).toEqual(want);
      for (let shift = 1; shift < 4; shift++) expect(dims(shifted(split(body, [p]), shift)), `${p} shift ${shift}`).toEqual(want);
    }
  });

  it('counts large bodies in random chunkings, compact and pretty-printed, aligned or not', () => {
    const texts = Array.from({ length: 8 }, (_, i) => `text ${i}`);
    const random = rng(7);
    const compact = simulated(texts, 1536, 'float', (v) => {
      v[2] = v[2]!.subarray(0, 1000);
      v[4] = new Float32Array(0);
      v[5] = v[5]!.map((x, k) => (k % 7 === 0 ? x * 1e-6 : x)); // exponent forms
    });
    const pretty = Buffer.from(JSON.stringify(JSON.parse(compact.toString()), null, 2));
    const want = [1536, 1536, 1000, 1536, 0, 1536, 1536, 1536];
    for (const body of [compact, pretty]) {
      expect(dims([body])).toEqual(want);
      for (let k = 0; k < 20; k++) {
        const chunks = randomChunks(body, random, k < 10 ? 40 : 2000);
        expect(dims(chunks)).toEqual(want);
        expect(dims(shifted(chunks, k % 4))).toEqual(want);
      }
      expectSame(body, randomChunks(body, random, 100), texts);
    }
  });

  it('reads non-number components exactly (flags, nesting, strings) and resumes counting after them', () => {
    const vector = '[0.1,null,0.2,NaN,0.3,"NaN",[1,2],{"a":[3]},true,-Infinity,0.5,"x,y]",1e-7,2E+3,0.4]';
    const body = Buffer.from(`{"data":[{"embedding":${vector}},{"embedding":[0.6,0.8]}]}`);
    expectSameEverySplit(body);
    for (let p = 0; p <= body.length; p++) {
      const [v, w] = scan(split(body, [p]), false).vectors;
      expect(v, String(p)).toMatchObject({ dimension: 15, nulls: true, nan: true, inf: true, key: undefined });
      expect(w, String(p)).toMatchObject({ dimension: 2, nulls: false, nan: false, inf: false });
    }
    expect(scan([body], false).nonJsonNumbers).toBe(true);
  });

  it('leaves the numbers between counted commas unvalidated (the documented relaxation)', () => {
    const wrap = (v: string) => Buffer.from(`{"data":[{"embedding":${v}}],"model":"m"}`);
    // JSON.parse and health on reject these; health off counts commas (single chunk).
    for (const [vector, dim] of [
      ['[1,,2]', 3],
      ['[1.2.3,4]', 2],
      ['[1 2,3]', 2],
      ['[01,2]', 2],
      ['[0.5-,1,2]', 3],
    ] as const) {
      const body = wrap(vector);
      expect(() => inspectEmbeddingsResponse(body), vector).toThrow();
      expect(() => scan([body]), vector).toThrow();
      expect(dims([body]), vector).toEqual([dim]);
      // Split elsewhere the bad element may be the last of a chunk (read exactly): throw or count.
      for (let p = 0; p <= body.length; p++) {
        let got: number[] | undefined;
        try {
          got = dims(split(body, [p]));
        } catch {
          continue;
        }
        expect(got, `${vector} split at ${p}`).toEqual([dim]);
      }
    }
    // An overflowing number is counted, not read: no inf flag with health off (health on has it).
    expect(scan([wrap('[1e400,0.5]')], false).vectors[0]).toMatchObject({ dimension: 2, inf: false });
    expect(scan([wrap('[1e400,0.5]')]).vectors[0]).toMatchObject({ dimension: 2, inf: true });
    // Still exact with health off: the first and last element, nesting, letters, strings, outside data.
    for (const bad of ['[,1]', '[1,]', '[1 2]', '[1,x,2]', '[1,nul,2]', '[1,[2,3]', '[1,2}', '[1,"a,2]', '[1,2', '[1,2.]', '[1,-]']) {
      for (let p = 0; p <= wrap(bad).length; p++) expect(() => scan(split(wrap(bad), [p]), false), `${bad} split at ${p}`).toThrow();
    }
    expect(() => scan([Buffer.from('{"data":[{"embedding":[1]}],"extra":[1,,2]}')], false)).toThrow();
    expect(() => scan([Buffer.from('{"data":[{"x":[1,,2],"embedding":[1]}]}')], false)).toThrow();
  });
});

/** Bytes health-off counting accepts between commas unread: all but '"', ']' and bit-6 bytes other than e/E. */
const countable = (c: number) => c !== 0x22 && c !== 0x5d && ((c & 0x40) === 0 || (c | 0x20) === 0x65);

/** [open, close] byte offsets of every data[*].embedding array of a valid body (bare NaN etc. allowed). */
function embeddingSpans(body: Buffer): [number, number][] {
  const spans: [number, number][] = [];
  let i = 0;
  const skip = () => {
    while (body[i] === 0x20 || body[i] === 0x0a || body[i] === 0x0d || body[i] === 0x09) i++;
  };
  const string = (): string => {
    const from = i++;
    while (body[i] !== 0x22) i += body[i] === 0x5c ? 2 : 1;
    i++;
    return JSON.parse(body.toString('utf8', from, i)) as string;
  };
  const value = (role: 'top' | 'data' | 'item' | 'emb' | 'other'): void => {
    skip();
    const c = body[i];
    if (c === 0x7b) {
      i++;
      skip();
      if (body[i] === 0x7d) {
        i++;
        return;
      }
      for (;;) {
        skip();
        const key = string();
        skip();
        i++; // ':'
        value(role === 'top' && key === 'data' ? 'data' : role === 'item' && key === 'embedding' ? 'emb' : 'other');
        skip();
        if (body[i++] === 0x7d) return;
      }
    }
    if (c === 0x5b) {
      const open = i++;
      skip();
      if (body[i] === 0x5d) i++;
      else
        for (;;) {
          value(role === 'data' ? 'item' : 'other');
          skip();
          if (body[i++] === 0x5d) break;
        }
      if (role === 'emb') spans.push([open, i - 1]);
      return;
    }
    if (c === 0x22) {
      string();
      return;
    }
    while (i < body.length && /[-+.\w]/.test(String.fromCharCode(body[i]!))) i++;
  };
  value('top');
  return spans;
}

// ---- random documents ----

function pick<T>(random: () => number, xs: readonly T[]): T {
  return xs[Math.floor(random() * xs.length)]!;
}

const ws = (random: () => number) => (random() < 0.8 ? '' : pick(random, [' ', '\n  ', '\t', '\r\n', '  ']));

function numberText(x: number, random: () => number): string {
  const r = random();
  if (r < 0.5 || !Number.isFinite(x)) return String(x);
  if (r < 0.65) return x.toExponential(Math.floor(random() * 17));
  if (r < 0.75)
    return x
      .toExponential(Math.floor(random() * 17))
      .replace('e', 'E')
      .replace('E+', random() < 0.5 ? 'E' : 'E+');
  if (r < 0.85 && Math.abs(x) < 1e21) return x.toFixed(Math.floor(random() * 25));
  if (r < 0.95) return x.toPrecision(1 + Math.floor(random() * 21));
  if (Math.abs(x) < 1e14) return `${x < 0 ? '-' : ''}${Math.round(Math.abs(x) * 1e6)}e-6`;
  return String(x);
}

/** A JSON string literal for s, with some characters escaped at random (\\uXXXX or short forms). */
/** One server's number formatting (a document uses one, so one double is always one text). */
function numberFormat(random: () => number): (x: number) => string {
  const r = random();
  const digits = Math.floor(random() * 17);
  const fixed = Math.floor(random() * 25);
  const precision = 1 + Math.floor(random() * 21);
  const plus = random() < 0.5;
  if (r < 0.5) return String;
  if (r < 0.65) return (x) => x.toExponential(digits);
  if (r < 0.75)
    return (x) =>
      x
        .toExponential(digits)
        .replace('e', 'E')
        .replace('E+', plus ? 'E+' : 'E');
  if (r < 0.85) return (x) => (Math.abs(x) < 1e21 ? x.toFixed(fixed) : String(x));
  if (r < 0.95) return (x) => x.toPrecision(precision);
  return (x) => (Math.abs(x) < 1e14 ? `${x < 0 ? '-' : ''}${Math.round(Math.abs(x) * 1e6)}e-6` : String(x));
}

function stringText(s: string, random: () => number): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    const code = s.charCodeAt(i);
    if (ch === '"' || ch === '\\' || code < 0x20 || random() < 0.05) {
      const short = JSON.stringify(ch).slice(1, -1);
      const hex = code.toString(16).padStart(4, '0');
      out += short.length === 2 && short[0] === '\\' && random() < 0.5 ? short : `\\u${random() < 0.5 ? hex : hex.toUpperCase()}`;
    } else out += ch;
  }
  return `${out}"`;
}

function junk(random: () => number, depth: number): string {
  const r = random();
  if (depth > 3 || r < 0.3)
    return pick(random, [
      'null',
      'true',
      'false',
      '0',
      '-1.5e3',
      '12',
      stringText(pick(random, ['', 'x', 'embedding', 'data', 'é😀"\\\n', 'model']), random),
    ]);
  if (r < 0.6) {
    const n = Math.floor(random() * 4);
    return `[${ws(random)}${Array.from({ length: n }, () => junk(random, depth + 1)).join(`${ws(random)},${ws(random)}`)}${ws(random)}]`;
  }
  const n = Math.floor(random() * 4);
  const keys = ['embedding', 'data', 'model', 'usage', 'prompt_tokens', 'x', ''];
  return `{${ws(random)}${Array.from({ length: n }, () => `${stringText(pick(random, keys), random)}${ws(random)}:${ws(random)}${junk(random, depth + 1)}`).join(`${ws(random)},${ws(random)}`)}${ws(random)}}`;
}

function object(random: () => number, members: [string, string][]): string {
  // Shuffle the key order.
  for (let i = members.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [members[i], members[j]] = [members[j]!, members[i]!];
  }
  return `{${ws(random)}${members.map(([k, v]) => `${stringText(k, random)}${ws(random)}:${ws(random)}${v}`).join(`${ws(random)},${ws(random)}`)}${ws(random)}}`;
}

function randomDocument(random: () => number): { text: string; inputs: string[] } {
  const count = Math.floor(random() * 6);
  const dims = 1 + Math.floor(random() * 12);
  const base64 = random() < 0.25;
  const format = numberFormat(random);
  const pool: string[] = []; // earlier vectors, to repeat as duplicates
  const inputs: string[] = [];
  const items: string[] = [];
  for (let i = 0; i < count; i++) {
    inputs.push(random() < 0.2 && i > 0 ? inputs[i - 1]! : `input ${i}`);
    let embedding: string;
    if (pool.length > 0 && random() < 0.2) embedding = pick(random, pool);
    else {
      const scale = pick(random, [1, 1, 1, 3, 0.1, 0]);
      const v = simulatedVector(`v${random()}`, random() < 0.1 ? dims + 1 : dims, 3).map((x) => x * scale);
      if (base64) {
        if (random() < 0.1) v[0] = pick(random, [NaN, Infinity, -Infinity]);
        embedding = stringText(toBase64(v), random);
      } else {
        const parts = Array.from(v, format);
        if (random() < 0.25)
          parts[Math.floor(random() * parts.length)] = pick(random, [
            'null',
            'NaN',
            'Infinity',
            '-Infinity',
            '"NaN"',
            '"Infinity"',
            '"-Infinity"',
            '1e999',
            '-1e999',
            'true',
            '"0.5"',
            '[1]',
            '{}',
          ]);
        embedding = `[${ws(random)}${parts.join(`${ws(random)},${ws(random)}`)}${ws(random)}]`;
      }
      pool.push(embedding);
    }
    if (random() < 0.05) embedding = pick(random, ['null', '{}', '5', '"not base64 @@"']);
    const members: [string, string][] = [
      ['object', '"embedding"'],
      ['index', String(i)],
      ['embedding', embedding],
    ];
    if (random() < 0.2) members.push(['extra', junk(random, 0)]);
    if (random() < 0.05) members.pop();
    items.push(random() < 0.05 ? junk(random, 2) : object(random, members));
  }
  const top: [string, string][] = [
    ['object', '"list"'],
    ['data', `[${ws(random)}${items.join(`${ws(random)},${ws(random)}`)}${ws(random)}]`],
  ];
  if (random() < 0.9)
    top.push([
      'model',
      random() < 0.9 ? stringText(pick(random, ['Qwen/Qwen3-Embedding-4B', 'm', 'mødel 😀', 'a"b\\c']), random) : junk(random, 1),
    ]);
  const usage = random();
  if (usage < 0.7)
    top.push(['usage', `{"prompt_tokens":${pick(random, ['12', '0', '7.0', '-1', '"3"', 'null', '1e2', '2.5'])},"total_tokens":12}`]);
  else if (usage < 0.8) top.push(['usage', junk(random, 1)]);
  for (let k = 0; k < 2; k++) if (random() < 0.3) top.push([pick(random, ['meta', 'x', 'embedding', 'prompt_tokens']), junk(random, 0)]);
  if (random() < 0.05) top.push([pick(random, ['model', 'data', 'usage']), junk(random, 1)]); // a duplicate key
  return { text: `${ws(random)}${object(random, top)}${ws(random)}`, inputs };
}

describe('hostile token lengths', () => {
  it('a run of digits longer than 4 KiB across chunks stops the scan (no quadratic re-copying)', () => {
    const scanner = new ResponseScanner({ health: true });
    scanner.push(Buffer.from('{"data":[{"embedding":[1'));
    const digits = Buffer.alloc(64 * 1024, '7');
    const t0 = performance.now();
    for (let i = 0; i < 200; i++) scanner.push(digits); // 12.5 MiB of one "number"
    expect(performance.now() - t0).toBeLessThan(500);
    expect(() => scanner.finish()).toThrow('A number or literal longer than 4096 bytes');
  });
});
