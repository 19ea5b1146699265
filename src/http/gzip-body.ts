import { Transform, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { preParsingAsyncHookHandler } from 'fastify';
import { AppError } from '../lib/errors.js';

/**
 * Accepts `Content-Encoding: gzip` request bodies. The route's bodyLimit then
 * applies to the decompressed bytes, so a small gzip bomb is refused with 413.
 */
export const gunzipBody: preParsingAsyncHookHandler = async (request, _reply, payload) => {
  const encoding = request.headers['content-encoding']?.toLowerCase();
  if (!encoding || encoding === 'identity') return payload;
  if (encoding !== 'gzip') throw new AppError('unsupported_media_type', 415, 'Only gzip content encoding is accepted.');
  let encodedBytes = 0;
  // Fastify compares Content-Length with receivedEncodedLength, not with the inflated size.
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      encodedBytes += chunk.length;
      callback(null, chunk);
    },
  });
  const gunzip = createGunzip();
  const inflated = (payload as Readable).pipe(counter).pipe(gunzip) as Readable & { receivedEncodedLength?: number };
  gunzip.on('error', (error: Error & { statusCode?: number }) => {
    // Corrupt gzip: Fastify's body reader answers stream errors with their status code.
    error.statusCode = 400;
    error.message = 'The gzip body is corrupt.';
  });
  Object.defineProperty(inflated, 'receivedEncodedLength', { get: () => encodedBytes, configurable: true });
  return inflated;
};
