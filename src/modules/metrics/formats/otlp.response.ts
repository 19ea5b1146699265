import protobuf from 'protobufjs';
import { otlpType } from './otlp.decoder.js';

type Encoding = 'application/x-protobuf' | 'application/json';

/** ExportMetricsServiceResponse, from the vendored official definitions (proto/README.md). */
const exportResponse = () => otlpType('opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse');

/**
 * google.rpc.Status (google/rpc/status.proto), the body of every OTLP/HTTP failure. Its three fields are declared
 * here rather than vendoring googleapis: `details` (repeated Any) is always empty in our answers.
 */
const status = new protobuf.Type('Status')
  .add(new protobuf.Field('code', 1, 'int32'))
  .add(new protobuf.Field('message', 2, 'string'));
new protobuf.Root().define('google.rpc').add(status);

/** The success answer: empty, or with partial_success naming the data points not stored. */
export function encodeOtlpResponse(
  encoding: Encoding,
  partial?: { rejectedDataPoints: number; errorMessage: string },
): Buffer | string {
  const message = partial ? { partialSuccess: partial } : {};
  if (encoding === 'application/json')
    // OTLP/JSON: lowerCamelCase field names, int64 as a decimal string.
    return JSON.stringify(
      partial
        ? {
            partialSuccess: {
              rejectedDataPoints: String(partial.rejectedDataPoints),
              errorMessage: partial.errorMessage,
            },
          }
        : {},
    );
  const type = exportResponse();
  return Buffer.from(type.encode(type.fromObject(message)).finish());
}

/** A failure's google.rpc.Status in the request's encoding. */
export function encodeOtlpStatus(encoding: Encoding, code: number, message: string): Buffer | string {
  if (encoding === 'application/json') return JSON.stringify({ code, message });
  return Buffer.from(status.encode(status.fromObject({ code, message })).finish());
}
