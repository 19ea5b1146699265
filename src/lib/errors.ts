/**
 * Domain errors. Services throw these (never HTTP exceptions); the one error
 * handler maps them to the envelope `{error, message, request_id, ...fields}`.
 */
export class AppError extends Error {
  override name = 'AppError';
  constructor(
    readonly code: string,
    readonly statusCode: number,
    message: string,
    /** Extra envelope fields (suggestion, expected, received, details, interval). */
    readonly fields: Record<string, unknown> = {},
    /** Extra response headers (Retry-After, Cache-Control). */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

type ErrorFactory = (message?: string, fields?: Record<string, unknown>) => AppError;

export function createErrorFactory(options: { code: string; statusCode: number; message: string }): ErrorFactory {
  return (message = options.message, fields = {}) => new AppError(options.code, options.statusCode, message, fields);
}

export const badRequest = createErrorFactory({
  code: 'invalid_request',
  statusCode: 400,
  message: 'The request is invalid.',
});
export const unauthorized = createErrorFactory({
  code: 'unauthorized',
  statusCode: 401,
  message: 'Authentication is required.',
});
export const forbidden = createErrorFactory({ code: 'forbidden', statusCode: 403, message: 'You may not do that.' });
export const notFound = createErrorFactory({ code: 'not_found', statusCode: 404, message: 'Not found.' });
export const payloadTooLarge = createErrorFactory({
  code: 'payload_too_large',
  statusCode: 413,
  message: 'Request body is too large',
});
export const unsupportedEncoding = createErrorFactory({
  code: 'unsupported_media_type',
  statusCode: 415,
  message: 'Only gzip content encoding is accepted.',
});
export const crossOrigin = createErrorFactory({
  code: 'cross_origin',
  statusCode: 403,
  message: 'Cross-origin request refused.',
});
export const csrfFailed = createErrorFactory({
  code: 'csrf_failed',
  statusCode: 403,
  message: 'The form has expired or did not come from this site; reload the page and try again.',
});
export const conflict = createErrorFactory({
  code: 'conflict',
  statusCode: 409,
  message: 'That conflicts with existing data.',
});

export function unavailable(
  retryAfterSeconds = 5,
  message = 'The service is temporarily unavailable; retry later.',
): AppError {
  return new AppError('unavailable', 503, message, {}, { 'retry-after': String(retryAfterSeconds) });
}

/** True for errors that mean the database cannot be reached (not a bad query). */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  const causeCode = (error.cause as { code?: unknown } | undefined)?.code;
  const codes = [code, causeCode].filter((c): c is string => typeof c === 'string');
  // 08: connection exceptions; 53: insufficient resources (disk full, out of memory, too many connections);
  // 57P: operator intervention (shutdown, restart).
  if (codes.some((c) => UNAVAILABLE_CODES.has(c) || /^(08|53|57P)/.test(c))) return true;
  const text = `${error.message} ${error.cause instanceof Error ? error.cause.message : ''}`;
  return UNAVAILABLE_MESSAGES.some((m) => text.includes(m));
}

/**
 * True for the database refusing a value the caller sent (SQLSTATE class 22, data exception: a NUL byte in
 * text, a malformed number or date, a string too long): bad input, never a server fault.
 */
export function isDatabaseDataError(error: unknown): boolean {
  return hasSqlState(error, /^22[0-9A-Z]{3}$/);
}

/**
 * True for a row routed to a partition whose bounds changed while the statement waited for it: a partition
 * attached concurrently (SQLSTATE 23514 on the partition constraint). The same statement routes right on retry.
 */
export function isPartitionConstraintViolation(error: unknown): boolean {
  if (!hasSqlState(error, /^23514$/) || !(error instanceof Error)) return false;
  const text = `${error.message} ${error.cause instanceof Error ? error.cause.message : ''}`;
  return text.includes('violates partition constraint');
}

function hasSqlState(error: unknown, state: RegExp): boolean {
  if (!(error instanceof Error)) return false;
  const codes = [(error as { code?: unknown }).code, (error.cause as { code?: unknown } | undefined)?.code];
  return codes.some((c) => typeof c === 'string' && state.test(c));
}

/**
 * A database failure as the domain error every transport answers with: unreachable → 503 `unavailable`
 * with Retry-After; a value it refused → 400 `invalid_request`. Anything else is not the caller's to see.
 */
export function fromDatabaseError(error: unknown): AppError | undefined {
  if (isDatabaseUnavailable(error)) return unavailable(5, 'The database is unavailable; retry later.');
  // Class 40, transaction rollback (a deadlock victim, a serialization failure): the same request succeeds on retry.
  if (hasSqlState(error, /^40/)) return unavailable(1, 'The database rolled the request back; retry.');
  if (isDatabaseDataError(error)) return badRequest('The request contains a value that cannot be stored or compared.');
  return undefined;
}

const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'ENOSPC']);
const UNAVAILABLE_MESSAGES = [
  'Connection terminated',
  'connection timeout',
  'Cannot use a pool after calling end',
  'PGlite is closed',
  'database is closed',
  'Client was closed',
  // PGlite reports a full disk as a message, without a SQLSTATE on every path.
  'No space left on device',
];
