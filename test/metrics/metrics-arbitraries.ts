import fc from 'fast-check';

// Keys and strings without NUL; the 'binary' unit never yields an unpaired surrogate.
// `__proto__` and `constructor` are refused by the JSON parser before any metrics check (tested on their own).
const key = fc
  .string({ unit: 'binary', minLength: 1, maxLength: 40 })
  .filter((k) => !k.includes('\u0000') && k !== '__proto__' && k !== 'constructor');
const text = fc.string({ unit: 'binary', maxLength: 60 }).filter((s) => !s.includes('\u0000'));
const leaf = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer(),
  fc.constantFrom(0, -1, 1e21, 1e-7, Number.MAX_SAFE_INTEGER, Number.MAX_VALUE, Number.MIN_VALUE),
  fc.boolean(),
  text,
);

function tree(levels: number): fc.Arbitrary<Record<string, unknown>> {
  const child =
    levels <= 1 ? leaf : fc.oneof({ arbitrary: leaf, weight: 3 }, { arbitrary: tree(levels - 1), weight: 1 });
  return fc.dictionary(key, child, { maxKeys: 5 });
}

function countKeys(node: Record<string, unknown>): number {
  return Object.values(node).reduce<number>(
    (sum, value) =>
      sum + 1 + (typeof value === 'object' && value !== null ? countKeys(value as Record<string, unknown>) : 0),
    0,
  );
}

/** Metrics objects within the default limits: up to 6 levels (metrics counted), at most 1000 keys. */
export const validMetrics = tree(6).filter((metrics) => countKeys(metrics) <= 1000);
