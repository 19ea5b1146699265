import { isAbsolute, join } from 'node:path';
import protobuf from 'protobufjs';
import { packageRoot } from '../../../lib/paths.js';
import { FormatError } from './ingest-sample.js';

/** An attribute value (OTLP AnyValue): kvlists become objects, empty values null, int64 beyond 2^53 a string. */
export type OtlpValue = string | number | boolean | null | OtlpValue[] | { [key: string]: OtlpValue };
export type OtlpAttributes = Record<string, OtlpValue>;

/** ExportMetricsServiceRequest as plain data: times in nanoseconds (bigint), counts and values as numbers. */
export interface OtlpRequest {
  resourceMetrics: OtlpResourceMetrics[];
}
export interface OtlpResourceMetrics {
  resource: { attributes: OtlpAttributes };
  scopeMetrics: OtlpScopeMetrics[];
}
export interface OtlpScopeMetrics {
  scope: { name: string; version: string; attributes: OtlpAttributes };
  metrics: OtlpMetric[];
}
export interface OtlpMetric {
  name: string;
  description: string;
  unit: string;
  /** Absent when the metric carries none of the five data kinds. */
  data?: OtlpMetricData;
}
/** AggregationTemporality: 0 unspecified, 1 delta, 2 cumulative. */
export type OtlpTemporality = number;
export type OtlpMetricData =
  | { type: 'gauge'; dataPoints: OtlpNumberPoint[] }
  | { type: 'sum'; temporality: OtlpTemporality; isMonotonic: boolean; dataPoints: OtlpNumberPoint[] }
  | { type: 'histogram'; temporality: OtlpTemporality; dataPoints: OtlpHistogramPoint[] }
  | { type: 'exponentialHistogram'; temporality: OtlpTemporality; dataPoints: OtlpExponentialHistogramPoint[] }
  | { type: 'summary'; dataPoints: OtlpSummaryPoint[] };

export interface OtlpPointBase {
  attributes: OtlpAttributes;
  startTimeUnixNano: bigint;
  timeUnixNano: bigint;
  /** DataPointFlags; bit 1 is FLAG_NO_RECORDED_VALUE. */
  flags: number;
  exemplarCount: number;
}
export interface OtlpNumberPoint extends OtlpPointBase {
  /** as_double, or as_int as a number; absent when the point has neither. */
  value?: number;
}
export interface OtlpHistogramPoint extends OtlpPointBase {
  count: number;
  sum?: number;
  min?: number;
  max?: number;
  /** Per bucket (not cumulative), one more than explicitBounds. */
  bucketCounts: number[];
  explicitBounds: number[];
}
export interface OtlpExponentialHistogramPoint extends OtlpPointBase {
  count: number;
  sum?: number;
  min?: number;
  max?: number;
  scale: number;
  zeroCount: number;
  zeroThreshold: number;
  positive: { offset: number; bucketCounts: number[] };
  negative: { offset: number; bucketCounts: number[] };
}
export interface OtlpSummaryPoint extends OtlpPointBase {
  count: number;
  sum: number;
  quantileValues: { quantile: number; value: number }[];
}

/** Containers (kvlist, array) inside one attribute value; the ninth level is refused. */
const MAX_VALUE_DEPTH = 8;
/** JSON nesting a legitimate request stays well under (its deepest path with 8 attribute levels is about 40). */
const MAX_JSON_DEPTH = 64;
const REQUEST = 'opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest';
/** Plain objects out of protobufjs: 64-bit integers as exact decimal strings, enums as numbers, only fields sent. */
const PLAIN: protobuf.IConversionOptions = { longs: String, enums: Number, bytes: String, arrays: true, oneofs: true };

let root: protobuf.Root | undefined;

/**
 * A type of the vendored official OTLP definitions (proto/README.md), loaded once on first use. Imports resolve
 * against `<package root>/proto` (as protoc's -I), which works from src/ under tsx and from dist/ after tsc.
 */
export function otlpType(name: string): protobuf.Type {
  if (!root) {
    const protoDir = join(packageRoot, 'proto');
    const loading = new protobuf.Root();
    loading.resolvePath = (_origin, target) => (isAbsolute(target) ? target : join(protoDir, target));
    root = loading.loadSync(join(protoDir, 'opentelemetry/proto/collector/metrics/v1/metrics_service.proto'));
  }
  return root.lookupType(name);
}

/**
 * Decodes an ExportMetricsServiceRequest sent as binary protobuf or as OTLP/JSON (lowerCamelCase keys, 64-bit
 * integers as strings or numbers, enums as integers, trace and span ids as hex). Anything that is not one, and
 * attribute values nested deeper than 8 levels, throw a FormatError (400).
 */
export function decodeOtlpMetrics(
  body: Buffer,
  contentType: 'application/x-protobuf' | 'application/json',
): OtlpRequest {
  const type = otlpType(REQUEST);
  const message =
    contentType === 'application/json'
      ? fromJson(type, body)
      : guarded('the body is not a protobuf ExportMetricsServiceRequest', () => type.decode(body));
  const plain = guarded('the request could not be read', () => type.toObject(message, PLAIN));
  return { resourceMetrics: objects(plain.resourceMetrics).map(resourceMetrics) };
}

function fromJson(type: protobuf.Type, body: Buffer): protobuf.Message {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body));
  } catch (error) {
    throw new FormatError(`the body is not UTF-8 JSON: ${messageOf(error)}`);
  }
  if (!isObject(json)) throw new FormatError('an OTLP/JSON ExportMetricsServiceRequest must be a JSON object');
  checkJsonDepth(json);
  prepareJson(json);
  return guarded('the body is not an OTLP/JSON ExportMetricsServiceRequest', () => type.fromObject(json));
}

function checkJsonDepth(json: Json): void {
  const stack: [unknown, number][] = [[json, 1]];
  for (let next = stack.pop(); next; next = stack.pop()) {
    const [node, depth] = next;
    if (depth > MAX_JSON_DEPTH) throw new FormatError(`the JSON is nested deeper than ${MAX_JSON_DEPTH} levels`);
    const children: unknown[] = Array.isArray(node) ? node : isObject(node) ? Object.values(node) : [];
    for (const child of children) if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
  }
}

const DATA_KINDS = ['gauge', 'sum', 'histogram', 'exponentialHistogram', 'summary'] as const;
const NANOS = /^\d{1,20}$/;
const HEX = /^(?:[0-9a-fA-F]{2})*$/;

/**
 * What protobufjs' fromObject would take silently or wrongly: a timestamp that is not a decimal integer is refused,
 * and the hex trace and span ids of exemplars (OTLP/JSON's exception to base64 bytes) are turned into base64.
 */
function prepareJson(json: Json): void {
  for (const resource of objects(json.resourceMetrics))
    for (const scope of objects(resource.scopeMetrics))
      for (const metric of objects(scope.metrics))
        for (const kind of DATA_KINDS) {
          const data = metric[kind];
          if (!isObject(data)) continue;
          for (const point of objects(data.dataPoints)) {
            checkNanos(point, 'timeUnixNano');
            checkNanos(point, 'startTimeUnixNano');
            for (const exemplar of objects(point.exemplars)) {
              checkNanos(exemplar, 'timeUnixNano');
              hexToBase64(exemplar, 'traceId');
              hexToBase64(exemplar, 'spanId');
            }
          }
        }
}

function checkNanos(holder: Json, key: string): void {
  const value = holder[key];
  if (value === undefined) return;
  // A JSON number past 2^53 is still an exact integer-valued double: OTLP/JSON allows it.
  const ok =
    typeof value === 'string'
      ? NANOS.test(value)
      : Number.isInteger(value) && (value as number) >= 0 && (value as number) < 2 ** 64;
  if (!ok) throw new FormatError(`${key} must be nanoseconds since the epoch as a decimal string or integer`);
}

function hexToBase64(holder: Json, key: string): void {
  const value = holder[key];
  if (value === undefined) return;
  if (typeof value !== 'string' || !HEX.test(value)) throw new FormatError(`exemplar ${key} must be a hex string`);
  holder[key] = Buffer.from(value, 'hex').toString('base64');
}

function resourceMetrics(plain: Json): OtlpResourceMetrics {
  const resource = isObject(plain.resource) ? plain.resource : {};
  return {
    resource: { attributes: attributes(resource.attributes) },
    scopeMetrics: objects(plain.scopeMetrics).map((scopeMetrics) => {
      const scope = isObject(scopeMetrics.scope) ? scopeMetrics.scope : {};
      return {
        scope: { name: text(scope.name), version: text(scope.version), attributes: attributes(scope.attributes) },
        metrics: objects(scopeMetrics.metrics).map(metric),
      };
    }),
  };
}

function metric(plain: Json): OtlpMetric {
  attributes(plain.metadata); // not kept, but held to the same nesting bound
  const result: OtlpMetric = { name: text(plain.name), description: text(plain.description), unit: text(plain.unit) };
  const data = isObject(plain[text(plain.data)]) ? (plain[text(plain.data)] as Json) : undefined;
  if (!data) return result;
  const temporality = float(data.aggregationTemporality) ?? 0;
  const points = objects(data.dataPoints);
  switch (plain.data) {
    case 'gauge':
      return { ...result, data: { type: 'gauge', dataPoints: points.map(numberPoint) } };
    case 'sum':
      return {
        ...result,
        data: { type: 'sum', temporality, isMonotonic: data.isMonotonic === true, dataPoints: points.map(numberPoint) },
      };
    case 'histogram':
      return { ...result, data: { type: 'histogram', temporality, dataPoints: points.map(histogramPoint) } };
    case 'exponentialHistogram':
      return {
        ...result,
        data: { type: 'exponentialHistogram', temporality, dataPoints: points.map(exponentialPoint) },
      };
    case 'summary':
      return { ...result, data: { type: 'summary', dataPoints: points.map(summaryPoint) } };
    default:
      return result;
  }
}

function pointBase(plain: Json): OtlpPointBase {
  const exemplars = objects(plain.exemplars);
  for (const exemplar of exemplars) attributes(exemplar.filteredAttributes);
  return {
    attributes: attributes(plain.attributes),
    startTimeUnixNano: nanos(plain.startTimeUnixNano),
    timeUnixNano: nanos(plain.timeUnixNano),
    flags: float(plain.flags) ?? 0,
    exemplarCount: exemplars.length,
  };
}

function numberPoint(plain: Json): OtlpNumberPoint {
  const point: OtlpNumberPoint = pointBase(plain);
  if (plain.value === 'asDouble') point.value = float(plain.asDouble);
  else if (plain.value === 'asInt') point.value = Number(plain.asInt);
  return point;
}

function histogramPoint(plain: Json): OtlpHistogramPoint {
  return {
    ...pointBase(plain),
    ...optionalStats(plain),
    count: Number(plain.count ?? 0),
    bucketCounts: list(plain.bucketCounts).map(Number),
    explicitBounds: list(plain.explicitBounds).map(Number),
  };
}

function exponentialPoint(plain: Json): OtlpExponentialHistogramPoint {
  const buckets = (value: unknown) => {
    const side = isObject(value) ? value : {};
    return { offset: float(side.offset) ?? 0, bucketCounts: list(side.bucketCounts).map(Number) };
  };
  return {
    ...pointBase(plain),
    ...optionalStats(plain),
    count: Number(plain.count ?? 0),
    scale: float(plain.scale) ?? 0,
    zeroCount: Number(plain.zeroCount ?? 0),
    zeroThreshold: float(plain.zeroThreshold) ?? 0,
    positive: buckets(plain.positive),
    negative: buckets(plain.negative),
  };
}

function summaryPoint(plain: Json): OtlpSummaryPoint {
  return {
    ...pointBase(plain),
    count: Number(plain.count ?? 0),
    sum: float(plain.sum) ?? 0,
    quantileValues: objects(plain.quantileValues).map((q) => ({
      quantile: float(q.quantile) ?? 0,
      value: float(q.value) ?? 0,
    })),
  };
}

function optionalStats(plain: Json): { sum?: number; min?: number; max?: number } {
  const stats: { sum?: number; min?: number; max?: number } = {};
  for (const key of ['sum', 'min', 'max'] as const) {
    const value = float(plain[key]);
    if (value !== undefined) stats[key] = value;
  }
  return stats;
}

function attributes(value: unknown, depth = 1): OtlpAttributes {
  const result: OtlpAttributes = Object.create(null) as OtlpAttributes;
  for (const pair of objects(value)) result[text(pair.key)] = anyValue(pair.value, depth);
  return result;
}

function anyValue(value: unknown, depth: number): OtlpValue {
  if (!isObject(value)) return null;
  switch (value.value) {
    case 'stringValue':
      return text(value.stringValue);
    case 'boolValue':
      return value.boolValue === true;
    case 'intValue': {
      const int = Number(value.intValue);
      return Number.isSafeInteger(int) ? int : text(value.intValue);
    }
    case 'doubleValue':
      return float(value.doubleValue) ?? null;
    case 'bytesValue':
      return text(value.bytesValue);
    case 'arrayValue':
    case 'kvlistValue': {
      if (depth > MAX_VALUE_DEPTH)
        throw new FormatError(`attribute values are nested deeper than ${MAX_VALUE_DEPTH} levels`);
      const container = value[value.value];
      const values = isObject(container) ? container.values : undefined;
      return value.value === 'arrayValue'
        ? objects(values).map((item) => anyValue(item, depth + 1))
        : attributes(values, depth + 1);
    }
    default:
      return null;
  }
}

type Json = Record<string, unknown>;

function guarded<T>(what: string, run: () => T): T {
  try {
    return run();
  } catch (error) {
    if (error instanceof FormatError) throw error;
    throw new FormatError(`${what}: ${messageOf(error)}`);
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function objects(value: unknown): Json[] {
  return list(value).filter(isObject);
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function float(value: unknown): number | undefined {
  return typeof value === 'number' ? value : undefined;
}

/** A fixed64 time from toObject's decimal string, exactly. */
function nanos(value: unknown): bigint {
  return typeof value === 'string' && NANOS.test(value) ? BigInt(value) : 0n;
}
