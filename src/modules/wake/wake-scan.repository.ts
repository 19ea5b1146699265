import { sql, type SQL } from 'drizzle-orm';
import { queryRows, type Db } from '../../db/client.js';
import { wakeOutbox, type RecipientReason } from '../../db/schema/index.js';
import type { WakePayload } from './wake-body.js';

const iso = (d: Date) => sql`${d.toISOString()}::timestamptz`;

/**
 * A recipient row that may wake its agent `r` (through its hook `h`): not delivered to a socket, not
 * acknowledged, not covered by a wake yet, older than the grace, addressed since the hook exists, and a
 * mention or direct message (an `@room` mention only when the hook opted in).
 */
function wakeable(cutoff: Date): SQL {
  return sql`r.delivered_at is null and r.acknowledged_at is null and r.wake_id is null
    and r.created_at <= ${iso(cutoff)} and r.created_at >= h.created_at
    and (r.reason <> 'room_mention' or h.wake_on_room_mentions)`;
}

/** An agent that may be woken: approved, and its owner not disabled (a suspended agent never is). */
const activeAgent = sql`join agents a on a.id = h.agent_id and a.status = 'approved'
  join users u on u.id = a.owner_id and u.disabled_at is null`;

/** No wake call of this agent within its coalescing window before `now`. */
const outsideWindow = (now: Date) => sql`not exists (
  select 1 from wake_outbox w
  where w.agent_id = h.agent_id and w.created_at > ${iso(now)} - h.coalesce_seconds * interval '1 second')`;

export interface CoveredRecipient {
  messageId: string;
  reason: RecipientReason;
  createdAt: Date;
}

export interface ListedMessage {
  id: string;
  roomId: string;
  roomSlug: string;
  seq: number;
  body: string;
  createdAt: Date;
  senderAgentId: string | null;
  senderAgentName: string | null;
  senderUserId: string | null;
  senderUserName: string | null;
}

/** The wake scan's queries. `cover` and what follows it run in one transaction (`db` is then the tx). */
export function createWakeScanRepository({ db }: { db: Db }) {
  return {
    /** Agents with something to wake them for and no wake call in their window. */
    async dueAgents(now: Date, cutoff: Date, limit: number): Promise<string[]> {
      const rows = await queryRows<{ agent_id: string }>(
        db,
        sql`select h.agent_id from agent_wake_hooks h ${activeAgent}
            where exists (select 1 from message_recipients r where r.agent_id = h.agent_id and ${wakeable(cutoff)})
              and ${outsideWindow(now)}
            limit ${limit}`,
      );
      return rows.map((r) => r.agent_id);
    },

    /**
     * Locks the agent's hook (one cover per agent at a time), checks again that it is due, and points every
     * wakeable recipient row at `wakeId`. Returns the agent's name and the rows it covered; nothing when
     * the agent is no longer due.
     */
    async cover(agentId: string, wakeId: string, now: Date, cutoff: Date) {
      const [agent] = await queryRows<{ name: string }>(
        db,
        sql`select a.name from agent_wake_hooks h ${activeAgent}
            where h.agent_id = ${agentId} and ${outsideWindow(now)}
            for update of h`,
      );
      if (!agent) return undefined;
      const rows = await queryRows<{ message_id: string; reason: RecipientReason; created_at: Date | string }>(
        db,
        sql`update message_recipients r set wake_id = ${wakeId}
            from agent_wake_hooks h
            where h.agent_id = r.agent_id and r.agent_id = ${agentId} and ${wakeable(cutoff)}
            returning r.message_id, r.reason, r.created_at`,
      );
      const covered: CoveredRecipient[] = rows
        .map((r) => ({ messageId: r.message_id, reason: r.reason, createdAt: new Date(r.created_at) }))
        .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
      return { agentName: agent.name, covered };
    },

    async messages(ids: string[]): Promise<ListedMessage[]> {
      if (ids.length === 0) return [];
      const rows = await queryRows<{
        id: string;
        room_id: string;
        room_slug: string;
        seq: number | string;
        body: string;
        created_at: Date | string;
        sender_agent_id: string | null;
        sender_agent_name: string | null;
        sender_user_id: string | null;
        sender_user_name: string | null;
      }>(
        db,
        sql`select m.id, m.room_id, ro.slug as room_slug, m.seq, m.body, m.created_at,
                   m.sender_agent_id, sa.name as sender_agent_name, m.sender_user_id, su.name as sender_user_name
            from messages m
            join rooms ro on ro.id = m.room_id
            left join agents sa on sa.id = m.sender_agent_id
            left join users su on su.id = m.sender_user_id
            where m.id in (${sql.join(
              ids.map((id) => sql`${id}::uuid`),
              sql`, `,
            )})`,
      );
      return rows.map((r) => ({
        id: r.id,
        roomId: r.room_id,
        roomSlug: r.room_slug,
        seq: Number(r.seq),
        body: r.body,
        createdAt: new Date(r.created_at),
        senderAgentId: r.sender_agent_id,
        senderAgentName: r.sender_agent_name,
        senderUserId: r.sender_user_id,
        senderUserName: r.sender_user_name,
      }));
    },

    async queue(wakeId: string, agentId: string, payload: WakePayload, now: Date): Promise<void> {
      await db.insert(wakeOutbox).values({
        id: wakeId,
        agentId,
        payload: payload as unknown as Record<string, unknown>,
        createdAt: now,
        nextAttemptAt: now,
      });
    },
  };
}
