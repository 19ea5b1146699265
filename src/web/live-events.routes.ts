import { z } from 'zod';
import { userOf } from '../identity/http/request-actor.js';
import type { RouteModule } from '../http/route-module.js';
import type { AgentRow } from '../db/schema/index.js';
import type { AppEvents } from '../lib/events.js';
import { eventStreams } from './sse.js';

/** Changes announced in a burst (a metrics flush, a fleet linking at once) become one refresh. */
const DEBOUNCE_MS = 250;

/** The dashboard's view of an agent: what the live rows need and nothing more. */
export function liveAgent(agent: AgentRow, online: boolean, firing = 0) {
  return {
    id: agent.id,
    name: agent.displayName ?? agent.name,
    server_id: agent.serverId,
    status: agent.status,
    online,
    last_seen_at: agent.lastSeenAt?.toISOString() ?? null,
    team_id: agent.teamId,
    /** Alerts firing about it now. */
    firing,
  };
}

const WATCHED = [
  'agent.linked',
  'agent.seen',
  'agent.revoked',
  'alerts.changed',
] as const satisfies readonly (keyof AppEvents)[];

/**
 * GET /events: a server-sent event stream of the signed-in person's agents.
 * Each `agents` event carries the whole list (it is small and idempotent, so a
 * reconnect needs no replay); one is sent at connect and whenever it changes.
 * Online/offline is a function of time, so the list is also re-read on every ping.
 */
export const liveEventsRoutes: RouteModule = (app, ctx) => {
  const start = eventStreams(app);
  // One listener per event for all streams (not one per stream, which would trip the emitter's leak warning).
  const subscribers = new Set<() => void>();
  const notify = () => {
    for (const subscriber of subscribers) subscriber();
  };
  for (const name of WATCHED) ctx.events.on(name, notify);
  app.addHook('onClose', (_app, done) => {
    for (const name of WATCHED) ctx.events.off(name, notify);
    done();
  });

  app.get(
    '/events',
    {
      config: { auth: ['user'] },
      schema: {
        tags: ['people'],
        summary: "Live updates of the caller's agents (text/event-stream)",
        querystring: z.object({ once: z.enum(['1', 'true']).optional() }),
      },
    },
    async (request, reply) => {
      const actor = userOf(request);
      const snapshot = async () => {
        const { agents } = await ctx.services.agents.list(actor);
        const firing = await ctx.services.alerting.alerts.firingCounts(agents.map((a) => a.id));
        return JSON.stringify({
          agents: agents.map((a) => liveAgent(a, ctx.services.agents.isOnline(a), firing.get(a.id) ?? 0)),
        });
      };
      let last = await snapshot();
      const stream = start(reply);
      stream.send('agents', last);
      if (request.query.once) return stream.end();

      let pending: NodeJS.Timeout | undefined;
      const refresh = () => {
        pending = undefined;
        snapshot()
          .then((data) => {
            if (data === last || stream.closed) return;
            last = data;
            stream.send('agents', data);
          })
          .catch((error: unknown) => request.log.warn({ err: error }, 'live agents refresh failed'));
      };
      const schedule = () => {
        pending ??= setTimeout(refresh, DEBOUNCE_MS);
      };
      subscribers.add(schedule);
      stream.onTick(schedule);
      stream.onClose(() => {
        subscribers.delete(schedule);
        if (pending) clearTimeout(pending);
      });
    },
  );
};
