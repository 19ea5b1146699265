import { join } from 'node:path';
import protobuf from 'protobufjs';
import snappy from 'snappyjs';
import { packageRoot } from '../../../lib/paths.js';
import { FormatError } from './ingest-sample.js';

/** A remote_write 1.0 WriteRequest as plain data (metadata, exemplars and native histograms are not kept). */
export interface WriteRequest {
  timeseries: PromTimeSeries[];
}
export interface PromTimeSeries {
  labels: { name: string; value: string }[];
  /** `timestamp` in milliseconds since the epoch. */
  samples: { value: number; timestamp: number }[];
  /** Native histogram samples of the series, counted only: they are not mapped. */
  histogramCount: number;
}

let writeRequest: protobuf.Type | undefined;

/** prometheus.WriteRequest from the vendored prompb definitions (proto/README.md), loaded once. */
function writeRequestType(): protobuf.Type {
  writeRequest ??= protobuf
    .loadSync(join(packageRoot, 'proto/prometheus/remote.proto'))
    .lookupType('prometheus.WriteRequest');
  return writeRequest;
}

/**
 * Decodes a remote_write 1.0 body: a snappy block (not the framed stream format) holding a protobuf WriteRequest.
 * The block's declared length is read first: over `maxDecodedBytes` is a 413 before anything is allocated, and a
 * block whose elements do not produce exactly that many bytes is a 400, as is anything protobuf cannot read.
 */
export function decodeRemoteWrite(body: Buffer, maxDecodedBytes: number): WriteRequest {
  if (body.length === 0)
    throw new FormatError('the body is empty: remote_write sends a snappy-compressed WriteRequest');
  const { length, headerBytes } = declaredLength(body);
  if (length > maxDecodedBytes)
    throw new FormatError(
      `the snappy block declares ${length} bytes uncompressed; at most ${maxDecodedBytes} are accepted`,
      413,
    );
  checkBlock(body, headerBytes, length);
  const type = writeRequestType();
  const plain = guarded(() => {
    const raw = snappy.uncompress(body, maxDecodedBytes);
    return type.toObject(type.decode(raw), { longs: Number, enums: Number, arrays: true, defaults: true });
  });
  return { timeseries: objects(plain.timeseries).map(series) };
}

/** The varint at the start of a snappy block: the uncompressed length, at most 2^32 - 1. */
function declaredLength(body: Buffer): { length: number; headerBytes: number } {
  let length = 0;
  for (let i = 0; i < 5 && i < body.length; i++) {
    const byte = body[i] as number;
    length += (byte & 0x7f) * 2 ** (7 * i);
    if (byte < 0x80) {
      if (length > 0xffffffff) break;
      return { length, headerBytes: i + 1 };
    }
  }
  throw new FormatError('the body is not a snappy block: its length header is invalid');
}

/**
 * Walks the block's elements without copying (snappy's format description): each literal must fit in the body,
 * each copy must point into what is already produced, and the total must be the declared length.
 */
function checkBlock(body: Buffer, start: number, length: number): void {
  let pos = start;
  let produced = 0;
  const fail = (why: string): never => {
    throw new FormatError(`the body is not a valid snappy block: ${why}`);
  };
  while (pos < body.length) {
    const tag = body[pos++] as number;
    let size: number;
    if ((tag & 3) === 0) {
      size = (tag >>> 2) + 1;
      if (size > 60) {
        const bytes = size - 60;
        if (pos + bytes > body.length) fail('truncated literal length');
        size = 1;
        for (let i = 0; i < bytes; i++) size += (body[pos + i] as number) * 2 ** (8 * i);
        pos += bytes;
      }
      if (pos + size > body.length) fail('truncated literal');
      pos += size;
    } else {
      const offsetBytes = [0, 1, 2, 4][tag & 3] as number;
      if (pos + offsetBytes > body.length) fail('truncated copy');
      let offset = (tag & 3) === 1 ? (tag >>> 5) << 8 : 0;
      for (let i = 0; i < offsetBytes; i++) offset += (body[pos + i] as number) * 2 ** (8 * i);
      pos += offsetBytes;
      size = (tag & 3) === 1 ? ((tag >>> 2) & 7) + 4 : (tag >>> 2) + 1;
      if (offset === 0 || offset > produced) fail('copy before the start of the output');
    }
    produced += size;
    if (produced > length) fail('more bytes than its header declares');
  }
  if (produced !== length) fail('fewer bytes than its header declares');
}

type Json = Record<string, unknown>;

function series(plain: Json): PromTimeSeries {
  return {
    labels: objects(plain.labels).map((label) => ({ name: text(label.name), value: text(label.value) })),
    samples: objects(plain.samples).map((sample) => ({
      value: typeof sample.value === 'number' ? sample.value : Number.NaN,
      timestamp: typeof sample.timestamp === 'number' ? sample.timestamp : 0,
    })),
    histogramCount: Array.isArray(plain.histograms) ? plain.histograms.length : 0,
  };
}

function guarded<T>(run: () => T): T {
  try {
    return run();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new FormatError(`the body is not a snappy-compressed protobuf WriteRequest: ${message}`);
  }
}

function objects(value: unknown): Json[] {
  return Array.isArray(value)
    ? value.filter((item): item is Json => typeof item === 'object' && item !== null && !Array.isArray(item))
    : [];
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}
