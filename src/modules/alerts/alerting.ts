import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../../config.js';
import type { Db } from '../../db/client.js';
import { exclusiveOver } from '../../db/exclusive.js';
import { toUserIdentity, type UserActor } from '../../identity/actor.model.js';
import { createSecretBox } from '../../lib/secret-box.js';
import type { AppEventBus } from '../../lib/events.js';
import type { Metrics } from '../../observability/metrics.js';
import type { AgentsService } from '../agents/agents.service.js';
import type { AuditService } from '../audit/audit.service.js';
import type { RoomsService } from '../rooms/rooms.service.js';
import type { TeamsService } from '../teams/teams.service.js';
import type { UsersService } from '../users/users.service.js';
import { createAlertEvaluationService } from './alert-evaluation.service.js';
import { createAlertRulesRepository } from './alert-rules.repository.js';
import { createAlertRulesService } from './alert-rules.service.js';
import { createAlertStatesRepository } from './alert-states.repository.js';
import { createAlertsService } from './alerts.service.js';
import { createNotificationChannelsRepository } from './notification-channels.repository.js';
import { createNotificationChannelsService } from './notification-channels.service.js';
import { createNotificationDeliveryService } from './notification-delivery.service.js';
import { createNotificationSenders } from './notification-senders.js';
import { createOutboxRepository } from './outbox.repository.js';

interface Deps {
  config: Config;
  db: Db;
  embedded: boolean;
  agents: AgentsService;
  teams: TeamsService;
  users: UsersService;
  rooms: RoomsService;
  audit: AuditService;
  metrics: Metrics;
  events: AppEventBus;
  log: FastifyBaseLogger;
}

/** Alerting's services over its repositories: rules, channels, alerts, the evaluator and the sender. */
export function createAlerting({
  config,
  db,
  embedded,
  agents,
  teams,
  users,
  rooms,
  audit,
  metrics,
  events,
  log,
}: Deps) {
  const rulesRepository = createAlertRulesRepository({ db });
  const channelsRepository = createNotificationChannelsRepository({ db });
  const statesRepository = createAlertStatesRepository({ db });

  /** A room notification is posted as the channel's owner (if they are still enabled). */
  async function ownerActor(userId: string): Promise<UserActor | undefined> {
    const { user } = await users.get(userId);
    if (user.disabledAt) return undefined;
    return {
      kind: 'user',
      user: toUserIdentity(user),
      sessionId: 'alerting',
      teams: await teams.membershipsOf(user.id),
    };
  }

  const senders = createNotificationSenders({
    timeoutMs: config.ALERT_DELIVERY_TIMEOUT_MS,
    allowPrivate: config.ALERT_WEBHOOK_ALLOW_PRIVATE,
    smtpUrl: config.SMTP_URL,
    smtpFrom: config.SMTP_FROM,
    rooms,
    ownerActor,
  });
  const channels = createNotificationChannelsService({
    repository: channelsRepository,
    // A key of its own, derived from the cookie secret (rotate with care: see ALERTING.md).
    secrets: createSecretBox(config.cookieSecret, 'notification-channel-secrets'),
    senders,
    teams,
    rooms,
    audit,
    allowPrivate: config.ALERT_WEBHOOK_ALLOW_PRIVATE,
    publicUrl: config.publicUrl,
  });
  return {
    rules: createAlertRulesService({ repository: rulesRepository, agents, teams, channels, audit }),
    channels,
    alerts: createAlertsService({
      repository: statesRepository,
      audit,
      events,
      tenantAgentIds: async (actor) =>
        (await agents.listTenant(actor.agent.ownerId, actor.agent.teamId)).agents.map((a) => a.id),
    }),
    evaluation: createAlertEvaluationService({
      config,
      rules: rulesRepository,
      states: statesRepository,
      exclusive: exclusiveOver(db, embedded),
      metrics,
      events,
    }),
    delivery: createNotificationDeliveryService({
      config,
      outbox: createOutboxRepository({ db }),
      channels: channelsRepository,
      secrets: channels,
      senders,
      metrics,
      log,
    }),
  };
}

export type Alerting = ReturnType<typeof createAlerting>;
