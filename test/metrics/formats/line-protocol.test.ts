/**
 * InfluxDB line protocol (https://docs.influxdata.com/influxdb/v2/reference/syntax/line-protocol/) and the
 * Telegraf mapping.
 *
 * fixtures/telegraf-standard.lp holds the "Example Output" lines of Telegraf's standard inputs, unchanged, from
 * github.com/influxdata/telegraf:
 *   plugins/inputs/cpu/README.md     (commit 1509fe161422a4951b136186700884d848069ea5)
 *   plugins/inputs/mem/README.md     (commit 0b8e89f7c9bf4ec3ba17109f2b8528aafaaf0ee2)
 *   plugins/inputs/disk/README.md    (commit 0038eabc9da88fcd5dd5f31771df85056f758f25)
 *   plugins/inputs/diskio/README.md  (commit 145045d7b43a966316612864aacc0ca07e1af7ae)
 *   plugins/inputs/net/README.md     (commit 024b2f910b32b988ccd41c9cc8e3196e3cee740d, the Linux block)
 *   plugins/inputs/system/README.md  (commit 08cc62446cdb10da27703467dc303093e67018a8)
 */
import { readFileSync } from 'node:fs';
import { Point } from '@influxdata/influxdb-client';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FormatError } from '../../../src/modules/metrics/formats/ingest-sample.js';
import {
  parseLineProtocol,
  type LinePoint,
  type Precision,
} from '../../../src/modules/metrics/formats/line-protocol.parser.js';
import { hostsOf, linePointsToSamples } from '../../../src/modules/metrics/formats/telegraf.mapping.js';
import { checkMetricsShape } from '../../../src/modules/metrics/metrics-shape.js';

const FIXTURE = readFileSync(new URL('./fixtures/telegraf-standard.lp', import.meta.url), 'utf8');

function parse(text: string, precision: Precision = 'ns'): LinePoint[] {
  return parseLineProtocol(text, precision);
}

function one(text: string, precision: Precision = 'ns'): LinePoint {
  const points = parse(text, precision);
  expect(points).toHaveLength(1);
  return points[0]!;
}

/** The FormatError that parsing `text` throws. */
function failure(text: string, precision: Precision = 'ns', limits?: Parameters<typeof parseLineProtocol>[2]) {
  try {
    parseLineProtocol(text, precision, limits);
  } catch (error) {
    expect(error).toBeInstanceOf(FormatError);
    return error as FormatError;
  }
  throw new Error(`parsed without an error: ${JSON.stringify(text)}`);
}

/** Asserts InfluxDB's message for a one-line body: `unable to parse '<line>': <reason>`, line 1, status 400. */
function expectError(text: string, reason: string) {
  const error = failure(text);
  expect(error.message).toBe(`unable to parse '${text}': ${reason}`);
  expect(error.status).toBe(400);
  expect(error.line).toBe(1);
}

describe('parseLineProtocol: the elements of a line', () => {
  it('reads the measurement, tags, fields and timestamp', () => {
    expect(one('cpu,host=web-1,region=eu usage=12.5,cores=8i 1700000000000000000')).toEqual({
      measurement: 'cpu',
      tags: { host: 'web-1', region: 'eu' },
      fields: { usage: 12.5, cores: 8 },
      timestamp: 1_700_000_000,
      line: 1,
    });
  });

  it('takes a line without tags, and a line without a timestamp (no timestamp property)', () => {
    const point = one('mem used_percent=15.9');
    expect(point).toEqual({ measurement: 'mem', tags: {}, fields: { used_percent: 15.9 }, line: 1 });
    expect('timestamp' in point).toBe(false);
  });

  it('keeps the last value of a field key given twice, as InfluxDB does', () => {
    expect(one('m a=1,b=2,a="three"').fields).toEqual({ a: 'three', b: 2 });
  });

  it('allows several spaces between the sections and trailing spaces after the timestamp or the fields', () => {
    expect(one('m,t=v   a=1    5000000 ').timestamp).toBe(0.005);
    expect(one('m a=1   ').fields).toEqual({ a: 1 });
    expect(one('   m a=1').measurement).toBe('m');
  });

  it('keeps tag and field keys such as __proto__ and constructor as data', () => {
    const point = one('m,__proto__=x,constructor=y __proto__=1,toString=2');
    expect(Object.keys(point.tags)).toEqual(['__proto__', 'constructor']);
    expect(point.tags.__proto__).toBe('x');
    expect(Object.keys(point.fields)).toEqual(['__proto__', 'toString']);
  });
});

describe('parseLineProtocol: escaping', () => {
  it('unescapes commas and spaces in a measurement, and keeps an equals sign and other backslashes as they are', () => {
    expect(one('my\\ cpu\\,total a=1').measurement).toBe('my cpu,total');
    expect(one('a=b\\=c a=1').measurement).toBe('a=b\\=c');
    expect(one('c:\\temp a=1').measurement).toBe('c:\\temp');
  });

  it('unescapes commas, equals signs and spaces in tag keys, tag values and field keys', () => {
    const point = one('m,tag\\ key\\,x\\=y=tag\\ value\\,x\\=y field\\ key\\,x\\=y=1');
    expect(point.tags).toEqual({ 'tag key,x=y': 'tag value,x=y' });
    expect(point.fields).toEqual({ 'field key,x=y': 1 });
  });

  it('keeps a backslash before any other character, so `\\\\,` is a backslash and an escaped comma', () => {
    expect(one('m,path=C:\\Windows\\n a=1').tags.path).toBe('C:\\Windows\\n');
    expect(one('m,t=a\\\\,u a=1').tags).toEqual({ t: 'a\\,u' });
    expect(failure('m,t=a\\\\,u=b a=1').message).toMatch(/invalid tag format$/);
    expect(one('m,t=a\\ b c=1').tags).toEqual({ t: 'a b' });
  });

  it('does not continue a line after a backslash at its end', () => {
    const error = failure('m,t=a\\\nb v=1');
    expect(error.message).toBe("unable to parse 'm,t=a\\': missing fields");
    expect(error.line).toBe(1);
  });

  it('unescapes double quotes and backslashes in string fields, and keeps other backslashes', () => {
    expect(one('m s="say \\"hi\\" \\\\ now"').fields.s).toBe('say "hi" \\ now');
    expect(one('m s="a\\nb\\t\\,"').fields.s).toBe('a\\nb\\t\\,');
  });

  it('keeps commas, spaces, equals signs, a raw newline and unicode inside a quoted string', () => {
    expect(one('m s="a, b=c d",n=1').fields).toEqual({ s: 'a, b=c d', n: 1 });
    expect(one('m s="first\nsecond" 1000000').fields.s).toBe('first\nsecond');
    expect(one('m s="héllo 🌍",e=""').fields).toEqual({ s: 'héllo 🌍', e: '' });
  });
});

const DIGITS = Array.from({ length: 10 }, (_, d) => String(d));

describe('parseLineProtocol: field values', () => {
  it('reads every decimal float and integer exactly as Number() does, short ones on the fast path too (10,000 cases)', () => {
    const digits = (max: number) => fc.string({ unit: fc.constantFrom(...DIGITS), minLength: 1, maxLength: max });
    const decimal = fc
      .tuple(fc.boolean(), digits(12), fc.option(fc.string({ unit: fc.constantFrom(...DIGITS), maxLength: 12 })))
      .map(([negative, whole, fraction]) => `${negative ? '-' : ''}${whole}${fraction === null ? '' : `.${fraction}`}`);
    fc.assert(
      fc.property(decimal, fc.boolean(), (text, integer) => {
        const asInteger = integer && !text.includes('.');
        const { fields } = one(`m v=${text}${asInteger ? 'i' : ''}`);
        expect(Object.is(fields.v, Number(text) + 0)).toBe(true);
      }),
      { numRuns: 10_000 },
    );
  });

  it('reads floats, with or without a fraction, a leading digit or an exponent', () => {
    const cases: [string, number][] = [
      ['1', 1],
      ['-1', -1],
      ['1.5', 1.5],
      ['.5', 0.5],
      ['-.5', -0.5],
      ['1.', 1],
      ['007', 7],
      ['1e3', 1000],
      ['1E-3', 0.001],
      ['1.5e+10', 1.5e10],
      ['-2.5E10', -2.5e10],
      ['1.7976931348623157e308', Number.MAX_VALUE],
      ['1e-400', 0],
      ['-0.0', 0],
    ];
    for (const [text, value] of cases) expect(one(`m v=${text}`).fields.v, text).toBe(value);
  });

  it('refuses what is not a float: NaN and infinities, two dots, a missing exponent, an overflow', () => {
    expectError('m v=NaN', 'invalid number');
    expectError('m v=nan', 'invalid number');
    expectError('m v=-Inf', 'invalid number');
    expectError('m v=Inf', 'invalid boolean');
    expectError('m v=+1', 'invalid boolean');
    expectError('m v=1.2.3', 'invalid number');
    expectError('m v=-', 'invalid number');
    expectError('m v=--1', 'invalid number');
    expectError('m v=.', 'invalid number');
    expectError('m v=0x10', 'invalid number');
    expectError('m v=1x', 'invalid number');
    expectError('m v=1e', 'invalid float');
    expectError('m v=1e+', 'invalid float');
    expectError('m v=1e400', 'invalid float');
    expectError('m v=-1e400', 'invalid float');
  });

  it('reads integers with the i suffix within int64', () => {
    expect(one('m a=0i,b=-42i,c=9007199254740991i').fields).toEqual({ a: 0, b: -42, c: 9007199254740991 });
    expect(one('m v=9223372036854775807i').fields.v).toBe(2 ** 63); // stored as the nearest JS number
    expect(one('m v=-9223372036854775808i').fields.v).toBe(-(2 ** 63));
    expect(one('m v=-0i').fields.v).toBe(0);
  });

  it('refuses integers out of int64 and integers with a fraction, an exponent or two suffixes', () => {
    expectError('m v=9223372036854775808i', 'unable to parse integer 9223372036854775808: value out of range');
    expectError('m v=-9223372036854775809i', 'unable to parse integer -9223372036854775809: value out of range');
    expectError('m v=99999999999999999999i', 'unable to parse integer 99999999999999999999: value out of range');
    expectError('m v=1.5i', 'invalid number');
    expectError('m v=1e3i', 'invalid number');
    expectError('m v=1ii', 'invalid number');
    expectError('m v=1i5', 'invalid number');
    expectError('m v=-i', 'invalid number');
  });

  it('reads unsigned integers with the u suffix within uint64, and refuses negative or larger ones', () => {
    expect(one('m a=0u,b=42u').fields).toEqual({ a: 0, b: 42 });
    expect(one('m v=18446744073709551615u').fields.v).toBe(2 ** 64);
    expect(one('m v=000000000000000000000042u').fields.v).toBe(42);
    expectError('m v=18446744073709551616u', 'unable to parse unsigned 18446744073709551616: value out of range');
    expectError('m v=-1u', 'invalid number');
    expectError('m v=1.0u', 'invalid number');
  });

  it('reads the ten spellings of a boolean and refuses others', () => {
    for (const text of ['t', 'T', 'true', 'True', 'TRUE']) expect(one(`m v=${text}`).fields.v, text).toBe(true);
    for (const text of ['f', 'F', 'false', 'False', 'FALSE']) expect(one(`m v=${text}`).fields.v, text).toBe(false);
    for (const text of ['tRUE', 'yes', 'truee', 'fals', 'x', 'constructor', 'toString', '__proto__'])
      expectError(`m v=${text}`, 'invalid boolean');
  });

  it('refuses a string with no closing quote, or text after its closing quote', () => {
    expectError('m s="open', 'unbalanced quotes');
    expectError('m s="a\\"', 'unbalanced quotes');
    expectError('m s="a"b', 'invalid field format');
  });
});

describe('parseLineProtocol: timestamps', () => {
  it('reads each precision as Unix seconds with millisecond precision', () => {
    expect(one('m v=1 1568760922123456789', 'ns').timestamp).toBe(1568760922.123);
    expect(one('m v=1 1568760922123456', 'us').timestamp).toBe(1568760922.123);
    expect(one('m v=1 1568760922123', 'ms').timestamp).toBe(1568760922.123);
    expect(one('m v=1 1568760922', 's').timestamp).toBe(1568760922);
  });

  it('reads nanoseconds past 2^53 exactly, rounding half away from zero to the millisecond', () => {
    expect(one('m v=1 1568760922123499999').timestamp).toBe(1568760922.123);
    expect(one('m v=1 1568760922123500000').timestamp).toBe(1568760922.124);
    expect(one('m v=1 1568760922999999999').timestamp).toBe(1568760923);
    expect(one('m v=1 499999').timestamp).toBe(0);
    expect(one('m v=1 500000').timestamp).toBe(0.001);
    expect(one('m v=1 -1500000').timestamp).toBe(-0.002);
    expect(one('m v=1 0').timestamp).toBe(0);
    expect(one('m v=1 1500', 'us').timestamp).toBe(0.002);
  });

  it("takes InfluxDB's range (±(2^63 - 2) ns) in every precision and refuses beyond it", () => {
    expect(one('m v=1 9223372036854775806').timestamp).toBe(9223372036.855);
    expect(one('m v=1 -9223372036854775806').timestamp).toBe(-9223372036.855);
    expect(one('m v=1 9223372036', 's').timestamp).toBe(9223372036);
    expect(one('m v=1 9223372036854', 'ms').timestamp).toBe(9223372036.854);
    expect(failure('m v=1 9223372036854775807').message).toMatch(/time outside range/);
    expect(failure('m v=1 99999999999999999999999').message).toMatch(/time outside range/);
    expect(failure('m v=1 9223372037', 's').message).toMatch(/time outside range 9223372037 \(precision s\)$/);
    expect(failure('m v=1 9223372036855', 'ms').message).toMatch(/time outside range/);
    expect(failure('m v=1 9223372036854776', 'us').message).toMatch(/time outside range/);
  });

  it('refuses a timestamp that is not an integer, and anything after the timestamp', () => {
    expectError('m v=1 1.5', 'bad timestamp');
    expectError('m v=1 12a', 'bad timestamp');
    expectError('m v=1 -', 'bad timestamp');
    expectError('m v=1 1e9', 'bad timestamp');
    expectError('m v=1 1 2', 'point is invalid');
  });
});

describe('parseLineProtocol: lines', () => {
  it('reads lines ended by \\n or \\r\\n, with or without a final line break', () => {
    const points = parse('a v=1\nb v=2 1000000\r\nc v=3\r\nd v=t');
    expect(points.map((p) => [p.measurement, p.line, p.fields.v])).toEqual([
      ['a', 1, 1],
      ['b', 2, 2],
      ['c', 3, 3],
      ['d', 4, true],
    ]);
    expect(points[1]!.timestamp).toBe(0.001);
  });

  it('skips blank lines, lines of spaces and tabs, and # comment lines, counting them in line numbers', () => {
    const points = parse('# header\n\n   \n\t\r\n  # indented comment\na v=1\n\n#c v=2\nb v=2\n');
    expect(points.map((p) => [p.measurement, p.line])).toEqual([
      ['a', 6],
      ['b', 9],
    ]);
    expect(parse('')).toEqual([]);
    expect(parse('\n\n# only comments\n')).toEqual([]);
  });

  it('counts the newlines inside a string in the line numbers of the points after it', () => {
    const points = parse('a s="one\ntwo\nthree"\nb v=1');
    expect(points.map((p) => [p.measurement, p.line])).toEqual([
      ['a', 1],
      ['b', 4],
    ]);
    expect(failure('a s="one\ntwo"\nb v=\nc v=1').line).toBe(3);
  });

  it('names the first bad line, 1-based, after good, blank and comment lines', () => {
    const error = failure('cpu v=1\n\n# comment\nmem v=2\r\nmem v=\ndisk v=oops\n');
    expect(error.line).toBe(5);
    expect(error.message).toBe("unable to parse 'mem v=': missing field value");
  });

  it('shows at most 200 characters of a long bad line', () => {
    const line = `m ${'x'.repeat(500)}`;
    const error = failure(line);
    expect(error.message).toBe(`unable to parse '${line.slice(0, 200)}…': invalid field format`);
  });
});

describe('parseLineProtocol: errors', () => {
  it('refuses a missing measurement', () => {
    expectError(',t=v a=1', 'missing measurement');
  });

  it('refuses a line without fields: a measurement alone, with tags, or with a trailing space', () => {
    expectError('cpu', 'missing fields');
    expectError('cpu,host=a', 'missing fields');
    expectError('cpu ', 'missing fields');
    expectError('cpu,host=a   ', 'missing fields');
  });

  it('refuses a missing tag key or value, an unescaped equals sign in a tag value and a repeated tag', () => {
    expectError('cpu, a=1', 'missing tag key');
    expectError('cpu,=v a=1', 'missing tag key');
    expectError('cpu,t a=1', 'missing tag value');
    expectError('cpu,t= a=1', 'missing tag value');
    expectError('cpu,t=,u=v a=1', 'missing tag value');
    expectError('cpu,t=a=b a=1', 'invalid tag format');
    expectError('cpu,t==b a=1', 'invalid tag format');
    expectError('cpu,t=a,t=b a=1', 'duplicate tags');
  });

  it('refuses a missing field key, a field without a value and a field without an equals sign', () => {
    expectError('cpu =1', 'missing field key');
    expectError('cpu a=1,=2', 'missing field key');
    expectError('cpu a=1,', 'missing field key');
    expectError('cpu a=', 'missing field value');
    expectError('cpu a=,b=1', 'missing field value');
    expectError('cpu a= 1', 'missing field value');
    expectError('cpu a', 'invalid field format');
    expectError('cpu a=1,b', 'invalid field format');
    expectError('cpu a=1,b 5', 'invalid field format');
  });

  it("refuses InfluxDB's over-long series keys", () => {
    const error = failure(`m,t=${'v'.repeat(65_535)} a=1`);
    expect(error.message).toMatch(/max key length exceeded: 65539 > 65535$/);
    expect(failure(`m,t=${'v'.repeat(65_520)} ${'f'.repeat(20)}=1`).message).toMatch(/max key length exceeded/);
  });
});

describe('parseLineProtocol: bounds', () => {
  const fieldsLine = (count: number) => `m ${Array.from({ length: count }, (_, i) => `f${i}=1`).join(',')}`;

  it('takes 1000 fields in a line by default and refuses 1001, naming the line', () => {
    expect(Object.keys(one(fieldsLine(1000)).fields)).toHaveLength(1000);
    const error = failure(`ok v=1\n${fieldsLine(1001)}`);
    expect(error.line).toBe(2);
    expect(error.status).toBe(400);
    expect(error.message).toMatch(/: too many fields: a line takes at most 1000$/);
  });

  it('counts a repeated field key towards the bound, and bounds the tags of a line too', () => {
    expect(failure(`m ${Array.from({ length: 1001 }, () => 'a=1').join(',')}`).message).toMatch(/too many fields/);
    const tags = Array.from({ length: 1001 }, (_, i) => `t${i}=v`).join(',');
    expect(failure(`m,${tags} a=1`).message).toMatch(/too many tags: a line takes at most 1000$/);
  });

  it('refuses a 100,000-field line with a FormatError at the first field too many', () => {
    const error = failure(fieldsLine(100_000));
    expect(error.message).toMatch(/too many fields/);
    expect(error.line).toBe(1);
  });

  it('refuses a precision it does not know', () => {
    expect(() => parseLineProtocol('m v=1', 'h' as Precision)).toThrow(new FormatError('invalid precision: h'));
  });

  it('takes its own bounds on fields and lines; too many lines is a 413', () => {
    expect(failure('m a=1,b=2,c=3', 'ns', { maxFieldsPerLine: 2 }).message).toMatch(/at most 2$/);
    expect(parseLineProtocol('a v=1\n# c\n\nb v=2', 'ns', { maxLines: 2 })).toHaveLength(2);
    const error = failure('a v=1\nb v=2\nc v=3', 'ns', { maxLines: 2 });
    expect(error.status).toBe(413);
    expect(error.line).toBe(3);
    expect(error.message).toBe('too many lines: a write takes at most 2 points');
  });

  it('takes 100,000 lines by default and refuses the 100,001st', () => {
    const lines = 'm v=1\n'.repeat(100_000);
    expect(parse(lines)).toHaveLength(100_000);
    expect(failure(`${lines}m v=1`).status).toBe(413);
  });
});

/** Names that the official client writes: non-empty, no trailing backslash (line protocol cannot say it). */
const SPECIAL = fc.constantFrom(
  ...[',', ' ', '=', '"', '\\', '\n', '\r', '\t', '#', 'é', '😀', '\u0000', 'i', 'u', '1', '-', '.', 'e'],
  ...['constructor', 'toString', '__proto__'],
);
const UNIT = fc.oneof(SPECIAL, fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }));
const anyText = (maxLength: number) => fc.string({ unit: UNIT, maxLength });
const name = (maxLength = 12) =>
  fc.string({ unit: UNIT, minLength: 1, maxLength }).filter((s) => !s.endsWith('\\') && s !== '__proto__');
/** The client writes a newline, carriage return or tab in a name as `\n`, `\r`, `\t`: InfluxDB reads those as text. */
const written = (s: string) => s.replaceAll('\n', '\\n').replaceAll('\r', '\\r').replaceAll('\t', '\\t');

type FieldCase =
  | { kind: 'float'; value: number }
  | { kind: 'int'; value: number }
  | { kind: 'uint'; value: bigint }
  | { kind: 'bool'; value: boolean }
  | { kind: 'string'; value: string };

const fieldCase: fc.Arbitrary<FieldCase> = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((value) => ({ kind: 'float' as const, value })),
  fc.maxSafeInteger().map((value) => ({ kind: 'int' as const, value })),
  fc.bigInt({ min: 0n, max: 18446744073709551615n }).map((value) => ({ kind: 'uint' as const, value })),
  fc.boolean().map((value) => ({ kind: 'bool' as const, value })),
  anyText(30).map((value) => ({ kind: 'string' as const, value })),
);

const MAX_NS = 9223372036854775806n;
const PER_UNIT: Record<Precision, bigint> = { ns: 1n, us: 1000n, ms: 1_000_000n, s: 1_000_000_000n };

/** Unix seconds at millisecond precision, rounding half away from zero, computed with BigInt. */
function expectedSeconds(timestamp: bigint, precision: Precision): number {
  const perMs = 1_000_000n / PER_UNIT[precision];
  if (perMs === 0n) return Number(timestamp * 1000n) / 1000;
  const magnitude = timestamp < 0n ? -timestamp : timestamp;
  let ms = magnitude / perMs;
  if ((magnitude % perMs) * 2n >= perMs) ms++;
  return Number(timestamp < 0n ? -ms : ms) / 1000 + 0;
}

const pointCase = fc
  .record({
    measurement: name().filter((s) => !s.startsWith('#')),
    // Unique as written: `\t` and a tab are one key once the client has written them.
    tags: fc.uniqueArray(fc.tuple(name(), name()), { maxLength: 4, selector: ([key]) => written(key) }),
    fields: fc.uniqueArray(fc.tuple(name(), fieldCase), {
      minLength: 1,
      maxLength: 5,
      selector: ([key]) => written(key),
    }),
    precision: fc.constantFrom<Precision>('ns', 'us', 'ms', 's'),
    timestamp: fc.option(fc.bigInt({ min: -MAX_NS, max: MAX_NS }), { nil: undefined }),
  })
  .map((c) => ({ ...c, timestamp: c.timestamp === undefined ? undefined : c.timestamp / PER_UNIT[c.precision] }));

describe('parseLineProtocol: what the official client writes', () => {
  it('reads back every point that @influxdata/influxdb-client Point.toLineProtocol() writes (10,000 cases)', () => {
    fc.assert(
      fc.property(pointCase, (c) => {
        const point = new Point(c.measurement);
        for (const [key, value] of c.tags) point.tag(key, value);
        const expectedFields: Record<string, unknown> = {};
        for (const [key, field] of c.fields) {
          if (field.kind === 'float') point.floatField(key, field.value);
          else if (field.kind === 'int') point.intField(key, field.value);
          else if (field.kind === 'uint') point.uintField(key, field.value.toString());
          else if (field.kind === 'bool') point.booleanField(key, field.value);
          else point.stringField(key, field.value);
          expectedFields[written(key)] = field.kind === 'uint' ? Number(field.value) : field.value;
        }
        // The client stamps a point without a timestamp with the current time; '' is its way to write none.
        point.timestamp(c.timestamp === undefined ? '' : c.timestamp.toString());
        const text = point.toLineProtocol();
        expect(text).toBeDefined();

        const [parsed, ...rest] = parseLineProtocol(text!, c.precision);
        expect(rest).toEqual([]);
        expect(parsed!.measurement).toBe(written(c.measurement));
        expect(parsed!.tags).toEqual(Object.fromEntries(c.tags.map(([k, v]) => [written(k), written(v)])));
        for (const key of Object.keys(expectedFields)) {
          const value = expectedFields[key];
          expect(parsed!.fields[key]).toBe(typeof value === 'number' ? value + 0 : value);
        }
        expect(Object.keys(parsed!.fields).sort()).toEqual(Object.keys(expectedFields).sort());
        expect(parsed!.timestamp).toBe(
          c.timestamp === undefined ? undefined : expectedSeconds(c.timestamp, c.precision),
        );
      }),
      { numRuns: 10_000 },
    );
  });
});

function expectOnlyFormatError(text: string, precision: Precision) {
  let points: LinePoint[];
  try {
    points = parseLineProtocol(text, precision);
  } catch (error) {
    if (!(error instanceof FormatError)) throw error;
    expect(error.status).toBe(400);
    expect(Number.isInteger(error.line)).toBe(true);
    expect(error.line).toBeGreaterThanOrEqual(1);
    expect(error.line).toBeLessThanOrEqual(text.split('\n').length);
    return;
  }
  for (const point of points) {
    expect(point.measurement.length).toBeGreaterThan(0);
    expect(Object.keys(point.fields).length).toBeGreaterThan(0);
    for (const value of Object.values(point.fields)) {
      expect(['number', 'string', 'boolean']).toContain(typeof value);
      if (typeof value === 'number') expect(Number.isFinite(value)).toBe(true);
    }
    if (point.timestamp !== undefined) expect(Number.isFinite(point.timestamp)).toBe(true);
  }
  for (const sample of linePointsToSamples(points, 1_700_000_000.1234)) expectSnapshotValues(sample.metrics);
}

/** Only finite numbers, strings, booleans and plain objects: no arrays, null, NaN or Infinity. */
function expectSnapshotValues(node: Record<string, unknown>) {
  expect(Object.getPrototypeOf(node)).toBe(Object.prototype);
  for (const value of Object.values(node)) {
    if (typeof value === 'object') {
      expect(value).not.toBeNull();
      expect(Array.isArray(value)).toBe(false);
      expectSnapshotValues(value as Record<string, unknown>);
    } else if (typeof value === 'number') expect(Number.isFinite(value)).toBe(true);
    else expect(['string', 'boolean']).toContain(typeof value);
  }
}

const precision = fc.constantFrom<Precision>('ns', 'us', 'ms', 's');
const FIXTURE_LINES = FIXTURE.split('\n').filter((line) => line !== '' && !line.startsWith('#'));
const validLine = fc.oneof(
  fc.constantFrom(...FIXTURE_LINES),
  fc.constantFrom('m,t=a\\ b s="x\\"y\\\\z",i=-5i,u=7u,b=TRUE,f=-1.5e-3 1', 'a v=1\r\nb s="two\nlines" 2\n# c\n'),
);
const mutation = fc.tuple(fc.nat(), fc.constantFrom('insert', 'delete', 'replace'), SPECIAL);

function mutate(line: string, edits: [number, string, string][]): string {
  let text = line;
  for (const [at, kind, char] of edits) {
    const i = text.length === 0 ? 0 : at % (text.length + 1);
    if (kind === 'insert') text = text.slice(0, i) + char + text.slice(i);
    else if (kind === 'delete') text = text.slice(0, i) + text.slice(i + 1);
    else text = text.slice(0, i) + char + text.slice(i + 1);
  }
  return text;
}

describe('parseLineProtocol: fuzz', () => {
  it('returns points or throws a FormatError for arbitrary text (10,000 cases)', () => {
    fc.assert(
      fc.property(anyText(200), precision, (text, p) => expectOnlyFormatError(text, p)),
      { numRuns: 10_000 },
    );
  });

  it('returns points or throws a FormatError for mutated real lines (10,000 cases)', () => {
    fc.assert(
      fc.property(validLine, fc.array(mutation, { minLength: 1, maxLength: 6 }), precision, (line, edits, p) =>
        expectOnlyFormatError(mutate(line, edits), p),
      ),
      { numRuns: 10_000 },
    );
  });
});

describe('linePointsToSamples: the Telegraf fixture', () => {
  const points = parse(FIXTURE);
  const samples = linePointsToSamples(points, 1_700_000_000);
  // The snapshots' shape is what is under test: reading them untyped keeps the assertions short.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const at = (timestamp: number) => samples.find((s) => s.timestamp === timestamp)?.metrics as Record<string, any>;

  it('parses every line of the fixture', () => {
    expect(points).toHaveLength(FIXTURE_LINES.length);
  });

  it('makes one snapshot per timestamp, sorted, each within the snapshot limits', () => {
    expect(samples.map((s) => s.timestamp)).toEqual([
      1453832006.274, 1483964144, 1492831540, 1492834180, 1568760922, 1574712869, 1578326400,
    ]);
    for (const sample of samples) expect(checkMetricsShape(sample.metrics)).toBeUndefined();
  });

  it('puts cpu-total directly under cpu, each CPU under its own name, and cpu.usage = 100 - usage_idle', () => {
    const metrics = at(1568760922);
    expect(metrics.cpu.usage_user).toBe(11.398963731636465);
    expect(metrics.cpu.time_user).toBe(627125.08);
    expect(metrics.cpu.cpu0.usage_user).toBe(25.000000002273737);
    expect(metrics.cpu.cpu3.time_idle).toBe(265504.09);
    expect(Object.keys(metrics.cpu).filter((k) => k.startsWith('cpu'))).toEqual(['cpu0', 'cpu1', 'cpu2', 'cpu3']);
    expect(metrics.cpu.usage).toBeCloseTo(17.616580305880305, 10);
    expect(metrics.loaner).toBeUndefined();
    expect(JSON.stringify(metrics)).not.toContain('loaner');
  });

  it('maps mem to mem.<field> and memory.usage', () => {
    const metrics = at(1574712869);
    expect(metrics.mem.used_percent).toBe(15.95004011996231);
    expect(metrics.mem.vmalloc_total).toBe(35184372087808);
    expect(metrics.memory).toEqual({ usage: 15.95004011996231 });
  });

  it('maps disk by its path tag, and disk.usage to the root filesystem', () => {
    const metrics = at(1453832006.274);
    expect(metrics.disk['/'].used_percent).toBe(20.131039916242397);
    expect(metrics.disk['/dev'].used_percent).toBe(100);
    expect(Object.keys(metrics.disk).sort()).toEqual(['/', '/dev', '/home', '/net', 'usage']);
    expect(metrics.disk.usage).toBe(20.131039916242397);
    expect(metrics.disk['/'].fstype).toBeUndefined();
  });

  it('maps diskio by its name tag', () => {
    const metrics = at(1578326400);
    expect(metrics.diskio.sda1.reads).toBe(2353);
    expect(metrics.diskio['centos/var_log'].read_bytes).toBe(139325491712);
    expect(metrics.diskio.sda.read_bytes).toBe(38956544);
  });

  it('maps net by interface and sums network.rx_bytes / tx_bytes without the `all` aggregate', () => {
    const traffic = at(1492834180);
    expect(traffic.net.eth0.bytes_recv).toBe(3284081640);
    expect(traffic.network).toEqual({ rx_bytes: 3284081640, tx_bytes: 451838509 });
    const protocols = at(1492831540);
    expect(protocols.net.all.tcp_currestab).toBe(59);
    expect(protocols.net.all.tcp_maxconn).toBe(-1);
    expect(protocols.network).toBeUndefined();
  });

  it('maps system to system.<field>, strings included', () => {
    expect(at(1483964144).system).toEqual({
      load1: 3.72,
      load5: 2.4,
      load15: 2.1,
      n_users: 3,
      n_cpus: 4,
      uptime: 1249632,
      uptime_format: '14 days, 11:07',
    });
  });

  it('collects the host tags for the binding check', () => {
    expect(hostsOf(points)).toEqual(new Set(['loaner', 'HOST', 'tyrion']));
    expect(hostsOf(parse('m v=1'))).toEqual(new Set());
  });
});

describe('linePointsToSamples: rules', () => {
  const map = (text: string, now = 1_700_000_000) => linePointsToSamples(parse(text), now);

  it('puts points without a timestamp at now, rounded to the millisecond, merged with points stamped then', () => {
    expect(map('mem used_percent=1\nsystem load1=2 1700000000123000000', 1_700_000_000.1234)).toEqual([
      {
        timestamp: 1_700_000_000.123,
        metrics: { mem: { used_percent: 1 }, memory: { usage: 1 }, system: { load1: 2 } },
      },
    ]);
  });

  it('sums traffic over interfaces except lo and all, taking the later of two points for one interface', () => {
    const [sample] = map(
      [
        'net,interface=eth0 bytes_recv=100i,bytes_sent=10i 1',
        'net,interface=eth1 bytes_recv=200i,bytes_sent=20i 1',
        'net,interface=lo bytes_recv=5000i,bytes_sent=5000i 1',
        'net,interface=all bytes_recv=7000i,bytes_sent=7000i 1',
        'net,interface=eth1 bytes_recv=300i 1',
      ].join('\n'),
    );
    expect(sample!.metrics.network).toEqual({ rx_bytes: 400, tx_bytes: 30 });
    expect((sample!.metrics.net as Record<string, unknown>).eth1).toEqual({ bytes_recv: 300, bytes_sent: 20 });
  });

  it('fills cpu.usage only from cpu-total, and disk.usage only from the path "/"', () => {
    const [sample] = map('cpu,cpu=cpu0 usage_idle=10 1\ndisk,path=/home used_percent=50 1');
    expect(sample!.metrics).toEqual({ cpu: { cpu0: { usage_idle: 10 } }, disk: { '/home': { used_percent: 50 } } });
    expect(map('cpu,cpu=cpu-total usage_idle=100.0000001 1')[0]!.metrics.cpu).toEqual({
      usage_idle: 100.0000001,
      usage: 0,
    });
  });

  it('uses the device tag for a disk without a path, and no instance for a known measurement without its tag', () => {
    expect(map('disk,device=sda1 used_percent=5 1\ncpu usage_idle=1 1')[0]!.metrics).toEqual({
      disk: { sda1: { used_percent: 5 } },
      cpu: { usage_idle: 1 },
    });
  });

  it('leaves the tags of other measurements, and the host tag, out of the path', () => {
    expect(map('nginx,host=web-1,port=80,server=a active=3i,reading=1i 1')[0]!.metrics).toEqual({
      nginx: { active: 3, reading: 1 },
    });
  });

  it('turns dots in names into underscores, so every path reads back as a dotted path', () => {
    expect(map('net,interface=eth0.100 bytes_recv=1i 1\nmy.app req.count=2i 1')[0]!.metrics).toEqual({
      net: { eth0_100: { bytes_recv: 1 } },
      network: { rx_bytes: 1 },
      my_app: { req_count: 2 },
    });
  });

  it('leaves out a point whose instance tag cannot be a key, rather than merging it into another', () => {
    const unsafe = ['x'.repeat(129), 'a\u0000b', 'a\uD800b', '__proto__'];
    for (const tag of unsafe) {
      const text = `net,interface=${tag} bytes_recv=1i 1\nmem used=1i 1`;
      expect(linePointsToSamples(parseLineProtocol(text, 'ns'), 0)[0]!.metrics, tag).toEqual({ mem: { used: 1 } });
    }
    expect(map(`net,interface=${'x'.repeat(128)} bytes_recv=1i 1`)[0]!.metrics.network).toEqual({ rx_bytes: 1 });
  });

  it('maps measurements named like Object.prototype members as any other', () => {
    expect(map('constructor,cpu=x a=1 1\ntoString b=2 1\nhasOwnProperty c=3 1')[0]!.metrics).toEqual({
      constructor: { a: 1 },
      toString: { b: 2 },
      hasOwnProperty: { c: 3 },
    });
  });

  it('drops a measurement or field named __proto__ and pollutes no prototype', () => {
    const [sample] = map('__proto__ polluted=1 1\nm __proto__=1,ok=2 1\nm,x=y constructor=3 1');
    expect(sample!.metrics).toEqual({ m: { ok: 2, constructor: 3 } });
    expect(Object.getPrototypeOf(sample!.metrics)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('returns no snapshot for no points', () => {
    expect(linePointsToSamples([], 1)).toEqual([]);
  });
});
