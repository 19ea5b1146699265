import { FormatError } from './ingest-sample.js';

/** One point of an InfluxDB line-protocol body. */
export interface LinePoint {
  measurement: string;
  tags: Record<string, string>;
  fields: Record<string, FieldValue>;
  /** Unix seconds, millisecond precision; absent when the line has no timestamp. */
  timestamp?: number;
  /** 1-based line of the body where the point starts. */
  line: number;
}

export type FieldValue = number | string | boolean;

export type Precision = 'ns' | 'us' | 'ms' | 's';

export interface LineProtocolLimits {
  /** Fields (and, separately, tags) of one line; more fails at the first one too many. */
  maxFieldsPerLine?: number;
  /** Points of one body (blank and comment lines are not counted); more is a 413. */
  maxLines?: number;
}

const TAB = 9;
const LF = 10;
const CR = 13;
const SPACE = 32;
const QUOTE = 34;
const HASH = 35;
const PLUS = 43;
const COMMA = 44;
const MINUS = 45;
const DOT = 46;
const ZERO = 48;
const NINE = 57;
const EQUALS = 61;
const BACKSLASH = 92;

/** Decimal digits that always fit a double's 53-bit integer range exactly. */
const MAX_EXACT_DIGITS = 15;
const POWERS_OF_TEN = Array.from({ length: MAX_EXACT_DIGITS + 1 }, (_, k) => 10 ** k);

/** InfluxDB refuses a series key (measurement, tags and one field key) longer than this. */
const MAX_KEY_LENGTH = 65_535;
const INT64_MAX = '9223372036854775807';
const INT64_MIN = '9223372036854775808';
const UINT64_MAX = '18446744073709551615';
/** InfluxDB's time range is ±(2^63 - 2) ns: the largest timestamp in each precision, in its own unit. */
const MAX_TIMESTAMP: Record<Precision, string> = {
  ns: '9223372036854775806',
  us: '9223372036854775',
  ms: '9223372036854',
  s: '9223372036',
};
/** Digits below the millisecond in each precision (the part that rounds away). */
const SUB_MS_DIGITS: Record<Precision, number> = { ns: 6, us: 3, ms: 0, s: 0 };
// A Map, not an object literal: `constructor` or `toString` must not read as a value.
const BOOLEANS = new Map<string, boolean>([
  ['t', true],
  ['T', true],
  ['true', true],
  ['True', true],
  ['TRUE', true],
  ['f', false],
  ['F', false],
  ['false', false],
  ['False', false],
  ['FALSE', false],
]);

/**
 * Parses an InfluxDB v2 line-protocol body in one pass, as InfluxDB does (its messages, its escapes: `\,` and
 * `\ ` in measurements, also `\=` in tag keys, tag values and field keys, `\"` and `\\` in string fields; any
 * other backslash is kept). A bad line anywhere throws a FormatError naming it, so a body stores all or nothing.
 */
export function parseLineProtocol(text: string, precision: Precision, limits: LineProtocolLimits = {}): LinePoint[] {
  if (!Object.hasOwn(SUB_MS_DIGITS, precision)) throw new FormatError(`invalid precision: ${precision}`);
  const scanner = new Scanner(text, precision, limits.maxFieldsPerLine ?? 1000);
  const maxLines = limits.maxLines ?? 100_000;
  const points: LinePoint[] = [];
  while (scanner.nextPoint()) {
    if (points.length === maxLines)
      throw new FormatError(`too many lines: a write takes at most ${maxLines} points`, 413, scanner.pointLine);
    points.push(scanner.point());
  }
  return points;
}

class Scanner {
  private pos = 0;
  private line = 1;
  private pointStart = 0;
  pointLine = 1;

  constructor(
    private readonly text: string,
    private readonly precision: Precision,
    private readonly maxFields: number,
  ) {}

  /** Skips blank and comment lines; true when a point starts at `pos`. */
  nextPoint(): boolean {
    const { text } = this;
    for (;;) {
      this.skipBlanks();
      if (this.pos >= text.length) return false;
      const c = text.charCodeAt(this.pos);
      if (c === HASH) {
        const end = text.indexOf('\n', this.pos);
        this.pos = end < 0 ? text.length : end;
      }
      if (!this.endOfLine()) break;
    }
    this.pointStart = this.pos;
    this.pointLine = this.line;
    return true;
  }

  point(): LinePoint {
    const measurement = this.token(false);
    if (measurement === '') this.fail('missing measurement');
    const tags: Record<string, string> = {};
    let tagCount = 0;
    let c = this.peek();
    while (c === COMMA) {
      this.pos++;
      const key = this.token(true);
      if (key === '') this.fail('missing tag key');
      if (this.peek() !== EQUALS) this.fail('missing tag value');
      this.pos++;
      const value = this.token(true);
      c = this.peek();
      if (c === EQUALS) this.fail('invalid tag format');
      if (value === '') this.fail('missing tag value');
      if (Object.hasOwn(tags, key)) this.fail('duplicate tags');
      if (++tagCount > this.maxFields) this.fail(`too many tags: a line takes at most ${this.maxFields}`);
      setOwn(tags, key, value);
    }
    const keyLength = this.pos - this.pointStart;
    if (keyLength > MAX_KEY_LENGTH) this.fail(`max key length exceeded: ${keyLength} > ${MAX_KEY_LENGTH}`);
    if (c !== SPACE) this.fail('missing fields');
    this.skipBlanks();
    if (this.atEnd()) this.fail('missing fields');

    const fields: Record<string, FieldValue> = {};
    let fieldCount = 0;
    for (;;) {
      const key = this.token(true);
      if (key === '') this.fail('missing field key');
      if (this.peek() !== EQUALS) this.fail('invalid field format');
      const size = keyLength + 4 + key.length;
      if (size > MAX_KEY_LENGTH) this.fail(`max key length exceeded: ${size} > ${MAX_KEY_LENGTH}`);
      this.pos++;
      if (++fieldCount > this.maxFields) this.fail(`too many fields: a line takes at most ${this.maxFields}`);
      setOwn(fields, key, this.fieldValue());
      c = this.peek();
      if (c !== COMMA) break;
      this.pos++;
    }

    const point: LinePoint = { measurement, tags, fields, line: this.pointLine };
    if (c === SPACE) {
      this.skipBlanks();
      if (!this.atEnd()) {
        point.timestamp = this.timestamp();
        this.skipBlanks();
        if (!this.atEnd()) this.fail('point is invalid');
      }
    }
    this.endOfLine();
    return point;
  }

  /**
   * A measurement (`withEquals` false) or a tag key, tag value or field key, unescaped: stops at an unescaped
   * comma, space, end of line, or (with `withEquals`) equals sign. Unescaping copies a slice per escape only.
   */
  private token(withEquals: boolean): string {
    const { text } = this;
    const start = this.pos;
    let i = start;
    let unescaped: string | undefined;
    let from = start;
    for (; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === COMMA || c === SPACE || c === LF || (c === EQUALS && withEquals)) break;
      if (c === CR && text.charCodeAt(i + 1) === LF) break;
      if (c === BACKSLASH) {
        const next = text.charCodeAt(i + 1);
        if (next === COMMA || next === SPACE || (next === EQUALS && withEquals)) {
          unescaped = (unescaped ?? '') + text.slice(from, i);
          from = ++i;
        }
      }
    }
    this.pos = i;
    return unescaped === undefined ? text.slice(start, i) : unescaped + text.slice(from, i);
  }

  private fieldValue(): FieldValue {
    const c = this.peek();
    if (c === QUOTE) return this.stringValue();
    if ((c >= ZERO && c <= NINE) || c === MINUS || c === DOT) return this.numberValue();
    if (this.atEnd() || c === COMMA || c === SPACE) this.fail('missing field value');
    if (c === 0x4e || c === 0x6e) this.fail('invalid number'); // N, n: NaN is no value
    const start = this.pos;
    while (!this.atSeparator()) this.pos++;
    const value = BOOLEANS.get(this.text.slice(start, this.pos));
    if (value === undefined) this.fail('invalid boolean');
    return value;
  }

  /** A double-quoted string: `\"` and `\\` are escapes, a raw newline belongs to the string. */
  private stringValue(): string {
    const { text } = this;
    let i = this.pos + 1;
    let from = i;
    let value = '';
    for (;;) {
      if (i >= text.length) this.fail('unbalanced quotes');
      const c = text.charCodeAt(i);
      if (c === QUOTE) break;
      if (c === BACKSLASH) {
        const next = text.charCodeAt(i + 1);
        if (next === QUOTE || next === BACKSLASH) {
          value += text.slice(from, i);
          from = i + 1;
          i += 2;
          continue;
        }
      } else if (c === LF) this.line++;
      i++;
    }
    value += text.slice(from, i);
    this.pos = i + 1;
    if (!this.atSeparator()) this.fail('invalid field format');
    return value;
  }

  /** A float (`-1.5`, `.5`, `1.`, `6e-3`), an integer (`-42i`, int64) or an unsigned integer (`42u`, uint64). */
  private numberValue(): number {
    const { text } = this;
    const start = this.pos;
    let i = start;
    if (text.charCodeAt(i) === MINUS) i++;
    const digitsStart = i;
    // The digits as an integer, exact while there are at most 15 of them (below 2^53).
    let mantissa = 0;
    let c = text.charCodeAt(i);
    while (isDigit(c)) {
      mantissa = mantissa * 10 + (c - ZERO);
      c = text.charCodeAt(++i);
    }
    const integerEnd = i;
    let digits = i - digitsStart;
    let decimal = false;
    let fractionDigits = 0;
    if (c === DOT) {
      decimal = true;
      const fraction = ++i;
      c = text.charCodeAt(i);
      while (isDigit(c)) {
        mantissa = mantissa * 10 + (c - ZERO);
        c = text.charCodeAt(++i);
      }
      fractionDigits = i - fraction;
      digits += fractionDigits;
    }
    if (digits === 0) this.fail('invalid number');
    let exponent = false;
    const e = text.charCodeAt(i);
    if (e === 0x65 || e === 0x45) {
      exponent = true;
      i++;
      const sign = text.charCodeAt(i);
      if (sign === PLUS || sign === MINUS) i++;
      const exponentStart = i;
      while (isDigit(text.charCodeAt(i))) i++;
      if (i === exponentStart) this.fail(this.separatorAt(i) ? 'invalid float' : 'invalid number');
    }
    const suffix = text.charCodeAt(i);
    if (suffix === 0x69 || suffix === 0x75) {
      // i: int64, u: uint64
      this.pos = i + 1;
      if (decimal || exponent || !this.atSeparator()) this.fail('invalid number');
      const unsigned = suffix === 0x75;
      if (unsigned && digitsStart > start) this.fail('invalid number');
      const limit = unsigned ? UINT64_MAX : digitsStart > start ? INT64_MIN : INT64_MAX;
      if (exceeds(text, digitsStart, integerEnd, limit))
        this.fail(`unable to parse ${unsigned ? 'unsigned' : 'integer'} ${text.slice(start, i)}: value out of range`);
      if (digits <= MAX_EXACT_DIGITS) return (digitsStart > start ? -mantissa : mantissa) + 0;
      return Number(text.slice(start, i)) + 0;
    }
    this.pos = i;
    if (!this.atSeparator()) this.fail('invalid number');
    // Both the mantissa and the power of ten are exact doubles, so one division rounds correctly (Clinger's fast
    // path): the same value Number() gives, without slicing the text.
    if (!exponent && digits <= MAX_EXACT_DIGITS) {
      const magnitude =
        fractionDigits === 0 ? mantissa : mantissa / (POWERS_OF_TEN[fractionDigits] ?? 10 ** fractionDigits);
      return (digitsStart > start ? -magnitude : magnitude) + 0;
    }
    const value = Number(text.slice(start, i));
    if (!Number.isFinite(value)) this.fail('invalid float');
    return value + 0; // -0 is 0, as JSON would have it
  }

  /** An integer in the write's precision, as Unix seconds rounded to the millisecond; exact past 2^53 ns. */
  private timestamp(): number {
    const { text, precision } = this;
    const start = this.pos;
    let i = start;
    const negative = text.charCodeAt(i) === MINUS;
    if (negative) i++;
    const digitsStart = i;
    while (isDigit(text.charCodeAt(i))) i++;
    this.pos = i;
    const c = text.charCodeAt(i);
    if (i === digitsStart || !(i >= text.length || c === SPACE || c === TAB || c === LF || c === CR))
      this.fail('bad timestamp');
    if (exceeds(text, digitsStart, i, MAX_TIMESTAMP[precision]))
      this.fail(`time outside range ${text.slice(start, i)} (precision ${precision})`);
    const cut = Math.max(digitsStart, i - SUB_MS_DIGITS[precision]);
    let ms = 0;
    for (let d = digitsStart; d < cut; d++) ms = ms * 10 + (text.charCodeAt(d) - ZERO);
    if (precision === 's') ms *= 1000;
    // Round half away from zero on the first dropped digit (the rest cannot change a half-up decision).
    if (cut < i && cut === i - SUB_MS_DIGITS[precision] && text.charCodeAt(cut) >= ZERO + 5) ms++;
    return (negative ? -ms : ms) / 1000 + 0;
  }

  private peek(): number {
    return this.pos < this.text.length ? this.text.charCodeAt(this.pos) : -1;
  }

  /** End of the body or of the line (`\n` or `\r\n`) at `pos`. */
  private atEnd(): boolean {
    const { text, pos } = this;
    if (pos >= text.length) return true;
    const c = text.charCodeAt(pos);
    return c === LF || (c === CR && text.charCodeAt(pos + 1) === LF);
  }

  /** After a field value: a comma, a space, the end of the line or of the body. */
  private atSeparator(): boolean {
    return this.separatorAt(this.pos);
  }

  private separatorAt(i: number): boolean {
    const { text } = this;
    if (i >= text.length) return true;
    const c = text.charCodeAt(i);
    return c === COMMA || c === SPACE || c === LF || (c === CR && text.charCodeAt(i + 1) === LF);
  }

  /** Consumes a line break at `pos`: true when there was one or the body ended. */
  private endOfLine(): boolean {
    const { text } = this;
    if (this.pos >= text.length) return true;
    const c = text.charCodeAt(this.pos);
    if (c === LF) this.pos++;
    else if (c === CR && text.charCodeAt(this.pos + 1) === LF) this.pos += 2;
    else return false;
    this.line++;
    return true;
  }

  private skipBlanks(): void {
    const { text } = this;
    while (this.pos < text.length) {
      const c = text.charCodeAt(this.pos);
      if (c !== SPACE && c !== TAB) return;
      this.pos++;
    }
  }

  /** InfluxDB's message: `unable to parse '<line>': <reason>`, the line cut to a readable length. */
  private fail(reason: string): never {
    const { text } = this;
    let end = text.indexOf('\n', this.pointStart);
    if (end < 0) end = text.length;
    if (end > this.pointStart && text.charCodeAt(end - 1) === CR) end--;
    const shown =
      end - this.pointStart > 200
        ? `${text.slice(this.pointStart, this.pointStart + 200)}…`
        : text.slice(this.pointStart, end);
    throw new FormatError(`unable to parse '${shown}': ${reason}`, 400, this.pointLine);
  }
}

/**
 * Plain objects, not prototype-less ones: V8 keeps those in dictionary mode, which cost a third of the parse
 * (docs/BENCHMARKS.md, 2026-12-07). A key such as `constructor` or `toString` becomes an own property like any
 * other; `__proto__` alone would set the prototype on assignment, so it is defined as an own property instead.
 */
function setOwn<V>(target: Record<string, V>, key: string, value: V): void {
  if (key === '__proto__')
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

function isDigit(c: number): boolean {
  return c >= ZERO && c <= NINE;
}

/** Whether the decimal digits text[start, end) are greater than `limit` (digits, no leading zeros). */
function exceeds(text: string, start: number, end: number, limit: string): boolean {
  while (start < end - 1 && text.charCodeAt(start) === ZERO) start++;
  const length = end - start;
  if (length !== limit.length) return length > limit.length;
  for (let i = 0; i < length; i++) {
    const a = text.charCodeAt(start + i);
    const b = limit.charCodeAt(i);
    if (a !== b) return a > b;
  }
  return false;
}
