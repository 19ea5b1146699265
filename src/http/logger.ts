import type { FastifyServerOptions } from 'fastify';
import type { DestinationStream } from 'pino';

/** Fields that may carry secrets, wherever they appear in a log object. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-device-fingerprint"]',
  'res.headers["set-cookie"]',
  '*.password',
  '*.token',
  '*.access_token',
  '*.refresh_token',
  '*.api_token',
  '*.device_code',
  '*.secret',
];

const SECRET_QUERY_PARAMS = /([?&](?:token|device_code|access_token|refresh_token|code)=)[^&#]*/gi;
const SECRET_PATH_SEGMENTS = /(\/auth\/token\/)[^/?#]+/gi;

/** Removes secrets carried in URLs (magic links, ?token= on socket.io, ?device_code=). */
export function redactUrl(url: string): string {
  return url.replace(SECRET_PATH_SEGMENTS, '$1[redacted]').replace(SECRET_QUERY_PARAMS, '$1[redacted]');
}

export function loggerOptions(level: string, stream?: DestinationStream): FastifyServerOptions['logger'] {
  return {
    level,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    serializers: {
      req: (req: { method: string; url: string; ip?: string; id?: string }) => ({
        method: req.method,
        url: redactUrl(req.url),
        remoteAddress: req.ip,
      }),
    },
    ...(stream ? { stream } : {}),
  };
}
