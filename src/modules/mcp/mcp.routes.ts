import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { hijackKeepingHeaders } from '../../http/hijack.js';
import type { RouteModule } from '../../http/route-module.js';
import { errors } from '../../http/schemas.js';
import { unauthorized } from '../../lib/errors.js';
import { createMessageWaits } from './message-waits.js';
import { createMcpMetrics } from './mcp.metrics.js';
import { agentActorOf, createAgentMcpServer } from './mcp.server.js';

/** Long-polls one agent may hold open at once (each holds a connection). */
const MAX_WAITS_PER_AGENT = 8;

const jsonRpcError = z.object({
  jsonrpc: z.literal('2.0'),
  error: z.object({ code: z.number(), message: z.string() }),
  id: z.null(),
});

/**
 * MCP over Streamable HTTP, stateless: every POST gets a fresh server and
 * transport bound to the caller, so any instance can answer any request and
 * nothing is kept between calls (docs/adr/0009-mcp-stateless-streamable-http.md).
 */
export const mcpRoutes: RouteModule = (app, ctx) => {
  const metrics = createMcpMetrics(ctx.metrics.registry);
  const waits = createMessageWaits({ events: ctx.events, metrics, maxPerAgent: MAX_WAITS_PER_AGENT });
  // Pending long-polls answer before the HTTP server waits for in-flight requests to finish.
  app.addHook('preClose', (done) => {
    waits.close();
    done();
  });
  const auth = { auth: ['agent' as const, 'api-token' as const] };

  app.post(
    '/mcp',
    {
      config: auth,
      schema: {
        tags: ['mcp'],
        summary: 'Model Context Protocol (Streamable HTTP, stateless): JSON-RPC in, JSON or an SSE stream out',
        description: 'Tools: docs/MCP.md (rooms, inbox, search, claims, fleet, alerts, wake hooks).',
        response: { ...errors(400, 401, 413, 429) },
      },
    },
    async (request, reply) => {
      const actor = request.actor;
      if (!actor || actor.kind === 'user') throw unauthorized('MCP takes an agent access token or API token.');
      const server = createAgentMcpServer({
        ctx,
        actor: agentActorOf(actor),
        waits,
        metrics,
        log: request.log,
        ip: request.ip,
      });
      const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
      handOver(request, reply);
      // A client that goes away aborts its tool calls (a pending wait_for_messages stops at once).
      reply.raw.on('close', () => {
        void transport.close();
        void server.close();
      });
      try {
        await server.connect(transport);
        await transport.handleRequest(request.raw, reply.raw, request.body);
      } catch (error) {
        request.log.error({ err: error }, 'mcp request failed');
        if (!reply.raw.headersSent)
          reply.raw
            .writeHead(500, { 'content-type': 'application/json' })
            .end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32603, message: 'Internal error.' }, id: null }));
        else reply.raw.end();
      }
    },
  );

  // Stateless: no server-initiated stream to GET and no session to DELETE (the spec's answer is 405).
  for (const method of ['GET', 'DELETE'] as const) {
    app.route({
      method,
      url: '/mcp',
      config: auth,
      schema: {
        tags: ['mcp'],
        summary: `Not offered: the MCP endpoint is stateless (${method === 'GET' ? 'no server-sent stream' : 'no session to end'})`,
        response: { 405: jsonRpcError, ...errors(401, 429) },
      },
      handler: async (_request, reply) =>
        reply
          .code(405)
          .header('allow', 'POST')
          .send({
            jsonrpc: '2.0' as const,
            error: { code: -32000, message: 'Method not allowed: POST JSON-RPC messages to /mcp.' },
            id: null,
          }),
    });
  }
};

/** The transport writes the response itself: keep the headers our hooks set (request id, rate limits, security). */
function handOver(request: FastifyRequest, reply: FastifyReply): void {
  hijackKeepingHeaders(reply);
  reply.raw.setHeader('x-request-id', request.id);
}
