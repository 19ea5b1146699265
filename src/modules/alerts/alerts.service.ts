import type { AlertState } from '../../db/schema/index.js';
import type { AgentActor, UserActor } from '../../identity/actor.model.js';
import { agentResource, authorize } from '../../identity/access.policy.js';
import type { AppEventBus } from '../../lib/events.js';
import type { AuditService } from '../audit/audit.service.js';
import { ensureAlerting, scopeOf } from './alert-access.js';
import type { AlertStatesRepository, Scope } from './alert-states.repository.js';
import { alertNotFound, notAcknowledgeable } from './alerts.errors.js';
import type { AlertsQuery, EventsQuery } from './alerts.schemas.js';

interface Deps {
  repository: AlertStatesRepository;
  audit: AuditService;
  /** The agents of an agent's owner and team (what MCP's list_agents shows it). */
  tenantAgentIds: (actor: AgentActor) => Promise<string[]>;
  events: AppEventBus;
}

const ACTIVE: AlertState[] = ['pending', 'firing'];

/** Reading alerts and their history, and acknowledging a firing one. */
export function createAlertsService({ repository, audit, tenantAgentIds, events }: Deps) {
  async function page(scope: Scope, query: AlertsQuery) {
    const states = query.state === 'active' ? ACTIVE : [query.state];
    const rows = await repository.list(
      scope,
      { states, severity: query.severity, agentId: query.agent_id, ruleId: query.rule_id },
      { limit: query.limit, cursor: query.cursor },
    );
    const kept = rows.slice(0, query.limit);
    const last = kept.at(-1);
    return {
      alerts: kept.map((r) => ({ ...r.alert, ruleName: r.ruleName, severity: r.severity, agentName: r.agentName })),
      nextCursor: rows.length > query.limit && last ? last.alert.id : null,
    };
  }

  return {
    list: (actor: UserActor, query: AlertsQuery) => page(scopeOf(actor), query),
    /** Every alert on the server (the operator's `agenthub alerts list`). */
    listAll: (query: AlertsQuery) => page({ userId: '', teamIds: [], all: true }, query),

    async events(actor: UserActor, query: EventsQuery) {
      const rows = await repository.events(
        scopeOf(actor),
        { agentId: query.agent_id, ruleId: query.rule_id },
        { limit: query.limit, cursor: query.cursor },
      );
      const page = rows.slice(0, query.limit).map((r) => r.event);
      const last = page.at(-1);
      return { events: page, nextCursor: rows.length > query.limit && last ? last.id : null };
    },

    /** Firing alerts per agent (dashboard badges). */
    firingCounts: (agentIds: string[]) => repository.firingCounts(agentIds),

    /** MCP list_alerts: alerts about the agents of the calling agent's tenant. */
    async listForAgent(actor: AgentActor, state: AlertsQuery['state'], limit: number) {
      const rows = await repository.aboutAgents(
        await tenantAgentIds(actor),
        state === 'active' ? ACTIVE : [state],
        limit,
      );
      return rows.map((r) => ({ ...r.alert, ruleName: r.ruleName, severity: r.severity, agentName: r.agentName }));
    },

    /** MCP acknowledge_alert: an agent takes an alert about itself (an admin agent: about its tenant's agents). */
    async acknowledgeByAgent(id: string, actor: AgentActor) {
      const found = await repository.find(id);
      if (
        !found ||
        !authorize(
          actor,
          'use',
          agentResource({ id: found.alert.agentId, ownerId: found.ownerId, teamId: found.teamId }),
        )
      )
        throw alertNotFound();
      const acknowledged = await repository.acknowledge(id, { agentId: actor.agent.id }, new Date());
      if (!acknowledged) throw notAcknowledgeable();
      await audit.record({ type: 'alert.acknowledged', actor, subjectType: 'alert', subjectId: id });
      events.emit('alerts.changed', { agentIds: [found.alert.agentId] });
      return { ...acknowledged, ruleName: found.ruleName, severity: found.severity, agentName: found.agentName };
    },

    /** A person takes a firing alert: repeats stop until it resolves (and fires again). */
    async acknowledge(id: string, actor: UserActor, ip?: string) {
      const found = await repository.find(id);
      if (!found) throw alertNotFound();
      ensureAlerting(actor, 'use', { id, ownerId: found.ownerId, teamId: found.teamId }, () => alertNotFound());
      const acknowledged = await repository.acknowledge(id, { userId: actor.user.id }, new Date());
      if (!acknowledged) throw notAcknowledgeable();
      await audit.record({ type: 'alert.acknowledged', actor, subjectType: 'alert', subjectId: id, ip });
      events.emit('alerts.changed', { agentIds: [found.alert.agentId] });
      return { ...acknowledged, ruleName: found.ruleName, severity: found.severity, agentName: found.agentName };
    },
  };
}

export type AlertsService = ReturnType<typeof createAlertsService>;
