import { describe, expect, it } from 'vitest';
import { toBase64 } from '../../../src/simulator/simulator.ts';
import { DimensionExpectations } from '../../../src/inspect/vector-health.ts';
import { decodeBase64Floats, duplicateVectors, vectorAnomalies } from '../../support/reference-inspect.ts';

const band = { check: true, min: 0.98, max: 1.02 };
const unit = (n: number) => Array.from({ length: n }, (_, i) => (i === 0 ? 1 : 0));

describe('vectorAnomalies', () => {
  it('passes a normalised vector, float or base64', () => {
    expect(vectorAnomalies([0.6, 0.8], band)).toEqual([]);
    expect(vectorAnomalies(toBase64(new Float32Array([0.6, 0.8])), band)).toEqual([]);
  });

  it.each([
    ['null component', [0.6, null], ['null_component']],
    ['NaN recovered from non-JSON output', ['NaN', 0.8], ['nan_component']],
    ['Infinity recovered from non-JSON output', [0.6, '-Infinity'], ['inf_component']],
    ['null and NaN together', [null, 'NaN'], ['null_component', 'nan_component']],
    ['all zeros', [0, 0, 0], ['zero_vector']],
    ['too long', [3, 4], ['norm_out_of_range']],
    ['too short', [0.1, 0.1], ['norm_out_of_range']],
    ['not an array', { a: 1 }, ['null_component']],
  ])('flags %s', (_name, vector, kinds) => {
    expect(vectorAnomalies(vector, band)).toEqual(kinds);
  });

  it('reads NaN and Infinity inside base64 float32', () => {
    expect(vectorAnomalies(toBase64(new Float32Array([NaN, 1])), band)).toEqual(['nan_component']);
    expect(vectorAnomalies(toBase64(new Float32Array([Infinity, 0])), band)).toEqual(['inf_component']);
    expect(vectorAnomalies(toBase64(new Float32Array(8)), band)).toEqual(['zero_vector']);
    expect(Array.from(decodeBase64Floats(toBase64(new Float32Array([0.25, -2]))))).toEqual([0.25, -2]);
  });

  it('skips the norm check when it is off', () => {
    expect(vectorAnomalies([3, 4], { ...band, check: false })).toEqual([]);
  });
});

describe('duplicateVectors', () => {
  it('counts identical vectors for different inputs, not for a repeated input', () => {
    const a = [0.6, 0.8];
    expect(duplicateVectors([a, [...a], [1, 0]], ['x', 'y', 'z'])).toBe(1);
    expect(duplicateVectors([a, [...a]], ['same', 'same'])).toBe(0);
    expect(duplicateVectors([toBase64(new Float32Array(a)), toBase64(new Float32Array(a))], ['x', 'y'])).toBe(1);
    expect(duplicateVectors([a, a], undefined)).toBe(0);
  });
});

describe('DimensionExpectations', () => {
  it('prefers the request, then configuration, then what it learned', () => {
    const d = new DimensionExpectations(new Map([['configured', 1024]]), 2);
    expect(d.expected('configured', undefined)).toBe(1024);
    expect(d.expected('configured', 256)).toBe(256);
    expect(d.expected('new', undefined)).toBeUndefined();
    d.learn('new', 2560);
    expect(d.expected('new', undefined)).toBe(2560);
    d.learn('new', 8); // first healthy answer wins
    expect(d.expected('new', undefined)).toBe(2560);
    d.learn('configured', 8); // configuration is not overwritten
    expect(d.expected('configured', undefined)).toBe(1024);
  });

  it('keeps memory bounded', () => {
    const d = new DimensionExpectations(new Map(), 2);
    for (const m of ['a', 'b', 'c']) d.learn(m, 4);
    expect(['a', 'b', 'c'].map((m) => d.expected(m, undefined))).toEqual([4, 4, undefined]);
  });
});

it('unit helper is normalised', () => expect(vectorAnomalies(unit(2560), band)).toEqual([]));
