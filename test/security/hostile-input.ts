import fc from 'fast-check';

/** Strings that have broken parsers, databases and renderers before. */
const NASTY_STRINGS = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\uFEFF',
  '\u202E',
  '\uD800',
  '\uDFFF',
  '🦄'.repeat(50),
  'é'.normalize('NFD'),
  "' OR '1'='1",
  "'; drop table users; --",
  '$1',
  '%s%s%s%n',
  '../../../../etc/passwd',
  '..%2F..%2Fetc%2Fpasswd',
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(1)>',
  'javascript:alert(1)',
  '//evil.example/',
  'https://evil.example/',
  '{{7*7}}',
  '${7*7}',
  'NaN',
  'Infinity',
  '-1',
  '1e309',
  '9'.repeat(40),
  '00000000-0000-0000-0000-000000000000',
  'agt_000000_' + 'A'.repeat(43),
  'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.',
  'x'.repeat(5000),
];

const nastyString = () => fc.oneof(fc.constantFrom(...NASTY_STRINGS), fc.string({ unit: 'binary', maxLength: 40 }));

const scalar = () =>
  fc.oneof(
    nastyString(),
    fc.integer(),
    fc.double(),
    fc.constantFrom(0, -0, -1, 2 ** 31, 2 ** 53 + 1, Number.MAX_VALUE, true, false, null),
  );

/** A path segment: ids of real things of other callers, malformed ids, traversal, encoded nulls. */
export const pathSegment = () =>
  fc.oneof(fc.uuid(), fc.constantFrom('x', '0', '-1', '..', '%00', 'null', 'undefined', '__proto__'), nastyString());

export const queryValue = () =>
  fc.oneof(nastyString(), fc.integer().map(String), fc.constantFrom('true', 'false', '2026-11-23T00:00:00Z', '1e999'));

/**
 * A request body: JSON of any shape with the routes' own field names as keys (so
 * it reaches past "unknown field" into the rules), wrong types, deep nesting,
 * and prototype-pollution keys.
 */
export function hostileValue(fieldNames: string[]): fc.Arbitrary<unknown> {
  const key = fc.oneof(fc.constantFrom(...fieldNames), fc.string({ maxLength: 12 }));
  const { value } = fc.letrec((tie) => ({
    value: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      scalar(),
      fc.array(tie('value'), { maxLength: 4 }),
      fc.dictionary(key, tie('value'), { maxKeys: 5 }),
    ),
  }));
  return fc.oneof(
    value,
    fc.dictionary(key, value, { minKeys: 1, maxKeys: 8 }),
    // Prototype pollution: parsed from text so "__proto__" is an own key, as it is on the wire.
    fc
      .constantFrom('__proto__', 'constructor')
      .map((k) => JSON.parse(`{"${k}": {"polluted": 1, "isAdmin": true, "prototype": {"polluted": 1}}}`) as unknown),
    // Deep nesting beyond any depth limit.
    fc
      .integer({ min: 20, max: 2000 })
      .map((depth) => JSON.parse('{"a":'.repeat(depth) + '1' + '}'.repeat(depth)) as unknown),
  );
}
