import type { FastifyBaseLogger } from 'fastify';
import type { Metrics } from '../../observability/metrics.js';
import { decideAfterAttempt } from '../outbound/delivery-policy.js';
import { postWebhook } from '../outbound/webhook-post.js';
import { wakeRequest } from './wake-body.js';
import type { ClaimedWake, WakeOutboxRepository } from './wake-outbox.repository.js';

interface Deps {
  outbox: WakeOutboxRepository;
  /** Opens a hook's sealed secret (undefined when it was sealed under another key). */
  openSecret: (secretEnc: string) => string | undefined;
  timeoutMs: number;
  giveUpSeconds: number;
  allowPrivate: boolean;
  metrics: Metrics;
  log: FastifyBaseLogger;
}

const BATCH = 20;

/**
 * The wake sender: claims due calls under a lease, makes them side by side (a slow receiver holds only its
 * own call, up to the timeout), and records delivered, retry or failed, with the alert sender's backoff,
 * Retry-After and give-up rules. Every attempt of a call carries the same `X-AgentHub-Delivery` (the wake id).
 */
export function createWakeDeliveryService({
  outbox,
  openSecret,
  timeoutMs,
  giveUpSeconds,
  allowPrivate,
  metrics,
  log,
}: Deps) {
  const leaseMs = timeoutMs * 2 + 5_000;

  async function drop(row: ClaimedWake, reason: string): Promise<void> {
    metrics.wakeCalls.inc({ result: 'dropped' });
    return outbox.failed(row.id, reason);
  }

  async function deliver(row: ClaimedWake, now: Date): Promise<void> {
    const target = await outbox.target(row.agentId);
    if (!target) return drop(row, 'the wake hook was removed');
    if (!target.active) return drop(row, 'the agent is not active');
    const secret = openSecret(target.secretEnc);
    if (secret === undefined) return drop(row, 'the hook secret cannot be opened (was COOKIE_SECRET changed?)');
    const outcome = await postWebhook(wakeRequest(target.url, secret, row.payload), { timeoutMs, allowPrivate });
    const decision = decideAfterAttempt(outcome, row, { now, giveUpSeconds });
    if (decision.action === 'delivered') {
      metrics.wakeCalls.inc({ result: 'delivered' });
      return outbox.delivered(row.id, new Date());
    }
    if (decision.action === 'failed') {
      metrics.wakeCalls.inc({ result: 'failed' });
      log.warn({ agent: row.agentId, wake: row.id, error: decision.error }, 'wake call given up');
      return outbox.failed(row.id, decision.error);
    }
    metrics.wakeCalls.inc({ result: 'retry' });
    return outbox.retryAt(row.id, decision.at, decision.error);
  }

  return {
    /** One round: what is due now. Returns how many calls it took. */
    async tick(now = new Date()): Promise<number> {
      const rows = await outbox.claim(now, new Date(now.getTime() + leaseMs), BATCH);
      await Promise.allSettled(
        rows.map((row) =>
          deliver(row, now).catch((error: unknown) => log.warn({ err: error, wake: row.id }, 'wake call failed')),
        ),
      );
      return rows.length;
    },
  };
}

export type WakeDeliveryService = ReturnType<typeof createWakeDeliveryService>;
