import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../../config.js';
import type { Db } from '../../db/client.js';
import { exclusiveOver } from '../../db/exclusive.js';
import { createSecretBox } from '../../lib/secret-box.js';
import type { Metrics } from '../../observability/metrics.js';
import type { AgentsService } from '../agents/agents.service.js';
import type { AuditService } from '../audit/audit.service.js';
import { createWakeDeliveryService } from './wake-delivery.service.js';
import { createWakeHooksRepository } from './wake-hooks.repository.js';
import { createWakeHooksService } from './wake-hooks.service.js';
import { createWakeOutboxRepository } from './wake-outbox.repository.js';
import { createWakeScanService } from './wake-scan.service.js';

interface Deps {
  config: Config;
  db: Db;
  embedded: boolean;
  agents: AgentsService;
  audit: AuditService;
  metrics: Metrics;
  log: FastifyBaseLogger;
}

/** Wake hooks' services: registration, the scan that queues wake calls, and the sender. */
export function createWake({ config, db, embedded, agents, audit, metrics, log }: Deps) {
  const allowPrivate = config.WAKE_HOOK_ALLOW_PRIVATE ?? config.ALERT_WEBHOOK_ALLOW_PRIVATE;
  const hooks = createWakeHooksService({
    repository: createWakeHooksRepository({ db }),
    // A key of its own, derived from the cookie secret, as notification channels' secrets are.
    secrets: createSecretBox(config.cookieSecret, 'agent-wake-hook-secrets'),
    agents,
    audit,
    allowPrivate,
    defaultCoalesceSeconds: config.WAKE_COALESCE_SECONDS,
  });
  return {
    hooks,
    scan: createWakeScanService({
      db,
      exclusive: exclusiveOver(db, embedded),
      graceMs: config.WAKE_GRACE_MS,
      publicUrl: config.publicUrl,
      metrics,
      log,
    }),
    delivery: createWakeDeliveryService({
      outbox: createWakeOutboxRepository({ db }),
      openSecret: hooks.secretOf,
      timeoutMs: config.WAKE_DELIVERY_TIMEOUT_MS,
      giveUpSeconds: config.WAKE_DELIVERY_GIVE_UP,
      allowPrivate,
      metrics,
      log,
    }),
  };
}

export type Wake = ReturnType<typeof createWake>;
