import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkMetricsShape, DEFAULT_SHAPE_LIMITS } from '../../src/modules/metrics/metrics-shape.js';
import { validMetrics } from './metrics-arbitraries.js';

/** `{a: {a: ... {value: 1}}}` with `levels` objects, the outermost one included. */
function nested(levels: number): Record<string, unknown> {
  let node: Record<string, unknown> = { value: 1 };
  for (let level = 1; level < levels; level++) node = { a: node };
  return node;
}

function keys(count: number, prefix = 'k'): Record<string, number> {
  return Object.fromEntries(Array.from({ length: count }, (_, i) => [`${prefix}${i}`, i]));
}

function containsArrayOrNull(value: unknown): boolean {
  if (value === null || Array.isArray(value)) return true;
  if (typeof value !== 'object') return false;
  return Object.values(value).some(containsArrayOrNull);
}

describe('checkMetricsShape', () => {
  it('accepts an object of numbers, strings, booleans and nested objects, and an empty object', () => {
    expect(checkMetricsShape({})).toBeUndefined();
    expect(
      checkMetricsShape({ cpu: { usage: 12.5, cores: 8 }, up: true, host: 'web-1', disk: { root: { used: 0.4 } } }),
    ).toBeUndefined();
  });

  it('refuses metrics that are not an object', () => {
    for (const value of [null, undefined, [], [{ a: 1 }], 'cpu', 42, true]) {
      expect(checkMetricsShape(value), JSON.stringify(value)).toBe('metrics must be an object');
    }
  });

  it('accepts six levels of objects (metrics itself counted) and refuses a seventh, naming its path', () => {
    expect(checkMetricsShape(nested(6))).toBeUndefined();
    expect(checkMetricsShape(nested(7))).toBe('metrics.a.a.a.a.a.a is nested deeper than 6 levels');
  });

  it('stops at the depth limit however deep the object goes', () => {
    expect(checkMetricsShape(nested(50_000))).toMatch(/nested deeper than 6 levels$/);
  });

  it('accepts 1000 keys and refuses 1001, counting the keys of nested objects too', () => {
    expect(checkMetricsShape(keys(1000))).toBeUndefined();
    expect(checkMetricsShape(keys(1001))).toBe('metrics has more than 1000 keys');
    const spread = { a: keys(500, 'a'), b: keys(499, 'b') }; // 2 + 500 + 499 keys
    expect(checkMetricsShape(spread)).toBe('metrics has more than 1000 keys');
    expect(checkMetricsShape({ a: keys(500, 'a'), b: keys(498, 'b') })).toBeUndefined();
  });

  it('accepts keys of 1 to 128 characters and refuses empty and longer keys', () => {
    expect(checkMetricsShape({ ['k'.repeat(128)]: 1 })).toBeUndefined();
    expect(checkMetricsShape({ ['k'.repeat(129)]: 1 })).toBe('metrics: key length must be 1-128');
    expect(checkMetricsShape({ cpu: { ['k'.repeat(100_000)]: 1 } })).toBe('metrics.cpu: key length must be 1-128');
    expect(checkMetricsShape({ '': 1 })).toBe('metrics: key length must be 1-128');
  });

  it('accepts strings of up to 4096 characters and refuses longer ones', () => {
    expect(checkMetricsShape({ note: 'x'.repeat(4096) })).toBeUndefined();
    expect(checkMetricsShape({ note: 'x'.repeat(4097) })).toBe('metrics.note is longer than 4096 characters');
  });

  it('refuses NUL in keys and in strings, which jsonb cannot store', () => {
    expect(checkMetricsShape({ 'a\u0000b': 1 })).toBe('metrics: keys may not contain NUL');
    expect(checkMetricsShape({ cpu: { model: 'x\u0000' } })).toBe('metrics.cpu.model may not contain NUL');
  });

  it('refuses unpaired UTF-16 surrogates in keys and strings, and accepts paired ones', () => {
    expect(checkMetricsShape({ label: 'ok \u{1F600}', ['\u{1F4BE}']: 1 })).toBeUndefined();
    expect(checkMetricsShape({ label: 'half \uD83D' })).toBe('metrics.label must be valid Unicode');
    expect(checkMetricsShape({ label: '\uDE00 reversed \uD83D' })).toBe('metrics.label must be valid Unicode');
    expect(checkMetricsShape({ ['\uDC00']: 1 })).toBe('metrics: keys must be valid Unicode');
  });

  it('refuses arrays, null and non-finite numbers inside metrics, naming the path', () => {
    expect(checkMetricsShape({ cpu: { cores: [1, 2] } })).toMatch(/^metrics\.cpu\.cores must be a number, string/);
    expect(checkMetricsShape({ cpu: null })).toMatch(/^metrics\.cpu must be a number, string/);
    expect(checkMetricsShape({ load: Number.NaN })).toBe('metrics.load must be a finite number');
    expect(checkMetricsShape({ load: Number.POSITIVE_INFINITY })).toBe('metrics.load must be a finite number');
    expect(checkMetricsShape({ load: Number.NEGATIVE_INFINITY })).toBe('metrics.load must be a finite number');
  });

  it('refuses values that JSON cannot carry', () => {
    expect(checkMetricsShape({ big: 10n })).toBe('metrics.big has an unsupported type');
    expect(checkMetricsShape({ missing: undefined })).toBe('metrics.missing has an unsupported type');
    expect(checkMetricsShape({ fn: () => 1 })).toBe('metrics.fn has an unsupported type');
  });

  it('applies the limits it is given instead of the defaults', () => {
    const limits = { ...DEFAULT_SHAPE_LIMITS, maxDepth: 2, maxKeys: 3, maxKeyLength: 4, maxStringLength: 5 };
    expect(checkMetricsShape({ a: { b: 1 } }, limits)).toBeUndefined();
    expect(checkMetricsShape({ a: { b: { c: 1 } } }, limits)).toMatch(/deeper than 2 levels/);
    expect(checkMetricsShape({ a: 1, b: 2, c: 3, d: 4 }, limits)).toBe('metrics has more than 3 keys');
    expect(checkMetricsShape({ abcde: 1 }, limits)).toBe('metrics: key length must be 1-4');
    expect(checkMetricsShape({ a: '123456' }, limits)).toBe('metrics.a is longer than 5 characters');
  });

  it('accepts every generated object within the limits (property)', () => {
    fc.assert(
      fc.property(validMetrics, (metrics) => {
        expect(checkMetricsShape(metrics)).toBeUndefined();
      }),
      { numRuns: 300 },
    );
  });

  it('refuses every JSON value that is or contains an array or a null (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        fc.pre(containsArrayOrNull(value));
        expect(checkMetricsShape(value)).toEqual(expect.any(String));
      }),
      { numRuns: 300 },
    );
  });

  it('never throws, whatever it is given (property)', () => {
    fc.assert(
      fc.property(fc.anything({ withBigInt: true, withMap: true, withSet: true, withTypedArray: true }), (value) => {
        const result = checkMetricsShape(value);
        expect(result === undefined || typeof result === 'string').toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
