import { and, desc, eq, inArray, isNull, or, sql, type SQL } from 'drizzle-orm';
import { queryRows, type Db } from '../../db/client.js';
import {
  agents,
  alertEvents,
  alertRules,
  alerts,
  notificationOutbox,
  users,
  type AlertRow,
  type AlertState,
} from '../../db/schema/index.js';

export interface Transition {
  ruleId: string;
  agentId: string;
  /** The state row as the evaluator read it (undefined: never evaluated), for the optimistic check. */
  previous: AlertRow | undefined;
  to: AlertState;
  since: Date;
  value: number | null;
  suppressed: string | null;
  /** Notifications to enqueue with this transition, one per channel. */
  notifications: { channelId: string; payload: Record<string, unknown> }[];
  now: Date;
}

export interface Scope {
  userId: string;
  teamIds: string[];
  all: boolean;
}

/** Rules the scope may see: its own, its teams', every rule for a server admin. */
function visibleRules(scope: Scope): SQL | undefined {
  if (scope.all) return undefined;
  return scope.teamIds.length > 0
    ? or(eq(alertRules.ownerId, scope.userId), inArray(alertRules.teamId, scope.teamIds))
    : eq(alertRules.ownerId, scope.userId);
}

/** Keyset "strictly after the cursor row" in (time desc, id desc), compared with the row's own stored time. */
function afterAlert(cursorId: string): SQL {
  const time = sql`(select c.since from ${alerts} c where c.id = ${cursorId}::uuid)`;
  return sql`(${alerts.since}, ${alerts.id}) < (${time}, ${cursorId}::uuid)`;
}

function afterEvent(cursorId: string): SQL {
  const time = sql`(select c.created_at from ${alertEvents} c where c.id = ${cursorId}::uuid)`;
  return sql`(${alertEvents.createdAt}, ${alertEvents.id}) < (${time}, ${cursorId}::uuid)`;
}

const alertColumns = {
  alert: alerts,
  ruleName: alertRules.name,
  severity: alertRules.severity,
  ownerId: alertRules.ownerId,
  teamId: alertRules.teamId,
  agentName: agents.name,
};

/** The state of each (rule, agent) pair, its history, and the transition that writes both with the outbox. */
export function createAlertStatesRepository({ db }: { db: Db }) {
  return {
    forRule: async (ruleId: string) => db.select().from(alerts).where(eq(alerts.ruleId, ruleId)),

    find: async (id: string) =>
      (
        await db
          .select(alertColumns)
          .from(alerts)
          .innerJoin(alertRules, eq(alertRules.id, alerts.ruleId))
          .innerJoin(agents, eq(agents.id, alerts.agentId))
          .where(eq(alerts.id, id))
      )[0],

    /** Alerts about these agents (an agent's tenant over MCP), newest first. */
    aboutAgents: async (agentIds: string[], states: AlertState[], limit: number) =>
      agentIds.length === 0
        ? []
        : db
            .select(alertColumns)
            .from(alerts)
            .innerJoin(alertRules, eq(alertRules.id, alerts.ruleId))
            .innerJoin(agents, eq(agents.id, alerts.agentId))
            .where(and(inArray(alerts.agentId, agentIds), inArray(alerts.state, states)))
            .orderBy(desc(alerts.since), desc(alerts.id))
            .limit(limit),

    list: async (
      scope: Scope,
      filter: {
        states: AlertState[];
        severity?: string | undefined;
        agentId?: string | undefined;
        ruleId?: string | undefined;
      },
      page: { limit: number; cursor?: string | undefined },
    ) =>
      db
        .select(alertColumns)
        .from(alerts)
        .innerJoin(alertRules, eq(alertRules.id, alerts.ruleId))
        .innerJoin(agents, eq(agents.id, alerts.agentId))
        .where(
          and(
            visibleRules(scope),
            inArray(alerts.state, filter.states),
            filter.severity ? eq(alertRules.severity, filter.severity as 'info') : undefined,
            filter.agentId ? eq(alerts.agentId, filter.agentId) : undefined,
            filter.ruleId ? eq(alerts.ruleId, filter.ruleId) : undefined,
            page.cursor ? afterAlert(page.cursor) : undefined,
          ),
        )
        .orderBy(desc(alerts.since), desc(alerts.id))
        .limit(page.limit + 1),

    events: async (
      scope: Scope,
      filter: { agentId?: string | undefined; ruleId?: string | undefined },
      page: { limit: number; cursor?: string | undefined },
    ) =>
      db
        .select({ event: alertEvents })
        .from(alertEvents)
        .innerJoin(alertRules, eq(alertRules.id, alertEvents.ruleId))
        .where(
          and(
            visibleRules(scope),
            filter.agentId ? eq(alertEvents.agentId, filter.agentId) : undefined,
            filter.ruleId ? eq(alertEvents.ruleId, filter.ruleId) : undefined,
            page.cursor ? afterEvent(page.cursor) : undefined,
          ),
        )
        .orderBy(desc(alertEvents.createdAt), desc(alertEvents.id))
        .limit(page.limit + 1),

    acknowledge: async (id: string, by: { userId: string } | { agentId: string }, now: Date) =>
      (
        await db
          .update(alerts)
          .set({
            ...('userId' in by ? { acknowledgedBy: by.userId } : { acknowledgedByAgent: by.agentId }),
            acknowledgedAt: now,
          })
          .where(and(eq(alerts.id, id), eq(alerts.state, 'firing')))
          .returning()
      )[0],

    /** Firing alerts per agent, for the dashboard's badges. */
    firingCounts: async (agentIds: string[]): Promise<Map<string, number>> => {
      if (agentIds.length === 0) return new Map();
      const rows = await db
        .select({ agentId: alerts.agentId, count: sql<number>`count(*)::int` })
        .from(alerts)
        .where(and(inArray(alerts.agentId, agentIds), eq(alerts.state, 'firing')))
        .groupBy(alerts.agentId);
      return new Map(rows.map((r) => [r.agentId, r.count]));
    },

    /** Firing counts by severity over every rule (the Prometheus gauge). */
    firingBySeverity: async () =>
      db
        .select({ severity: alertRules.severity, count: sql<number>`count(*)::int` })
        .from(alerts)
        .innerJoin(alertRules, eq(alertRules.id, alerts.ruleId))
        .where(eq(alerts.state, 'firing'))
        .groupBy(alertRules.severity),

    /** The owner's agents a rule watches: approved, owner not disabled (a suspended agent never fires). */
    agentsInScope: (rule: { ownerId: string; teamId: string | null; agentId: string | null }) =>
      db
        .select({
          id: agents.id,
          name: agents.name,
          serverId: agents.serverId,
          lastSeenAt: agents.lastSeenAt,
          approvedAt: agents.approvedAt,
          createdAt: agents.createdAt,
        })
        .from(agents)
        .innerJoin(users, eq(users.id, agents.ownerId))
        .where(
          and(
            eq(agents.status, 'approved'),
            isNull(users.disabledAt),
            rule.agentId
              ? eq(agents.id, rule.agentId)
              : rule.teamId
                ? eq(agents.teamId, rule.teamId)
                : eq(agents.ownerId, rule.ownerId),
          ),
        ),

    /**
     * The value at `path` of every stored sample of these agents since `from`, oldest first (`null` where the
     * sample lacks it or it is not a number). The path is bound as a text[] parameter, never spliced in.
     */
    samplesAt: async (agentIds: string[], path: string[], from: Date) => {
      if (agentIds.length === 0) return [];
      // A Postgres text[] literal; segments are validated (letters, digits, _ - /), and quoted besides.
      const pathArray = `{${path.map((p) => `"${p.replace(/["\\]/g, '')}"`).join(',')}}`;
      const rows = await queryRows<{ agent_id: string; ts: Date | string; value: unknown }>(
        db,
        sql`select agent_id, ts,
                   case when jsonb_typeof(data #> ${pathArray}::text[]) = 'number'
                        then (data #>> ${pathArray}::text[])::float8 end as value
            from metrics_data
            where agent_id in (select value::uuid from json_array_elements_text(${JSON.stringify(agentIds)}::json))
              and ts >= ${from.toISOString()}::timestamptz
            order by agent_id, ts`,
      );
      return rows.map((r) => ({
        agentId: r.agent_id,
        ts: new Date(r.ts),
        value: typeof r.value === 'number' ? r.value : r.value === null ? null : Number(r.value),
      }));
    },

    /**
     * Writes one transition, its event and its notifications in one transaction. Returns false, writing
     * nothing, when the state changed since it was read (another instance got there first).
     */
    async transition(t: Transition): Promise<boolean> {
      return db.transaction(async (tx) => {
        let alertId: string;
        if (t.previous) {
          const updated = await tx
            .update(alerts)
            .set({
              state: t.to,
              since: t.since,
              value: t.value,
              updatedAt: t.now,
              ...(t.to !== 'firing' ? { acknowledgedBy: null, acknowledgedByAgent: null, acknowledgedAt: null } : {}),
              ...(t.notifications.length > 0 ? { lastNotifiedAt: t.now } : {}),
            })
            .where(
              and(
                eq(alerts.id, t.previous.id),
                eq(alerts.state, t.previous.state),
                eq(alerts.updatedAt, t.previous.updatedAt),
              ),
            )
            .returning({ id: alerts.id });
          if (!updated[0]) return false;
          alertId = updated[0].id;
        } else {
          const inserted = await tx
            .insert(alerts)
            .values({
              ruleId: t.ruleId,
              agentId: t.agentId,
              state: t.to,
              since: t.since,
              value: t.value,
              updatedAt: t.now,
              lastNotifiedAt: t.notifications.length > 0 ? t.now : null,
            })
            .onConflictDoNothing()
            .returning({ id: alerts.id });
          if (!inserted[0]) return false;
          alertId = inserted[0].id;
        }
        const [event] = await tx
          .insert(alertEvents)
          .values({
            alertId,
            ruleId: t.ruleId,
            agentId: t.agentId,
            fromState: t.previous?.state ?? 'ok',
            toState: t.to,
            value: t.value,
            suppressed: t.suppressed,
            createdAt: t.now,
          })
          .returning({ id: alertEvents.id });
        if (event && t.notifications.length > 0)
          await tx
            .insert(notificationOutbox)
            .values(
              t.notifications.map((n) => ({
                idempotencyKey: `${event.id}:${n.channelId}`,
                channelId: n.channelId,
                eventId: event.id,
                payload: { ...n.payload, alert: alertId, event: event.id },
              })),
            )
            .onConflictDoNothing();
        return true;
      });
    },

    /** A reminder for an alert still firing: enqueued once per repeat period (the key says which). */
    async enqueueRepeat(
      alert: AlertRow,
      period: number,
      notifications: { channelId: string; payload: Record<string, unknown> }[],
      now: Date,
    ) {
      return db.transaction(async (tx) => {
        const updated = await tx
          .update(alerts)
          .set({ lastNotifiedAt: now })
          .where(
            and(
              eq(alerts.id, alert.id),
              eq(alerts.state, 'firing'),
              alert.lastNotifiedAt ? eq(alerts.lastNotifiedAt, alert.lastNotifiedAt) : isNull(alerts.lastNotifiedAt),
            ),
          )
          .returning({ id: alerts.id });
        if (!updated[0]) return false;
        await tx
          .insert(notificationOutbox)
          .values(
            notifications.map((n) => ({
              idempotencyKey: `${alert.id}:repeat:${period}:${n.channelId}`,
              channelId: n.channelId,
              payload: { ...n.payload, alert: alert.id },
            })),
          )
          .onConflictDoNothing();
        return true;
      });
    },

    /** States of pairs whose agent left the scope or was deactivated: dropped without notifying. */
    forget: async (ids: string[]) => {
      if (ids.length > 0) await db.delete(alerts).where(inArray(alerts.id, ids));
    },
  };
}

export type AlertStatesRepository = ReturnType<typeof createAlertStatesRepository>;
