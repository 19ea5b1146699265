import { pipeline, Transform, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { preParsingAsyncHookHandler } from 'fastify';
import { AppError, payloadTooLarge, unsupportedEncoding } from '../lib/errors.js';

/**
 * Accepts `Content-Encoding: gzip` request bodies. The route's bodyLimit then
 * applies to the decompressed bytes, so a small gzip bomb is refused with 413.
 */
export const gunzipBody: preParsingAsyncHookHandler = async (request, _reply, payload) => {
  const encoding = request.headers['content-encoding']?.toLowerCase();
  if (!encoding || encoding === 'identity') return payload;
  if (encoding !== 'gzip') throw unsupportedEncoding();
  const limit = request.routeOptions.bodyLimit;
  let encodedBytes = 0;
  let inflatedBytes = 0;
  // Fastify compares Content-Length with receivedEncodedLength, not with the inflated size.
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      encodedBytes += chunk.length;
      callback(null, chunk);
    },
  });
  const gunzip = createGunzip();
  // Fails the stream at the limit: Fastify would answer 413 but leave the rest of a bomb inflating.
  const limiter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      inflatedBytes += chunk.length;
      if (inflatedBytes > limit) callback(payloadTooLarge());
      else callback(null, chunk);
    },
  });
  gunzip.on('error', (error: Error & { statusCode?: number }) => {
    if (error instanceof AppError) return; // the limiter's 413, passed along by pipeline
    // Corrupt gzip: Fastify's body reader answers stream errors with their status code.
    error.statusCode = 400;
    error.message = 'The gzip body is corrupt.';
  });
  (payload as Readable).pipe(counter);
  // On any error, pipeline destroys all three, so nothing goes on inflating after the answer.
  const inflated = pipeline(counter, gunzip, limiter, () => undefined) as Transform & {
    receivedEncodedLength?: number;
  };
  Object.defineProperty(inflated, 'receivedEncodedLength', { get: () => encodedBytes, configurable: true });
  return inflated;
};
