import type { Config } from '../../config.js';
import type { RunExclusive } from '../../db/exclusive.js';
import type { AlertRow, AlertRuleRow } from '../../db/schema/index.js';
import type { AppEventBus } from '../../lib/events.js';
import type { Metrics } from '../../observability/metrics.js';
import type { AlertRulesRepository } from './alert-rules.repository.js';
import type { AlertStatesRepository } from './alert-states.repository.js';
import { evaluate, inQuietHours, type Sample } from './alert-evaluator.js';
import { notificationPayload } from './notification-body.js';

// Same value in every instance: one evaluator at a time across the fleet.
const EVALUATION_LOCK_ID = 0x41_47_48_41; // "AGHA"

interface Deps {
  config: Config;
  rules: AlertRulesRepository;
  states: AlertStatesRepository;
  exclusive: RunExclusive;
  metrics: Metrics;
  events: AppEventBus;
}

export interface CycleResult {
  rules: number;
  pairs: number;
  transitions: number;
  notifications: number;
  skipped?: boolean;
}

/**
 * The evaluation job: every enabled rule against the stored samples of each agent in its scope. Each
 * transition is written with its event and its outbox rows in one transaction, and only if the state is
 * still the one read (so two evaluators never notify one transition twice).
 */
export function createAlertEvaluationService({ config, rules, states, exclusive, metrics, events }: Deps) {
  async function evaluateRule(
    rule: AlertRuleRow,
    silenced: (ruleId: string, agentId: string) => boolean,
    now: Date,
    changed: Set<string>,
  ) {
    const result = { pairs: 0, transitions: 0, notifications: 0 };
    const scoped = await states.agentsInScope(rule);
    const current = new Map<string, AlertRow>((await states.forRule(rule.id)).map((s) => [s.agentId, s]));
    // States of agents no longer watched (deactivated, suspended, moved): dropped, never notified.
    const watched = new Set(scoped.map((a) => a.id));
    await states.forget([...current.values()].filter((s) => !watched.has(s.agentId)).map((s) => s.id));

    const samples = new Map<string, Sample[]>();
    if (rule.kind !== 'agent_offline' && rule.path) {
      // Enough history to see where a breaching run began, beyond `for` by a couple of evaluation periods.
      const from = new Date(now.getTime() - (rule.forSeconds + 2 * config.ALERT_EVAL_INTERVAL + 60) * 1000);
      for (const s of await states.samplesAt(
        scoped.map((a) => a.id),
        rule.path.split('.'),
        from,
      )) {
        let list = samples.get(s.agentId);
        if (!list) samples.set(s.agentId, (list = []));
        list.push({ ts: s.ts, value: s.value });
      }
    }

    for (const agent of scoped) {
      result.pairs++;
      const previous = current.get(agent.id);
      const verdict = evaluate(
        rule,
        previous,
        { lastSeenAt: agent.lastSeenAt, since: agent.approvedAt ?? agent.createdAt },
        samples.get(agent.id) ?? [],
        now,
        config.AGENT_OFFLINE_AFTER,
      );
      const from = previous?.state ?? 'ok';
      const payloadFor = (status: 'firing' | 'resolved', startedAt: Date) =>
        rule.channelIds.map((channelId) => ({
          channelId,
          payload: notificationPayload(status, rule, agent, verdict.value, startedAt, config.publicUrl),
        }));

      if (verdict.state === from) {
        // Still firing: a reminder each repeat period, unless acknowledged, silenced or in quiet hours.
        if (
          previous &&
          from === 'firing' &&
          rule.repeatSeconds &&
          !previous.acknowledgedAt &&
          previous.lastNotifiedAt &&
          now.getTime() - previous.lastNotifiedAt.getTime() >= rule.repeatSeconds * 1000 &&
          !silenced(rule.id, agent.id) &&
          !(rule.severity !== 'critical' && inQuietHours(rule.quietHours, now))
        ) {
          const period = Math.floor((now.getTime() - previous.since.getTime()) / (rule.repeatSeconds * 1000));
          if (await states.enqueueRepeat(previous, period, payloadFor('firing', previous.since), now))
            result.notifications += rule.channelIds.length;
        }
        continue;
      }

      // Notified: entering firing, and leaving it when the firing was notified. Pending is recorded only.
      const notify =
        verdict.state === 'firing' || (from === 'firing' && verdict.state === 'ok' && previous?.lastNotifiedAt != null);
      const suppressed = !notify
        ? null
        : silenced(rule.id, agent.id)
          ? 'silenced'
          : rule.severity !== 'critical' && inQuietHours(rule.quietHours, now)
            ? 'quiet_hours'
            : null;
      const status = verdict.state === 'firing' ? 'firing' : 'resolved';
      const startedAt = verdict.state === 'firing' ? verdict.since : (previous?.since ?? now);
      const written = await states.transition({
        ruleId: rule.id,
        agentId: agent.id,
        previous,
        to: verdict.state,
        since: verdict.since,
        value: verdict.value,
        suppressed,
        notifications: notify && !suppressed ? payloadFor(status, startedAt) : [],
        now,
      });
      if (written) {
        result.transitions++;
        changed.add(agent.id);
        if (notify && !suppressed) result.notifications += rule.channelIds.length;
      }
    }
    return result;
  }

  async function evaluateAll(now = new Date()): Promise<CycleResult> {
    const end = metrics.alertEvaluationDuration.startTimer();
    const outcome = await exclusive(EVALUATION_LOCK_ID, async () => {
      const enabled = await rules.listEnabled();
      const active = await rules.activeSilences(now);
      const silenced = (ruleId: string, agentId: string) =>
        active.some((s) => (s.ruleId === null || s.ruleId === ruleId) && (s.agentId === null || s.agentId === agentId));
      const total: CycleResult = { rules: enabled.length, pairs: 0, transitions: 0, notifications: 0 };
      const changed = new Set<string>();
      for (const rule of enabled) {
        const r = await evaluateRule(rule, silenced, now, changed);
        total.pairs += r.pairs;
        total.transitions += r.transitions;
        total.notifications += r.notifications;
      }
      if (changed.size > 0) events.emit('alerts.changed', { agentIds: [...changed] });
      metrics.alertsFiring.reset();
      for (const { severity, count } of await states.firingBySeverity()) metrics.alertsFiring.set({ severity }, count);
      return total;
    });
    end();
    return outcome === 'skipped' ? { rules: 0, pairs: 0, transitions: 0, notifications: 0, skipped: true } : outcome;
  }

  return { evaluateAll };
}

export type AlertEvaluationService = ReturnType<typeof createAlertEvaluationService>;
