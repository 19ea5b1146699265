import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { badRequest, notFound } from '../../lib/errors.js';
import { guarded } from './mcp.results.js';
import { getMetricsInput, listAgentsInput, parseTime } from './mcp.schemas.js';
import type { ToolContext } from './mcp.tool-context.js';

const READ_ONLY = { readOnlyHint: true, openWorldHint: false } as const;

/** list_agents and get_metrics: the agent's tenant (its owner's and its team's agents), nothing wider. */
export function registerFleetTools(server: McpServer, context: ToolContext): void {
  const { ctx, actor } = context;
  const { agents, metrics } = ctx.services;

  server.registerTool(
    'list_agents',
    {
      title: 'List agents',
      description:
        'Lists the agents of your owner and your team (you included, is_you: true), with their status and whether they ' +
        'are online (seen recently). server_id is what get_metrics takes. By default only active agents are listed.',
      inputSchema: listAgentsInput,
      annotations: READ_ONLY,
    },
    guarded('list_agents', context, async (args) => {
      const { agents: tenant } = await agents.listTenant(actor.agent.ownerId, actor.agent.teamId);
      const now = Date.now();
      return {
        agents: tenant
          .filter((a) => args.include_inactive || a.status === 'approved')
          .map((a) => ({
            id: a.id,
            name: a.name,
            display_name: a.displayName,
            server_id: a.serverId,
            role: a.role,
            status: a.status,
            online: agents.isOnline(a, now),
            last_seen_at: a.lastSeenAt?.toISOString() ?? null,
            team_id: a.teamId,
            is_you: a.id === actor.agent.id,
          })),
      };
    }),
  );

  server.registerTool(
    'get_metrics',
    {
      title: 'Get metrics',
      description:
        'Reads the metrics an agent of your owner or team reported, by its server_id. Without path: its latest raw ' +
        'snapshots, newest first (limit). With a numeric path such as cpu.usage: that value averaged into buckets of ' +
        'step seconds between from and to (default: the last hour), each with avg, min, max and count.',
      inputSchema: getMetricsInput,
      annotations: READ_ONLY,
    },
    guarded('get_metrics', context, async (args) => {
      const from = time('from', args.from);
      const to = time('to', args.to);
      if (args.path === undefined) {
        const rows = await metrics.latest(actor, args.server_id, { from, to, limit: args.limit });
        if (!rows) throw notFound('No agent of your owner or team has that server_id.');
        return {
          server_id: args.server_id,
          snapshots: rows.map((r) => ({
            timestamp: r.ts.toISOString(),
            received_at: r.receivedAt.toISOString(),
            agent_id: r.agentId,
            metrics: r.data,
          })),
        };
      }
      // The active agent with that server_id, else the most recent one that had it.
      const { agents: tenant } = await agents.listTenant(actor.agent.ownerId, actor.agent.teamId);
      const matching = tenant.filter((a) => a.serverId === args.server_id);
      const agent = matching.find((a) => a.status === 'approved') ?? matching[0];
      if (!agent) throw notFound('No agent of your owner or team has that server_id.');
      const series = await metrics.series(actor, agent.id, { path: args.path, from, to, step: args.step });
      return {
        server_id: args.server_id,
        agent_id: agent.id,
        path: series.path,
        step: series.step,
        points: series.points.map((p) => ({ ...p, t: p.t.toISOString() })),
      };
    }),
  );
}

function time(name: string, value: number | string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const date = parseTime(value);
  if (!date) throw badRequest(`${name}: expected ISO 8601, unix seconds, or a relative time such as -2h.`);
  return date;
}
