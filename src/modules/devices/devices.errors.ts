import { AppError, createErrorFactory } from '../../lib/errors.js';

export const invalidOrExpiredCode = createErrorFactory({
  code: 'invalid_or_expired_code',
  statusCode: 404,
  message: 'That code is unknown or has expired. Check the code shown by the device.',
});

export function planLimitReached(plan: string, limit: number): AppError {
  return new AppError(
    'plan_limit_reached',
    403,
    `Your ${plan} plan allows ${limit} active agents. Deactivate one or upgrade the plan.`,
    { plan, limit },
  );
}

export function tooManyCodeAttempts(retryAfter: number): AppError {
  return new AppError(
    'rate_limited',
    429,
    'Too many wrong codes; wait a moment and try again.',
    {},
    { 'retry-after': String(retryAfter) },
  );
}
