import type { ServerResponse } from 'node:http';
import { z } from 'zod';
import { userOf } from '../http/actors.js';
import type { RouteModule } from '../http/route-module.js';
import type { AgentRow } from '../db/schema/index.js';
import type { AppEvents } from '../lib/events.js';

/** Online/offline is a function of time: recompute this often even when nothing is announced. */
const RECOMPUTE_MS = 15_000;
/** Changes announced in a burst (a metrics flush, a fleet linking at once) become one refresh. */
const DEBOUNCE_MS = 250;
/** Streams end after this; EventSource reconnects, so a revoked session stops getting data within it. */
const MAX_STREAM_MS = 5 * 60_000;

/** The dashboard's view of an agent: what the live rows need and nothing more. */
export function liveAgent(agent: AgentRow, online: boolean) {
  return {
    id: agent.id,
    name: agent.displayName ?? agent.name,
    server_id: agent.serverId,
    status: agent.status,
    online,
    last_seen_at: agent.lastSeenAt?.toISOString() ?? null,
    team_id: agent.teamId,
  };
}

const WATCHED = ['agent.linked', 'agent.seen', 'agent.revoked'] as const satisfies readonly (keyof AppEvents)[];

/**
 * GET /events: a server-sent event stream of the signed-in person's agents.
 * Each `agents` event carries the whole list (it is small and idempotent, so a
 * reconnect needs no replay); one is sent at connect and whenever it changes.
 */
export const liveEventsRoutes: RouteModule = (app, ctx) => {
  const open = new Set<ServerResponse>();
  app.addHook('preClose', (done) => {
    for (const raw of open) raw.end();
    open.clear();
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
        return JSON.stringify({ agents: agents.map((a) => liveAgent(a, ctx.services.agents.isOnline(a))) });
      };
      const first = await snapshot();
      reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        'x-accel-buffering': 'no',
      });
      raw.write(`retry: 3000\nevent: agents\ndata: ${first}\n\n`);
      if (request.query.once) {
        raw.end();
        return;
      }

      let last = first;
      let pending: NodeJS.Timeout | undefined;
      const refresh = () => {
        pending = undefined;
        snapshot()
          .then((data) => {
            if (data === last || raw.writableEnded) return;
            last = data;
            raw.write(`event: agents\ndata: ${data}\n\n`);
          })
          .catch((error: unknown) => request.log.warn({ err: error }, 'live agents refresh failed'));
      };
      const schedule = () => {
        pending ??= setTimeout(refresh, DEBOUNCE_MS);
      };
      for (const name of WATCHED) ctx.events.on(name, schedule);
      const tick = setInterval(() => {
        raw.write(': ping\n\n');
        schedule();
      }, RECOMPUTE_MS);
      const lifetime = setTimeout(() => raw.end(), MAX_STREAM_MS);
      open.add(raw);
      raw.on('close', () => {
        open.delete(raw);
        for (const name of WATCHED) ctx.events.off(name, schedule);
        clearInterval(tick);
        clearTimeout(lifetime);
        if (pending) clearTimeout(pending);
      });
    },
  );
};
