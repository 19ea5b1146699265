import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../../config.js';
import type { Metrics } from '../../observability/metrics.js';
import { decideAfterAttempt } from '../outbound/delivery-policy.js';
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
    const decision = decideAfterAttempt(outcome, row, { now, giveUpSeconds: config.ALERT_DELIVERY_GIVE_UP });
    if (decision.action === 'delivered') {
      metrics.notifications.inc({ channel: channel.kind, result: 'delivered' });
      return outbox.delivered(row.id, new Date());
    }
    if (decision.action === 'failed') {
      metrics.notifications.inc({ channel: channel.kind, result: 'failed' });
      log.warn({ channel: channel.id, delivery: row.idempotencyKey, error: decision.error }, 'notification given up');
      return outbox.failed(row.id, decision.error);
    }
    metrics.notifications.inc({ channel: channel.kind, result: 'retry' });
    return outbox.retryAt(row.id, decision.at, decision.error);
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
