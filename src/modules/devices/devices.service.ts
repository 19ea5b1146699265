import type { Config } from '../../config.js';
import type { DeviceAuthorizationRow, UserRow } from '../../db/schema/index.js';
import type { RunInTransaction } from '../../db/transaction.js';
import type { AttemptLimiters } from '../../lib/attempt-limiter.js';
import { addressKey } from '../../lib/client-address.js';
import { randomToken, sha256 } from '../../lib/crypto.js';
import { notFound } from '../../lib/errors.js';
import type { AgentsService } from '../agents/agents.service.js';
import { serverIdConflict } from '../agents/agents.errors.js';
import type { UserActor } from '../../identity/actor.model.js';
import { ensure } from '../../identity/access.policy.js';
import type { AuditService } from '../audit/audit.service.js';
import type { CredentialsService } from '../../identity/credentials.service.js';
import type { RefreshTokensService, TokenPair } from '../../identity/refresh-tokens.service.js';
import type { TeamsService } from '../teams/teams.service.js';
import { createDevicesRepository, type DevicesRepository } from './devices.repository.js';
import { invalidOrExpiredCode, planLimitReached, tooManyCodeAttempts } from './devices.errors.js';
import { formatUserCode, generateUserCode, normalizeUserCode } from './user-code.js';
import type { AppEventBus } from '../../lib/events.js';

const SLOW_DOWN_STEP = 5;
/** Expired requests keep answering expired_token this long before they are purged. */
export const EXPIRED_RETENTION_MS = 24 * 3600 * 1000;

export interface DeviceRequestInput {
  clientId: string;
  scope?: string | undefined;
  deviceName?: string | undefined;
  serverId?: string | undefined;
  deviceInfo?: Record<string, unknown> | undefined;
  ip?: string | undefined;
}

export type PollResult =
  | { status: 'pending' | 'slow_down'; interval: number }
  | { status: 'denied' | 'expired' | 'already_redeemed' | 'unknown' }
  | { status: 'approved'; tokens: TokenPair; apiToken?: string; request: DeviceAuthorizationRow };

interface Deps {
  config: Config;
  transaction: RunInTransaction;
  repository: DevicesRepository;
  agents: AgentsService;
  teams: Pick<TeamsService, 'findById'>;
  credentials: CredentialsService;
  refreshTokens: RefreshTokensService;
  audit: AuditService;
  events: AppEventBus;
  limiters: AttemptLimiters;
}

function agentSlug(name: string | null): string {
  const slug = (name ?? '')
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[-._]+|[-._]+$/g, '')
    .slice(0, 48);
  return slug || 'agent';
}

/** RFC 8628 device authorization: one service behind the OAuth and the JSON front doors. */
export function createDevicesService({
  config,
  transaction,
  repository,
  agents,
  teams,
  credentials,
  refreshTokens,
  audit,
  events,
  limiters,
}: Deps) {
  // A 20^8 (≈2^34.6) code space with these limits makes guessing impractical: see docs/adr/0007.
  const failuresByUser = limiters({ name: 'user-code-person', max: 10, windowMs: 15 * 60 * 1000 });
  const failuresByIp = limiters({ name: 'user-code-ip', max: 30, windowMs: 15 * 60 * 1000 });
  const planLimits: Record<UserRow['plan'], number> = {
    free: config.PLAN_LIMIT_FREE,
    pro: config.PLAN_LIMIT_PRO,
    enterprise: config.PLAN_LIMIT_ENTERPRISE,
  };

  /** A pending, unexpired request for a code typed by a person; wrong codes count against them. */
  async function findPending(input: string, actor: UserActor, ip: string | undefined): Promise<DeviceAuthorizationRow> {
    const userKey = actor.user.id;
    const ipKey = addressKey(ip);
    const wait = (await failuresByUser.retryAfter(userKey)) || (await failuresByIp.retryAfter(ipKey));
    if (wait) throw tooManyCodeAttempts(wait);
    const code = normalizeUserCode(input);
    const row = code ? await repository.findPendingByUserCode(code) : undefined;
    if (!row || row.expiresAt <= new Date()) {
      await Promise.all([failuresByUser.hit(userKey), failuresByIp.hit(ipKey)]);
      throw invalidOrExpiredCode();
    }
    return row;
  }

  async function checkTeam(teamId: string | undefined, actor: UserActor): Promise<void> {
    if (!teamId) return;
    const team = await teams.findById(teamId);
    if (!team) throw notFound('Team not found.');
    // Linking into a team takes admin rights there: 404 outside the team, 403 for its viewers and members.
    ensure(actor, 'manage', { type: 'team', id: team.id });
  }

  async function checkPlanLimit(actor: UserActor, freeing: number): Promise<void> {
    const limit = planLimits[actor.user.plan];
    const active = (await agents.countActive(actor.user.id)) - freeing;
    if (active >= limit) throw planLimitReached(actor.user.plan, limit);
  }

  return {
    async request(input: DeviceRequestInput) {
      const deviceCode = randomToken(32);
      const expiresAt = new Date(Date.now() + config.DEVICE_CODE_TTL * 1000);
      for (let attempt = 0; attempt < 5; attempt++) {
        const userCode = generateUserCode();
        const row = await repository.insert({
          deviceCodeHash: sha256(deviceCode),
          userCode,
          clientId: input.clientId,
          scope: input.scope ?? null,
          deviceName: input.deviceName ?? null,
          serverId: input.serverId ?? null,
          deviceInfo: input.deviceInfo ?? {},
          requesterIp: input.ip ?? null,
          interval: config.DEVICE_POLL_INTERVAL,
          expiresAt,
        });
        if (!row) continue;
        await audit.record({
          type: 'device.registered',
          actorType: 'anon',
          actorId: null,
          subjectType: 'device_authorization',
          subjectId: row.id,
          ip: input.ip,
          payload: {
            client_id: input.clientId,
            device_name: input.deviceName ?? null,
            server_id: input.serverId ?? null,
          },
        });
        const display = formatUserCode(userCode);
        return {
          deviceCode,
          userCode: display,
          verificationUri: `${config.publicUrl}/link`,
          verificationUriComplete: `${config.publicUrl}/link?user_code=${display}`,
          expiresIn: config.DEVICE_CODE_TTL,
          interval: config.DEVICE_POLL_INTERVAL,
        };
      }
      throw new Error('could not allocate a unique user code');
    },

    async poll(
      deviceCode: string,
      options: { withApiToken: boolean; clientId?: string | undefined; ip?: string | undefined },
    ): Promise<PollResult> {
      const row = await repository.findByDeviceCodeHash(sha256(deviceCode));
      // RFC 8628 §3.4: a code issued to another client is unknown to this one (checked before redeeming it).
      if (!row || (options.clientId !== undefined && options.clientId !== row.clientId)) return { status: 'unknown' };
      const now = new Date();
      // RFC 8628 §3.5: past expires_at the code answers expired_token, approved or not (ADR 0015).
      if ((row.status === 'pending' || row.status === 'approved') && row.expiresAt <= now) {
        if (await repository.transition(row.id, row.status, { status: 'expired' })) await expired(row);
        return { status: 'expired' };
      }
      if (row.status === 'denied' || row.status === 'expired') return { status: row.status };
      if (row.status === 'redeemed') return redeemedAgain(row, options.ip);
      if (row.status === 'pending') {
        // The first poll is never throttled; after that, faster than the interval earns +5 s.
        const tooSoon = row.lastPolledAt !== null && now.getTime() - row.lastPolledAt.getTime() < row.interval * 1000;
        const interval = tooSoon ? row.interval + SLOW_DOWN_STEP : row.interval;
        await repository.recordPoll(row.id, now, interval);
        return { status: tooSoon ? 'slow_down' : 'pending', interval };
      }
      if (!(await repository.transition(row.id, 'approved', { status: 'redeemed', lastPolledAt: now })))
        return redeemedAgain(row, options.ip);
      if (!row.agentId) throw new Error('approved device authorization without an agent');
      const { agent } = await agents.loadUnchecked(row.agentId);
      const scopes = row.scope ? row.scope.split(' ') : [];
      const tokens = await refreshTokens.issue(agent, { familyId: row.id, scopes });
      const apiToken = options.withApiToken
        ? (await credentials.issueApiToken(agent, { familyId: row.id, scopes }, { ip: options.ip })).token
        : undefined;
      await audit.record({
        type: 'device.redeemed',
        actorType: 'agent',
        actorId: agent.id,
        subjectType: 'agent',
        subjectId: agent.id,
        ip: options.ip,
        payload: { device_authorization_id: row.id },
      });
      return { status: 'approved', tokens, request: row, ...(apiToken ? { apiToken } : {}) };
    },

    /** For the confirmation page: the request, and whether its server_id is taken among the person's agents. */
    async inspect(userCode: string, actor: UserActor, ip: string | undefined) {
      const request = await findPending(userCode, actor, ip);
      const conflict = request.serverId
        ? await agents.findActiveByServerId(actor.user.id, request.serverId)
        : undefined;
      return { request, conflict, userCode: formatUserCode(request.userCode) };
    },

    async approve(
      input: { userCode: string; teamId?: string | undefined; replace?: boolean | undefined },
      actor: UserActor,
      ip: string | undefined,
    ) {
      const request = await findPending(input.userCode, actor, ip);
      await checkTeam(input.teamId, actor);
      const existing = request.serverId
        ? await agents.findActiveByServerId(actor.user.id, request.serverId)
        : undefined;
      if (existing && !input.replace) throw serverIdConflict(request.serverId ?? '', existing.id);
      await checkPlanLimit(actor, existing ? 1 : 0);
      if (existing) await agents.replace(existing.serverId ?? '', { actor, ...(ip ? { ip } : {}) });

      const agent = await transaction(async (tx) => {
        const created = await agents.insertLinked(tx, {
          ownerId: actor.user.id,
          teamId: input.teamId ?? null,
          name: agentSlug(request.deviceName ?? request.clientId),
          displayName: request.deviceName,
          serverId: request.serverId,
          deviceInfo: request.deviceInfo,
          approvedAt: new Date(),
        });
        if (!created) throw serverIdConflict(request.serverId ?? '', '');
        const claimed = await createDevicesRepository({ db: tx }).transition(request.id, 'pending', {
          status: 'approved',
          approvedBy: actor.user.id,
          agentId: created.id,
        });
        if (!claimed) throw invalidOrExpiredCode();
        return created;
      });
      events.emit('agent.linked', { agentId: agent.id, ownerId: agent.ownerId, teamId: agent.teamId });
      await audit.record({
        type: 'device.approved',
        actor,
        subjectType: 'agent',
        subjectId: agent.id,
        ip,
        payload: {
          device_authorization_id: request.id,
          server_id: agent.serverId,
          team_id: agent.teamId,
          replaced: existing?.id ?? null,
        },
      });
      return { agent, request };
    },

    async deny(userCode: string, actor: UserActor, ip: string | undefined) {
      const request = await findPending(userCode, actor, ip);
      if (!(await repository.transition(request.id, 'pending', { status: 'denied', approvedBy: actor.user.id })))
        throw invalidOrExpiredCode();
      await audit.record({
        type: 'device.denied',
        actor,
        subjectType: 'device_authorization',
        subjectId: request.id,
        ip,
        payload: { server_id: request.serverId },
      });
      return { request };
    },

    /**
     * Scheduled: expire pending requests and approved ones never redeemed (their agents deactivated), purge
     * long-expired ones. Idempotent, so safe on many instances.
     */
    async cleanup(now = new Date()) {
      const pending = await repository.expirePending(now);
      const approved = await repository.expireApproved(now);
      for (const row of [...pending, ...approved]) await expired(row);
      await repository.purge(new Date(now.getTime() - EXPIRED_RETENTION_MS));
      return { expired: pending.length + approved.length };
    },
  };

  /** A request that just expired; one approved but never redeemed takes its agent with it (ADR 0015). */
  async function expired(row: { id: string; agentId?: string | null }): Promise<void> {
    await audit.record({
      type: 'device.expired',
      actorType: 'system',
      actorId: null,
      subjectType: 'device_authorization',
      subjectId: row.id,
      ...(row.agentId ? { payload: { agent_id: row.agentId } } : {}),
    });
    if (row.agentId) await agents.deactivateUnredeemed(row.agentId, row.id);
  }

  /** A device code presented after redemption: refuse, and revoke what the first redemption issued. */
  async function redeemedAgain(row: DeviceAuthorizationRow, ip: string | undefined): Promise<PollResult> {
    await credentials.revokeFamily(row.id, 'device_code_reused');
    await audit.record({
      type: 'device.code_reused',
      actorType: 'anon',
      actorId: null,
      subjectType: 'device_authorization',
      subjectId: row.id,
      ip,
      payload: { agent_id: row.agentId },
    });
    return { status: 'already_redeemed' };
  }
}

export type DevicesService = ReturnType<typeof createDevicesService>;
