import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../../config.js';
import type { Metrics } from '../../observability/metrics.js';
import type { NotificationPayload } from './notification-body.js';
import type { NotificationChannelsRepository } from './notification-channels.repository.js';
import type { NotificationChannelsService } from './notification-channels.service.js';
import type { NotificationSenders } from './notification-senders.js';
import type { ClaimedDelivery, OutboxRepository } from './outbox.repository.js';

interface Deps {
  config: Config;
  outbox: OutboxRepository;
  channels: NotificationChannelsRepository;
  secrets: Pick<NotificationChannelsService, 'secretOf'>;
  senders: NotificationSenders;
  metrics: Metrics;
  log: FastifyBaseLogger;
}

const BATCH = 20;
const BASE_BACKOFF_MS = 5_000;
const MAX_BACKOFF_MS = 10 * 60_000;
const MAX_RETRY_AFTER_MS = 60 * 60_000;

/** Exponential backoff with jitter, or the receiver's Retry-After (bounded). */
export function nextAttemptDelay(attempts: number, retryAfterMs: number | undefined): number {
  if (retryAfterMs !== undefined) return Math.min(Math.max(retryAfterMs, 1000), MAX_RETRY_AFTER_MS);
  const exponential = Math.min(BASE_BACKOFF_MS * 2 ** Math.max(0, attempts - 1), MAX_BACKOFF_MS);
  return Math.round(exponential * (0.8 + Math.random() * 0.4));
}

/**
 * The sender: claims due outbox rows under a lease (a crashed sender's rows come back when it expires),
 * delivers them side by side (a slow receiver delays only its own row, up to the timeout), and records
 * delivered, retry or failed. Every delivery carries its idempotency key, so a receiver drops a repeat.
 */
export function createNotificationDeliveryService({ config, outbox, channels, secrets, senders, metrics, log }: Deps) {
  const leaseMs = config.ALERT_DELIVERY_TIMEOUT_MS * 2 + 5_000;

  async function deliver(row: ClaimedDelivery, now: Date): Promise<void> {
    const channel = await channels.findById(row.channelId);
    if (!channel) return outbox.failed(row.id, 'the channel was deleted');
    const outcome = await senders.send({
      key: row.idempotencyKey,
      channel,
      secret: secrets.secretOf(channel),
      payload: row.payload as NotificationPayload,
    });
    if (outcome.ok) {
      metrics.notifications.inc({ channel: channel.kind, result: 'delivered' });
      return outbox.delivered(row.id, new Date());
    }
    const givenUp = now.getTime() - row.createdAt.getTime() >= config.ALERT_DELIVERY_GIVE_UP * 1000;
    if (outcome.final || givenUp) {
      metrics.notifications.inc({ channel: channel.kind, result: 'failed' });
      log.warn({ channel: channel.id, delivery: row.idempotencyKey, error: outcome.error }, 'notification given up');
      return outbox.failed(row.id, outcome.error);
    }
    metrics.notifications.inc({ channel: channel.kind, result: 'retry' });
    const delay = nextAttemptDelay(row.attempts, outcome.retryAfterMs);
    return outbox.retryAt(row.id, new Date(Date.now() + delay), outcome.error);
  }

  return {
    /** One round: what is due now. Returns how many rows it took. */
    async tick(now = new Date()): Promise<number> {
      const rows = await outbox.claim(now, new Date(now.getTime() + leaseMs), BATCH);
      await Promise.allSettled(
        rows.map((row) =>
          deliver(row, now).catch((error: unknown) =>
            log.warn({ err: error, delivery: row.idempotencyKey }, 'delivery failed'),
          ),
        ),
      );
      return rows.length;
    },
    close: () => senders.close(),
  };
}

export type NotificationDeliveryService = ReturnType<typeof createNotificationDeliveryService>;
