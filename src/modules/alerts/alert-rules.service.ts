import type { AlertRuleRow } from '../../db/schema/index.js';
import type { UserActor } from '../../identity/actor.model.js';
import type { AgentsService } from '../agents/agents.service.js';
import type { AuditService } from '../audit/audit.service.js';
import type { TeamsService } from '../teams/teams.service.js';
import { ensureAlerting } from './alert-access.js';
import type { AlertRulesRepository, NewAlertRule } from './alert-rules.repository.js';
import { invalidRule, ruleNotFound, silenceNotFound } from './alerts.errors.js';
import type { CreateRuleInput, UpdateRuleInput } from './alerts.schemas.js';
import type { NotificationChannelsService } from './notification-channels.service.js';

interface Deps {
  repository: AlertRulesRepository;
  agents: Pick<AgentsService, 'get'>;
  teams: Pick<TeamsService, 'findById'>;
  channels: Pick<NotificationChannelsService, 'load'>;
  audit: AuditService;
}

/** Hysteresis only makes sense on the safe side of the threshold: below it for > and >=, above for < and <=. */
function checkResolve(op: string | null, threshold: number | null, resolve: number | null | undefined) {
  if (resolve === null || resolve === undefined || threshold === null || op === null) return;
  const above = op === '>' || op === '>=';
  if (above ? resolve > threshold : resolve < threshold)
    throw invalidRule(`resolve_threshold must be ${above ? 'at most' : 'at least'} the threshold for ${op}.`);
}

export function createAlertRulesService({ repository, agents, teams, channels, audit }: Deps) {
  async function load(id: string, actor: UserActor, action: 'read' | 'manage'): Promise<AlertRuleRow> {
    const rule = await repository.findById(id);
    if (!rule) throw ruleNotFound();
    ensureAlerting(actor, action, rule, () => ruleNotFound());
    return rule;
  }

  /** Every channel must be one the person may use: someone else's is "not found". */
  async function checkChannels(ids: string[], actor: UserActor) {
    for (const id of new Set(ids)) await channels.load(id, actor, 'use');
  }

  return {
    load,

    async create(input: CreateRuleInput, actor: UserActor, ip?: string) {
      let teamId: string | null = input.team_id ?? null;
      if (input.agent_id) {
        // 404 for an agent the person may not see; managing alerts on it takes manage rights.
        const { agent } = await agents.get(input.agent_id, actor);
        ensureAlerting(actor, 'manage', agent, () => ruleNotFound('Agent not found.'));
        teamId = agent.teamId;
      } else if (teamId) {
        const team = await teams.findById(teamId);
        if (!team) throw ruleNotFound('Team not found.');
        ensureAlerting(actor, 'manage', { id: team.id, ownerId: '', teamId }, () => ruleNotFound('Team not found.'));
      }
      checkResolve(input.op ?? null, input.threshold ?? null, input.resolve_threshold);
      await checkChannels(input.channel_ids, actor);
      const rule = await repository.insert({
        ownerId: actor.user.id,
        teamId,
        agentId: input.agent_id ?? null,
        name: input.name,
        kind: input.kind,
        path: input.path ?? null,
        comparison: input.op ?? null,
        threshold: input.threshold ?? null,
        resolveThreshold: input.resolve_threshold ?? null,
        forSeconds: input.for,
        severity: input.severity,
        enabled: input.enabled,
        channelIds: [...new Set(input.channel_ids)],
        repeatSeconds: input.repeat ?? null,
        quietHours: input.quiet_hours ?? null,
      });
      if (!rule) throw ruleNotFound();
      await audit.record({ type: 'alert_rule.created', actor, subjectType: 'alert_rule', subjectId: rule.id, ip });
      return rule;
    },

    list: (actor: UserActor) => repository.listFor(actor.user.id, [...actor.teams.keys()]),

    async update(id: string, input: UpdateRuleInput, actor: UserActor, ip?: string) {
      const rule = await load(id, actor, 'manage');
      const patch: Partial<NewAlertRule> = { updatedAt: new Date() };
      if (input.name !== undefined) patch.name = input.name;
      if (input.path !== undefined) patch.path = input.path;
      if (input.op !== undefined) patch.comparison = input.op;
      if (input.threshold !== undefined) patch.threshold = input.threshold;
      if (input.resolve_threshold !== undefined) patch.resolveThreshold = input.resolve_threshold;
      if (input.for !== undefined) patch.forSeconds = input.for;
      if (input.severity !== undefined) patch.severity = input.severity;
      if (input.enabled !== undefined) patch.enabled = input.enabled;
      if (input.repeat !== undefined) patch.repeatSeconds = input.repeat;
      if (input.quiet_hours !== undefined) patch.quietHours = input.quiet_hours;
      if (input.channel_ids !== undefined) {
        await checkChannels(input.channel_ids, actor);
        patch.channelIds = [...new Set(input.channel_ids)];
      }
      checkResolve(
        patch.comparison ?? rule.comparison,
        patch.threshold ?? rule.threshold,
        patch.resolveThreshold === undefined ? rule.resolveThreshold : patch.resolveThreshold,
      );
      if (rule.kind === 'metric_threshold' && (patch.path === null || patch.comparison === null))
        throw invalidRule('metric_threshold takes path, op and threshold.');
      if (rule.kind !== 'metric_threshold' && patch.forSeconds !== undefined && patch.forSeconds < 30)
        throw invalidRule(`${rule.kind} takes a for of at least 30s.`);
      const updated = await repository.update(rule.id, patch);
      await audit.record({ type: 'alert_rule.updated', actor, subjectType: 'alert_rule', subjectId: rule.id, ip });
      return updated ?? rule;
    },

    async remove(id: string, actor: UserActor, ip?: string) {
      const rule = await load(id, actor, 'manage');
      await repository.delete(rule.id);
      await audit.record({ type: 'alert_rule.deleted', actor, subjectType: 'alert_rule', subjectId: rule.id, ip });
    },

    /** Mute a rule, an agent, or a rule on one agent until a time: transitions are kept, notifications not sent. */
    async silence(
      input: { rule_id?: string | undefined; agent_id?: string | undefined; until: Date; reason?: string | undefined },
      actor: UserActor,
    ) {
      if (input.until.getTime() <= Date.now()) throw invalidRule('until must be in the future.');
      if (input.rule_id) await load(input.rule_id, actor, 'manage');
      if (input.agent_id) {
        const { agent } = await agents.get(input.agent_id, actor);
        ensureAlerting(actor, 'manage', agent, () => silenceNotFound('Agent not found.'));
      }
      const silence = await repository.insertSilence({
        ownerId: actor.user.id,
        ruleId: input.rule_id ?? null,
        agentId: input.agent_id ?? null,
        until: input.until,
        reason: input.reason ?? null,
      });
      if (!silence) throw silenceNotFound();
      return silence;
    },

    listSilences: (actor: UserActor) => repository.listSilences([actor.user.id], new Date()),

    /** Ends a silence: whoever may manage what it mutes (its rule, else its agent) may end it. */
    async unsilence(id: string, actor: UserActor) {
      const silence = await repository.findSilence(id);
      if (!silence) throw silenceNotFound();
      if (silence.ruleId) {
        const rule = await repository.findById(silence.ruleId);
        if (!rule) throw silenceNotFound();
        ensureAlerting(actor, 'manage', rule, () => silenceNotFound());
      } else if (silence.agentId) {
        const { agent } = await agents.get(silence.agentId, actor).catch(() => Promise.reject(silenceNotFound()));
        ensureAlerting(actor, 'manage', agent, () => silenceNotFound());
      }
      await repository.deleteSilence(id);
    },
  };
}

export type AlertRulesService = ReturnType<typeof createAlertRulesService>;
