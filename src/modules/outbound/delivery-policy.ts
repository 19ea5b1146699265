import type { DeliveryOutcome } from './webhook-post.js';

const BASE_BACKOFF_MS = 5_000;
const MAX_BACKOFF_MS = 10 * 60_000;
const MAX_RETRY_AFTER_MS = 60 * 60_000;

/** Exponential backoff with jitter, or the receiver's Retry-After (bounded). */
export function nextAttemptDelay(attempts: number, retryAfterMs: number | undefined): number {
  if (retryAfterMs !== undefined) return Math.min(Math.max(retryAfterMs, 1000), MAX_RETRY_AFTER_MS);
  const exponential = Math.min(BASE_BACKOFF_MS * 2 ** Math.max(0, attempts - 1), MAX_BACKOFF_MS);
  return Math.round(exponential * (0.8 + Math.random() * 0.4));
}

export type DeliveryDecision =
  { action: 'delivered' } | { action: 'failed'; error: string } | { action: 'retry'; at: Date; error: string };

/**
 * What an outbox row becomes after an attempt: delivered; failed when retrying cannot help or the row is
 * older than the give-up time; otherwise retried after the backoff (or Retry-After).
 */
export function decideAfterAttempt(
  outcome: DeliveryOutcome,
  row: { attempts: number; createdAt: Date },
  { now, giveUpSeconds }: { now: Date; giveUpSeconds: number },
): DeliveryDecision {
  if (outcome.ok) return { action: 'delivered' };
  if (outcome.final || now.getTime() - row.createdAt.getTime() >= giveUpSeconds * 1000)
    return { action: 'failed', error: outcome.error };
  return {
    action: 'retry',
    at: new Date(Date.now() + nextAttemptDelay(row.attempts, outcome.retryAfterMs)),
    error: outcome.error,
  };
}
