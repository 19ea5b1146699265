import type { FastifyBaseLogger } from 'fastify';
import type { Config } from './config.js';
import type { Db } from './db/client.js';
import { transactionsOver } from './db/transaction.js';
import { inProcessAttemptLimiters, type AttemptLimiters } from './lib/attempt-limiter.js';
import type { AppEventBus } from './lib/events.js';
import { createAgentsRepository } from './modules/agents/agents.repository.js';
import { createAgentsService } from './modules/agents/agents.service.js';
import { createAlerting } from './modules/alerts/alerting.js';
import { createAuditRepository } from './modules/audit/audit.repository.js';
import { createAuditService } from './modules/audit/audit.service.js';
import { createAccessTokens } from './identity/access-tokens.jwt.js';
import { createCredentialsRepository } from './identity/credentials.repository.js';
import { createCredentialsService } from './identity/credentials.service.js';
import { createRefreshTokensService } from './identity/refresh-tokens.service.js';
import { createDevicesRepository } from './modules/devices/devices.repository.js';
import { createDevicesService } from './modules/devices/devices.service.js';
import { createMetricsRepository } from './modules/metrics/metrics.repository.js';
import { createMetricsService } from './modules/metrics/metrics.service.js';
import { createInboxRepository } from './modules/inbox/inbox.repository.js';
import { createInboxService } from './modules/inbox/inbox.service.js';
import { createDirectService } from './modules/rooms/direct.service.js';
import { createRoomsRepository } from './modules/rooms/rooms.repository.js';
import { createRoomsService } from './modules/rooms/rooms.service.js';
import { createSearchRepository } from './modules/search/search.repository.js';
import { createSearchService } from './modules/search/search.service.js';
import { createClaimsRepository } from './modules/claims/claims.repository.js';
import { createClaimsService } from './modules/claims/claims.service.js';
import { createSessionsRepository } from './identity/sessions.repository.js';
import { createMagicLinksService } from './identity/magic-links.service.js';
import { createSessionsService } from './identity/sessions.service.js';
import { createTeamsRepository } from './modules/teams/teams.repository.js';
import { createTeamsService } from './modules/teams/teams.service.js';
import { createUsersRepository } from './modules/users/users.repository.js';
import { createUsersService } from './modules/users/users.service.js';
import { createWake } from './modules/wake/wake.js';
import type { Metrics } from './observability/metrics.js';

interface Deps {
  config: Config;
  db: Db;
  /** PGlite serializes every query on one connection: one ingest flush at a time (INGEST_FLUSH_CONCURRENCY). */
  embedded: boolean;
  log: FastifyBaseLogger;
  events: AppEventBus;
  metrics: Metrics;
  /** Failed-attempt limits: shared through Redis by the app; in process by default (CLI commands). */
  limiters?: AttemptLimiters;
}

/** Every feature service, wired in one place from repositories over one database. */
export function createServices({
  config,
  db,
  embedded,
  log,
  events,
  metrics,
  limiters = inProcessAttemptLimiters,
}: Deps) {
  const audit = createAuditService({ repository: createAuditRepository({ db }), log });
  const users = createUsersService({ repository: createUsersRepository({ db }), audit });
  const teams = createTeamsService({ repository: createTeamsRepository({ db }), users, audit });
  const sessionsRepository = createSessionsRepository({ db });
  const sessions = createSessionsService({ repository: sessionsRepository, users, teams, audit, limiters });
  const magicLinks = createMagicLinksService({ config, repository: sessionsRepository, users, sessions, audit });
  const accessTokens = createAccessTokens(config);
  const credentialsRepository = createCredentialsRepository({ db });
  const credentials = createCredentialsService({
    repository: credentialsRepository,
    accessTokens,
    audit,
    events,
    metrics,
    limiters,
  });
  const agents = createAgentsService({
    config,
    repository: createAgentsRepository({ db }),
    credentials,
    users,
    teams,
    audit,
    events,
  });
  const refreshTokens = createRefreshTokensService({
    config,
    repository: credentialsRepository,
    accessTokens,
    audit,
    events,
    metrics,
  });
  const devices = createDevicesService({
    config,
    transaction: transactionsOver(db),
    repository: createDevicesRepository({ db }),
    agents,
    teams,
    credentials,
    refreshTokens,
    audit,
    events,
    limiters,
  });
  const metricsService = createMetricsService({
    config,
    repository: createMetricsRepository({ db }),
    agents,
    metrics,
    events,
    flushConcurrency: embedded ? 1 : config.INGEST_FLUSH_CONCURRENCY,
  });
  const roomsRepository = createRoomsRepository({ db });
  const rooms = createRoomsService({
    config,
    repository: roomsRepository,
    agents,
    teams,
    audit,
    events,
    metrics,
  });
  const direct = createDirectService({ repository: roomsRepository, rooms, agents, audit, events });
  const inbox = createInboxService({ repository: createInboxRepository({ db }), rooms, log });
  const search = createSearchService({
    repository: createSearchRepository({ db }),
    rooms,
    rankWindow: config.SEARCH_RANK_WINDOW,
  });
  const claims = createClaimsService({ repository: createClaimsRepository({ db }), rooms, events, metrics });
  const alerting = createAlerting({
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
  });
  const wake = createWake({ config, db, embedded, agents, audit, metrics, log });
  return {
    audit,
    users,
    sessions,
    magicLinks,
    teams,
    accessTokens,
    credentials,
    refreshTokens,
    agents,
    devices,
    metrics: metricsService,
    rooms,
    direct,
    inbox,
    search,
    claims,
    alerting,
    wake,
  };
}

export type Services = ReturnType<typeof createServices>;
