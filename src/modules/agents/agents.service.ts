import type { Config } from '../../config.js';
import type { AgentRow } from '../../db/schema/index.js';
import type { AppEventBus } from '../../lib/events.js';
import type { Actor, UserActor } from '../../identity/actor.model.js';
import type { AuditService } from '../audit/audit.service.js';
import { agentResource, ensure } from '../../identity/access.policy.js';
import type { CredentialsService } from '../../identity/credentials.service.js';
import type { TeamsService } from '../teams/teams.service.js';
import type { UsersService } from '../users/users.service.js';
import type { Db } from '../../db/client.js';
import { createAgentsRepository, type AgentsRepository, type NewAgent } from './agents.repository.js';
import { agentNotActive, agentNotFound, ownerNotFound, serverIdConflict } from './agents.errors.js';

interface Deps {
  config: Config;
  repository: AgentsRepository;
  credentials: CredentialsService;
  users: UsersService;
  teams: Pick<TeamsService, 'findById'>;
  audit: AuditService;
  events: AppEventBus;
}

export interface AgentContext {
  actor: Actor;
  ip?: string;
}

export interface CreateAgentInput {
  name: string;
  displayName?: string | undefined;
  role?: 'admin' | 'agent' | undefined;
  serverId?: string | undefined;
  ownerId?: string | undefined;
  teamId?: string | undefined;
}

export function createAgentsService({ config, repository, credentials, users, teams, audit, events }: Deps) {
  // A disabled person's agents are suspended (ADR 0014): their credentials are refused while the owner is
  // disabled (checked at authentication), and their live sockets drop now.
  users.whenDisabled(async (userId) => {
    for (const agentId of await repository.activeIdsOwnedBy(userId))
      events.emit('agent.revoked', { agentId, reason: 'owner_disabled' });
  });

  /** Loads an agent the actor may act on; 404 for agents it may not see. */
  async function load(id: string, actor: Actor, action: 'read' | 'manage' = 'read'): Promise<AgentRow> {
    const agent = await repository.findById(id);
    if (!agent) throw agentNotFound();
    ensure(actor, action, agentResource(agent));
    return agent;
  }

  async function endAgent(agent: AgentRow, status: 'inactive' | 'revoked' | 'replaced', { actor, ip }: AgentContext) {
    const updated = await repository.setStatus(agent.id, status, new Date());
    await credentials.revokeAllForAgent(agent.id, status, { actor, ...(ip ? { ip } : {}) });
    events.emit('agent.revoked', { agentId: agent.id, reason: status });
    await audit.record({
      type: `agent.${status === 'inactive' ? 'deactivated' : status}`,
      actor,
      subjectType: 'agent',
      subjectId: agent.id,
      ip,
    });
    return updated ?? agent;
  }

  return {
    load,

    /** The agent row a device approval creates, inside the approval's transaction (`tx`). */
    insertLinked: (tx: Db, row: NewAgent) => createAgentsRepository({ db: tx }).insert(row),

    /** For internal flows that already decided access (device redemption). */
    async loadUnchecked(id: string) {
      const agent = await repository.findById(id);
      if (!agent) throw agentNotFound();
      return { agent };
    },

    countActive: (ownerId: string) => repository.countActive(ownerId),
    findActiveByServerId: (ownerId: string, serverId: string) => repository.findActiveByServerId(ownerId, serverId),

    isOnline: (agent: AgentRow, now = Date.now()) =>
      agent.lastSeenAt !== null && now - agent.lastSeenAt.getTime() < config.AGENT_OFFLINE_AFTER * 1000,

    /** Admin-created identity (AgentHub style), no device flow. */
    async create(input: CreateAgentInput, { actor, ip }: { actor: UserActor; ip?: string }) {
      const ownerId = input.ownerId ?? actor.user.id;
      if (input.ownerId) await users.get(input.ownerId).catch(() => Promise.reject(ownerNotFound()));
      if (input.teamId && !(await teams.findById(input.teamId))) throw ownerNotFound();
      if (input.serverId) {
        const existing = await repository.findActiveByServerId(ownerId, input.serverId);
        if (existing) throw serverIdConflict(input.serverId, existing.id);
      }
      const agent = await repository.insert({
        ownerId,
        teamId: input.teamId ?? null,
        name: input.name,
        displayName: input.displayName ?? null,
        serverId: input.serverId ?? null,
        role: input.role ?? 'agent',
        approvedAt: new Date(),
      });
      if (!agent) throw serverIdConflict(input.serverId ?? '', '');
      events.emit('agent.linked', { agentId: agent.id, ownerId: agent.ownerId, teamId: agent.teamId });
      await audit.record({
        type: 'agent.created',
        actor,
        subjectType: 'agent',
        subjectId: agent.id,
        ip,
        payload: { name: agent.name, server_id: agent.serverId, owner_id: ownerId },
      });
      return { agent };
    },

    list: async (actor: UserActor) => ({ agents: await repository.listVisible(visibleScope(actor)) }),

    /** An agent's tenant: every agent of its owner or of its team (what an agent may read, per the policy). */
    listTenant: async (ownerId: string, teamId: string | null) => ({
      agents: await repository.listVisible({ userId: ownerId, teamIds: teamId ? [teamId] : [] }),
    }),

    /** Agents the actor may read: a person's visible agents, or an agent's tenant. */
    listReadable: async (actor: Actor) => ({
      agents: await repository.listVisible(
        actor.kind === 'user'
          ? visibleScope(actor)
          : { userId: actor.agent.ownerId, teamIds: actor.agent.teamId ? [actor.agent.teamId] : [] },
      ),
    }),

    get: async (id: string, actor: Actor) => ({ agent: await load(id, actor) }),

    async deactivate(id: string, context: AgentContext) {
      const agent = await load(id, context.actor, 'manage');
      if (agent.status !== 'approved') throw agentNotActive();
      return { agent: await endAgent(agent, 'inactive', context) };
    },

    /**
     * The agent an approved device code created, when the code expired before the device redeemed it
     * (ADR 0015): deactivated, with a reason, rather than left active with nobody holding it.
     */
    async deactivateUnredeemed(id: string, deviceAuthorizationId: string) {
      const agent = await repository.findById(id);
      if (!agent || agent.status !== 'approved') return;
      await repository.setStatus(agent.id, 'inactive', new Date());
      // None was issued by the link; one an owner issued meanwhile on the agent's page goes with it.
      await credentials.revokeAllForAgent(agent.id, 'device_code_expired', {});
      events.emit('agent.revoked', { agentId: agent.id, reason: 'device_code_expired' });
      await audit.record({
        type: 'agent.deactivated',
        actorType: 'system',
        actorId: null,
        subjectType: 'agent',
        subjectId: agent.id,
        payload: { reason: 'device_code_expired', device_authorization_id: deviceAuthorizationId },
      });
    },

    /** Frees a server_id for a new link: the active agent with it becomes `replaced`. */
    async replace(serverId: string, context: { actor: UserActor; ip?: string }) {
      const agent = await repository.findActiveByServerId(context.actor.user.id, serverId);
      if (!agent) throw agentNotFound('No active agent with that server_id.');
      return { agent: await endAgent(agent, 'replaced', context) };
    },

    async issueToken(
      id: string,
      input: { expiresAt?: Date | undefined; scopes?: string[] | undefined },
      context: AgentContext,
    ) {
      const agent = await load(id, context.actor, 'manage');
      if (agent.status !== 'approved') throw agentNotActive();
      return credentials.issueApiToken(agent, input, context);
    },

    async listTokens(id: string, actor: Actor) {
      const agent = await load(id, actor, 'manage');
      return { tokens: await credentials.listForAgent(agent.id) };
    },

    /** Revokes every credential of the agent and returns one new API token, once. */
    async regenerateToken(id: string, context: AgentContext) {
      const agent = await load(id, context.actor, 'manage');
      if (agent.status !== 'approved') throw agentNotActive();
      await credentials.revokeAllForAgent(agent.id, 'regenerated', context);
      events.emit('agent.revoked', { agentId: agent.id, reason: 'regenerated' });
      await audit.record({
        type: 'agent.token_regenerated',
        actor: context.actor,
        subjectType: 'agent',
        subjectId: agent.id,
        ip: context.ip,
      });
      return credentials.issueApiToken(agent, {}, context);
    },
  };
}

function visibleScope(actor: UserActor) {
  return actor.user.role === 'admin'
    ? ({ all: true } as const)
    : { userId: actor.user.id, teamIds: [...actor.teams.keys()] };
}

export type AgentsService = ReturnType<typeof createAgentsService>;
